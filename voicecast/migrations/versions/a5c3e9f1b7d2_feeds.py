"""feeds: the dealer's nightly file, imported at a time of day, and each run with its import
(issue 21)

Revision ID: a5c3e9f1b7d2
Revises: e3b7c9d2f4a6
Create Date: 2026-12-06 12:15:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a5c3e9f1b7d2'
down_revision = 'e3b7c9d2f4a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('run_at', sa.String(length=5), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=True),
        sa.Column('file_size', sa.Integer(), nullable=True),
        sa.Column('file_put_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_feeds_due', 'feeds', ['active', 'next_run_at'])
    op.create_table(
        'feed_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('feed_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['feed_id'], ['feeds.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['import_id'], ['contact_imports.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('feed_id', 'due_at', name='uq_feed_runs_feed_due'),
    )
    op.create_index('ix_feed_runs_feed', 'feed_runs', ['feed_id', 'id'])


def downgrade():
    op.drop_index('ix_feed_runs_feed', table_name='feed_runs')
    op.drop_table('feed_runs')
    op.drop_index('ix_feeds_due', table_name='feeds')
    op.drop_table('feeds')
