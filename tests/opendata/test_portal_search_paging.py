"""The portal's /open/datasets search counts, sorts and pages in SQL as a plain reference does.

Every page of the listing, concatenated, must be the reference order (most recently updated
first, then by id; by score first for words; by use first for "most used"), on a city of ~60
entries where some share the same update time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quancheng.app import Services
from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus
from quancheng.db.models import CatalogEntry
from quancheng.web.listing import PAGE_SIZE
from tests.api.test_ckan_search_paging import crowded  # noqa: F401 (a fixture)
from tests.support.city import SmallCity

_LINK = re.compile(r'href="/open/datasets/(\d+)"')
_TOTAL = re.compile(r'data-total="(\d+)"')


def listed(web: TestClient, **params: str) -> tuple[list[int], int]:
    """Entry ids over every page of the listing, and the total the page states."""
    ids: list[int] = []
    offset = 0
    while True:
        page = web.get("/open/datasets", params={**params, "offset": str(offset)})
        assert page.status_code == 200
        match = _TOTAL.search(page.text)
        assert match is not None
        total = int(match.group(1))
        found = [int(i) for i in dict.fromkeys(_LINK.findall(page.text))]
        ids += found
        if len(found) < PAGE_SIZE:
            return ids, total
        offset += PAGE_SIZE


def reference(services: Services, q: str = "", department: int | None = None) -> list[int]:
    """Public entries, words matched through the catalog index, in the listing's order."""
    with services.db.reader() as s:
        conditions = [
            CatalogEntry.status == EntryStatus.PUBLISHED.value,
            CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
        ]
        if department is not None:
            conditions.append(CatalogEntry.department_id == department)
        rows = list(s.execute(select(CatalogEntry.id, CatalogEntry.updated_at).where(*conditions)))
        scores: dict[int, float] = {}
        matches = services.catalog.search_index.matches(q) if q else None
        if matches is not None:
            scores = {r.entry_id: r.score for r in s.execute(select(matches))}
            rows = [r for r in rows if r.id in scores]
    rows.sort(key=lambda r: (-scores.get(r.id, 0.0), -r.updated_at.timestamp(), r.id))
    return [r.id for r in rows]


def test_every_page_of_the_listing_is_the_reference_order(
    crowded: SmallCity,  # noqa: F811
    services: Services,
    client: TestClient,
) -> None:
    with services.db.transaction() as s:
        # Equal update times: the tie-break by id must hold across page boundaries.
        ids = list(s.scalars(select(CatalogEntry.id).order_by(CatalogEntry.id)))
        same = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
        s.execute(update(CatalogEntry).where(CatalogEntry.id.in_(ids[::2])).values(updated_at=same))
    everything = reference(services)
    assert len(everything) > 2 * PAGE_SIZE
    assert listed(client) == (everything, len(everything))
    words = reference(services, q="空气质量")
    assert words and listed(client, q="空气质量") == (words, len(words))
    gaj = reference(services, department=crowded.departments["gaj"])
    assert listed(client, department="gaj") == (gaj, len(gaj))
    # Most used first; the entries nobody used keep the updated-then-id order behind them.
    used = [everything[5], everything[40], everything[1]]
    for n, entry_id in enumerate(used):
        for _ in range(3 - n):
            services.usage.count(entry_id, "view")
    services.usage.flush()
    by_use = listed(client, sort="used")
    assert by_use == (used + [i for i in everything if i not in used], len(everything))
    beyond = client.get("/open/datasets", params={"offset": "500"})
    assert _LINK.search(beyond.text) is None
    assert f'data-total="{len(everything)}"' in beyond.text
    # Past the end is not "nothing matches": the page says so and leads back.
    assert "此页已超出搜索结果的最后一页" in beyond.text
    assert "没有符合" not in beyond.text
    assert 'href="/open/datasets"' in beyond.text
