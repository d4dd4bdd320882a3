"""Registering many catalog entries in one transaction (the demo catalog, bulk registration)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quancheng.catalog.model import EntryFields, EntryStatus
from quancheng.catalog.service import NewEntry, SearchQuery
from quancheng.db.models import CatalogEntry, CatalogVersion
from quancheng.errors import ValidationFailed
from quancheng.identity.roles import Principal
from tests.support.city import SmallCity, entry_fields

PLATFORM = Principal.system("tests")


def _new(department: str, code: str | None = None, **overrides: object) -> NewEntry:
    return NewEntry(department, EntryFields.parse(entry_fields(**overrides)), code)


def test_published_in_bulk_like_one_by_one(city: SmallCity) -> None:
    services = city.services
    one = services.catalog.create(PLATFORM, department="sthjj", fields=entry_fields())
    start = services.ledger.size()
    batch = [
        _new("sthjj", name="空气质量日报"),
        _new("gaj", name="机动车保有量统计", classification_code="101001"),
        _new("sthjj", name="地表水水质监测"),
    ]
    with services.db.transaction() as s:
        added = services.catalog.add_entries(s, PLATFORM, batch, status=EntryStatus.PUBLISHED)
        codes = [e.code for e in added]
    # Codes carry on from what each classification holds, one after the other.
    assert one.code == "210001/000001"
    assert codes == ["210001/000002", "101001/000001", "210001/000003"]
    with services.db.reader() as s:
        entries = [s.scalar(select(CatalogEntry).where(CatalogEntry.code == c)) for c in codes]
        assert all(e is not None and e.status == "published" and e.version == 1 for e in entries)
        versions = s.scalar(
            select(func.count()).select_from(CatalogVersion).where(CatalogVersion.version == 1)
        )
        assert versions == 3  # the draft `one` has none
    # Each entry's own history: created (as a draft), then published as version 1.
    for code in codes:
        history = services.ledger.entries(subject=f"catalog_entry:{code}")
        assert [r.event["type"] for r in history] == [
            "catalog.entry.created",
            "catalog.entry.published",
        ]
        assert history[0].event["details"]["status"] == "draft"
        assert history[1].event["subject"]["version"] == 1
        assert history[1].event["payload_hash"].startswith("sha256:")
    assert services.ledger.size() == start + 6
    assert services.ledger.verify().ok
    visitor = Principal.anonymous(public_catalog=True)
    found = services.catalog.search(visitor, SearchQuery(q="机动车"))
    assert [e.code for e in found.items] == ["101001/000001"]


def test_drawn_codes_step_over_codes_given_in_the_batch(city: SmallCity) -> None:
    services = city.services
    batch = [_new("sthjj"), _new("sthjj", code="210001/000002"), _new("sthjj")]
    with services.db.transaction() as s:
        codes = [e.code for e in services.catalog.add_entries(s, PLATFORM, batch)]
    assert codes == ["210001/000001", "210001/000002", "210001/000003"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (_new("nosuch"), "department"),
        (_new("sthjj", classification_code="210"), "classification_code"),
        (_new("sthjj", code="210001/000009"), "code"),  # twice in one batch
    ],
)
def test_one_invalid_entry_keeps_the_whole_batch_out(
    city: SmallCity, bad: NewEntry, field: str
) -> None:
    services = city.services
    start = services.ledger.size()
    batch = [_new("sthjj", code="210001/000009"), _new("gaj", classification_code="101001"), bad]
    # Caught inside the transaction, which then commits: the session holds none of the batch.
    with services.db.transaction() as s, pytest.raises(ValidationFailed) as raised:
        services.catalog.add_entries(s, PLATFORM, batch, status=EntryStatus.PUBLISHED)
    assert [e.field for e in raised.value.errors] == [field]
    with services.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(CatalogEntry)) == 0
    assert services.ledger.size() == start
    assert services.ledger.verify().ok
