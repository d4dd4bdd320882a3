"""operations: entity rows updated in place — no index on last_seen_at, room in each page

Every telemetry batch rewrites its entities' rows (attributes, last_seen_at). An index on
last_seen_at (which no query could use: the offline check compares it with a fallback)
made PostgreSQL write every index of the table for every row; without it, and with room
left in each page (fillfactor 70), the rows are updated in place (heap-only tuples).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 01:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_entities_last_seen_at")
    if op.get_bind().dialect.name == "postgresql":
        # New pages keep 30% free; existing ones as they are rewritten (VACUUM FULL at once).
        op.execute("ALTER TABLE ops_entities SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ops_entities RESET (fillfactor)")
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.create_index("ix_ops_entities_last_seen_at", ["last_seen_at"], unique=False)
