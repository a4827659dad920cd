"""contact attributes as jsonb on PostgreSQL, with a GIN index for segments' equalities

Revision ID: b5d0c3e1a2f4
Revises: a819ddba8f71
Create Date: 2026-11-26 09:55:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5d0c3e1a2f4'
down_revision = 'a819ddba8f71'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE contacts ALTER COLUMN attributes TYPE jsonb USING attributes::jsonb")
        op.execute(
            "CREATE INDEX ix_contacts_attributes ON contacts USING gin (attributes jsonb_path_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_contacts_attributes")
        op.execute("ALTER TABLE contacts ALTER COLUMN attributes TYPE json USING attributes::json")
