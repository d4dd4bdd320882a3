"""A grant with a row filter never shows the row ids (`_rowid`) of its rows.

Row ids number every row of the file; the gaps between those of the rows a filter lets
through would count the rows it hides, and the largest would tell the table's size.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.datastore.cursors import CursorKey
from tests.sharing.test_enforcement import USER, grant, table_name
from tests.support.city import SmallCity
from tests.support.sharing import Exchange, seed_exchange

OWNER = "gaj_steward"
LIXIA = {"所属区县": "历下区"}


@pytest.fixture
def exchange(city: SmallCity, tmp_path: Path) -> Exchange:
    """60 rows of population data, 12 of them in 历下区, and a grant limited to those."""
    ex = seed_exchange(city, tmp_path)
    grant(ex, ["姓名", "所属区县", "登记日期", "人数"], masking={"姓名": "raw"}, row_filter=LIXIA)
    return ex


def rowids_in_lixia(ex: Exchange) -> list[int]:
    """The row ids of the rows the grant lets through (1-based, in file order)."""
    return [i + 1 for i, r in enumerate(ex.rows) if r["所属区县"] == "历下区"]


def run_sql(client: TestClient, ex: Exchange, text: str, user: str = USER) -> Any:
    return client.post("/api/v1/sql", json={"sql": text}, headers=ex.auth(user))


def error_of(response: Any) -> dict[str, Any]:
    """The error of a 400 in the platform's error body."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


ROWID_SQL = (
    "SELECT _rowid FROM {t}",
    "SELECT p._rowid FROM {t} AS p",
    'SELECT "人数" FROM {t} ORDER BY _rowid',
    "SELECT max(_rowid) AS m FROM {t}",
    'SELECT "人数" FROM {t} WHERE _rowid > 30',
    "SELECT row_number() OVER (ORDER BY _rowid) AS r FROM {t}",
    "SELECT _rowid FROM (SELECT * FROM {t}) AS s",
)


def test_a_row_filtered_grantee_cannot_name_rowid_in_sql(
    client: TestClient, exchange: Exchange
) -> None:
    table = table_name(client, exchange)
    for sql in ROWID_SQL:
        refused = error_of(run_sql(client, exchange, sql.format(t=table)))
        other = sql.replace("_rowid", "nosuch").format(t=table)
        unknown = error_of(run_sql(client, exchange, other))
        assert refused["code"] == unknown["code"] == "unknown_column", sql
        shown = refused["message"].replace("_rowid", "?")
        assert shown == unknown["message"].replace("nosuch", "?"), sql


def test_select_star_gives_a_row_filtered_grantee_no_row_ids(
    client: TestClient, exchange: Exchange
) -> None:
    table = table_name(client, exchange)
    response = run_sql(client, exchange, f"SELECT * FROM {table}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fields"] == ["姓名", "所属区县", "登记日期", "人数"]
    assert len(body["rows"]) == len(rowids_in_lixia(exchange))


def test_the_owner_still_reads_row_ids_in_sql(client: TestClient, exchange: Exchange) -> None:
    table = table_name(client, exchange)
    response = run_sql(client, exchange, f"SELECT _rowid FROM {table} ORDER BY _rowid", OWNER)
    assert response.status_code == 200, response.text
    assert [r[0] for r in response.json()["rows"]] == list(range(1, 61))
    star = run_sql(client, exchange, f"SELECT * FROM {table} LIMIT 1", OWNER)
    assert "_rowid" not in star.json()["fields"]


def test_a_grant_without_a_row_filter_still_reads_row_ids_in_sql(
    client: TestClient, city: SmallCity, tmp_path: Path
) -> None:
    ex = seed_exchange(city, tmp_path)
    grant(ex, ["所属区县", "人数"])
    table = table_name(client, ex)
    response = run_sql(client, ex, f"SELECT _rowid FROM {table} ORDER BY _rowid")
    assert response.status_code == 200, response.text
    assert [r[0] for r in response.json()["rows"]] == list(range(1, 61))


ROWID_PARAMS = (
    ("_sort", "_rowid"),
    ("_sort", "-_rowid"),
    ("_sort_desc", "_rowid"),
    ("_fields", "_rowid"),
    ("_fields", "人数,_rowid"),
    ("_group_by", "_rowid"),
    ("_rowid", "1"),
    ("_rowid__gt", "1"),
    ("_rowid__in", "1,6"),
)


def test_rowid_is_unknown_to_row_queries(client: TestClient, exchange: Exchange) -> None:
    url = f"/api/v1/datasets/{exchange.entry_id}/rows"
    for user in (USER, OWNER):
        auth = exchange.auth(user)
        for name, value in ROWID_PARAMS:
            refused = error_of(client.get(url, params={name: value}, headers=auth))
            # The same answer as for a name that no table has.
            other = {name.replace("_rowid", "_nosuch"): value.replace("_rowid", "_nosuch")}
            unknown = error_of(client.get(url, params=other, headers=auth))
            assert refused["code"] == unknown["code"], (user, name)
            assert refused["code"] in ("unknown_column", "unknown_parameter")
            assert refused["message"] == unknown["message"].replace("_nosuch", "_rowid")


# -- keyset cursors ------------------------------------------------------------------------


def page_through(
    client: TestClient, ex: Exchange, user: str, params: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every row of a query by following `next_url`, and the cursors met on the way."""
    auth = ex.auth(user)
    response = client.get(f"/api/v1/datasets/{ex.entry_id}/rows", params=params, headers=auth)
    rows: list[dict[str, Any]] = []
    cursors: list[str] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["rows"]
        if body["next"] is None:
            return rows, cursors
        cursors.append(body["next"])
        assert body["next_url"].endswith("_next=" + body["next"])
        response = client.get(body["next_url"], headers=auth)


def decoded(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def in_file_order(ex: Exchange, rowids: list[int]) -> list[dict[str, Any]]:
    """The source rows of these row ids as the grant shows them."""
    return [
        {k: ex.rows[i - 1][k] for k in ("姓名", "所属区县", "登记日期", "人数")} for i in rowids
    ]


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"_limit": "5"}, lambda row, rowid: rowid),
        ({"_limit": "1"}, lambda row, rowid: rowid),
        ({"_limit": "4", "_sort": "-人数"}, lambda row, rowid: (-row["人数"], rowid)),
        (
            {"_limit": "3", "_sort": "登记日期,-人数"},
            lambda row, rowid: (row["登记日期"], -row["人数"], rowid),
        ),
    ],
)
def test_a_row_filtered_grantee_pages_through_its_rows_without_seeing_their_numbers(
    client: TestClient, exchange: Exchange, params: dict[str, str], key: Any
) -> None:
    rows, cursors = page_through(client, exchange, USER, params)
    ids = sorted(rowids_in_lixia(exchange), key=lambda i: key(exchange.rows[i - 1], i))
    assert rows == in_file_order(exchange, ids)
    assert cursors
    limit = int(params["_limit"])
    for page, cursor in enumerate(cursors):
        last = ids[(page + 1) * limit - 1]
        raw = decoded(cursor)
        assert struct.pack(">Q", last) not in raw
        with pytest.raises(ValueError):
            json.loads(raw)  # the old cursors were base64 JSON: {"v": [..., rowid], "c": …}
        assert len(cursor) <= 100


def test_the_owner_pages_through_every_row(client: TestClient, exchange: Exchange) -> None:
    rows, cursors = page_through(client, exchange, OWNER, {"_limit": "7", "_sort": "-人数"})
    assert len(cursors) == 8
    expected = sorted(range(60), key=lambda i: (-exchange.rows[i]["人数"], i))
    assert [r["姓名"] for r in rows] == [exchange.rows[i]["姓名"] for i in expected]


def test_an_altered_or_forged_cursor_is_a_bad_request(
    client: TestClient, exchange: Exchange
) -> None:
    services = exchange.city.services
    url = f"/api/v1/datasets/{exchange.entry_id}/rows"
    auth = exchange.auth(USER)
    first = client.get(url, params={"_limit": "2"}, headers=auth).json()["next"]
    dataset_id = services.datastore.dataset(exchange.provider, exchange.entry_id).id
    forged_rowid = base64.urlsafe_b64encode(b'{"v":[7],"c":"000000000000"}').decode()
    elsewhere = CursorKey.from_secret("another-city-secret-0123456789").for_dataset(dataset_id)
    altered = [
        first[:10] + ("A" if first[10] != "A" else "B") + first[11:],
        first[:-1] + ("A" if first[-1] != "A" else "B"),
        first[:-1],
        forged_rowid.rstrip("="),
        elsewhere.seal((7,)),
    ]
    for cursor in altered:
        response = client.get(url, params={"_limit": "2", "_next": cursor}, headers=auth)
        error = error_of(response)
        assert error["code"] == "bad_cursor", cursor
        assert error["details"] == {"parameter": "_next"}
    # The cursor as given still works, and a changed sort says what is wrong.
    again = client.get(url, params={"_limit": "2", "_next": first}, headers=auth)
    assert again.status_code == 200, again.text
    resorted = client.get(url, params={"_sort": "人数", "_next": first}, headers=auth)
    assert "keep the same _sort" in error_of(resorted)["message"]
