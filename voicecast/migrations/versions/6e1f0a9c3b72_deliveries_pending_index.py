"""a dispatcher round reads only the deliveries it claims: pending ones in the claim's order

Revision ID: 6e1f0a9c3b72
Revises: 9d2b7c4e5f61
Create Date: 2026-12-06 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e1f0a9c3b72'
down_revision = '9d2b7c4e5f61'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_deliveries_pending',
            ['campaign_id', 'next_attempt_at', 'id'],
            unique=False,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_pending')
