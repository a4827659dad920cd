"""accounts narrow their calling-rule preset

Revision ID: 3c9e4f7a1b20
Revises: 70e8c00dd537
Create Date: 2026-11-26 17:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9e4f7a1b20'
down_revision = '70e8c00dd537'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calling_rules_changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('calling_rules_changes')
