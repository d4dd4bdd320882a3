"""catalog search: entries indexed with their department's names (rebuilt after migrate)

A citizen searching 公安局 or 生态环境局 found nothing: the index held an entry's names,
abstract, keywords and data items but not the department that keeps it. New and edited
entries are indexed with it. This revision used to rebuild the rows of the entries already
there with the application's indexing code, so replaying it depended on how that code
computes a row today. It now does nothing: the index is derived data (catalog_search,
quancheng/db/derived.py), and every database that predates revision 0010 has no stamp for
it, so `migrate` indexes every entry again with the running release's code once the schema
is at the head.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:00:00.000000
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rebuild runs after the migrations, as derived data (see the docstring).
    pass


def downgrade() -> None:
    # The department's names in the index harm nothing at the earlier revision.
    pass
