"""Export writers: every format read back by an independent reader."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from quancheng.datastore import export
from quancheng.datastore.export import export_rows, media_type
from quancheng.datastore.schema import Column, ColumnType
from quancheng.errors import BadRequest

COLUMNS = [
    Column("mc", "名称"),
    Column("sl", "数量", ColumnType.INTEGER),
    Column("rq", "登记日期", ColumnType.DATE),
    Column("sj", "更新时间", ColumnType.TIMESTAMP),
    Column("yx", "是否有效", ColumnType.BOOLEAN),
    Column("je", "金额", ColumnType.DOUBLE),
]
SCHEMA = pa.schema(
    [
        ("mc", pa.string()),
        ("sl", pa.int64()),
        ("rq", pa.date32()),
        ("sj", pa.timestamp("us")),
        ("yx", pa.bool_()),
        ("je", pa.float64()),
    ]
)
ROWS: list[dict[str, Any]] = [
    {
        "mc": "泉城广场",
        "sl": -2,
        "rq": date(2024, 1, 5),
        "sj": datetime(2024, 1, 5, 10, 30),
        "yx": True,
        "je": 12.5,
    },
    {"mc": "=cmd|' /C calc'!A0", "sl": 0, "rq": None, "sj": None, "yx": False, "je": None},
    {"mc": "+1", "sl": None, "rq": None, "sj": None, "yx": None, "je": -0.5},
    {"mc": "-2", "sl": 7, "rq": None, "sj": None, "yx": None, "je": None},
    {"mc": "000123", "sl": 1, "rq": None, "sj": None, "yx": None, "je": None},
    {"mc": None, "sl": 3, "rq": None, "sj": None, "yx": None, "je": None},
]


def batches(rows: list[dict[str, Any]] = ROWS, size: int = 2) -> Iterator[pa.RecordBatch]:
    """The rows in batches of `size`, as a backend cursor would deliver them."""
    for start in range(0, len(rows), size):
        yield pa.RecordBatch.from_pylist(rows[start : start + size], schema=SCHEMA)


def run(fmt: str, source: Any = None, **options: Any) -> bytes:
    return b"".join(export_rows(fmt, COLUMNS, batches() if source is None else source, **options))


def csv_rows(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


# --- CSV ---------------------------------------------------------------------------------


def test_csv_has_labels_a_bom_and_plain_values() -> None:
    data = run("csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert rows[0] == ["名称", "数量", "登记日期", "更新时间", "是否有效", "金额"]
    assert rows[1] == ["泉城广场", "-2", "2024-01-05", "2024-01-05 10:30:00", "true", "12.5"]
    # Nulls are empty cells.
    assert rows[6] == ["", "3", "", "", "", ""]
    assert len(rows) == 1 + len(ROWS)


def test_csv_neutralises_formulas_in_text_but_not_numbers() -> None:
    rows = csv_rows(run("csv"))
    assert rows[2][0] == "'=cmd|' /C calc'!A0"
    assert rows[3][0] == "'+1"
    assert rows[4][0] == "'-2"
    # -2 and -0.5 in numeric columns are numbers, not formulas.
    assert rows[1][1] == "-2"
    assert rows[3][5] == "-0.5"
    assert rows[5][0] == "000123"


def test_csv_header_names_and_plain_utf8() -> None:
    data = run("csv", header="names", encoding="utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert csv_rows(data, "utf-8")[0] == ["mc", "sl", "rq", "sj", "yx", "je"]


def test_csv_in_gb18030_for_old_excel() -> None:
    data = run("csv", encoding="gb18030")
    assert "泉城广场".encode("gb18030") in data
    assert csv_rows(data, "gb18030")[1][0] == "泉城广场"
    assert media_type("csv", "gb18030") == "text/csv; charset=gb18030"
    assert media_type("csv", "utf-8-sig") == "text/csv; charset=utf-8"


def test_empty_csv_is_a_header_row() -> None:
    data = run("csv", iter([]))
    assert csv_rows(data) == [["名称", "数量", "登记日期", "更新时间", "是否有效", "金额"]]


def test_csv_streams_lazily() -> None:
    consumed = 0

    def many() -> Iterator[pa.RecordBatch]:
        nonlocal consumed
        for _ in range(200):
            consumed += 1
            yield pa.RecordBatch.from_pylist(ROWS, schema=SCHEMA)

    chunks = export_rows("csv", COLUMNS, many())
    first = next(chunks)
    assert first.startswith(b"\xef\xbb\xbf")
    assert consumed < 200
    rest = b"".join(chunks)
    assert consumed == 200
    assert len(csv_rows(first + rest)) == 1 + 200 * len(ROWS)


# --- JSON and NDJSON ---------------------------------------------------------------------


def test_json_objects_keyed_by_identifier() -> None:
    data = run("json", header="labels")
    records = json.loads(data)
    assert "泉城广场".encode() in data  # not \u escaped
    assert records[0] == {
        "mc": "泉城广场",
        "sl": -2,
        "rq": "2024-01-05",
        "sj": "2024-01-05T10:30:00",
        "yx": True,
        "je": 12.5,
    }
    # JSON is data, not a spreadsheet: text is exported as is.
    assert records[1]["mc"] == "=cmd|' /C calc'!A0"
    assert records[5] == {"mc": None, "sl": 3, "rq": None, "sj": None, "yx": None, "je": None}


def test_json_arrays_and_empty() -> None:
    rows = json.loads(run("json", json_shape="arrays"))
    assert rows[0] == ["泉城广场", -2, "2024-01-05", "2024-01-05T10:30:00", True, 12.5]
    assert len(rows) == len(ROWS)
    assert json.loads(run("json", iter([]))) == []


def test_json_drops_nan_to_null() -> None:
    rows = [dict(ROWS[0], je=float("nan"))]
    assert json.loads(run("json", batches(rows)))[0]["je"] is None


def test_ndjson_one_object_per_line() -> None:
    lines = run("ndjson").decode("utf-8").splitlines()
    assert len(lines) == len(ROWS)
    assert json.loads(lines[0])["mc"] == "泉城广场"
    assert run("ndjson", iter([])) == b""


def test_json_streams_lazily() -> None:
    consumed = 0

    def many() -> Iterator[pa.RecordBatch]:
        nonlocal consumed
        for _ in range(50):
            consumed += 1
            yield pa.RecordBatch.from_pylist(ROWS, schema=SCHEMA)

    chunks = export_rows("json", COLUMNS, many())
    first = next(chunks)
    assert consumed < 50
    assert len(json.loads(first + b"".join(chunks))) == 50 * len(ROWS)


# --- XLSX --------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_xlsx_types_and_neutralisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sheets = read_xlsx(run("xlsx"))
    rows = next(iter(sheets.values()))
    assert rows[0] == ["名称", "数量", "登记日期", "更新时间", "是否有效", "金额"]
    assert rows[1] == ["泉城广场", -2, date(2024, 1, 5), datetime(2024, 1, 5, 10, 30), True, 12.5]
    assert rows[2][0] == "'=cmd|' /C calc'!A0"
    assert rows[3][0] == "'+1"
    assert rows[3][5] == -0.5
    assert rows[4][:2] == ["'-2", 7]
    assert rows[5][0] == "000123"
    assert rows[6][0] == ""
    # The temporary workbook is gone once the download is complete.
    assert os.listdir(tmp_path) == []


def test_xlsx_keeps_long_integers_exact() -> None:
    rows = [dict(ROWS[0], sl=370102199001011234)]
    sheet = next(iter(read_xlsx(run("xlsx", batches(rows))).values()))
    assert sheet[1][1] == "370102199001011234"


def test_empty_xlsx_has_the_header() -> None:
    sheets = read_xlsx(run("xlsx", iter([]), header="names"))
    assert list(sheets.values()) == [[["mc", "sl", "rq", "sj", "yx", "je"]]]


def test_xlsx_continues_on_a_new_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 4)
    sheets = list(read_xlsx(run("xlsx")).values())
    assert [len(s) for s in sheets] == [5, 3]
    assert sheets[1][0] == sheets[0][0]
    assert sheets[1][2][1] == 3


def test_xlsx_temporary_file_removed_when_download_abandoned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(export, "CHUNK_BYTES", 100)
    chunks = export_rows("xlsx", COLUMNS, batches())
    next(chunks)
    chunks.close()  # type: ignore[attr-defined]
    assert os.listdir(tmp_path) == []


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_round_trip_with_labels() -> None:
    table = pq.read_table(io.BytesIO(run("parquet")))
    assert table.schema.names == [c.name for c in COLUMNS]
    assert table.schema.field("rq").type == pa.date32()
    assert table.schema.field("mc").metadata == {b"label": "名称".encode()}
    assert table.to_pylist() == ROWS


def test_parquet_one_row_group_per_batch_streamed() -> None:
    chunks = list(export_rows("parquet", COLUMNS, batches(size=1)))
    assert chunks[0].startswith(b"PAR1")
    assert len(chunks) > 1
    assert pq.ParquetFile(io.BytesIO(b"".join(chunks))).num_row_groups == len(ROWS)


def test_empty_parquet_has_the_column_types() -> None:
    table = pq.read_table(io.BytesIO(run("parquet", iter([]))))
    assert table.num_rows == 0
    assert table.schema.field("sl").type == pa.int64()
    assert table.schema.field("sj").type == pa.timestamp("us")


def test_parquet_masked_columns_are_text() -> None:
    masked = pa.RecordBatch.from_pylist(
        [{"mc": "张*", "sl": "30-39"}], schema=pa.schema([("mc", pa.string()), ("sl", pa.string())])
    )
    columns = COLUMNS[:2]
    table = pq.read_table(io.BytesIO(b"".join(export_rows("parquet", columns, [masked]))))
    assert table.to_pylist() == [{"mc": "张*", "sl": "30-39"}]


# --- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"fmt": "docx"}, "unknown_format"),
        ({"encoding": "latin-1"}, "bad_encoding"),
        ({"json_shape": "columns"}, "bad_shape"),
        ({"header": "titles"}, "bad_header"),
    ],
)
def test_bad_options_fail_before_any_batch_is_read(options: dict[str, Any], code: str) -> None:
    def untouched() -> Iterator[pa.RecordBatch]:
        raise AssertionError("no batch may be read")
        yield  # pragma: no cover

    fmt = options.pop("fmt", "csv")
    with pytest.raises(BadRequest) as caught:
        export_rows(fmt, COLUMNS, untouched(), **options)
    assert caught.value.code == code


def test_every_format_has_a_media_type_and_extension() -> None:
    assert set(export.MEDIA_TYPES) == set(export.FILE_EXTENSIONS)
    assert set(export.MEDIA_TYPES) == {"csv", "json", "ndjson", "xlsx", "parquet"}
    assert media_type("xlsx").startswith("application/vnd.openxmlformats")
