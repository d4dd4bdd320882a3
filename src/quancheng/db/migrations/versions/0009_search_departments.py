"""catalog search: every entry indexed again, now with its department's names

A citizen searching 公安局 or 生态环境局 found nothing: the index held an entry's names,
abstract, keywords and data items but not the department that keeps it. New and edited
entries are indexed with it; this rebuilds the rows of the entries already there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:00:00.000000
"""

import json
from collections import defaultdict
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from quancheng.catalog.search import CatalogSearch, SearchDocument

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain SQL of the columns as they stand at this revision, not the models of a later one.
    conn = op.get_bind()
    search = CatalogSearch(dialect=conn.dialect.name)
    departments = {
        row.id: (row.name, row.name_en or "")
        for row in conn.execute(text("SELECT id, name, name_en FROM departments"))
    }
    items: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for row in conn.execute(
        text("SELECT entry_id, name, name_en, description FROM data_items ORDER BY position")
    ):
        items[row.entry_id].append((row.name, row.name_en or "", row.description or ""))
    entries = conn.execute(
        text(
            "SELECT id, code, name, name_en, abstract, abstract_en, keywords, department_id "
            "FROM catalog_entries"
        )
    )
    for row in entries:
        keywords = json.loads(row.keywords) if isinstance(row.keywords, str) else row.keywords
        doc = SearchDocument.of_fields(
            name=row.name,
            name_en=row.name_en or "",
            code=row.code,
            abstract=row.abstract or "",
            abstract_en=row.abstract_en or "",
            keywords=keywords or (),
            departments=departments.get(row.department_id, ()),
            items=items[row.id],
        )
        search.write(conn, row.id, doc)


def downgrade() -> None:
    # The department's names in the index harm nothing at the earlier revision.
    pass
