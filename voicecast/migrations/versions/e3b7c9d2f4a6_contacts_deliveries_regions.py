"""contacts and deliveries: the contact's US states (ZIP code or state column, and the
number's area code when another), whose state calling rules apply

Revision ID: e3b7c9d2f4a6
Revises: e5b9c2d7a4f1
Create Date: 2026-12-06 12:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b7c9d2f4a6'
down_revision = 'e5b9c2d7a4f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regions', sa.String(length=16), nullable=True))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('regions', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('regions')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('regions')
