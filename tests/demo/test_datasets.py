"""Demo data rows: the tables people open first, with values that fit their data items."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quancheng.datastore.checks import is_credit_code, is_id_number, is_mobile
from quancheng.demo.content import DemoDataItem, catalog_entries
from quancheng.demo.datasets import (
    DemoTable,
    demo_tables,
    large_table,
    select_entries,
    write_csv,
)
from quancheng.demo.identities import credit_code, id_number
from quancheng.demo.tables import DISTRICT_ROWS

DISTRICT_NAMES = {row[0] for row in DISTRICT_ROWS}
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


@dataclass(frozen=True)
class Entry:
    """A demo entry as the catalog stores it once it has a resource code."""

    code: str
    name: str
    items: Sequence[DemoDataItem]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    # The same ~3,000 entries `quancheng demo` publishes, without a database.
    return [Entry(f"QC{n:05d}", e.name, e.data_items) for n, e in enumerate(catalog_entries())]


@pytest.fixture(scope="module")
def tables(entries: list[Entry]) -> list[tuple[DemoTable, list[list[str | None]]]]:
    return [(t, list(t.rows())) for t in demo_tables(entries, scale=0.1)]


def test_selection_covers_the_subjects_people_look_for(entries: list[Entry]) -> None:
    names = [e.name for e in select_entries(entries)]
    assert 200 <= len(names) <= 300
    for subject in ("公交", "停车", "空气质量", "企业登记", "学校", "医疗机构", "泉水水位", "路灯"):
        assert any(subject in n for n in names), subject
    assert any("常住人口" in n for n in names)
    # Row data comes before its statistics: the first picks are not 统计数据.
    assert not any("统计数据" in n for n in names[:20])
    assert len(select_entries(entries, limit=25)) == 25


def test_tables_are_deterministic_for_a_seed(entries: list[Entry]) -> None:
    first = [list(t.rows()) for t in demo_tables(entries, limit=15, scale=0.05)]
    again = [list(t.rows()) for t in demo_tables(entries, limit=15, scale=0.05)]
    other = [list(t.rows()) for t in demo_tables(entries, seed=1, limit=15, scale=0.05)]
    assert first == again
    assert first != other
    table = next(demo_tables(entries, limit=1, scale=0.05))
    assert list(table.rows()) == list(table.rows())  # regenerable


def test_headers_are_the_entry_item_names(
    entries: list[Entry], tables: list[tuple[DemoTable, list[list[str | None]]]]
) -> None:
    by_code = {e.code: e for e in entries}
    for table, rows in tables:
        assert table.labels == [i.name for i in by_code[table.entry_code].items]
        assert table.filename == f"{table.entry_code}.csv"
        assert rows, table.entry_code
        assert all(len(r) == len(table.labels) for r in rows)


def _columns(tables: list[tuple[DemoTable, list[list[str | None]]]], match: str) -> list[str]:
    values = []
    for table, rows in tables:
        for i, label in enumerate(table.labels):
            if re.search(match, label):
                values += [v for r in rows if (v := r[i]) is not None]
    return values


def test_identifiers_pass_the_platform_validators(
    tables: list[tuple[DemoTable, list[list[str | None]]]],
) -> None:
    ids = _columns(tables, "公民身份号码$")
    codes = _columns(tables, "^统一社会信用代码$")
    mobiles = _columns(tables, "^(联系电话|来电号码|.*人联系电话)$")
    assert len(ids) > 100 and len(codes) > 100 and len(mobiles) > 100
    assert all(is_id_number(v) and v.startswith("3701") for v in ids)
    assert all(is_credit_code(v) for v in codes)
    assert all(is_mobile(v) for v in mobiles)
    for value in _columns(tables, "证件号码$"):
        assert is_id_number(value) or is_credit_code(value)


@given(st.integers(0, 2**32), st.dates(date(1940, 1, 1), date(2018, 12, 31)), st.booleans())
@settings(max_examples=200)
def test_id_numbers_are_valid_for_any_birth_date(seed: int, born: date, male: bool) -> None:
    import random

    rng = random.Random(seed)  # noqa: S311 - test data
    for region in ("370102", "370114", "370117", "370126"):
        number = id_number(rng, region=region, born=born, male=male)
        assert is_id_number(number)
        assert number[6:14] == born.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if male else 0)
    assert is_credit_code(credit_code(rng, prefix="92", region="370112"))


def test_values_fit_their_items(tables: list[tuple[DemoTable, list[list[str | None]]]]) -> None:
    assert set(_columns(tables, "^(所属区县|区县名称)$")) <= DISTRICT_NAMES
    lons = [float(v) for v in _columns(tables, "^经度$")]
    lats = [float(v) for v in _columns(tables, "^纬度$")]
    assert lons and all(116.2 < v < 118.0 for v in lons)
    assert lats and all(35.9 < v < 37.5 for v in lats)
    levels = [float(v) for v in _columns(tables, "^泉水水位$")]
    assert levels and all(26.5 < v < 30.5 for v in levels)
    assert set(_columns(tables, "^喷涌状态$")) <= {"喷涌", "停喷"}
    assert all(v.isdigit() for v in _columns(tables, "^空气质量指数$"))
    assert set(_columns(tables, "^(超标状态|是否超标|是否免费开放)$")) <= {"是", "否"}


def test_dates_are_mixed_forms_within_2019_to_2025(
    tables: list[tuple[DemoTable, list[list[str | None]]]],
) -> None:
    days = _columns(tables, "(日期|时间)$")
    days = [d for d in days if d and not d[:1].isalpha()]
    years = []
    for value in _columns(tables, "(?<!出生)日期$"):
        match = ISO_DATE.match(value) or CHINESE_DATE.match(value)
        if match:
            years.append(int(match.group(1)))
    assert years and all(2019 <= y <= 2025 for y in years)
    assert any(CHINESE_DATE.fullmatch(v) for v in days)
    assert any(ISO_DATE.fullmatch(v) for v in days)


def test_some_tables_keep_leading_zeros_and_nulls(
    tables: list[tuple[DemoTable, list[list[str | None]]]],
) -> None:
    codes = _columns(tables, "(编号|编码)$")
    assert any(c.startswith("0") and c.isdigit() for c in codes)
    assert any(v is None for _, rows in tables for row in rows for v in row)


def test_personal_entries_get_personal_values(
    entries: list[Entry], tables: list[tuple[DemoTable, list[list[str | None]]]]
) -> None:
    by_code = {e.code: e for e in entries}
    personal = [
        (t, rows)
        for t, rows in tables
        if any(i.sensitivity == "sensitive_personal" for i in by_code[t.entry_code].items)
    ]
    assert personal
    for table, rows in personal:
        for i, label in enumerate(table.labels):
            if label == "姓名":
                assert all(v and 2 <= len(v) <= 4 for v in (r[i] for r in rows))
            if label in ("住址", "户籍地址"):
                values = [r[i] for r in rows]
                assert all(v is None or v.startswith("山东省济南市") for v in values)
                assert sum(v is not None for v in values) > len(values) * 0.8


def test_write_csv_reads_back(entries: list[Entry], tmp_path: Path) -> None:
    table = next(demo_tables(entries, limit=1, scale=0.05))
    path = tmp_path / table.filename
    written = write_csv(table, path, encoding="utf-8-sig")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == table.labels
    assert len(rows) - 1 == written
    assert rows[1:] == [["" if v is None else v for v in r] for r in table.rows()]


def test_large_table_streams_the_requested_rows(tmp_path: Path) -> None:
    path = tmp_path / "taps.csv"
    labels = large_table(path, rows=50_000)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == labels
        rows = list(reader)
    assert len(rows) == 50_000
    assert all(len(r) == len(labels) for r in rows)
    assert rows[0][0] == "00000000000000000001"  # serials keep their leading zeros
    assert large_table(tmp_path / "again.csv", rows=50_000) == labels
    assert (tmp_path / "again.csv").read_bytes() == path.read_bytes()
