"""the webhook outbox is pruned of events settled long ago

Revision ID: 9d2b7c4e5f61
Revises: 3c9e4f7a1b20
Create Date: 2026-11-26 17:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d2b7c4e5f61'
down_revision = '3c9e4f7a1b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_outbox_settled', ['status', 'last_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_outbox_settled')
