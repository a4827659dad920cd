"""campaigns keep planning's cursor: chunked, resumable planning

Revision ID: b7d2e4f6a813
Revises: 6e1f0a9c3b72
Create Date: 2026-12-06 02:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2e4f6a813'
down_revision = '6e1f0a9c3b72'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_through', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('planned_through')
