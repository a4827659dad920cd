"""attempts: when the person who answered pressed the opt-out key during the message

Revision ID: d41f7b2c9e63
Revises: a5c3e9f1b724
Create Date: 2026-12-06 09:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

import voicecast.models.base


# revision identifiers, used by Alembic.
revision = 'd41f7b2c9e63'
down_revision = 'a5c3e9f1b724'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opted_out_at', voicecast.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('opted_out_at')
