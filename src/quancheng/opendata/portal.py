"""The open catalog as the public sees it: published entries whose open type is open/conditional."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from quancheng.catalog.model import PORTAL_OPEN_TYPES
from quancheng.catalog.service import CatalogService, SearchQuery
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import CatalogEntry, Dataset, DataVersion, Department
from quancheng.errors import NotFound
from quancheng.identity.roles import Principal
from quancheng.opendata.datapackage import datapackage
from quancheng.opendata.dcat import PAGE_SIZE, Agent, OpenEntry, Page, Portal

# The department `quancheng init` creates for the platform authority (大数据局).
AUTHORITY_KEY = "bigdata"
# Listed in this order, so a page boundary never depends on two interleaved searches.


class OpenCatalog:
    """Reads of the open catalog; never shows a closed, draft or offline entry."""

    def __init__(self, *, db: Database, catalog: CatalogService, datastore: DatastoreService):
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        # Open data is public by law whether or not the internal catalog is: read it as a
        # visitor who may see published entries and nothing else.
        self.public = Principal.anonymous(public_catalog=True)

    def portal(self, base_url: str, *, city_name: str, city_name_en: str) -> Portal:
        """The portal at this base URL, run by the platform authority."""
        with self.db.reader() as s:
            dept = s.scalar(select(Department).where(Department.key == AUTHORITY_KEY))
            authority = (
                Agent.of(dept)
                if dept is not None
                else Agent(key=AUTHORITY_KEY, name=f"{city_name}人民政府", name_en=city_name_en)
            )
        return Portal(
            base_url=base_url,
            city_name=city_name,
            city_name_en=city_name_en,
            authority=authority,
        )

    def page(self, number: int) -> tuple[list[OpenEntry], Page]:
        """One page of public entries (open ones first, each by resource code) and the total."""
        start = (number - 1) * PAGE_SIZE
        found: list[CatalogEntry] = []
        total = 0
        for open_type in PORTAL_OPEN_TYPES:
            offset = max(0, start - total)
            want = PAGE_SIZE - len(found)
            result = self.catalog.search(
                self.public,
                SearchQuery(open_type=open_type, sort="code", limit=PAGE_SIZE, offset=offset),
            )
            found.extend(result.items[:want])
            total += result.total
        loaded = self._loaded([e.id for e in found])
        entries = [_open_entry(e, loaded.get(e.id)) for e in found]
        return entries, Page(number=number, total=total)

    def entry(self, ref: str) -> OpenEntry:
        """A public entry by id or resource code; 404 for anything not open data."""
        entry = self._entry(ref)
        return _open_entry(entry, self._loaded([entry.id]).get(entry.id))

    def package(self, portal: Portal, ref: str) -> dict[str, Any]:
        """The Frictionless Data Package of a public entry's current data."""
        entry = self._entry(ref)
        info = self.datastore.dataset(self.public, entry.id)
        current = info.current
        columns = current.schema.columns if current else ()
        descriptions = {i.name: i.description or i.name_en for i in entry.items}
        loaded = current.created_at if current else None
        return datapackage(
            portal,
            _open_entry(entry, loaded),
            columns,
            descriptions,
            row_count=current.row_count if current else None,
        )

    def _entry(self, ref: str) -> CatalogEntry:
        try:
            entry = self.catalog.get(self.public, ref)
        except NotFound:
            entry = None
        if entry is None or entry.open_type not in PORTAL_OPEN_TYPES:
            # The same answer for closed and missing entries: their existence is not public.
            raise NotFound(f"no open data set {ref}", details={"id": ref})
        return entry

    def _loaded(self, entry_ids: list[int]) -> dict[int, datetime]:
        """When each entry's current data version was loaded (absent: no data)."""
        if not entry_ids:
            return {}
        with self.db.reader() as s:
            rows = s.execute(
                select(Dataset.entry_id, DataVersion.created_at)
                .join(DataVersion, DataVersion.id == Dataset.current_version_id)
                .where(Dataset.entry_id.in_(entry_ids))
            )
            return {row.entry_id: row.created_at for row in rows}


def _open_entry(entry: CatalogEntry, loaded: datetime | None) -> OpenEntry:
    base = OpenEntry.of(entry, has_data=loaded is not None)
    if loaded is not None and loaded > base.modified:
        # New data is a change of the dataset even when its metadata stayed the same.
        return replace(base, modified=loaded)
    return base
