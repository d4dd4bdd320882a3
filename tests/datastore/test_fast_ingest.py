"""The fast paths of ingest give exactly what the slow, general paths gave.

Pins: Arrow casts at finalize (arrowcast) store the values sqlbuild's SQL casts store;
the ISO timestamp shortcut of inference; the regex shortcut of the mobile check; staging
kept as local Arrow files behaves like a table (row numbers, listing, recovery).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quancheng.datastore import checks, infer, readers
from quancheng.datastore.backends import arrowcast, open_backend, sqlbuild
from quancheng.datastore.backends.base import Backend
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.schema import Column, ColumnType
from quancheng.datastore.validate import RowValidator
from quancheng.errors import BadRequest
from tests.support.postgres import create_database, drop_database, postgres_admin_url

T = ColumnType


def staged(values: list[str | None]) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array(values, pa.string()), pa.array(range(1, len(values) + 1), pa.int64())],
        names=["v", "_rowid"],
    )


def sql_cast(column: Column, values: list[str | None]) -> list[object]:
    """What DuckDB's finalize SQL stores for the values (the reference)."""
    con = duckdb.connect()
    con.register("qcs_1_1", pa.Table.from_batches([staged(values)]))
    rows = con.execute(sqlbuild.finalize_select(sqlbuild.DUCKDB, "qcs_1_1", [column])).fetchall()
    return [r[1] for r in rows]


CASES = [
    (
        Column("v", "v", T.INTEGER),
        ["1", "+5", "-0", "007", " 42 ", "\t-17\n", None, "", "   ", "123456789012345678"],
    ),
    (
        Column("v", "v", T.DOUBLE),
        ["35.5", "+1.5", "-.5", "1.", "1e5", "-1E-3", " 2.25 ", None, "0.1", "123456789.123456789"],
    ),
    (
        Column("v", "v", T.BOOLEAN, parse="bool"),
        ["true", "FALSE", "是", "否", " True ", None],
    ),
    (
        Column("v", "v", T.DATE, parse="ymd"),
        ["2024-01-05", "2024-02-29", " 2024-12-31 ", None, "1900-01-01"],
    ),
    (
        Column("v", "v", T.DATE, parse="ymd"),
        ["2024/1/5", "2024年1月5日", "2024.12.31", "2024-01-05", None],
    ),
    (
        Column("v", "v", T.TIMESTAMP, parse="ymd_hms"),
        ["2024-01-05 08:00:00", "2024-02-29 23:59:59", None, " 2024-01-05 00:00:01 "],
    ),
    (
        Column("v", "v", T.TIMESTAMP, parse="ymd_hms"),
        [
            "2024-01-05 08:00",
            "2024/1/5 8:00:07.5",
            "2024-01-05T23:59:59.123456",
            "2024年1月5日 10:20",
            "2024-01-05  10:20:30.000001",
            None,
        ],
    ),
]


@pytest.mark.parametrize(("column", "values"), CASES)
def test_arrow_casts_store_what_the_sql_casts_store(
    column: Column, values: list[str | None]
) -> None:
    typed = arrowcast.typed_batch(staged(values), [column])

    assert typed is not None, "these shapes are cast in Arrow"
    assert typed.column(1).to_pylist() == sql_cast(column, values)
    assert typed.column(0).to_pylist() == list(range(1, len(values) + 1))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("v", "v", T.DATE, parse="ymd"), "2024-02-30"),
        (Column("v", "v", T.DATE, parse="ymd"), "昨天"),
        (Column("v", "v", T.TIMESTAMP, parse="ymd_hms"), "2024-01-05 24:00:00"),
        (Column("v", "v", T.TIMESTAMP, parse="ymd_hms"), "2024-01-05 23:59:60"),
        (Column("v", "v", T.INTEGER), "1.5"),
        (Column("v", "v", T.INTEGER), "1234567890123456789"),
        (Column("v", "v", T.DOUBLE), "1e999"),
        (Column("v", "v", T.DOUBLE), "nan"),
        (Column("v", "v", T.BOOLEAN, parse="bool"), "也许"),
        (Column("v", "v", T.DATE), "2024-01-05"),
    ],
)
def test_values_arrow_is_not_sure_of_are_left_to_sql(column: Column, value: str) -> None:
    assert arrowcast.typed_batch(staged(["2024-01-05", value]), [column]) is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            "{}-{}-{}{}{}:{}{}".format,
            st.sampled_from(["2024", "2023", "1900", "0000", "9999"]),
            st.sampled_from(["01", "02", "12", "13", "00", "1"]),
            st.sampled_from(["01", "28", "29", "30", "31", "00", "5"]),
            st.sampled_from([" ", "T", "  "]),
            st.sampled_from(["00", "23", "24", "9", "99"]),
            st.sampled_from(["00", "59", "60"]),
            st.sampled_from(["", ":00", ":59", ":60", ":61", ":5"]),
        )
        | st.none(),
        max_size=30,
    )
)
def test_the_iso_timestamp_shortcut_agrees_with_the_calendar(values: list[str | None]) -> None:
    array = pa.array(values, pa.string())

    fast = infer.valid_timestamps(array).to_pylist()

    assert fast == infer._valid_timestamps_by_pattern(array).to_pylist()


def test_mobiles_in_other_digits_are_still_checked_in_python() -> None:
    # Fullwidth digits after 13: not ASCII, so the regex shortcut does not take them; Python's check
    # accepts them as it always did, and a wrong prefix is still refused.
    fullwidth = "13８００１３８０００"
    assert checks.is_mobile(fullwidth)
    validator = RowValidator(
        [Column("手机号码", "手机号码", item="手机号码")],
        [ItemInfo("手机号码", "C", "personal")],
    )
    batch = pa.record_batch(
        [pa.array(["13800138000", fullwidth, "12800138000", None], pa.string())],
        names=["手机号码"],
    )

    check = validator.check(batch, 1)

    assert [(e.row, e.value) for e in check.errors] == [(3, "12800138000")]


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Backend]:
    backend = open_backend(f"duckdb://{tmp_path / 'store.duckdb'}")
    yield backend
    backend.close()


def test_staging_lives_beside_the_database_and_numbers_rows_across_processes(
    duck: Backend, tmp_path: Path
) -> None:
    duck.create_staging("qcs_9_1", ["名"])
    duck.append("qcs_9_1", pa.record_batch([pa.array(["a", "b"])], names=["名"]))
    assert (tmp_path / "store.duckdb.staging" / "qcs_9_1").is_dir()
    duck.close()
    # Another process (a restart) appending to the same staging table continues the count.
    again = open_backend(f"duckdb://{tmp_path / 'store.duckdb'}")
    try:
        again.append("qcs_9_1", pa.record_batch([pa.array(["c"])], names=["名"]))
        assert again.tables("qcs_") == ["qcs_9_1"]
        assert again.row_count("qcs_9_1") == 3
        rows = again.finalize("qcs_9_1", "qcv_9_1", [Column("名", "名")])
        assert rows == 3
        assert not again.exists("qcs_9_1")
        page = again.execute_sql('SELECT _rowid, "名" FROM qcv_9_1', timeout_seconds=5, max_rows=9)
        assert page.rows == [(1, "a"), (2, "b"), (3, "c")]
    finally:
        again.close()


def test_a_value_arrow_refuses_falls_back_to_sql_and_loads(duck: Backend) -> None:
    column = Column("日期", "日期", T.TIMESTAMP, parse="ymd_hms")
    duck.create_staging("qcs_9_2", ["日期"])
    duck.append(
        "qcs_9_2",
        pa.record_batch([pa.array(["2024-01-05 08:00:00", "2024-01-05 08:00"])], names=["日期"]),
    )
    # 24:00 is refused by both; an impossible value still names the column.
    assert duck.finalize("qcs_9_2", "qcv_9_2", [column]) == 2
    page = duck.execute_sql("SELECT * FROM qcv_9_2 ORDER BY _rowid", timeout_seconds=5, max_rows=9)
    assert [r[1] for r in page.rows] == [dt.datetime(2024, 1, 5, 8), dt.datetime(2024, 1, 5, 8)]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty backend: a DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        opened = open_backend(f"duckdb://{tmp_path / 'store.duckdb'}")
        yield opened
        opened.close()
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    url = create_database(admin)
    opened = open_backend(url, staging_dir=tmp_path / "staging")
    yield opened
    opened.close()
    drop_database(admin, url)


def test_every_backend_stores_the_sql_values_through_the_fast_path(backend: Backend) -> None:
    columns = [Column(f"c{i}", f"c{i}", c.type, parse=c.parse) for i, (c, _) in enumerate(CASES)]
    width = max(len(v) for _, v in CASES)
    data = [v + [None] * (width - len(v)) for _, v in CASES]
    backend.create_staging("qcs_8_1", [c.name for c in columns])
    backend.append(
        "qcs_8_1",
        pa.record_batch([pa.array(v, pa.string()) for v in data], names=[c.name for c in columns]),
    )

    assert backend.finalize("qcs_8_1", "qcv_8_1", columns) == width

    assert backend.tables("qcs_") == []
    stored = backend.execute_sql(
        "SELECT * FROM qcv_8_1 ORDER BY _rowid", timeout_seconds=10, max_rows=100
    ).rows
    for i, (column, _) in enumerate(CASES):
        expected = sql_cast(Column("v", "v", column.type, parse=column.parse), data[i])
        assert [r[i + 1] for r in stored] == expected, column


def test_a_ragged_row_deep_in_a_big_file_is_named_by_its_number(tmp_path: Path) -> None:
    # Big enough for several parse blocks, which pyarrow parses in threads.
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("名称,数量\n")
        for n in range(300_000):
            f.write(f"站点{n},{n}\n")
        f.write("多,一,格\n")
        f.write("站点,1\n")
    reader = readers.open_table(path)

    with pytest.raises(BadRequest) as caught:
        sum(b.num_rows for b in reader.batches())

    assert caught.value.code == "ragged_rows"
    assert caught.value.details == {"row": 300_002, "expected": 2, "actual": 3}
