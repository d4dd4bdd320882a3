"""Full-text search of the catalog: SQLite FTS5 and PostgreSQL tsvector behind one interface."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Float, Integer, column, select, text
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Subquery

import quancheng.catalog.textindex as textindex
from quancheng.db.derived import Derivation, Step
from quancheng.db.models import CatalogEntry

# A match in the name weighs more than one in the abstract, which weighs more than one in
# the data items: bm25 column weights for FTS5, tsvector weights A/B/C for PostgreSQL.
SQLITE_MATCH = (
    "SELECT rowid AS entry_id, -bm25(catalog_search, 10.0, 3.0, 1.0) AS score "
    "FROM catalog_search WHERE catalog_search MATCH :expr"
)
POSTGRES_MATCH = (
    "SELECT entry_id, ts_rank('{0.1, 0.2, 0.4, 1.0}', document, CAST(:expr AS tsquery)) "
    "AS score FROM catalog_search WHERE document @@ CAST(:expr AS tsquery)"
)


# The version of the index rows SearchDocument makes. Raise it with any change to what goes
# into a document or to how textindex turns text into tokens: every entry is then indexed
# again after the next `migrate` (db/derived.py), with no migration to write.
SEARCH_INDEX_VERSION = 1


@dataclass(frozen=True)
class SearchDocument:
    """The three weighted fields of an entry, already turned into index tokens."""

    name: str
    abstract: str
    items: str

    @classmethod
    def of(cls, entry: CatalogEntry) -> SearchDocument:
        """Tokens of an entry: names in both languages, abstract, keywords, department, items."""
        department = entry.department
        return cls.of_fields(
            name=entry.name,
            name_en=entry.name_en,
            code=entry.code,
            abstract=entry.abstract,
            abstract_en=entry.abstract_en,
            keywords=entry.keywords,
            departments=(department.name, department.name_en) if department is not None else (),
            items=[(i.name, i.name_en, i.description) for i in entry.items],
        )

    @classmethod
    def of_fields(
        cls,
        *,
        name: str,
        name_en: str,
        code: str,
        abstract: str,
        abstract_en: str,
        keywords: Sequence[str],
        departments: Sequence[str],
        items: Sequence[tuple[str, str, str]],
    ) -> SearchDocument:
        """Tokens of an entry's values (a citizen searches a department by its name too)."""
        return cls(
            name=textindex.index_document(f"{name} {name_en} {code}"),
            abstract=textindex.index_document(
                " ".join([abstract, abstract_en, *keywords, *departments])
            ),
            items=textindex.index_document(" ".join(" ".join(item) for item in items)),
        )


class CatalogSearch:
    """Keeps the full-text index in step with entries and matches queries against it."""

    def __init__(self, *, dialect: str) -> None:
        self.dialect = dialect

    def index(self, s: Session, entry: CatalogEntry, *, new: bool = False) -> None:
        """(Re)index an entry inside the caller's transaction (`new`: never indexed yet)."""
        self.write(s, entry.id, SearchDocument.of(entry), new=new)

    def write(
        self, s: Session | Connection, entry_id: int, doc: SearchDocument, *, new: bool = False
    ) -> None:
        """Store an entry's index row (a migration rebuilding the index calls it too)."""
        params = {"id": entry_id, "name": doc.name, "abstract": doc.abstract, "items": doc.items}
        if self.dialect == "sqlite":
            if not new:
                s.execute(text("DELETE FROM catalog_search WHERE rowid = :id"), {"id": entry_id})
            s.execute(
                text(
                    "INSERT INTO catalog_search (rowid, name, abstract, items) "
                    "VALUES (:id, :name, :abstract, :items)"
                ),
                params,
            )
        else:
            # Tokens are already normalised; array_to_tsvector keeps them exactly as given.
            s.execute(
                text(
                    "INSERT INTO catalog_search (entry_id, document) VALUES (:id, "
                    "setweight(array_to_tsvector(string_to_array(:name, ' ')), 'A') || "
                    "setweight(array_to_tsvector(string_to_array(:abstract, ' ')), 'B') || "
                    "setweight(array_to_tsvector(string_to_array(:items, ' ')), 'C')) "
                    "ON CONFLICT (entry_id) DO UPDATE SET document = EXCLUDED.document"
                ),
                params,
            )

    def matches(self, query: str) -> Subquery | None:
        """A subquery (entry_id, score) of entries matching every word; higher scores first.

        Returns None when the query has no searchable words (then nothing is filtered).
        """
        tokens = textindex.query_tokens(query)
        if not tokens:
            return None
        if self.dialect == "sqlite":
            # Tokens hold only letters, digits and CJK, so quoting makes each a plain term.
            expr = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
            stmt = text(SQLITE_MATCH).bindparams(expr=expr.strip())
        else:
            expr = " & ".join([*(f"'{t}'" for t in tokens[:-1]), f"'{tokens[-1]}':*"])
            stmt = text(POSTGRES_MATCH).bindparams(expr=expr)
        return stmt.columns(column("entry_id", Integer), column("score", Float)).subquery("matches")


def reindex_batch(s: Session, after: str | None, limit: int) -> Step:
    """Index again up to `limit` entries after entry id `after`; the last batch drops the rows
    of entries that are gone."""
    search = CatalogSearch(dialect=s.get_bind().dialect.name)
    entries = s.scalars(
        select(CatalogEntry)
        .where(CatalogEntry.id > int(after or 0))
        .order_by(CatalogEntry.id)
        .limit(limit)
        .options(selectinload(CatalogEntry.items), selectinload(CatalogEntry.department))
        # PostgreSQL: an edit of one of these entries waits, so its own index row comes last.
        .with_for_update(of=CatalogEntry)
    ).all()
    for entry in entries:
        search.index(s, entry)
    if len(entries) == limit:
        return Step(len(entries), str(entries[-1].id))
    key = "rowid" if search.dialect == "sqlite" else "entry_id"
    s.execute(
        text(f"DELETE FROM catalog_search WHERE {key} NOT IN (SELECT id FROM catalog_entries)")  # noqa: S608
    )
    return Step(len(entries), None)


SEARCH_INDEX = Derivation(
    kind="catalog_search", version=SEARCH_INDEX_VERSION, batch=reindex_batch, batch_size=500
)
