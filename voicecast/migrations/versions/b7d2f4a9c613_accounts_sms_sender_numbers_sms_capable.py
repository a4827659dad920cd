"""accounts: the sender of sellers' text messages; phone_numbers: whether the carrier says
the number can send SMS

Revision ID: b7d2f4a9c613
Revises: d41f7b2c9e63
Create Date: 2026-12-06 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7d2f4a9c613'
down_revision = 'd41f7b2c9e63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_sender', sa.String(length=34), nullable=True))
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_capable', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.drop_column('sms_capable')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('sms_sender')
