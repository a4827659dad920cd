"""contacts and deliveries: a second time zone, when a contact's postal code and its number
name different ones (calls wait until the window is open in both)

Revision ID: a5c3e9f1b724
Revises: a19c5e7d3f21
Create Date: 2026-12-06 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a5c3e9f1b724'
down_revision = 'a19c5e7d3f21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alt_timezone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alt_timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('alt_timezone')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('alt_timezone')
