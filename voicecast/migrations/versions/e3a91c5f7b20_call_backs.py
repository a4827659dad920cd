"""call backs: a seller's call back of a missed callback, its two legs and its outcome
(issue 21, point 5)

Revision ID: e3a91c5f7b20
Revises: e3a7c5d9b2f1
Create Date: 2026-12-06 12:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3a91c5f7b20'
down_revision = 'e3a7c5d9b2f1'
branch_labels = None
depends_on = None


def upgrade():
    outcome = sa.Enum('seller_no_answer', 'no_answer', 'reached', 'refused',
                      name='callbackoutcome_back', native_enum=False, length=16)
    op.create_table(
        'call_backs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('inbound_call_id', sa.Integer(), nullable=False),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.Column('seller_phone', sa.String(length=16), nullable=False),
        sa.Column('customer_number', sa.String(length=32), nullable=False),
        sa.Column('from_number', sa.String(length=16), nullable=False),
        sa.Column('seller_call_sid', sa.String(length=64), nullable=True),
        sa.Column('customer_call_sid', sa.String(length=64), nullable=True),
        sa.Column('outcome', outcome, nullable=True),
        sa.Column('refusal', sa.String(length=200), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seller_answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('customer_dialed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('talk_seconds', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['inbound_call_id'], ['inbound_calls.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('seller_call_sid', name='uq_call_backs_seller_call_sid'),
    )
    op.create_index('ix_call_backs_account_seller', 'call_backs', ['account_id', 'seller_id'])
    op.create_index('ix_call_backs_inbound_call', 'call_backs', ['inbound_call_id'])


def downgrade():
    op.drop_index('ix_call_backs_inbound_call', table_name='call_backs')
    op.drop_index('ix_call_backs_account_seller', table_name='call_backs')
    op.drop_table('call_backs')
