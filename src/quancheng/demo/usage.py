"""Six months of open-data use for the demo city: views, downloads and API calls per entry and day.

The figures look like a real portal's: a few entries draw most of the use (a heavy-tailed
popularity), weekdays are busier than weekends, use grows over the months, API calls go to
entries whose data is loaded, and most obscure entries are untouched on most days. The rows
are written as the usage counter writes them (per entry and city day), with no visitor in them.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus
from quancheng.db.models import CatalogEntry, Dataset, PortalUsage

if TYPE_CHECKING:
    from quancheng.app import Services

DAYS = 180
# Rows per INSERT: small enough for SQLite's parameter limit, large enough to be quick.
CHUNK = 2000
# Entries whose names people look for first get a popularity boost.
POPULAR_WORDS = ("公交", "空气", "天气", "气象", "企业", "信用", "地铁", "停车", "医院", "学校")


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_usage(
    services: Services, *, seed: int, days: int = DAYS, today: date | None = None
) -> dict[str, int]:
    """Write `days` days of usage up to today for every public entry; return the totals."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    last = today or services.usage.today()
    first = last - timedelta(days=days - 1)
    with services.db.reader() as s:
        entries = list(
            s.execute(
                select(CatalogEntry.id, CatalogEntry.name, CatalogEntry.open_type)
                .where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value,
                    CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
                )
                .order_by(CatalogEntry.id)
            )
        )
        loaded = set(
            s.scalars(select(Dataset.entry_id).where(Dataset.current_version_id.is_not(None)))
        )
    totals = {"entries": len(entries), "rows": 0, "views": 0, "downloads": 0, "api_calls": 0}
    if not entries:
        return totals
    rows: list[dict[str, Any]] = []
    with services.db.transaction() as s:
        # Idempotent for the period: a rebuilt demo does not double its figures.
        s.execute(
            delete(PortalUsage).where(
                PortalUsage.day >= first.isoformat(), PortalUsage.day <= last.isoformat()
            )
        )
        for entry_id, name, open_type in entries:
            # Views per day at the end of the period: heavy-tailed, median around 0.6.
            base = rng.lognormvariate(-0.5, 1.3)
            if any(word in name for word in POPULAR_WORDS):
                base *= 4
            if open_type != "open":
                base *= 0.3  # conditional entries show metadata only
            has_data = entry_id in loaded
            api_share = rng.uniform(0.1, 0.8) if has_data else 0.0
            download_share = rng.uniform(0.08, 0.25) if has_data else 0.02
            for offset in range(days):
                day = first + timedelta(days=offset)
                growth = 0.55 + 0.45 * offset / max(1, days - 1)
                weekday = 1.0 if day.weekday() < 5 else 0.45
                lam = base * growth * weekday
                views = _poisson(rng, lam)
                downloads = _poisson(rng, lam * download_share)
                api_calls = _poisson(rng, lam * api_share * 3)
                if not (views or downloads or api_calls):
                    continue
                rows.append(
                    {
                        "entry_id": entry_id,
                        "day": day.isoformat(),
                        "views": views,
                        "downloads": downloads,
                        "api_calls": api_calls,
                    }
                )
                totals["views"] += views
                totals["downloads"] += downloads
                totals["api_calls"] += api_calls
                if len(rows) >= CHUNK:
                    s.execute(insert(PortalUsage), rows)
                    totals["rows"] += len(rows)
                    rows = []
        if rows:
            s.execute(insert(PortalUsage), rows)
            totals["rows"] += len(rows)
    return totals
