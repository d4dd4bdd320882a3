"""The public open-data portal as a visitor uses it: find, preview, download, call; zh and en."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quancheng.app import Services, create_app
from quancheng.db.models import PortalUsage
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.city import SmallCity, seed_small_city
from tests.web.support import browser, publish

CSV = (
    "监测站点,监测时间,PM2.5浓度\n"
    "泉城广场,2024-01-05 08:00,35.5\n"
    "省种子仓库,2024-01-05 09:00,41\n"
    "泉城广场,2024-01-05 09:00,30\n"
)


def text_of(html: str) -> str:
    """The visible text of a page, roughly."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def load(city: SmallCity, entry_id: int, tmp_path: Path, body: str = CSV) -> None:
    path = tmp_path / f"data-{entry_id}.csv"
    path.write_text(body, encoding="utf-8")
    datastore = city.services.datastore
    job = datastore.start_load(city.principals["env_steward"], entry_id, source_name=path.name)
    assert datastore.run_load(job.id, path).status == "succeeded"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    return browser(client)


@pytest.fixture
def air(city: SmallCity, tmp_path: Path) -> int:
    """The environment bureau's open air-quality entry, with three rows loaded."""
    entry_id = publish(city.services, city.principals["env_steward"], "sthjj")
    load(city, entry_id, tmp_path)
    return entry_id


@pytest.fixture
def hidden(city: SmallCity) -> dict[str, int]:
    """A closed published entry, a draft, and an entry taken offline."""
    services = city.services
    closed = publish(
        services,
        city.principals["gaj_steward"],
        "gaj",
        name="户籍人口统计",
        classification_code="101001",
        sharing_type="conditional",
        sharing_conditions="仅限公安业务使用",
        legal_basis="《中华人民共和国居民身份证法》",
        open_type="closed",
    )
    steward = city.principals["env_steward"]
    draft = services.catalog.create(
        steward, department="sthjj", fields={**_fields(), "name": "噪声监测草稿"}
    ).id
    offline = publish(services, steward, "sthjj", name="已下线的水质数据")
    services.catalog.take_offline(steward, offline, reason="数据源停用")
    return {"closed": closed, "draft": draft, "offline": offline}


def _fields() -> dict[str, object]:
    from tests.support.city import entry_fields

    return entry_fields()


@pytest.fixture
def conditional(city: SmallCity, tmp_path: Path) -> int:
    entry_id = publish(
        city.services,
        city.principals["env_steward"],
        "sthjj",
        name="企业排污许可明细",
        name_en="Pollutant discharge permits",
        open_type="conditional",
        open_conditions="仅限科研用途",
    )
    load(city, entry_id, tmp_path)
    return entry_id


def test_an_open_entry_shows_rows_dictionary_downloads_and_api_examples(
    web: TestClient, air: int
) -> None:
    page = web.get(f"/open/datasets/{air}")

    assert page.status_code == 200
    text = text_of(page.text)
    assert "空气质量小时监测数据" in text
    # The preview table holds the loaded rows; the dictionary names each column and its type.
    preview = page.text.split('id="preview"')[1].split("</section>")[0]
    assert "泉城广场" in preview and "省种子仓库" in preview
    dictionary = page.text.split('id="dictionary"')[1].split("</section>")[0]
    assert "PM2.5浓度" in dictionary and 'data-type="double"' in dictionary
    # Regression: the type was the API's word ("double", "timestamp") on the Chinese page.
    assert re.search(r'data-type="double">小数<', dictionary)
    assert re.search(r'data-type="timestamp">日期时间<', dictionary)
    assert re.search(r'data-type="text">文本<', dictionary)
    for fmt in ("csv", "xlsx", "json", "ndjson", "parquet"):
        assert f'href="/api/v1/datasets/{air}/export.{fmt}"' in page.text
    # The download links are headed 下载, not 下载量 (the download count of the figures).
    downloads = page.text.split('id="downloads"')[1].split("</section>")[0]
    assert "<h2>下载</h2>" in downloads
    assert '<a href="#downloads">下载</a>' in page.text
    # Examples are ready to copy: the real host and this entry's id and table are filled in.
    assert f'curl "http://testserver/api/v1/datasets/{air}/rows?_limit=10"' in unescape(page.text)
    assert "httpx.get(" in unescape(page.text)
    assert "/api/3/action/datastore_search?resource_id=" in page.text
    assert "/api/v1/sql" in page.text
    for link in (f"/dataset/{air}.ttl", f"/dataset/{air}.jsonld", f"/dataset/{air}.rdf"):
        assert f'href="{link}"' in page.text
    assert f'href="/dataset/{air}/datapackage.json"' in page.text
    assert 'data-freshness="on_time"' in page.text
    assert 'data-licence="cc-by"' in page.text
    assert f'hx-get="/open/datasets/{air}/feedback" hx-trigger="load"' in page.text
    assert 'id="chart-builder"' in page.text
    assert "<script>" not in page.text  # CSP: data only in application/json blocks

    # The links work for a visitor with no account.
    assert web.get(f"/api/v1/datasets/{air}/export.csv").status_code == 200
    assert web.get(f"/dataset/{air}/datapackage.json").status_code == 200


def test_closed_draft_and_offline_entries_are_not_found_and_never_listed(
    web: TestClient, air: int, hidden: dict[str, int]
) -> None:
    for name, entry_id in hidden.items():
        page = web.get(f"/open/datasets/{entry_id}")
        assert page.status_code == 404, name
    listing = web.get("/open/datasets")
    assert listing.status_code == 200
    assert 'data-total="1"' in listing.text
    for words in ("户籍人口统计", "噪声监测草稿", "已下线的水质数据"):
        assert words not in listing.text
    # The police publish nothing open: no facet, no department card, no home figure.
    assert "department=gaj" not in listing.text
    assert "/open/departments/gaj" not in web.get("/open/departments").text
    home = web.get("/open")
    assert re.search(r'data-figure="entries">\s*1<', home.text)
    assert re.search(r'data-figure="departments">\s*1<', home.text)
    assert re.search(r'data-figure="rows">\s*3<', home.text)
    # Even searching for it by name finds nothing.
    assert 'data-total="0"' in web.get("/open/datasets", params={"q": "户籍"}).text


def test_a_conditional_entry_shows_no_rows_but_the_apply_link(
    web: TestClient, conditional: int
) -> None:
    page = web.get(f"/open/datasets/{conditional}")

    assert page.status_code == 200
    assert f'href="/open/datasets/{conditional}/apply"' in page.text
    assert "仅限科研用途" in page.text
    assert 'id="preview"' not in page.text
    assert "/export.csv" not in page.text
    assert 'id="chart-builder"' not in page.text
    assert "泉城广场" not in page.text  # no row value leaks into the page
    assert 'data-licence="qc-conditional"' in page.text


def test_facets_count_and_filter(
    web: TestClient, city: SmallCity, air: int, conditional: int, hidden: dict[str, int]
) -> None:
    bus = publish(
        city.services,
        city.principals["gaj_steward"],
        "gaj",
        name="交通违法高发路段",
        name_en="Traffic violation hot spots",
        abstract="全市交通违法行为高发的道路路段统计。",
        keywords=["交通"],
        classification_code="101001",
        update_cycle="monthly",
    )
    page = web.get("/open/datasets")
    assert 'data-total="3"' in page.text

    def count(html: str, facet: str, value: str) -> int:
        section = html.split(f'data-facet="{facet}"')[1].split("</section>")[0]
        match = re.search(
            rf'href="[^"]*{facet}={value}[^"]*".*?<span class="count">(\d+)</span>', section, re.S
        )
        assert match, (facet, value)
        return int(match.group(1))

    assert count(page.text, "department", "sthjj") == 2
    assert count(page.text, "department", "gaj") == 1
    assert count(page.text, "open_type", "open") == 2
    assert count(page.text, "open_type", "conditional") == 1
    assert count(page.text, "update_cycle", "monthly") == 1
    assert count(page.text, "classification", "210") == 2
    assert "open_type=closed" not in page.text

    only_gaj = web.get("/open/datasets", params={"department": "gaj"})
    assert 'data-total="1"' in only_gaj.text
    assert f'href="/open/datasets/{bus}"' in only_gaj.text
    assert f'href="/open/datasets/{air}"' not in only_gaj.text
    conditional_only = web.get("/open/datasets", params={"open_type": "conditional"})
    assert 'data-total="1"' in conditional_only.text
    assert f'href="/open/datasets/{conditional}"' in conditional_only.text
    # Asking for closed data by facet shows nothing rather than the closed entry.
    closed = web.get("/open/datasets", params={"open_type": "closed"})
    assert 'data-total="0"' in closed.text
    by_words = web.get("/open/datasets", params={"q": "空气"})
    assert f'href="/open/datasets/{air}"' in by_words.text
    assert f'href="/open/datasets/{bus}"' not in by_words.text


def test_most_used_sorts_and_shows_on_the_home_page(
    web: TestClient, city: SmallCity, air: int, conditional: int
) -> None:
    with city.services.db.transaction() as s:
        s.add(
            PortalUsage(
                entry_id=conditional,
                day=city.services.usage.today().isoformat(),
                views=9,
                downloads=4,
                api_calls=2,
            )
        )
    page = web.get("/open/datasets", params={"sort": "used"})
    assert page.text.index(f'href="/open/datasets/{conditional}"') < page.text.index(
        f'href="/open/datasets/{air}"'
    )
    home = web.get("/open")
    assert re.search(r'data-figure="downloads">\s*4<', home.text)
    assert re.search(r'data-figure="api_calls">\s*2<', home.text)
    popular = home.text.split("popular-list")[1].split("</ol>")[0]
    assert f'href="/open/datasets/{conditional}"' in popular
    # Topics link to the classification's open data.
    assert 'href="/open/datasets?classification=2"' in home.text
    assert 'href="/open/datasets?classification=210"' in home.text


def test_departments_and_department_pages(
    web: TestClient, city: SmallCity, air: int, hidden: dict[str, int]
) -> None:
    page = web.get("/open/departments")
    assert page.status_code == 200
    assert 'href="/open/departments/sthjj"' in page.text
    assert 'data-count="1"' in page.text
    dept = web.get("/open/departments/sthjj")
    assert dept.status_code == 200
    assert f'href="/open/datasets/{air}"' in dept.text
    assert "已下线的水质数据" not in dept.text
    assert re.search(r'data-figure="rows">\s*3<', dept.text)
    assert web.get("/open/departments/nosuch").status_code == 404


def test_the_developer_page_uses_a_real_open_entry(web: TestClient, air: int) -> None:
    page = web.get("/open/developers")
    assert page.status_code == 200
    body = unescape(page.text)
    assert f"http://testserver/api/v1/datasets/{air}/rows?_limit=10" in body
    assert "datastore_search_sql" in body and "package_search" in body
    assert 'href="/catalog.ttl"' in page.text
    assert "Authorization: Bearer" in body


def test_pages_render_in_english_and_chinese(web: TestClient, air: int) -> None:
    zh = web.get(f"/open/datasets/{air}")
    assert "数据字典" in zh.text and "下载" in zh.text
    web.cookies.set("qc_lang", "en")
    for path in ("/open", "/open/datasets", f"/open/datasets/{air}", "/open/developers"):
        page = web.get(path)
        assert page.status_code == 200, path
        assert 'lang="en"' in page.text, path
    en = web.get(f"/open/datasets/{air}")
    assert "Data dictionary" in en.text and "Hourly air quality monitoring data" in en.text
    assert 'data-type="double">Decimal number<' in en.text
    assert "Open datasets" in web.get("/open").text


def test_every_page_works_for_an_empty_city(web: TestClient, city: SmallCity) -> None:
    for path in ("/open", "/open/datasets", "/open/departments", "/open/developers"):
        page = web.get(path)
        assert page.status_code == 200, path
    assert "http://testserver/api/v1/datasets/{id}/rows" in unescape(
        web.get("/open/developers").text
    )
    assert web.get("/open/datasets/999").status_code == 404


def test_the_entry_page_shows_only_approved_reuses_built_on_it(
    web: TestClient, city: SmallCity, air: int
) -> None:
    interaction = city.services.interaction
    shown = interaction.submit_reuse(
        city.principals["citizen"],
        title="泉城空气地图",
        kind="app",
        description="按小时展示各站点空气质量。",
        organisation="济南大学",
        entries=[str(air)],
    )
    interaction.moderate_reuse(city.principals["admin"], shown.id, decision="approve")
    interaction.submit_reuse(
        city.principals["citizen"],
        title="尚未审核的应用",
        kind="research",
        description="等待审核。",
        entries=[str(air)],
    )
    page = text_of(web.get(f"/open/datasets/{air}").text)
    assert "泉城空气地图" in page and "济南大学" in page
    assert "尚未审核的应用" not in page


@pytest.mark.parametrize("ref", ["²", "①", "٣"])
def test_digits_that_are_not_ascii_name_nothing(
    web: TestClient, client: TestClient, city: SmallCity, air: int, ref: str
) -> None:
    """Regression: '²' passed str.isdigit() and then failed int(), a 500 on every reference."""
    listed = web.get("/open/datasets", params={"department": ref})
    assert listed.status_code == 200
    assert "空气质量小时监测数据" not in text_of(listed.text)
    assert web.get(f"/open/departments/{ref}").status_code == 404
    assert client.get(f"/dataset/{ref}.ttl").status_code == 404
    assert client.get(f"/dataset/{ref}/datapackage.json").status_code == 404
    shown = client.get("/api/3/action/organization_show", params={"id": ref})
    assert shown.status_code == 404
    assert shown.json()["success"] is False
    asked = client.post(
        "/api/v1/portal/requests",
        json={"title": "公交到站数据", "description": "希望开放。", "department": ref},
        headers=city.auth("citizen"),
    )
    assert asked.status_code == 422
    assert [e["field"] for e in asked.json()["error"]["details"]] == ["department"]


def test_a_department_id_past_the_integer_range_is_a_ckan_not_found(client: TestClient) -> None:
    """Regression: SQLite overflowed and the answer was not CKAN's `success: false` body."""
    shown = client.get("/api/3/action/organization_show", params={"id": "9" * 25})
    assert shown.status_code == 404
    assert shown.json()["error"]["__type"] == "Not Found Error"


def test_downloads_work_for_a_visitor_when_the_internal_catalog_is_closed(
    settings: Settings, tmp_path: Path
) -> None:
    """Regression: with public_catalog off, the portal page showed the open entry and its
    download links, and every download and rows call answered a visitor 404."""
    closed_catalog = settings.model_copy(update={"public_catalog": False})
    services = Services.from_settings(closed_catalog, passwords=FAST_PASSWORDS)
    services.db.migrate()
    try:
        city = seed_small_city(services)
        entry_id = publish(services, city.principals["env_steward"], "sthjj")
        load(city, entry_id, tmp_path)
        police = publish(
            services,
            city.principals["gaj_steward"],
            "gaj",
            name="户籍人口统计",
            classification_code="101001",
            open_type="closed",
        )
        path = tmp_path / "police.csv"
        path.write_text("户籍人口\n100\n", encoding="utf-8")
        job = services.datastore.start_load(
            city.principals["gaj_steward"], police, source_name=path.name
        )
        assert services.datastore.run_load(job.id, path).status == "succeeded"
        with TestClient(create_app(closed_catalog, services=services)) as client:
            visitor = browser(client)
            page = visitor.get(f"/open/datasets/{entry_id}")
            assert page.status_code == 200
            for fmt in ("csv", "xlsx", "json", "ndjson", "parquet"):
                link = f"/api/v1/datasets/{entry_id}/export.{fmt}"
                assert f'href="{link}"' in page.text
                assert client.get(link).status_code == 200, fmt
            csv_file = client.get(f"/api/v1/datasets/{entry_id}/export.csv")
            assert "省种子仓库" in csv_file.content.decode("utf-8-sig")
            rows = client.get(f"/api/v1/datasets/{entry_id}/rows").json()
            assert rows["total"] == 3
            # Closed data and the internal catalog stay closed to the visitor.
            assert client.get(f"/api/v1/datasets/{police}/rows").status_code == 404
            assert client.get(f"/api/v1/datasets/{police}/export.csv").status_code == 404
            assert client.get(f"/api/v1/datasets/{entry_id}").status_code == 404
    finally:
        services.close()


BREADCRUMB = re.compile(r'<nav class="breadcrumb"[^>]*>(.*?)</nav>', re.S)


def test_every_open_page_starts_its_breadcrumb_at_the_portal_home(
    web: TestClient, city: SmallCity, air: int
) -> None:
    """Regression: /open/requests/new and /open/index started at 首页, dataset pages at 数据开放."""
    from tests.web.support import login

    login(web, "admin")
    sections = {
        "/open/datasets": None,
        f"/open/datasets/{air}": "/open/datasets",
        f"/open/datasets/{air}/feedback": "/open/datasets",
        "/open/departments": None,
        "/open/departments/sthjj": "/open/departments",
        "/open/developers": None,
        "/open/index": None,
        "/open/requests": None,
        "/open/requests/new": "/open/requests",
        "/open/reuses": None,
        "/open/reuses/new": "/open/reuses",
        "/open/moderation": None,
    }
    for path, section in sections.items():
        response = web.get(path)
        assert response.status_code == 200, path
        crumbs = BREADCRUMB.search(response.text)
        assert crumbs, path
        links = re.findall(r'<a href="([^"]+)"', crumbs.group(1))
        assert links[0] == "/open", (path, links)
        assert text_of(crumbs.group(1)).strip().startswith("数据开放 ›"), path
        if section:
            assert links[1] == section, (path, links)


def test_the_quick_chart_starts_on_a_repeating_column_and_otherwise_says_what_to_do(
    web: TestClient, city: SmallCity, air: int, tmp_path: Path
) -> None:
    """Regression: it started on the first column (a unique id) and showed a blank box."""
    page = web.get(f"/open/datasets/{air}").text
    assert re.search(r'<option value="[^"]+" selected>监测站点</option>', page)
    assert '"default_group":' in page
    unique = publish(city.services, city.principals["env_steward"], "sthjj", name="站点名录")
    load(city, unique, tmp_path, "站点编号,站点名称\nS1,甲\nS2,乙\nS3,丙\n")
    page = web.get(f"/open/datasets/{unique}").text
    assert " selected>" not in page.split('id="cb-group"')[1].split("</select>")[0]
    assert "请选择分类字段，再点击“绘制”。</p>" in page
