"""outcomes: what the dealer's system posts (appointments, repair orders, vehicles sold) and
the drop or callback each is attributed to; accounts' outcome attribution window (issue 21)

Revision ID: e5b9c2d7a4f1
Revises: e3a91c5f7b20
Create Date: 2026-12-06 12:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b9c2d7a4f1'
down_revision = 'e3a91c5f7b20'
branch_labels = None
depends_on = None


def enum(*values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'outcome_attribution_days', sa.Integer(), nullable=False, server_default='30'))
    op.create_table(
        'outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=False),
        sa.Column('kind', enum('appointment_booked', 'repair_order', 'vehicle_sold',
                               name='outcomekind'), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('phone', sa.String(length=16), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.Column('touch', enum('drop', 'callback', name='touch'), nullable=True),
        sa.Column('touched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivery_id', sa.Integer(), nullable=True),
        sa.Column('inbound_call_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('seller_id', sa.Integer(), nullable=True),
        sa.Column('unattributed', enum('unknown_contact', 'no_message', 'outside_window',
                                       name='unattributed'), nullable=True),
        sa.Column('attribution_days', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'reference', name='uq_outcomes_account_reference'),
    )
    op.create_index('ix_outcomes_campaign', 'outcomes', ['campaign_id'])
    op.create_index('ix_outcomes_account_seller', 'outcomes', ['account_id', 'seller_id'])


def downgrade():
    op.drop_index('ix_outcomes_account_seller', table_name='outcomes')
    op.drop_index('ix_outcomes_campaign', table_name='outcomes')
    op.drop_table('outcomes')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('outcome_attribution_days')
