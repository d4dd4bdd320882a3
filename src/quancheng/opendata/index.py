"""The open-data index self-assessment: the city scored on the index's four layers."""

from __future__ import annotations

from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.ledger.log import Ledger
from quancheng.settings import Settings


class OpenDataIndex:
    """The open-data index self-assessment: the city scored on the index's four layers."""

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
