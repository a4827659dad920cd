"""attempts: when the carrier asked for what follows the voicemail message (the proof it
played to its end while the call was up), and a verdict's redirect awaiting the carrier's answer

Revision ID: b3f8d2a6c914
Revises: a5c3e9f1b7d2
Create Date: 2026-12-06 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import voicecast.models.base


# revision identifiers, used by Alembic.
revision = 'b3f8d2a6c914'
down_revision = 'a5c3e9f1b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_ended_at', voicecast.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('redirecting_since', voicecast.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('redirecting_since')
        batch_op.drop_column('message_ended_at')
