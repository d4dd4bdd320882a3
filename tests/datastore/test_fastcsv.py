"""The fast path of CSV ingest stores exactly what the Python path stores, or hands over.

Each file is loaded twice, into two entries with the same data items: once the fast way
(the engine reads the file) and once the Python way; types, labels, item links and every
stored value must agree, on DuckDB and on PostgreSQL. Files the fast path cannot promise
the same outcome for (values after the sample that break its types, invalid rows) must
still give the Python path's outcome: same types, same error report, same quarantine.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quancheng.datastore import fastcsv
from quancheng.datastore.backends.base import ROWID
from quancheng.datastore.query import QuerySpec
from quancheng.datastore.schema import ColumnType
from quancheng.datastore.service import JobInfo, JobStatus
from tests.support.city import SmallCity, entry_fields

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """An ID number with its check character."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def item(name: str, data_type: str = "C") -> dict[str, Any]:
    length = 50 if data_type == "C" else None
    return {"name": name, "data_type": data_type, "length": length, "sensitivity": "public"}


AIR_ITEMS = [
    item("监测站点"),
    item("监测时间", "T"),
    item("PM2.5浓度", "F"),
    item("站点编码"),
    item("采样日期", "D"),
    item("数量", "I"),
    item("是否达标", "L"),
    item("联系电话"),
    item("身份证号"),
]
AIR_HEADER = "监测站点,监测时间,PM2.5浓度,站点编码,采样日期,数量,是否达标,联系电话,身份证号,备注"
PERSON = id_number("37010219900101123")


def entry(city: SmallCity, items: list[dict[str, Any]]) -> int:
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    created = catalog.create(steward, department="sthjj", fields=entry_fields(data_items=items))
    catalog.submit(steward, created.id)
    catalog.publish(steward, created.id)
    return created.id


def run(city: SmallCity, entry_id: int, path: Path, *, fast: bool) -> JobInfo:
    datastore = city.services.datastore
    datastore.fast_csv = fast
    try:
        job = datastore.start_load(city.principals["env_steward"], entry_id, source_name=path.name)
        return datastore.run_load(job.id, path)
    finally:
        datastore.fast_csv = True


def stored(city: SmallCity, entry_id: int) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every stored row (with `_rowid`) and the columns of the current version."""
    datastore = city.services.datastore
    info = datastore.dataset(city.principals["env_steward"], entry_id)
    assert info.current is not None
    columns = info.current.schema.columns
    spec = QuerySpec(fields=(ROWID, *(c.name for c in columns)), limit=0)
    rows = [
        row
        for batch in datastore.backend.stream(info.current.physical_table, columns, spec)
        for row in batch.to_pylist()
    ]
    return rows, [c.as_json() for c in columns]


def load_both(
    city: SmallCity,
    caplog: pytest.LogCaptureFixture,
    path: Path,
    items: list[dict[str, Any]],
) -> tuple[bool, tuple[list[dict[str, Any]], list[Any]], tuple[list[dict[str, Any]], list[Any]]]:
    """Load a file the fast way and the Python way; whether the fast way took it, and both."""
    fast_entry, slow_entry = entry(city, items), entry(city, items)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="quancheng.datastore"):
        fast = run(city, fast_entry, path, fast=True)
    taken = any(
        r.getMessage().startswith("fast ingest of") and "rows" in r.getMessage()
        for r in caplog.records
    )
    slow = run(city, slow_entry, path, fast=False)
    assert fast.status is JobStatus.SUCCEEDED, fast.message
    assert slow.status is JobStatus.SUCCEEDED, slow.message
    return taken, stored(city, fast_entry), stored(city, slow_entry)


def write(path: Path, rows: list[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes((newline.join(rows) + newline).encode(encoding))
    return path


# Canonical forms: PostgreSQL's COPY reads them as our casts do, so both engines go fast.
CANONICAL = [
    AIR_HEADER,
    f"泉城广场,2024-01-05 08:00:00,35.5,0001,2024-01-05,12,true,13912345678,{PERSON},正常",
    "省种子仓库,2024-01-05 09:00:00,41,0002,2024-01-06,-3,false,0531-88888888,,",
    '"奥体中心, 东门",,1e2,0003,,0,TRUE,"",,"多行\n备注"',
    "  ,2024-02-29 23:59:59,.5,0004,2024-02-29,+7,,13800000000,,  ",
]
# Every other form inference admits; DuckDB casts them in SQL, PostgreSQL hands over.
VARIED = [
    AIR_HEADER,
    f"泉城广场,2024/1/5 8:00,35.5,0001,2024/1/5,12,是,13912345678,{PERSON},\u3000",
    "省种子仓库,2024年1月6日 09:30:15.25, 41 ,0002,2024年1月6日, 5 ,否,0531-88888888,,\u3000x",
    "奥体中心,2024.1.7 10:00,-0,0003,2024.1.7,-0,True,,,\t",
]


@pytest.mark.parametrize(
    ("name", "rows", "encoding", "newline", "fast_on_postgres"),
    [
        ("canonical.csv", CANONICAL, "utf-8", "\n", True),
        ("canonical-gb.csv", CANONICAL, "gb18030", "\r\n", True),
        ("canonical-bom.csv", CANONICAL, "utf-8-sig", "\n", True),
        ("varied.csv", VARIED, "utf-8", "\n", False),
        ("varied-gb.csv", VARIED, "gb18030", "\n", False),
    ],
)
def test_the_fast_path_stores_what_the_python_path_stores(
    city: SmallCity,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    name: str,
    rows: list[str],
    encoding: str,
    newline: str,
    fast_on_postgres: bool,
) -> None:
    path = write(tmp_path / name, rows, encoding=encoding, newline=newline)

    taken, fast, slow = load_both(city, caplog, path, AIR_ITEMS)

    assert fast == slow
    postgres = city.services.datastore.backend.dialect == "postgres"
    assert taken is (fast_on_postgres or not postgres)
    types = {c["label"]: c["type"] for c in fast[1]}
    assert types["站点编码"] == ColumnType.TEXT  # leading zeros kept
    assert types["采样日期"] == ColumnType.DATE  # 2024/1/5 and 2024年1月6日 too
    assert types["监测时间"] == ColumnType.TIMESTAMP
    code = next(c["name"] for c in fast[1] if c["label"] == "站点编码")
    assert [r[code] for r in fast[0]][:2] == ["0001", "0002"]


def test_a_big_file_read_in_parallel_keeps_the_file_order(
    city: SmallCity, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # Several DuckDB row groups and CSV buffers read by both threads: _rowid is each row's
    # line in the file (reads page by it), as the Python path numbers them.
    rows = ["序号,站点编码,数量"] + [f"{n},{n % 997:04d},{n * 7 % 1000}" for n in range(1, 400_001)]
    path = write(tmp_path / "big.csv", rows)
    items = [item("序号", "I"), item("站点编码"), item("数量", "I")]
    fast_entry = entry(city, items)
    with caplog.at_level(logging.DEBUG, logger="quancheng.datastore"):
        job = run(city, fast_entry, path, fast=True)
    assert job.status is JobStatus.SUCCEEDED, job.message
    if city.services.datastore.backend.dialect == "duckdb":
        assert any(r.getMessage().startswith("fast ingest of") for r in caplog.records)
    stored_rows, columns = stored(city, fast_entry)
    number = next(c["name"] for c in columns if c["label"] == "序号")
    assert len(stored_rows) == 400_000
    assert all(r[ROWID] == r[number] for r in stored_rows)


def test_utf16_tsv_and_blank_lines_before_the_header_go_fast(
    city: SmallCity, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    body = ["监测站点\t数量\t区划代码", "广场\t1\t370102", "公园\t22\t370103"]
    utf16 = write(tmp_path / "excel.txt", body, encoding="utf-16")
    items = [item("监测站点"), item("数量", "I")]

    taken, fast, slow = load_both(city, caplog, utf16, items)

    assert fast == slow
    assert taken
    assert [(c["label"], c["type"]) for c in fast[1]] == [
        ("监测站点", "text"),
        ("数量", "integer"),
        ("区划代码", "text"),
    ]
    blank_lines = ["", "", *(line.replace("\t", ",") for line in body)]
    plain = write(tmp_path / "plain.csv", blank_lines, newline="\r\n")
    taken, fast, slow = load_both(city, caplog, plain, items)
    assert fast == slow
    assert taken


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("trailing-delimiter.csv", ["站点,数量", "广场,1", "公园,2,"]),
        ("two-trailing.csv", ["站点,数量", "广场,1,,"]),
        ("short-row.csv", ["站点,数量", "广场,1", "公园"]),
        ("space-after-quote.csv", ["站点,数量", '"广场" ,1']),
        ("space-before-quote.csv", ["站点,数量", ' "广场",1']),
        ("unterminated.csv", ["站点,数量", '"广场,1']),
    ],
)
def test_rows_the_engines_read_otherwise_get_the_python_outcome(
    city: SmallCity, tmp_path: Path, name: str, rows: list[str]
) -> None:
    path = write(tmp_path / name, rows)
    items = [item("站点"), item("数量", "I")]
    fast_entry, slow_entry = entry(city, items), entry(city, items)

    fast = run(city, fast_entry, path, fast=True)
    slow = run(city, slow_entry, path, fast=False)

    assert (fast.status, fast.error_code, fast.message) == (
        slow.status,
        slow.error_code,
        slow.message,
    )
    if fast.status is JobStatus.SUCCEEDED:
        assert stored(city, fast_entry) == stored(city, slow_entry)


def test_line_breaks_in_quoted_values_are_read_as_in_python(
    city: SmallCity, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    rows = ["站点,数量,备注", *(f'站{i},{i},"第一行\n第二行"' for i in range(3000))]
    path = write(tmp_path / "multiline.csv", rows)

    taken, fast, slow = load_both(city, caplog, path, [item("站点"), item("数量", "I")])

    assert fast == slow
    assert taken
    assert fast[0][0]["备注"] == "第一行\n第二行"


def many(first: list[str], n: int, last: list[str]) -> list[str]:
    return first + [f"站{i},{i % 97 + 1},{370100 + i % 50}" for i in range(n)] + last


@pytest.mark.parametrize(
    ("late_row", "label", "expected"),
    [
        ("站x,007,370199", "数量", ColumnType.TEXT),  # a code with a leading zero
        ("站x,1.5,370199", "数量", ColumnType.DOUBLE),
        ("站x,2,3701999", "区划", ColumnType.INTEGER),  # same-length codes no longer
        ("站x,2,", "区划", ColumnType.TEXT),
    ],
)
def test_a_value_after_the_sample_decides_as_in_python(
    city: SmallCity,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    late_row: str,
    label: str,
    expected: ColumnType,
) -> None:
    rows = many(["站点,数量,区划"], fastcsv.SAMPLE_ROWS + 10, [late_row])
    path = write(tmp_path / "late.csv", rows)

    _, fast, slow = load_both(city, caplog, path, [item("站点")])

    assert fast[1] == slow[1]
    assert {c["label"]: c["type"] for c in fast[1]}[label] == expected
    assert fast[0][-1] == slow[0][-1]
    assert len(fast[0]) == len(slow[0]) == fastcsv.SAMPLE_ROWS + 11


def test_invalid_rows_after_the_sample_get_the_python_report_and_quarantine(
    city: SmallCity, tmp_path: Path
) -> None:
    items = [item("站点"), item("数量", "I"), item("手机号码")]
    header = ["站点,数量,手机号码"]
    good = [f"站{i},{i},139{i:08d}" for i in range(fastcsv.SAMPLE_ROWS + 5)]
    # A name of exactly the item's 50 characters passes, white space around it too.
    good[-1] = f"  {'长' * 50} ,7,13900000000"
    path = write(tmp_path / "bad.csv", header + good + [f"{'坏' * 51},很多,12345678901"])
    datastore = city.services.datastore
    steward = city.principals["env_steward"]
    entry_id = entry(city, items)

    result = run(city, entry_id, path, fast=True)

    assert (result.status, result.error_code, result.error_count) == (
        JobStatus.FAILED,
        "invalid_rows",
        3,
    )
    report = datastore.error_report(steward, entry_id, result.id)
    with report.open(encoding="utf-8-sig", newline="") as f:
        errors = {(e["行号 row"], e["列 column"], e["reason"]) for e in csv.DictReader(f)}
    row = str(fastcsv.SAMPLE_ROWS + 7)  # the file's line: the header is line 1
    assert errors == {
        (row, "站点", "longer than 50 characters"),
        (row, "数量", "not an integer"),
        (row, "手机号码", "not a valid mobile number"),
    }
    datastore.invalid_rows = "quarantine"
    try:
        again = run(city, entry_id, path, fast=True)
    finally:
        datastore.invalid_rows = "reject"
    assert again.status is JobStatus.SUCCEEDED
    current = datastore.dataset(steward, entry_id).current
    assert current is not None
    assert (current.row_count, current.quarantined_rows) == (fastcsv.SAMPLE_ROWS + 5, 1)


def test_an_id_number_with_a_wrong_check_character_is_reported(
    city: SmallCity, tmp_path: Path
) -> None:
    wrong = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    path = write(tmp_path / "ids.csv", ["姓名,身份证号", f"张三,{PERSON}", f"李四,{wrong}"])
    entry_id = entry(city, [item("姓名"), item("身份证号")])

    result = run(city, entry_id, path, fast=True)

    assert (result.status, result.error_count) == (JobStatus.FAILED, 1)


def test_the_white_space_of_the_sql_is_pyarrows() -> None:
    codepoints = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    spaces = pc.utf8_is_space(pa.array([chr(c) for c in codepoints])).to_pylist()
    assert [c for c, s in zip(codepoints, spaces, strict=True) if s] == list(
        fastcsv.SPACE_CODEPOINTS
    )
    chars = pa.table({"i": codepoints, "c": [chr(c) for c in codepoints]})
    con = duckdb.connect()
    con.register("chars", chars)
    found = con.execute(
        f"SELECT i FROM chars WHERE regexp_full_match(c, {fastcsv._lit(fastcsv._WS)}) ORDER BY i"
    ).fetchall()
    assert [r[0] for r in found] == list(fastcsv.SPACE_CODEPOINTS)


CELLS = st.one_of(
    st.sampled_from(
        [
            *("", " ", "\u3000", "0", "007", "-0", "+5", " 12 ", "1.5", ".5", "1e3", "1."),
            *("12345678901", "2024-01-05", "2024/1/5", "2024年1月5日", "2024-02-30", "是"),
            *("0999-01-01", "TRUE", "2024-01-05 08:00:00", "2024-01-05 24:00:00", "x"),
            *("2024/1/5 8:00", "13912345678"),
        ]
    ),
    st.text(alphabet="0123456789 .-+:/eE年月日\u3000\t", max_size=12),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(CELLS, CELLS), min_size=1, max_size=6))
def test_any_cells_load_as_in_python(
    city: SmallCity, caplog: pytest.LogCaptureFixture, tmp_path: Path, cells: list[tuple[str, str]]
) -> None:
    lines = ["编码,值"] + [",".join(f'"{a}"' if a == "" else a for a in row) for row in cells]
    path = write(tmp_path / "cells.csv", lines)
    items = [item("值", "F")]
    fast_entry, slow_entry = entry(city, items), entry(city, items)

    fast = run(city, fast_entry, path, fast=True)
    slow = run(city, slow_entry, path, fast=False)

    assert (fast.status, fast.error_code, fast.error_count, fast.message) == (
        slow.status,
        slow.error_code,
        slow.error_count,
        slow.message,
    )
    if fast.status is JobStatus.SUCCEEDED:
        assert stored(city, fast_entry) == stored(city, slow_entry)
