"""deliveries count their attempts that never reached the carrier apart

Revision ID: c4e8a1f5d2b9
Revises: b7d2e4f6a813
Create Date: 2026-12-06 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f5d2b9'
down_revision = 'b7d2e4f6a813'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('unplaced_count', sa.Integer(), server_default=sa.text('0'), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('unplaced_count')
