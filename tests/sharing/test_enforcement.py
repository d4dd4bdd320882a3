"""A grant shows its items, its rows and its masks on every read path, and nothing else.

Random grants (items, masks, row filters) meet random queries through the rows API, every
export format and SQL; every response is compared with the known source rows and scanned
for the raw ID and mobile numbers. Lapsed grants, quotas, applications and the access log
are checked on the same paths.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from quancheng.app import Services, create_app
from quancheng.datastore.reads import DataReader
from quancheng.db.models import User, utcnow
from quancheng.settings import Settings
from quancheng.sharing.model import Action
from quancheng.sharing.policy import GrantPolicy
from tests.support.city import SmallCity
from tests.support.sharing import DISTRICTS, Exchange, seed_exchange

ITEMS = ("姓名", "公民身份号码", "手机号码", "所属区县", "登记日期", "人数")
PERSONAL = ("姓名", "公民身份号码", "手机号码")
FILTERABLE = ("所属区县", "人数")
MASK_RULES = ("id_number", "mobile", "name", "pseudonym", "redact", "bank_card", "age_band")
FORMATS = ("csv", "json", "ndjson", "xlsx", "parquet")
USER = "env_user"


@pytest.fixture
def exchange(city: SmallCity, tmp_path: Path) -> Exchange:
    """The police population entry with 60 rows, and a consumer department user."""
    return seed_exchange(city, tmp_path)


# -- granting --------------------------------------------------------------------------


def grant(
    ex: Exchange,
    items: Sequence[str],
    *,
    partial: Sequence[str] | None = None,
    masking: dict[str, str] | None = None,
    row_filter: dict[str, object] | None = None,
    expires_at: datetime | None = None,
    quota_per_day: int | None = None,
    applications: Sequence[int] = (),
) -> tuple[int, int]:
    """Request, submit, pass and approve through the service; the (request id, grant id)."""
    sharing = ex.city.services.sharing
    req = sharing.create_request(
        ex.consumer,
        dataset_id=ex.entry_id,
        purpose="排污许可核验",
        items=list(items),
        period_days=30,
        applications=list(applications),
    )
    sharing.act(ex.consumer, req.id, Action.SUBMIT)
    sharing.act(ex.platform, req.id, Action.PASS)
    decided = sharing.act(
        ex.provider,
        req.id,
        Action.PARTIAL if partial else Action.APPROVE,
        items=list(partial) if partial else None,
        masking=masking,
        row_filter=row_filter,
        expires_at=expires_at,
        quota_per_day=quota_per_day,
    )
    assert decided.grant_id is not None
    return req.id, decided.grant_id


def table_name(client: TestClient, ex: Exchange) -> str:
    """The SQL name of the entry's table, as its owner sees it."""
    response = client.get(f"/api/v1/datasets/{ex.entry_id}/data", headers=ex.auth("gaj_steward"))
    assert response.status_code == 200, response.text
    name: str = response.json()["table"]
    return name


# -- the source, as a reader through a grant should see it ------------------------------


def _matches(row: dict[str, Any], column: str, op: str, value: str) -> bool:
    cell = row[column]
    if column == "人数":
        number = int(cell)
        if op == "in":
            return number in {int(v) for v in value.split(",")}
        ref = int(value)
        return {"eq": number == ref, "gte": number >= ref, "lt": number < ref}[op]
    if op == "in":
        return str(cell) in value.split(",")
    assert op == "eq"
    return str(cell) == value


def filtered(
    rows: Iterable[dict[str, Any]], conditions: Mapping[str, object]
) -> list[dict[str, Any]]:
    """Source rows passing rows-API style conditions (`所属区县__in`: "a,b")."""
    out = list(rows)
    for key, value in conditions.items():
        column, _, op = key.partition("__")
        out = [r for r in out if _matches(r, column, op or "eq", str(value))]
    return out


def norm(column: str, value: Any) -> Any:
    """A cell in one comparable form across JSON, CSV, XLSX and Parquet."""
    if value is None:
        return None
    if column == "人数":
        return int(float(value))
    if column == "登记日期":
        return str(value)[:10]
    return str(value)


def projection(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Counter[tuple[Any, ...]]:
    """A multiset of rows restricted to `columns`."""
    return Counter(tuple(norm(c, r[c]) for c in columns) for r in rows)


@dataclasses.dataclass
class View:
    """What one grant should show: its columns, masked ones, and the rows it admits."""

    ex: Exchange
    columns: list[str]  # granted, in schema order
    masked: set[str]
    rows: list[dict[str, Any]]  # source rows admitted by the row filter

    @property
    def clear(self) -> list[str]:
        """Granted columns shown unmasked (the ones SQL may name)."""
        return [c for c in self.columns if c not in self.masked]

    @property
    def hidden(self) -> list[str]:
        """Columns of the entry the grant does not give."""
        return [c for c in ITEMS if c not in self.columns]

    def secrets(self) -> list[str]:
        """Raw values that must appear in no response."""
        out: list[str] = []
        if "公民身份号码" not in self.clear:
            out += [r["公民身份号码"] for r in self.ex.rows]
        if "手机号码" not in self.clear:
            out += [r["手机号码"] for r in self.ex.rows]
        return out

    def check_no_leak(self, text: str, where: str) -> None:
        """No raw ID or mobile number of a column not granted raw, anywhere in `text`."""
        leaked = [s for s in self.secrets() if s in text]
        assert not leaked, f"{where} leaks {leaked[:3]}"

    def check_table(
        self,
        header: Sequence[str],
        cells: Sequence[Sequence[Any]],
        query: dict[str, str],
        where: str,
    ) -> None:
        """An exported or returned table: only granted columns, exactly the admitted rows."""
        assert set(header) <= set(self.columns), f"{where}: {header} outside {self.columns}"
        expected = filtered(self.rows, {k: v for k, v in query.items() if not k.startswith("_")})
        clear = [i for i, c in enumerate(header) if c not in self.masked]
        got = Counter(tuple(norm(header[i], row[i]) for i in clear) for row in cells)
        assert got == projection(expected, [header[i] for i in clear]), where
        for i, column in enumerate(header):
            if column in self.masked:
                raw = {norm(column, r[column]) for r in self.ex.rows}
                shown = {norm(column, row[i]) for row in cells}
                assert not shown & raw, f"{where}: raw values of masked {column}"
        self.check_no_leak(
            json.dumps([list(map(str, r)) for r in cells], ensure_ascii=False), where
        )


# -- reading every path ------------------------------------------------------------------


def parse_export(fmt: str, body: bytes) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an exported file."""
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return lines[0], [list(r) for r in lines[1:]]
    if fmt == "xlsx":
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0)
        table = sheet.to_python()
        return [str(h) for h in table[0]], [list(r) for r in table[1:]]
    if fmt == "parquet":
        parquet = pq.read_table(io.BytesIO(body))
        header = parquet.column_names
        return header, [[r[h] for h in header] for r in parquet.to_pylist()]
    objects = (
        json.loads(body) if fmt == "json" else [json.loads(x) for x in body.decode().splitlines()]
    )
    header = list(objects[0]) if objects else []
    return header, [[o.get(h) for h in header] for o in objects]


def get(client: TestClient, ex: Exchange, url: str, params: Any = None) -> Any:
    """GET as the consumer department's user."""
    return client.get(url, params=params, headers=ex.auth(USER))


def sql(client: TestClient, ex: Exchange, text: str) -> Any:
    """POST /sql as the consumer department's user."""
    return client.post("/api/v1/sql", json={"sql": text}, headers=ex.auth(USER))


def assert_refused(response: Any, where: str) -> None:
    """A 4xx with the platform's error body."""
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    assert set(response.json()) == {"error"}, where


def q(column: str) -> str:
    return '"' + column + '"'


@st.composite
def grants(draw: st.DrawFn) -> dict[str, Any]:
    """A random decision: items, partial subset, masks (incl. raw) and a row filter."""
    requested = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=6, unique=True))
    granted = list(requested)
    partial = None
    if len(requested) > 1 and draw(st.booleans()):
        granted = draw(
            st.lists(
                st.sampled_from(requested), min_size=1, max_size=len(requested) - 1, unique=True
            )
        )
        partial = granted
    masking: dict[str, str] = {}
    for item in granted:
        if item in PERSONAL:
            choice = draw(st.sampled_from((None, "raw", *MASK_RULES)))
        elif item == "登记日期":
            choice = draw(st.sampled_from((None, None, "redact", "age_band")))
        else:
            choice = None  # filterable public items stay clear; see test_sharing_api
        if choice is not None:
            masking[item] = choice
    row_filter: dict[str, object] = {}
    kind = draw(st.sampled_from(("none", "district", "districts", "count_gte", "count_lt")))
    if kind == "district" and "所属区县" in granted:
        row_filter = {"所属区县": draw(st.sampled_from(DISTRICTS))}
    elif kind == "districts" and "所属区县" in granted:
        picked = draw(st.lists(st.sampled_from(DISTRICTS), min_size=1, max_size=3, unique=True))
        row_filter = {"所属区县__in": picked}
    elif kind in ("count_gte", "count_lt") and "人数" in granted:
        row_filter = {f"人数__{kind.split('_')[1]}": draw(st.integers(1, 5))}
    return {"requested": requested, "partial": partial, "masking": masking, "filter": row_filter}


def expected_view(ex: Exchange, decision: dict[str, Any]) -> View:
    granted = decision["partial"] or decision["requested"]
    masked = {
        item
        for item in granted
        if (item in PERSONAL and decision["masking"].get(item) != "raw")
        or (item not in PERSONAL and item in decision["masking"])
    }
    stored = {k: ",".join(v) if isinstance(v, list) else v for k, v in decision["filter"].items()}
    return View(
        ex=ex,
        columns=[c for c in ITEMS if c in granted],
        masked=masked,
        rows=filtered(ex.rows, stored),
    )


def user_conditions(data: st.DataObject, view: View) -> dict[str, str]:
    """A random filter of the reader's own, on a clear column."""
    options = [c for c in FILTERABLE if c in view.clear]
    if not options or not data.draw(st.booleans()):
        return {}
    column = data.draw(st.sampled_from(options))
    if column == "所属区县":
        return {"所属区县": data.draw(st.sampled_from(DISTRICTS))}
    return {"人数__gte": str(data.draw(st.integers(1, 5)))}


def read_rows(client: TestClient, data: st.DataObject, view: View, entry: int) -> None:
    """The rows API with _fields, filters, _sort and _group_by."""
    url = f"/api/v1/datasets/{entry}/rows"
    query = user_conditions(data, view)
    params: dict[str, str] = {**query, "_limit": "100"}
    if data.draw(st.booleans()):
        fields: list[str] = data.draw(
            st.lists(st.sampled_from(view.columns), min_size=1, max_size=6, unique=True)
        )
        params["_fields"] = ",".join(fields)
    if view.clear and data.draw(st.booleans()):
        column = data.draw(st.sampled_from(view.clear))
        params["_sort"] = ("-" if data.draw(st.booleans()) else "") + column
    response = get(client, view.ex, url, params)
    assert response.status_code == 200, (params, response.text)
    view.check_no_leak(response.text, f"rows {params}")
    body = response.json()
    header = [f["name"] for f in body["fields"]]
    wanted = params["_fields"].split(",") if "_fields" in params else view.columns
    assert header == wanted
    assert set(body["masked"]) == view.masked  # the grant's masked columns, shown or not
    cells = [[r[h] for h in header] for r in body["rows"]]
    view.check_table(header, cells, query, f"rows {params}")
    assert body["total"] == len(filtered(view.rows, query))

    # Free text never matches a hidden or masked value (it would be an oracle on it).
    secret = data.draw(st.sampled_from(view.secrets())) if view.secrets() else None
    if secret is not None:
        searched = get(client, view.ex, url, {"_search": secret})
        assert searched.status_code == 200, searched.text
        assert searched.json()["rows"] == []

    groupable = [c for c in FILTERABLE if c in view.clear]
    if groupable:
        column = data.draw(st.sampled_from(groupable))
        agg = "count,sum:人数" if "人数" in view.clear else "count"
        grouped = get(client, view.ex, url, {"_group_by": column, "_agg": agg, "_limit": "100"})
        assert grouped.status_code == 200, grouped.text
        view.check_no_leak(grouped.text, "group_by")
        got = {r[column]: r["count"] for r in grouped.json()["rows"]}
        expected = Counter(norm(column, r[column]) for r in view.rows)
        assert {norm(column, k): v for k, v in got.items()} == dict(expected)
        assert {f["name"] for f in grouped.json()["fields"]} <= {column, "count", "sum_人数"}


def read_exports(client: TestClient, data: st.DataObject, view: View, entry: int) -> None:
    """Every export format, parsed."""
    query = user_conditions(data, view)
    for fmt in FORMATS:
        response = get(
            client, view.ex, f"/api/v1/datasets/{entry}/export.{fmt}", {**query, "_header": "names"}
        )
        assert response.status_code == 200, (fmt, response.text)
        header, cells = parse_export(fmt, response.content)
        if cells or fmt in ("csv", "xlsx", "parquet"):
            assert header == view.columns, fmt
        view.check_table(header, cells, query, f"export.{fmt} {query}")
        if fmt in ("csv", "json", "ndjson"):
            view.check_no_leak(response.content.decode("utf-8-sig"), f"export.{fmt}")


def read_sql(client: TestClient, data: st.DataObject, view: View, table: str) -> None:
    """SELECT *, a subquery, a self join and aggregates, all through the row filter."""
    everything = sql(client, view.ex, f"SELECT * FROM {table}")
    if not view.clear:
        # Nothing readable in SQL: refused (DuckDB) or rows without columns (PostgreSQL),
        # never more rows than the row filter admits.
        if everything.status_code == 200:
            assert everything.json()["fields"] == []
            assert len(everything.json()["rows"]) == len(view.rows)
        else:
            assert_refused(everything, "select * without clear columns")
        return
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["fields"] == view.clear
    view.check_table(body["fields"], body["rows"], {}, "sql select *")
    view.check_no_leak(everything.text, "sql select *")

    sub = sql(client, view.ex, f"SELECT * FROM (SELECT * FROM {table}) AS sub")
    assert sub.status_code == 200, sub.text
    view.check_table(sub.json()["fields"], sub.json()["rows"], {}, "sql subquery")

    count = sql(client, view.ex, f"SELECT COUNT(*) AS n FROM {table}")
    assert count.status_code == 200, count.text
    assert count.json()["rows"] == [[len(view.rows)]]

    column = data.draw(st.sampled_from(view.clear))
    on = f"a.{q(column)} = b.{q(column)}"
    joined = sql(client, view.ex, f"SELECT COUNT(*) FROM {table} AS a JOIN {table} AS b ON {on}")
    assert joined.status_code == 200, joined.text
    per_value = Counter(r[column] for r in view.rows)
    assert joined.json()["rows"] == [[sum(n * n for n in per_value.values())]]

    grouped = sql(
        client,
        view.ex,
        f"SELECT {q(column)}, COUNT(*) AS n FROM {table} GROUP BY {q(column)}",
    )
    assert grouped.status_code == 200, grouped.text
    got = {norm(column, k): n for k, n in grouped.json()["rows"]}
    assert got == dict(Counter(norm(column, r[column]) for r in view.rows))
    nested = sql(
        client,
        view.ex,
        f"SELECT COUNT(*) FROM {table} WHERE {q(column)} IN (SELECT {q(column)} FROM {table})",
    )
    assert nested.status_code == 200, nested.text
    assert nested.json()["rows"] == [[len(view.rows)]]
    for text, expected in (
        # The row filter holds whatever the caller's own WHERE says.
        (f"SELECT COUNT(*) FROM {table} WHERE 1 = 1 OR 1 = 1", len(view.rows)),
        (f"WITH x AS (SELECT * FROM {table}) SELECT COUNT(*) FROM x", len(view.rows)),
        (
            f"SELECT COUNT(*) FROM (SELECT {q(column)} FROM {table} "
            f"UNION ALL SELECT {q(column)} FROM {table}) AS u",
            2 * len(view.rows),
        ),
    ):
        counted = sql(client, view.ex, text)
        assert counted.status_code == 200, (text, counted.text)
        assert counted.json()["rows"] == [[expected]], text


def forbidden_attempts(
    client: TestClient, data: st.DataObject, view: View, entry: int, table: str
) -> None:
    """Naming an ungranted or masked column anywhere is a 4xx."""
    off_limits = view.hidden + sorted(view.masked)
    if not off_limits:
        return
    column = data.draw(st.sampled_from(off_limits))
    url = f"/api/v1/datasets/{entry}/rows"
    value = "370102" if column != "人数" else "1"
    for params in (
        {column: value},
        {f"{column}__startswith": value},
        {"_sort": column},
        {"_sort": "-" + column},
        {"_group_by": column},
    ):
        response = get(client, view.ex, url, params)
        assert_refused(response, f"rows {params}")
        view.check_no_leak(response.text, f"error {params}")
    if column in view.hidden:
        assert_refused(get(client, view.ex, url, {"_fields": column}), "rows _fields")
    exported = get(client, view.ex, f"/api/v1/datasets/{entry}/export.csv", {column: value})
    assert_refused(exported, f"export filter on {column}")
    template = data.draw(
        st.sampled_from(
            (
                "SELECT {c} FROM {t}",
                "SELECT COUNT(*) FROM {t} WHERE {c} LIKE '3%'",
                "SELECT * FROM {t} ORDER BY {c}",
                "SELECT {c}, COUNT(*) FROM {t} GROUP BY {c}",
                "SELECT x FROM (SELECT {c} AS x FROM {t}) AS s",
                "SELECT a.{c} FROM {t} a JOIN {t} b ON a.{c} = b.{c}",
                "SELECT MAX(LENGTH({c})) FROM {t}",
            )
        )
    )
    text = template.format(c=q(column), t=table)
    response = sql(client, view.ex, text)
    assert_refused(response, text)
    view.check_no_leak(response.text, text)


def test_random_grants_show_nothing_outside_themselves_on_every_read_path(
    client: TestClient, exchange: Exchange
) -> None:
    table = table_name(client, exchange)
    sharing = exchange.city.services.sharing
    previous: list[int] = []

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(decision=grants(), data=st.data())
    def check(decision: dict[str, Any], data: st.DataObject) -> None:
        # One live grant at a time: the policy serves the widest, so end the last one.
        for grant_id in previous:
            sharing.revoke(exchange.provider, grant_id, reason="next example")
        previous.clear()
        _, grant_id = grant(
            exchange,
            decision["requested"],
            partial=decision["partial"],
            masking=decision["masking"],
            row_filter=decision["filter"],
        )
        previous.append(grant_id)
        view = expected_view(exchange, decision)
        held = sharing.grant(exchange.consumer, grant_id)
        assert set(held.masks) == view.masked
        read_rows(client, data, view, exchange.entry_id)
        read_exports(client, data, view, exchange.entry_id)
        read_sql(client, data, view, table)
        forbidden_attempts(client, data, view, exchange.entry_id, table)

    check()


# -- lapsed grants, quotas, applications -------------------------------------------------


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        now: datetime = self.now
        return now


def clocked_client(services: Services, settings_: Settings, clock: Clock) -> TestClient:
    """The app with a read policy that asks `clock` for the time (everything else real)."""
    reads = services.reads
    policy = GrantPolicy(db=services.db, access=services.access, clock=clock)
    clocked = DataReader(
        datastore=services.datastore,
        policy=policy,
        masking_key=reads.masking_key,
        cursor_key=reads.cursor_key,
        sql_timeout_seconds=reads.sql_timeout_seconds,
        sql_max_rows=reads.sql_max_rows,
        audit=services.access,
    )
    return TestClient(create_app(settings_, services=dataclasses.replace(services, reads=clocked)))


def three_paths(client: TestClient, ex: Exchange, table: str, user: str = USER) -> list[Any]:
    """One read on rows, export and SQL."""
    return [
        client.get(f"/api/v1/datasets/{ex.entry_id}/rows", headers=ex.auth(user)),
        client.get(f"/api/v1/datasets/{ex.entry_id}/export.csv", headers=ex.auth(user)),
        client.post("/api/v1/sql", json={"sql": f"SELECT * FROM {table}"}, headers=ex.auth(user)),
    ]


def test_an_expired_grant_is_refused_on_the_next_read_of_every_path(
    services: Services, settings: Settings, exchange: Exchange
) -> None:
    clock = Clock()
    expires = clock.now + timedelta(hours=2)
    grant(exchange, ["所属区县", "人数"], expires_at=expires)
    clock.now = utcnow()  # the grant starts when it is decided
    with clocked_client(services, settings, clock) as client:
        table = table_name(client, exchange)
        assert [r.status_code for r in three_paths(client, exchange, table)] == [200] * 3
        clock.now = expires + timedelta(seconds=1)
        for response in three_paths(client, exchange, table):
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "grant_expired"
        # The owner still reads its own data.
        owner = three_paths(client, exchange, table, user="gaj_steward")
        assert [r.status_code for r in owner] == [200] * 3


def test_a_revoked_grant_is_refused_on_the_next_read_of_every_path(
    client: TestClient, exchange: Exchange
) -> None:
    table = table_name(client, exchange)
    _, grant_id = grant(exchange, ["所属区县", "人数"])
    assert [r.status_code for r in three_paths(client, exchange, table)] == [200] * 3
    exchange.city.services.sharing.revoke(exchange.provider, grant_id, reason="用途已结束")
    for response in three_paths(client, exchange, table):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "grant_revoked"
        assert response.json()["error"]["details"]["grant_id"] == grant_id


def test_a_withdrawn_request_ends_reads_through_its_grant(
    client: TestClient, exchange: Exchange
) -> None:
    table = table_name(client, exchange)
    request_id, _ = grant(exchange, ["所属区县"])
    exchange.city.services.sharing.act(exchange.consumer, request_id, Action.WITHDRAW)
    for response in three_paths(client, exchange, table):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "grant_withdrawn"


def test_the_call_after_the_daily_quota_is_429(client: TestClient, exchange: Exchange) -> None:
    table = table_name(client, exchange)
    _, grant_id = grant(exchange, ["所属区县", "人数"], quota_per_day=4)
    first = three_paths(client, exchange, table)
    assert [r.status_code for r in first] == [200] * 3
    exchange.city.services.access.flush()  # written and queued calls both count
    fourth = client.get(f"/api/v1/datasets/{exchange.entry_id}/rows", headers=exchange.auth(USER))
    assert fourth.status_code == 200
    for response in three_paths(client, exchange, table):
        assert response.status_code == 429, response.text
        error = response.json()["error"]
        assert error["code"] == "quota_exceeded"
        assert error["details"] == {"grant_id": grant_id, "quota_per_day": 4}
    # The owner has no quota.
    owner = client.get(
        f"/api/v1/datasets/{exchange.entry_id}/rows", headers=exchange.auth("gaj_steward")
    )
    assert owner.status_code == 200


def add_token(services: Services, username: str, name: str) -> tuple[int, str]:
    """A new API token (an application) of a user: its id and secret."""
    with services.db.transaction() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        issued = services.identity.add_token(s, user, name=name)
        return issued.id, issued.token


def test_a_grant_naming_applications_serves_only_their_tokens(
    client: TestClient, exchange: Exchange
) -> None:
    services = exchange.city.services
    app_id, app_token = add_token(services, USER, "排污许可系统")
    _, other_token = add_token(services, USER, "另一个系统")
    grant(exchange, ["所属区县", "人数"], applications=[app_id])
    url = f"/api/v1/datasets/{exchange.entry_id}/rows"
    named = client.get(url, headers={"Authorization": f"Bearer {app_token}"})
    assert named.status_code == 200, named.text
    assert len(named.json()["rows"]) == 60
    for token in (other_token, exchange.city.tokens[USER]):
        refused = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "data_not_granted"
        exported = client.get(
            f"/api/v1/datasets/{exchange.entry_id}/export.json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert exported.status_code == 403


# -- the access log ----------------------------------------------------------------------


def sha256_of(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\x00")
    return "sha256:" + digest.hexdigest()


def access_events(services: Services, grant_id: int) -> list[dict[str, Any]]:
    services.access.flush()
    return [
        r.event
        for r in services.ledger.entries(
            type="sharing.access", subject=f"sharing_grant:{grant_id}", limit=1000
        )
    ]


def test_every_read_through_a_grant_is_in_the_ledger_and_owner_reads_are_not(
    client: TestClient, exchange: Exchange
) -> None:
    services = exchange.city.services
    table = table_name(client, exchange)
    _, grant_id = grant(
        exchange, ["公民身份号码", "所属区县", "人数"], row_filter={"所属区县": "历下区"}
    )
    code = services.catalog.get(exchange.provider, exchange.entry_id).code
    before = len(services.ledger.entries(type="sharing.access", limit=1000))
    auth = exchange.auth(USER)
    query = [("人数__gte", "2"), ("_limit", "5")]
    rows = client.get(f"/api/v1/datasets/{exchange.entry_id}/rows", params=query, headers=auth)
    assert rows.status_code == 200
    exported = client.get(f"/api/v1/datasets/{exchange.entry_id}/export.ndjson", headers=auth)
    assert exported.status_code == 200
    text = f'SELECT "人数" FROM {table}'
    ran = client.post("/api/v1/sql", json={"sql": text}, headers=auth)
    assert ran.status_code == 200
    # Owner reads and refused reads are not accesses through the grant.
    for owner in three_paths(client, exchange, table, user="gaj_steward"):
        assert owner.status_code == 200
    bad = client.get(
        f"/api/v1/datasets/{exchange.entry_id}/rows", params={"手机号码": "1"}, headers=auth
    )
    assert bad.status_code == 400

    events = access_events(services, grant_id)
    assert len(services.ledger.entries(type="sharing.access", limit=1000)) - before == len(events)
    by_via = {e["details"]["via"]: e for e in events}
    assert sorted(e["details"]["via"] for e in events) == ["export", "rows", "sql"]
    in_district = [r for r in exchange.rows if r["所属区县"] == "历下区"]
    assert by_via["rows"]["details"] == {
        "entry": code,
        "columns": ["公民身份号码", "所属区县", "人数"],
        "rows": min(5, len([r for r in in_district if r["人数"] >= 2])),
        "via": "rows",
    }
    assert by_via["rows"]["payload_hash"] == sha256_of(code, "rows", urlencode(sorted(query)))
    assert by_via["export"]["details"]["rows"] == len(in_district)
    assert by_via["export"]["details"]["columns"] == ["公民身份号码", "所属区县", "人数"]
    assert by_via["sql"]["details"]["columns"] == ["人数"]
    assert by_via["sql"]["details"]["rows"] == len(in_district)
    assert by_via["sql"]["payload_hash"] == sha256_of(code, "sql", text)
    for event in events:
        assert event["actor"]["id"] == USER and event["actor"]["department"] == "sthjj"
        assert event["subject"] == {"kind": "sharing_grant", "id": str(grant_id)}
        assert event["payload_hash"].startswith("sha256:") and len(event["payload_hash"]) == 71
    assert services.ledger.verify().ok

    usage = client.get(f"/api/v1/sharing/grants/{grant_id}/usage", headers=auth)
    assert usage.status_code == 200
    assert [d["calls"] for d in usage.json()] == [3]
