"""attempts keep async AMD's detection time and the call's duration (voicemail left or cut)

Revision ID: a19c5e7d3f21
Revises: e3a7c91d5b40
Create Date: 2026-12-06 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19c5e7d3f21'
down_revision = 'e3a7c91d5b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detection_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_duration', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('call_duration')
        batch_op.drop_column('detection_ms')
