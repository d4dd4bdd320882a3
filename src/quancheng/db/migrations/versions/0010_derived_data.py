"""derived data: the version of the code each kind (search index, lamp states) was built with

Data computed from other tables by application code (the catalog's search index, a
streetlight's state column) is rebuilt after `migrate` by the code of the running release
whenever the version stored here is missing or older than that code's (quancheng/db/derived.py),
so no migration has to import application code to rebuild it. This creates the table, empty:
every kind of a database that predates it is rebuilt once after this migration.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "derived_data",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_derived_data")),
    )


def downgrade() -> None:
    op.drop_table("derived_data")
