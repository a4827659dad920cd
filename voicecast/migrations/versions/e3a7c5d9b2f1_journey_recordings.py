"""journey recordings: a step's script and its policy without the seller's recording, entries
held for a recording, and recordings keyed by step (issue 21, point 2)

Revision ID: e3a7c5d9b2f1
Revises: a4d1c7e9b2f3
Create Date: 2026-12-06 12:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3a7c5d9b2f1'
down_revision = 'a4d1c7e9b2f3'
branch_labels = None
depends_on = None


def enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade():
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('script', sa.String(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column('recording_policy', enum('wait', 'fallback', name='recordingpolicy'),
                      nullable=False, server_default='fallback')
        )
    with op.batch_alter_table('journey_entries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('recording_wait',
                      enum('waiting', 'released', 'gave_up', name='recordingwait'), nullable=True)
        )
        batch_op.add_column(sa.Column('wait_until', sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_journey_entries_waiting', 'journey_entries', ['step_id'],
        postgresql_where=sa.text("recording_wait = 'waiting'"),
        sqlite_where=sa.text("recording_wait = 'waiting'"),
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_id', sa.Integer(), nullable=True))


def downgrade():
    op.execute("DELETE FROM recordings WHERE purpose = 'journey_step'")
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('step_id')
    op.drop_index('ix_journey_entries_waiting', table_name='journey_entries')
    with op.batch_alter_table('journey_entries', schema=None) as batch_op:
        batch_op.drop_column('wait_until')
        batch_op.drop_column('recording_wait')
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.drop_column('recording_policy')
        batch_op.drop_column('script')
