"""journeys: steps on a contact's date attribute, their runs, and entries once per step and
contact (issue 21)

Revision ID: d8f2b6a4c1e7
Revises: b7d2f4a9c613
Create Date: 2026-12-06 09:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd8f2b6a4c1e7'
down_revision = 'b7d2f4a9c613'
branch_labels = None
depends_on = None


def enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade():
    op.create_table(
        'journeys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('status', enum('active', 'paused', name='journeystatus'), nullable=False),
        sa.Column('missed_policy', enum('skip', 'catch_up', name='missedpolicy'), nullable=False),
        sa.Column('catch_up_days', sa.Integer(), nullable=False),
        sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_journeys_account_status', 'journeys', ['account_id', 'status'])
    op.create_table(
        'journey_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('journey_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('attribute', sa.String(length=100), nullable=False),
        sa.Column('offset_amount', sa.Integer(), nullable=False),
        sa.Column('offset_unit', enum('days', 'months', 'years', name='offsetunit'),
                  nullable=False),
        sa.Column('yearly', sa.Boolean(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sa.String(length=50), nullable=False),
        sa.Column('campaign', sa.JSON(), nullable=False),
        sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_journey_steps_journey', 'journey_steps', ['journey_id', 'position'])
    op.create_table(
        'journey_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('entered', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['step_id'], ['journey_steps.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_journey_runs_step_day', 'journey_runs', ['step_id', 'day'])
    op.create_table(
        'journey_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('occurrence', sa.Integer(), nullable=False),
        sa.Column('moment_on', sa.Date(), nullable=False),
        sa.Column('entered_on', sa.Date(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['step_id'], ['journey_steps.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('step_id', 'contact_id', 'occurrence',
                            name='uq_journey_entries_step_contact'),
    )
    op.create_index('ix_journey_entries_run', 'journey_entries', ['run_id'])


def downgrade():
    op.drop_index('ix_journey_entries_run', table_name='journey_entries')
    op.drop_table('journey_entries')
    op.drop_index('ix_journey_runs_step_day', table_name='journey_runs')
    op.drop_table('journey_runs')
    op.drop_index('ix_journey_steps_journey', table_name='journey_steps')
    op.drop_table('journey_steps')
    op.drop_index('ix_journeys_account_status', table_name='journeys')
    op.drop_table('journeys')
