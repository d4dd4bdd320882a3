"""Views, downloads and API calls per open entry and day, without personal data."""

from __future__ import annotations

from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.ledger.log import Ledger
from quancheng.settings import Settings


class UsageCounter:
    """Views, downloads and API calls per open entry and day, without personal data."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings

    def count(self, entry_id: int, kind: str) -> None:
        """Count one view, download or API call ("view", "download", "api") of an entry."""

    def close(self) -> None:
        """Write what is counted but not yet written."""
