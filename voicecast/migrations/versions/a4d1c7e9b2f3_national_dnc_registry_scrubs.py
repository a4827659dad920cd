"""national_dnc: the registry's scrubs per area code and their numbers

Revision ID: a4d1c7e9b2f3
Revises: d8f2b6a4c1e7
Create Date: 2026-12-06 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d1c7e9b2f3'
down_revision = 'd8f2b6a4c1e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('national_dnc_scrubs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=3), nullable=False),
    sa.Column('downloaded_on', sa.Date(), nullable=False),
    sa.Column('numbers', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_national_dnc_scrubs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_dnc_scrubs')),
    sa.UniqueConstraint('account_id', 'area_code', name='uq_national_dnc_scrubs_area_code')
    )
    op.create_table('national_dnc_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=3), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_dnc_numbers')),
    sa.UniqueConstraint('account_id', 'phone', name='uq_national_dnc_numbers_account_phone')
    )
    with op.batch_alter_table('national_dnc_numbers', schema=None) as batch_op:
        batch_op.create_index('ix_national_dnc_numbers_area_code', ['account_id', 'area_code'], unique=False)


def downgrade():
    with op.batch_alter_table('national_dnc_numbers', schema=None) as batch_op:
        batch_op.drop_index('ix_national_dnc_numbers_area_code')
    op.drop_table('national_dnc_numbers')
    op.drop_table('national_dnc_scrubs')
