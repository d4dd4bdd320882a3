"""The public's data requests, error reports, ratings, comments and reuses."""

from __future__ import annotations

from quancheng.catalog.service import CatalogService
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.ledger.log import Ledger
from quancheng.settings import Settings


class InteractionService:
    """The public's data requests, error reports, ratings, comments and reuses."""

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
