"""CKAN package_search filters, sorts, counts, facets and pages in SQL as a plain reference does.

The reference is the straightforward algorithm: load every visible entry, filter, sort and
count in Python. On a city of ~60 entries with tag spellings that differ in case, equal
titles and equal timestamps, every page of `rows=7` concatenated must equal the reference
order, and the counts and facets must be the same, for the public and for a department.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from quancheng.app import Services
from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus, OpenType
from quancheng.db.models import CatalogEntry, Dataset, DataVersion
from quancheng.opendata import ckan
from tests.support.city import SmallCity, entry_fields

FACETS = list(ckan.FQ_FIELDS)
TAGS = (["空气质量", "PM2.5"], ["pm2.5", "监测"], ["交通", "Bus"], ["bus", "交通"], [], ["监测"])
NAMES = ("空气质量数据", "公交线路", "Bus stops", "人口统计", "空气质量数据")
CSV = "站点,数值\n泉城广场,1\n趵突泉,2\n"
SHAPES: tuple[dict[str, Any], ...] = (
    {},
    {"fq": "res_format:CSV"},
    {"fq": "res_format:csv"},
    {"fq": "res_format:PDF"},
    {"fq": "tags:pm2.5"},
    {"fq": 'tags:"交通" organization:GAJ'},
    {"fq": "license_id:cc-by"},
    {"fq": "license_id:QC-CONDITIONAL groups:2"},
    {"fq": "groups:1"},
    {"sort": "title_string asc"},
    {"sort": "title_string desc"},
    {"sort": "name desc"},
    {"sort": "name asc", "fq": "organization:sthjj"},
    {"sort": "metadata_modified desc"},
    {"sort": "metadata_modified asc"},
    {"q": "空气质量"},
    {"q": "bus", "sort": "metadata_modified desc"},
    {"q": "监测", "fq": "tags:PM2.5"},
    {"q": "nothingmatchesthis"},
)


@pytest.fixture
def crowded(services: Services, city: SmallCity, tmp_path: Path) -> SmallCity:
    """About 60 entries over two departments, both classes and every open type."""
    catalog = services.catalog
    stewards = {"gaj": city.principals["gaj_steward"], "sthjj": city.principals["env_steward"]}
    open_types = ("open", "open", "conditional", "closed", "open")
    with_data = []
    for n in range(60):
        dept = ("gaj", "sthjj")[n % 2]
        steward = stewards[dept]
        open_type = open_types[n % len(open_types)]
        entry = catalog.create(
            steward,
            department=dept,
            fields=entry_fields(
                name=NAMES[n % len(NAMES)],
                classification_code=("101001", "210001")[(n // 3) % 2],
                open_type=open_type,
                open_conditions="用于科研" if open_type == "conditional" else "",
                keywords=TAGS[n % len(TAGS)],
            ),
        )
        if n % 11 == 10:
            continue  # stays a draft: never listed
        catalog.submit(steward, entry.id)
        catalog.publish(steward, entry.id)
        if n % 4 == 0 and len(with_data) < 6:
            with_data.append((steward, entry.id))
    for n, (steward, entry_id) in enumerate(with_data):
        path = tmp_path / f"d{n}.csv"
        path.write_text(CSV, encoding="utf-8")
        job = services.datastore.start_load(steward, entry_id, source_name=path.name)
        assert services.datastore.run_load(job.id, path).status == "succeeded"
    with services.db.transaction() as s:
        # Equal timestamps: the tie-breaks must agree as well.
        ids = list(s.scalars(select(CatalogEntry.id).order_by(CatalogEntry.id)))
        same = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
        s.execute(
            update(CatalogEntry).where(CatalogEntry.id.in_(ids[::3])).values(published_at=same)
        )
    return city


def reference(services: Services, params: dict[str, Any], *, public: bool) -> dict[str, Any]:
    """Codes in order, count and facets, by loading every visible entry into Python."""
    with services.db.reader() as s:
        conditions = [CatalogEntry.status == EntryStatus.PUBLISHED.value]
        if public:
            conditions.append(CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES))
        entries = list(
            s.scalars(
                select(CatalogEntry)
                .where(*conditions)
                .options(selectinload(CatalogEntry.department))
                .order_by(CatalogEntry.id)
            )
        )
        loaded = set(
            s.scalars(
                select(Dataset.entry_id).join(
                    DataVersion, DataVersion.id == Dataset.current_version_id
                )
            )
        )
        scores: dict[int, float] = {}
        matches = services.catalog.search_index.matches(params.get("q", ""))
        if matches is not None:
            scores = {r.entry_id: r.score for r in s.execute(select(matches))}
            entries = [e for e in entries if e.id in scores]

        def values(e: CatalogEntry, name: str) -> list[str]:
            if name == "organization":
                return [e.department.key]
            if name == "groups":
                return [e.classification_code[:1]]
            if name == "tags":
                return list(dict.fromkeys(e.keywords))
            if name == "res_format":
                shown = e.id in loaded and (not public or e.open_type == OpenType.OPEN.value)
                return [f.upper() for f in ckan.FORMATS] if shown else []
            return [ckan.LICENSE_OF.get(e.open_type, "")]

        terms = ckan.parse_fq(params.get("fq", ""))
        hits = [
            e
            for e in entries
            if all(
                v.lower() in {x.lower() for x in values(e, name)}
                for name, wanted in terms.items()
                for v in wanted
            )
        ]
        sort_text = params.get("sort", "score desc")
        sort = ckan.parse_sort(sort_text)
        desc = "desc" in sort_text.lower()

        def stamp(e: CatalogEntry) -> datetime:
            return e.published_at or e.updated_at

        if sort == "relevance":
            hits.sort(key=lambda e: (-scores.get(e.id, 0.0), -stamp(e).timestamp(), e.id))
        elif sort == "updated":
            hits.sort(key=lambda e: (stamp(e), e.id), reverse=desc)
        elif sort == "name":
            hits.sort(key=lambda e: (e.name, e.id), reverse=desc)
        else:
            hits.sort(key=lambda e: ckan.slug(e.code), reverse=desc)
        facets = {name: dict(Counter(v for e in hits for v in values(e, name))) for name in FACETS}
        return {"codes": [e.code for e in hits], "count": len(hits), "facets": facets}


def search(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = client.get("/api/3/action/package_search", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True
    result: dict[str, Any] = body["result"]
    return result


@pytest.mark.parametrize("who", ["anonymous", "gaj_user"])
def test_every_page_filter_count_and_facet_matches_the_reference(
    crowded: SmallCity, services: Services, client: TestClient, who: str
) -> None:
    headers = {} if who == "anonymous" else crowded.auth(who)
    for shape in SHAPES:
        want = reference(services, shape, public=who == "anonymous")
        pages: list[str] = []
        start = 0
        while True:
            found = search(client, headers, rows=7, start=start, **shape)
            assert found["count"] == want["count"], shape
            pages += [p["id"] for p in found["results"]]
            if len(found["results"]) < 7:
                break
            start += 7
        assert pages == want["codes"], shape
        whole = search(
            client, headers, rows=1000, **{"facet.field": str(FACETS).replace("'", '"')}, **shape
        )
        assert [p["id"] for p in whole["results"]] == want["codes"], shape
        assert whole["facets"] == want["facets"], shape
        for name in FACETS:
            counted = {i["name"]: i["count"] for i in whole["search_facets"][name]["items"]}
            assert counted == {k: n for k, n in want["facets"][name].items() if n}, (shape, name)
    assert reference(services, {}, public=True)["count"] >= 30


def test_the_city_exercises_every_filter(crowded: SmallCity, services: Services) -> None:
    everything = reference(services, {}, public=False)["facets"]
    # Spellings that differ only in case are distinct tags but one filter value.
    assert {"PM2.5", "pm2.5", "Bus", "bus"} <= set(everything["tags"])
    assert set(everything["license_id"]) == {"cc-by", "qc-conditional", ""}
    assert everything["res_format"]["CSV"] >= 3
    assert set(everything["organization"]) == {"gaj", "sthjj"}


def test_paging_past_the_end_and_facet_limit(
    crowded: SmallCity, services: Services, client: TestClient
) -> None:
    want = reference(services, {}, public=True)
    beyond = search(client, {}, rows=5, start=want["count"] + 3)
    assert beyond["results"] == [] and beyond["count"] == want["count"]
    none = search(client, {}, rows=0)
    assert none["results"] == [] and none["count"] == want["count"]
    top = search(client, {}, **{"facet.field": '["tags"]', "facet.limit": 2})
    ordered = sorted(want["facets"]["tags"].items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    assert [(i["name"], i["count"]) for i in top["search_facets"]["tags"]["items"]] == ordered
