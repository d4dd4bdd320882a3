"""The storage backends, one suite run on DuckDB and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quancheng.datastore.backends import open_backend
from quancheng.datastore.backends.base import Backend
from quancheng.datastore.query import (
    AggFunc,
    Aggregate,
    Filter,
    Op,
    QuerySpec,
    Sort,
)
from quancheng.datastore.schema import Column, ColumnType
from quancheng.errors import BadRequest, ConfigurationError
from tests.support.postgres import create_database, drop_database, postgres_admin_url

T = ColumnType


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty backend: a DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        opened = open_backend(f"duckdb://{tmp_path / 'data' / 'store.duckdb'}")
        yield opened
        opened.close()
        return
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("QC_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    url = create_database(admin)
    opened = open_backend(url)
    yield opened
    opened.close()
    drop_database(admin, url)


def batch(data: dict[str, Sequence[str | None]]) -> pa.RecordBatch:
    """A batch of string columns as the ingest readers produce them."""
    return pa.record_batch(
        [pa.array(list(v), type=pa.string()) for v in data.values()], names=list(data)
    )


def load(
    backend: Backend,
    table: str,
    columns: Sequence[Column],
    *chunks: dict[str, Sequence[str | None]],
) -> int:
    """Load text chunks through staging into typed `table`."""
    staging = table.replace("qcv_", "qcs_")
    backend.create_staging(staging, [c.name for c in columns])
    for chunk in chunks:
        backend.append(staging, batch(chunk))
    return backend.finalize(staging, table, columns)


PEOPLE = [
    Column("所属区县", "所属区县"),
    Column("人口", "人口", T.INTEGER),
    Column("面积", "面积(km²)", T.DOUBLE),
    Column("是否开放", "是否开放", T.BOOLEAN, parse="bool"),
    Column("成立日期", "成立日期", T.DATE, parse="ymd"),
    Column("更新时间", "更新时间", T.TIMESTAMP, parse="ymd_hms"),
    Column("iso_day", "iso_day", T.DATE),
]
NAMES = tuple(c.name for c in PEOPLE)


def load_people(backend: Backend, table: str = "qcv_1_1") -> None:
    """Six districts, loaded in two appends, with a NULL in every typed column."""
    first: dict[str, Sequence[str | None]] = {
        "所属区县": ["历下区", "市中区", "槐荫区"],
        "人口": [" 754000", "+721000", "-3"],
        "面积": ["100.88", ".5", "1e3"],
        "是否开放": ["是", "否", "TRUE"],
        "成立日期": ["2024年1月5日", "2023/12/31", " 1999.9.9 "],
        "更新时间": ["2024-01-05 10:20", "2024年1月5日 1:02:03.5", "2024/1/5T23:59:59.123456"],
        "iso_day": ["2024-01-05", "2024-01-06", None],
    }
    second: dict[str, Sequence[str | None]] = {
        "所属区县": ["天桥区", "100%_区", None],
        "人口": [None, "0", "754000"],
        "面积": ["258.9", None, "-0.25"],
        "是否开放": ["false", None, "否"],
        "成立日期": [None, "2024-02-29", "2024-1-5"],
        "更新时间": ["2024-02-29 00:00:00", None, "2024-01-05 10:20:00"],
        "iso_day": ["", "2024-03-01", "2024-01-05"],
    }
    assert load(backend, table, PEOPLE, first, second) == 6


def rowids(backend: Backend, *filters: Filter, search: str | None = None) -> list[int]:
    """The row ids of PEOPLE rows matching filters, in load order."""
    spec = QuerySpec(
        fields=("_rowid",), filters=filters, search=search, searchable=("所属区县", "人口")
    )
    return [r[0] for r in backend.query("qcv_1_1", PEOPLE, spec, with_total=False).rows]


def test_load_casts_every_type_and_keeps_load_order(backend: Backend) -> None:
    load_people(backend)
    page = backend.query("qcv_1_1", PEOPLE, QuerySpec(fields=("_rowid", *NAMES)), with_total=True)
    assert page.total == 6
    assert page.fields == ("_rowid", *NAMES)
    assert page.rows == [
        (
            1,
            "历下区",
            754000,
            100.88,
            True,
            dt.date(2024, 1, 5),
            dt.datetime(2024, 1, 5, 10, 20),
            dt.date(2024, 1, 5),
        ),
        (
            2,
            "市中区",
            721000,
            0.5,
            False,
            dt.date(2023, 12, 31),
            dt.datetime(2024, 1, 5, 1, 2, 3, 500000),
            dt.date(2024, 1, 6),
        ),
        (
            3,
            "槐荫区",
            -3,
            1000.0,
            True,
            dt.date(1999, 9, 9),
            dt.datetime(2024, 1, 5, 23, 59, 59, 123456),
            None,
        ),
        (4, "天桥区", None, 258.9, False, None, dt.datetime(2024, 2, 29), None),
        (5, "100%_区", 0, None, None, dt.date(2024, 2, 29), None, dt.date(2024, 3, 1)),
        (
            6,
            None,
            754000,
            -0.25,
            False,
            dt.date(2024, 1, 5),
            dt.datetime(2024, 1, 5, 10, 20),
            dt.date(2024, 1, 5),
        ),
    ]
    assert page.next_after is None
    assert backend.row_count("qcv_1_1") == 6
    assert not backend.exists("qcs_1_1"), "finalize drops the staging table"


def test_every_filter_operator(backend: Backend) -> None:
    load_people(backend)
    day = dt.date(2024, 1, 5)
    assert rowids(backend, Filter("人口", Op.EQ, 754000)) == [1, 6]
    assert rowids(backend, Filter("所属区县", Op.NE, "历下区")) == [2, 3, 4, 5]
    assert rowids(backend, Filter("面积", Op.LT, 100.88)) == [2, 6]
    assert rowids(backend, Filter("面积", Op.LTE, 100.88)) == [1, 2, 6]
    assert rowids(backend, Filter("成立日期", Op.GT, day)) == [5]
    assert rowids(backend, Filter("成立日期", Op.GTE, day)) == [1, 5, 6]
    assert rowids(backend, Filter("更新时间", Op.EQ, dt.datetime(2024, 1, 5, 10, 20))) == [1, 6]
    assert rowids(backend, Filter("是否开放", Op.EQ, False)) == [2, 4, 6]
    assert rowids(backend, Filter("所属区县", Op.IN, ("历下区", "天桥区", "无"))) == [1, 4]
    assert rowids(backend, Filter("人口", Op.IN, (0, None))) == [4, 5]
    assert rowids(backend, Filter("人口", Op.IN, ())) == []
    assert rowids(backend, Filter("所属区县", Op.CONTAINS, "中")) == [2]
    assert rowids(backend, Filter("所属区县", Op.CONTAINS, "%_")) == [5], "wildcards are literal"
    assert rowids(backend, Filter("所属区县", Op.CONTAINS, "_")) == [5]
    assert rowids(backend, Filter("人口", Op.CONTAINS, "754")) == [1, 6], "on the text form"
    assert rowids(backend, Filter("所属区县", Op.STARTSWITH, "100%")) == [5]
    assert rowids(backend, Filter("所属区县", Op.STARTSWITH, "区")) == []
    assert rowids(backend, Filter("是否开放", Op.ISNULL, True)) == [5]
    assert rowids(backend, Filter("是否开放", Op.ISNULL, False)) == [1, 2, 3, 4, 6]
    assert rowids(backend, Filter("人口", Op.BETWEEN, (0, 721000))) == [2, 5]
    assert rowids(backend, Filter("人口", Op.BETWEEN, (None, 0))) == [3, 5]
    assert rowids(
        backend, Filter("成立日期", Op.BETWEEN, (dt.date(2024, 1, 1), dt.date(2024, 2, 29)))
    ) == [1, 5, 6]
    both = rowids(backend, Filter("人口", Op.GT, 0), Filter("是否开放", Op.EQ, True))
    assert both == [1], "filters are ANDed"


def test_filter_on_unknown_column_is_a_bad_request(backend: Backend) -> None:
    load_people(backend)
    with pytest.raises(BadRequest) as caught:
        rowids(backend, Filter("missing", Op.EQ, 1))
    assert caught.value.code == "unknown_column"


def test_search_is_case_insensitive_over_searchable_columns(backend: Backend) -> None:
    load_people(backend)
    load(
        backend, "qcv_2_1", [Column("名称", "名称")], {"名称": ["Quancheng Park", "泉城广场", None]}
    )
    spec = QuerySpec(fields=("名称",), search="QUANCHENG", searchable=("名称",))
    assert backend.query("qcv_2_1", [Column("名称", "名称")], spec, with_total=True).rows == [
        ("Quancheng Park",)
    ]
    assert rowids(backend, search="754") == [1, 6], "numbers match by their text"
    assert rowids(backend, search="槐荫") == [3]
    assert rowids(backend, search="%") == [5]


def test_sort_puts_nulls_last_in_both_directions(backend: Backend) -> None:
    load_people(backend)

    def order(*sort: Sort) -> list[int]:
        spec = QuerySpec(fields=("_rowid",), sort=sort)
        return [r[0] for r in backend.query("qcv_1_1", PEOPLE, spec, with_total=False).rows]

    assert order(Sort("人口")) == [3, 5, 2, 1, 6, 4]
    assert order(Sort("人口", descending=True)) == [1, 6, 2, 5, 3, 4]
    assert order(Sort("成立日期", descending=True), Sort("面积")) == [5, 6, 1, 2, 3, 4]
    assert order(Sort("是否开放"), Sort("_rowid", descending=True)) == [6, 4, 2, 3, 1, 5]


def big_table(backend: Backend, rows: int, table: str = "qcv_3_1") -> list[Column]:
    """`rows` rows with duplicate and NULL values in every sort column."""
    columns = [
        Column("组", "组", T.INTEGER),
        Column("名", "名"),
        Column("值", "值", T.DOUBLE),
    ]
    half = rows // 2
    chunks: list[dict[str, Sequence[str | None]]] = []
    for start, stop in ((0, half), (half, rows)):
        chunks.append(
            {
                "组": [None if i % 11 == 0 else str(i % 7) for i in range(start, stop)],
                "名": [None if i % 13 == 0 else f"n{i % 5}" for i in range(start, stop)],
                "值": [str(i * 0.5) for i in range(start, stop)],
            }
        )
    assert load(backend, table, columns, *chunks) == rows
    return columns


def test_keyset_paging_gives_every_row_once_in_order(backend: Backend) -> None:
    columns = big_table(backend, 1000)
    sort = (Sort("组", descending=True), Sort("名"), Sort("_rowid", descending=False))
    whole = backend.query(
        "qcv_3_1", columns, QuerySpec(fields=("值",), sort=sort[:2], limit=5000), with_total=False
    )
    assert len(whole.rows) == 1000
    seen: list[tuple[Any, ...]] = []
    after = None
    pages = 0
    while True:
        spec = QuerySpec(fields=("值",), sort=sort[:2], limit=37, after=after)
        page = backend.query("qcv_3_1", columns, spec, with_total=False)
        seen += page.rows
        pages += 1
        if page.next_after is None:
            break
        assert len(page.next_after) == 3, "sort values then _rowid"
        after = page.next_after
    assert pages == 28
    assert seen == whole.rows


def test_keyset_paging_with_nulls_in_the_cursor_and_a_filter(backend: Backend) -> None:
    columns = big_table(backend, 300)
    sort = (Sort("名", descending=True), Sort("组"))
    filters = (Filter("值", Op.GTE, 10.0),)
    whole = backend.query(
        "qcv_3_1",
        columns,
        QuerySpec(fields=("_rowid",), sort=sort, filters=filters, limit=1000),
        with_total=False,
    )
    seen: list[tuple[Any, ...]] = []
    after = None
    while True:
        spec = QuerySpec(fields=("_rowid",), sort=sort, filters=filters, limit=7, after=after)
        page = backend.query("qcv_3_1", columns, spec, with_total=False)
        seen += page.rows
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == whole.rows
    assert len(seen) == 280


def test_a_malformed_cursor_is_a_bad_request(backend: Backend) -> None:
    columns = big_table(backend, 10)
    spec = QuerySpec(fields=("值",), sort=(Sort("组"),), after=(1,))
    with pytest.raises(BadRequest) as caught:
        backend.query("qcv_3_1", columns, spec, with_total=False)
    assert caught.value.code == "bad_cursor"


def test_offset_paging_and_totals(backend: Backend) -> None:
    columns = big_table(backend, 100)
    spec = QuerySpec(fields=("_rowid",), sort=(Sort("值", descending=True),), limit=10, offset=85)
    page = backend.query("qcv_3_1", columns, spec, with_total=True)
    assert [r[0] for r in page.rows] == list(range(15, 5, -1))
    assert page.total == 100
    last = backend.query(
        "qcv_3_1", columns, QuerySpec(fields=("_rowid",), limit=10, offset=95), with_total=False
    )
    assert [r[0] for r in last.rows] == [96, 97, 98, 99, 100]
    assert last.next_after is None
    only_total = backend.query(
        "qcv_3_1",
        columns,
        QuerySpec(fields=("_rowid",), filters=(Filter("组", Op.EQ, 3),), limit=0),
        with_total=True,
    )
    assert only_total.rows == []
    assert only_total.next_after is None
    assert only_total.total == sum(1 for i in range(100) if i % 11 and i % 7 == 3)


def test_group_by_with_every_aggregate_sorted_by_an_aggregate(backend: Backend) -> None:
    load_people(backend)
    spec = QuerySpec(
        fields=(),
        group_by=("是否开放",),
        aggregates=(
            Aggregate(AggFunc.COUNT),
            Aggregate(AggFunc.SUM, "人口"),
            Aggregate(AggFunc.AVG, "面积"),
            Aggregate(AggFunc.MIN, "成立日期"),
            Aggregate(AggFunc.MAX, "所属区县"),
        ),
        sort=(Sort("count", descending=True),),
    )
    page = backend.query("qcv_1_1", PEOPLE, spec, with_total=True)
    assert page.fields == (
        "是否开放",
        "count",
        "sum_人口",
        "avg_面积",
        "min_成立日期",
        "max_所属区县",
    )
    assert page.rows == [
        (
            False,
            3,
            1475000,
            pytest.approx((0.5 + 258.9 - 0.25) / 3),
            dt.date(2023, 12, 31),
            "市中区",
        ),
        (True, 2, 753997, pytest.approx(550.44), dt.date(1999, 9, 9), "槐荫区"),
        (None, 1, 0, None, dt.date(2024, 2, 29), "100%_区"),
    ]
    assert page.total == 3
    assert page.next_after is None
    assert all(isinstance(r[2], int) for r in page.rows), "sums of integers stay integers"
    second = backend.query(
        "qcv_1_1",
        PEOPLE,
        QuerySpec(
            fields=(),
            group_by=spec.group_by,
            aggregates=spec.aggregates,
            sort=spec.sort,
            limit=1,
            offset=1,
        ),
        with_total=True,
    )
    assert [r[:2] for r in second.rows] == [(True, 2)]
    assert second.total == 3


def test_stream_returns_every_row_in_typed_batches(backend: Backend) -> None:
    columns = big_table(backend, 25_000)
    spec = QuerySpec(
        fields=("_rowid", "组", "名", "值"), sort=(Sort("值", descending=True),), limit=0
    )
    batches = list(backend.stream("qcv_3_1", columns, spec, batch_rows=10_000))
    assert len(batches) >= 3
    assert all(b.num_rows <= 10_000 for b in batches)
    assert batches[0].schema == pa.schema(
        [("_rowid", pa.int64()), ("组", pa.int64()), ("名", pa.string()), ("值", pa.float64())]
    )
    table = pa.Table.from_batches(batches)
    assert table.column("_rowid").to_pylist() == list(range(25_000, 0, -1))
    window = QuerySpec(fields=("_rowid",), limit=5, offset=10)
    streamed = pa.Table.from_batches(list(backend.stream("qcv_3_1", columns, window)))
    assert streamed.column("_rowid").to_pylist() == [11, 12, 13, 14, 15]


def test_stream_of_dates_booleans_and_timestamps(backend: Backend) -> None:
    load_people(backend)
    spec = QuerySpec(
        fields=("是否开放", "成立日期", "更新时间"), limit=0, filters=(Filter("_rowid", Op.LTE, 2),)
    )
    (only,) = list(backend.stream("qcv_1_1", PEOPLE, spec))
    assert only.schema.types == [pa.bool_(), pa.date32(), pa.timestamp("us")]
    assert only.to_pylist()[1] == {
        "是否开放": False,
        "成立日期": dt.date(2023, 12, 31),
        "更新时间": dt.datetime(2024, 1, 5, 1, 2, 3, 500000),
    }


def test_execute_sql_truncates_at_max_rows(backend: Backend) -> None:
    load_people(backend)
    result = backend.execute_sql(
        'SELECT "所属区县", "人口" * 2 AS double_people FROM qcv_1_1 ORDER BY _rowid',
        timeout_seconds=5,
        max_rows=2,
    )
    assert result.fields == ["所属区县", "double_people"]
    assert result.rows == [("历下区", 1508000), ("市中区", 1442000)]
    assert result.truncated
    whole = backend.execute_sql(
        "SELECT sum(人口) AS s, avg(面积) AS a FROM qcv_1_1", timeout_seconds=5, max_rows=2
    )
    assert not whole.truncated
    total, average = whole.rows[0]
    assert isinstance(total, int) and total == 2229000 - 3
    assert isinstance(average, float)


def test_execute_sql_times_out(backend: Backend) -> None:
    slow = (
        "SELECT count(*) FROM range(10000000000)"
        if backend.dialect == "duckdb"
        else "SELECT pg_sleep(5)"
    )
    started = time.monotonic()
    with pytest.raises(BadRequest) as caught:
        backend.execute_sql(slow, timeout_seconds=0.2, max_rows=10)
    assert caught.value.code == "sql_timeout"
    assert time.monotonic() - started < 3
    # The backend stays usable after an interrupted query.
    assert backend.execute_sql("SELECT 1 AS one", timeout_seconds=1, max_rows=1).rows == [(1,)]


def test_execute_sql_reports_engine_errors(backend: Backend) -> None:
    with pytest.raises(BadRequest) as caught:
        backend.execute_sql("SELECT * FROM no_such_table", timeout_seconds=1, max_rows=1)
    assert caught.value.code == "sql_error"
    assert "no_such_table" in caught.value.message


def test_tables_exists_and_drop(backend: Backend) -> None:
    load_people(backend, "qcv_1_1")
    load_people(backend, "qcv_1_2")
    backend.create_staging("qcs_1_3", ["a"])
    assert backend.tables("qcv_") == ["qcv_1_1", "qcv_1_2"]
    assert backend.tables("qcs_") == ["qcs_1_3"]
    assert backend.tables("qcv_1_2") == ["qcv_1_2"]
    backend.drop("qcv_1_1")
    backend.drop("qcv_1_1")  # IF EXISTS
    assert not backend.exists("qcv_1_1")
    assert backend.exists("qcv_1_2")
    assert backend.tables("qc") == ["qcs_1_3", "qcv_1_2"]


def test_unsafe_table_names_are_refused(backend: Backend) -> None:
    with pytest.raises(ValueError, match="table name"):
        backend.create_staging('qcs_1"; DROP TABLE x; --', ["a"])
    with pytest.raises(ValueError, match="table name"):
        backend.drop("Robert'); DROP")


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        (Column("日期", "开始日期", T.DATE, parse="ymd"), "2024-02-30"),
        (Column("日期", "开始日期", T.DATE, parse="ymd"), "昨天"),
        (Column("日期", "开始日期", T.BOOLEAN, parse="bool"), "也许"),
        (Column("日期", "开始日期", T.INTEGER), "12a"),
        (Column("日期", "开始日期", T.TIMESTAMP, parse="ymd_hms"), "2024-01-05 25:00"),
    ],
)
def test_a_failed_cast_names_the_column_and_leaves_staging(
    backend: Backend, column: Column, bad: str
) -> None:
    backend.create_staging("qcs_4_1", ["名", "日期"])
    backend.append("qcs_4_1", batch({"名": ["a", "b"], "日期": [None, bad]}))
    with pytest.raises(BadRequest) as caught:
        backend.finalize("qcs_4_1", "qcv_4_1", [Column("名", "名"), column])
    assert caught.value.code == "cast_failed"
    assert "开始日期" in caught.value.message
    assert caught.value.details["column"] == "日期"
    assert not backend.exists("qcv_4_1")
    assert backend.row_count("qcs_4_1") == 2, "the caller drops the staging table"


def test_concurrent_reads_while_loading(backend: Backend) -> None:
    columns = big_table(backend, 2000)

    def read(i: int) -> int:
        spec = QuerySpec(fields=("_rowid",), filters=(Filter("组", Op.EQ, i % 7),), limit=0)
        total = backend.query("qcv_3_1", columns, spec, with_total=True).total
        assert total is not None
        return total

    with ThreadPoolExecutor(max_workers=6) as pool:
        loading = pool.submit(big_table, backend, 500, "qcv_3_2")
        totals = list(pool.map(read, range(42)))
        loading.result()
    assert sum(totals) == 6 * sum(1 for i in range(2000) if i % 11)
    assert backend.row_count("qcv_3_2") == 500


def test_open_backend_refuses_unknown_urls() -> None:
    with pytest.raises(ConfigurationError):
        open_backend("sqlite:///x.db")
    with pytest.raises(ConfigurationError):
        open_backend("not a url")


@pytest.fixture(scope="module")
def words_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A DuckDB backend holding the words of the contains property."""
    opened = open_backend(f"duckdb://{tmp_path_factory.mktemp('words') / 'w.duckdb'}")
    load(opened, "qcv_5_1", WORD_COLUMNS, {"词": WORDS})
    yield opened
    opened.close()


WORDS = ["a%b", "a_b", "AB", "ab\\", "区%", "100%", "_", "%", "\\%", "", None, "aab"]
WORD_COLUMNS = [Column("词", "词")]


@settings(max_examples=60, deadline=None)
@given(needle=st.text(alphabet="aAb%_\\区", max_size=3))
def test_contains_matches_the_literal_text(words_backend: Backend, needle: str) -> None:
    spec = QuerySpec(fields=("词",), filters=(Filter("词", Op.CONTAINS, needle),), limit=100)
    got = [r[0] for r in words_backend.query("qcv_5_1", WORD_COLUMNS, spec, with_total=False).rows]
    assert got == [w for w in WORDS if w is not None and needle.lower() in w.lower()]


def test_awkward_text_round_trips_and_blank_is_not_null(backend: Backend) -> None:
    texts = ['a,"b"', "line\nbreak\r\n", "", None, " 空格 ", "tab\there", "back\\slash", "\\N"]
    columns = [Column("文本", "文本"), Column("数", "数", T.INTEGER)]
    numbers = ["1", "", "  ", None, "2", "3", "4", "5"]
    assert load(backend, "qcv_6_1", columns, {"文本": texts, "数": numbers}) == 8
    spec = QuerySpec(fields=("文本", "数"))
    rows = backend.query("qcv_6_1", columns, spec, with_total=False).rows
    assert [r[0] for r in rows] == texts
    assert [r[1] for r in rows] == [1, None, None, None, 2, 3, 4, 5], "blank typed cells are NULL"


def test_a_filter_value_of_the_wrong_type_is_a_bad_request(backend: Backend) -> None:
    load_people(backend)
    with pytest.raises(BadRequest) as caught:
        rowids(backend, Filter("人口", Op.EQ, "many"))
    assert caught.value.code == "bad_value"


def test_postgres_runs_user_sql_read_only(backend: Backend) -> None:
    if backend.dialect != "postgres":
        pytest.skip("DuckDB has no read-only transactions: the SQL guard is the only check")
    load_people(backend)
    with pytest.raises(BadRequest) as caught:
        backend.execute_sql("SELECT * FROM qcv_1_1 FOR UPDATE", timeout_seconds=1, max_rows=1)
    assert caught.value.code == "sql_error"
    assert "read-only" in caught.value.message


def test_the_embedded_engine_keeps_to_its_memory_limit(tmp_path: Path) -> None:
    # Unlimited, DuckDB may take 80 % of the machine while loading a large file.
    backend = open_backend(f"duckdb:///{tmp_path / 'capped.duckdb'}", memory_mib=256)
    try:
        result = backend.execute_sql(
            "SELECT current_setting('memory_limit')", timeout_seconds=5, max_rows=1
        )
    finally:
        backend.close()

    assert result.rows[0][0] == "256.0 MiB"
