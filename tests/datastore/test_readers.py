"""File readers of the datastore ingest, on files written here the way departments send them."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from quancheng.datastore.readers import TableReader, detect_encoding, open_table
from quancheng.errors import BadRequest

HEADER = "所属区县,站点名称,编码,联系电话(手机)\n"
ROWS = "朝阳区,望京站,000123,13800138000\n海淀区,中关村站,000456,\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(reader: TableReader) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for batch in reader.batches():
        assert all(field.type == pa.string() for field in batch.schema)
        assert batch.schema.names == reader.names
        out.extend(batch.to_pylist())
    return out


def error(excinfo: pytest.ExceptionInfo[BadRequest]) -> str:
    return str(excinfo.value.code)


# ---------------------------------------------------------------- text encodings


def test_utf8_csv_keeps_codes_as_text_and_blank_cells_as_null(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "stations.csv", (HEADER + ROWS).encode()))
    assert reader.format == "csv"
    assert reader.encoding == "utf-8"
    assert reader.labels == ["所属区县", "站点名称", "编码", "联系电话(手机)"]
    assert reader.names == ["所属区县", "站点名称", "编码", "联系电话_手机"]
    assert rows(reader) == [
        {
            "所属区县": "朝阳区",
            "站点名称": "望京站",
            "编码": "000123",
            "联系电话_手机": "13800138000",
        },
        {"所属区县": "海淀区", "站点名称": "中关村站", "编码": "000456", "联系电话_手机": None},
    ]


def test_utf8_bom_is_detected_and_not_part_of_the_first_label(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", b"\xef\xbb\xbf" + (HEADER + ROWS).encode()))
    assert reader.encoding == "utf-8-sig"
    assert reader.labels[0] == "所属区县"
    assert rows(reader)[0]["所属区县"] == "朝阳区"


def test_gb18030_file_is_detected_and_transcoded(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", (HEADER + ROWS).encode("gb18030")))
    assert reader.encoding == "gb18030"
    assert reader.labels[3] == "联系电话(手机)"
    assert [r["站点名称"] for r in rows(reader)] == ["望京站", "中关村站"]


def test_short_gbk_file_is_read_as_gb18030_not_a_korean_guess(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "区县,人口\n东城,1\n".encode("gbk"))
    reader = open_table(path)
    assert reader.encoding == "gb18030"
    assert rows(reader) == [{"区县": "东城", "人口": "1"}]


def test_utf16_tab_separated_text_from_excel(tmp_path: Path) -> None:
    text = HEADER.replace(",", "\t") + ROWS.replace(",", "\t")
    path = write(tmp_path, "export.txt", text.replace("\n", "\r\n").encode("utf-16"))
    reader = open_table(path)
    assert reader.encoding == "utf-16"
    assert reader.format == "tsv"
    assert reader.labels[0] == "所属区县"
    assert rows(reader)[0]["编码"] == "000123"


def test_given_wrong_encoding_is_a_bad_encoding_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", (HEADER + ROWS).encode("gb18030"))
    with pytest.raises(BadRequest) as excinfo:
        open_table(path, encoding="utf-8")
    assert error(excinfo) == "bad_encoding"
    assert "utf-8" in excinfo.value.message


def test_given_encoding_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "名称,值\n甲,1\n".encode("gb18030"))
    assert open_table(path, encoding="GBK").encoding == "gb18030"


def test_bad_bytes_after_the_sample_fail_while_reading(tmp_path: Path) -> None:
    good = (HEADER + ROWS * 20_000).encode()
    assert len(good) > 1 << 20
    path = write(tmp_path, "a.csv", good + "朝阳区,坏,1,2\n".encode("gb18030"))
    reader = open_table(path)
    assert reader.encoding == "utf-8"
    with pytest.raises(BadRequest) as excinfo:
        rows(reader)
    assert error(excinfo) == "bad_encoding"


def test_detect_encoding_tolerates_a_character_cut_at_the_end_of_the_sample() -> None:
    sample = "名称,值\n".encode() * 10 + "中".encode()[:2]
    assert detect_encoding(sample, complete=False) == "utf-8"


# ---------------------------------------------------------------- CSV shapes


def test_semicolon_and_tsv_files(tmp_path: Path) -> None:
    semi = open_table(write(tmp_path, "a.csv", b"name;code\nx;007\ny;008\n"))
    assert rows(semi) == [{"name": "x", "code": "007"}, {"name": "y", "code": "008"}]
    # A .tsv is tab-separated even when its cells contain commas.
    tsv = open_table(write(tmp_path, "a.tsv", b"name\tnote\nx\ta,b\n"))
    assert tsv.format == "tsv"
    assert rows(tsv) == [{"name": "x", "note": "a,b"}]


def test_quoted_fields_with_newlines_and_delimiters(tmp_path: Path) -> None:
    data = '名称,"地址\n(详细)"\n"甲","北京市,朝阳区\n望京街1号"\n乙,"说""好"""\n'
    reader = open_table(write(tmp_path, "a.csv", data.encode()))
    assert reader.labels == ["名称", "地址\n(详细)"]
    assert rows(reader) == [
        {"名称": "甲", "地址_详细": "北京市,朝阳区\n望京街1号"},
        {"名称": "乙", "地址_详细": '说"好"'},
    ]


def test_duplicate_and_empty_headers_get_unique_names(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", "名称,名称,,NA\n甲,乙,丙,NA\n".encode()))
    assert reader.names == ["名称", "名称_2", "column_3", "na"]
    # "NA" is text a department wrote, not a missing value.
    assert rows(reader) == [{"名称": "甲", "名称_2": "乙", "column_3": "丙", "na": "NA"}]


def test_blank_strings_become_null(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", 'a,b\n"  ", x \n\u3000,""\n'.encode()))
    assert rows(reader) == [{"a": None, "b": " x "}, {"a": None, "b": None}]


def test_first_row_of_numbers_is_data_not_a_header(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", b"1,2024-01-05,3.5\n2,2024-01-06,4\n"))
    assert reader.labels == ["column_1", "column_2", "column_3"]
    assert rows(reader)[0] == {"column_1": "1", "column_2": "2024-01-05", "column_3": "3.5"}


def test_header_only_is_no_rows(tmp_path: Path) -> None:
    with pytest.raises(BadRequest) as excinfo:
        rows(open_table(write(tmp_path, "a.csv", HEADER.encode())))
    assert error(excinfo) == "no_rows"


def test_empty_file_and_blank_file(tmp_path: Path) -> None:
    for data in (b"", b"\r\n \n"):
        with pytest.raises(BadRequest) as excinfo:
            open_table(write(tmp_path, "a.csv", data))
        assert error(excinfo) == "empty_file"


def test_row_with_more_cells_than_the_header_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"a,b\n1,2\n3,4,5\n")
    with pytest.raises(BadRequest) as excinfo:
        rows(open_table(path))
    assert error(excinfo) == "ragged_rows"
    assert excinfo.value.details["row"] == 3
    assert "Row 3 has 3 cells but the header has 2" in excinfo.value.message


def test_row_with_fewer_cells_is_rejected_too(tmp_path: Path) -> None:
    with pytest.raises(BadRequest) as excinfo:
        rows(open_table(write(tmp_path, "a.csv", b"a,b,c\n1,2,3\n4,5\n")))
    assert error(excinfo) == "ragged_rows"


def test_single_100mb_line_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    chunk = b"x" * (1 << 20)
    with path.open("wb") as f:
        for _ in range(100):
            f.write(chunk)
    with pytest.raises(BadRequest) as excinfo:
        open_table(path)
    assert error(excinfo) == "line_too_long"


def test_100mb_line_after_the_header_fails_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "line.csv"
    chunk = b"x" * (1 << 20)
    with path.open("wb") as f:
        f.write(b"a\n1\n")
        for _ in range(100):
            f.write(chunk)
        f.write(b"\n2\n")
    reader = open_table(path)
    with pytest.raises(BadRequest) as excinfo:
        rows(reader)
    assert error(excinfo) == "line_too_long"


def test_a_row_longer_than_a_block_is_still_read(tmp_path: Path) -> None:
    long = "长" * (3 << 20)  # 9 MB, more than pyarrow's first block size
    data = f"a,b\n1,x\n2,{long}\n3,y\n".encode()
    got = rows(open_table(write(tmp_path, "a.csv", data)))
    assert [r["a"] for r in got] == ["1", "2", "3"]
    assert got[1]["b"] == long


def test_large_csv_is_streamed_in_batches_with_progress(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("编号,名称,数值\n")
        for i in range(120_000):
            f.write(f"{i:07d},站点{i},{i * 0.5}\n")
    reader = open_table(path, batch_rows=50_000)
    seen: list[int] = []
    progress: list[int] = []
    first_codes: list[str] = []
    for batch in reader.batches():
        seen.append(batch.num_rows)
        progress.append(reader.bytes_read)
        first_codes.append(batch.column(0)[0].as_py())
    assert seen == [50_000, 50_000, 20_000]
    assert first_codes == ["0000000", "0050000", "0100000"]
    assert progress == sorted(progress) and progress[0] > 0
    assert reader.bytes_read == reader.total_bytes == path.stat().st_size


# ---------------------------------------------------------------- format detection


def test_format_by_extension_of_the_given_filename_and_by_content(tmp_path: Path) -> None:
    path = write(tmp_path, "upload.bin", b'[{"a": 1}]')
    assert open_table(path).format == "json"
    assert open_table(path, filename="x.json").format == "json"
    assert open_table(write(tmp_path, "u2.bin", b'{"a": 1}\n')).format == "ndjson"
    assert open_table(write(tmp_path, "u3.bin", b"a,b\n1,2\n")).format == "csv"


def test_unknown_format(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"a\n1\n")
    with pytest.raises(BadRequest) as excinfo:
        open_table(path, format="pdf")
    assert error(excinfo) == "unknown_format"
    with pytest.raises(BadRequest) as excinfo:
        open_table(write(tmp_path, "a.bin", b"\x00\x01\x02binary\x00"))
    assert error(excinfo) == "unknown_format"


# ---------------------------------------------------------------- spreadsheets


def write_xlsx(path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("说明")  # an empty first sheet is skipped
    sheet = workbook.add_worksheet("数据")
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, ["所属区县", "人口", "比例", "日期", "更新时间", "达标", "编码"])
    sheet.write_row(1, 0, ["朝阳区", 3452000, 0.1])
    sheet.write_datetime(1, 3, dt.datetime(2024, 1, 5), date)
    sheet.write_datetime(1, 4, dt.datetime(2024, 1, 5, 8, 30), stamp)
    sheet.write_boolean(1, 5, True)
    sheet.write_string(1, 6, "000123")
    sheet.write_row(2, 0, ["海淀区", 1.5, -2.25, None, None, False, " "])
    sheet.write_row(3, 0, [""] * 7)  # trailing empty row
    workbook.close()


def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path)
    reader = open_table(path)
    assert reader.format == "xlsx"
    assert reader.encoding is None
    assert reader.labels[0] == "所属区县"
    assert rows(reader) == [
        {
            "所属区县": "朝阳区",
            "人口": "3452000",
            "比例": "0.1",
            "日期": "2024-01-05",
            "更新时间": "2024-01-05 08:30:00",
            "达标": "true",
            "编码": "000123",
        },
        {
            "所属区县": "海淀区",
            "人口": "1.5",
            "比例": "-2.25",
            "日期": None,
            "更新时间": None,
            "达标": "false",
            "编码": None,
        },
    ]
    assert reader.bytes_read == reader.total_bytes


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path)
    with pytest.raises(BadRequest) as excinfo:
        open_table(path, sheet="说明")
    assert error(excinfo) == "empty_file"
    with pytest.raises(BadRequest) as excinfo:
        open_table(path, sheet="缺失")
    assert excinfo.value.details["sheets"] == ["说明", "数据"]


def test_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(BadRequest) as excinfo:
        open_table(path)
    assert error(excinfo) == "corrupt_file"


def test_zip_bomb_xlsx_is_rejected_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(zeros)
    assert path.stat().st_size < 2 << 20
    with pytest.raises(BadRequest) as excinfo:
        open_table(path, filename="报表.xlsx")
    assert error(excinfo) == "zip_bomb"


# ---------------------------------------------------------------- JSON


def test_json_array_keeps_number_text_and_nested_values(tmp_path: Path) -> None:
    records = (
        '[{"编码": "000123", "值": 1.50, "开放": true, "标签": ["a", 2]},\n'
        ' {"编码": "7", "备注": null}]'
    )
    reader = open_table(write(tmp_path, "a.json", records.encode()))
    assert reader.format == "json"
    assert reader.labels == ["编码", "值", "开放", "标签", "备注"]
    assert rows(reader) == [
        {"编码": "000123", "值": "1.50", "开放": "true", "标签": '["a",2]', "备注": None},
        {"编码": "7", "值": None, "开放": None, "标签": None, "备注": None},
    ]


def test_json_key_not_seen_in_the_first_batch_is_ragged(tmp_path: Path) -> None:
    records = [{"a": str(i)} for i in range(5)] + [{"a": "x", "b": "y"}]
    path = write(tmp_path, "a.json", json.dumps(records).encode())
    with pytest.raises(BadRequest) as excinfo:
        rows(open_table(path, batch_rows=3))
    assert error(excinfo) == "ragged_rows"
    assert excinfo.value.details["row"] == 6


def test_ndjson_streams_in_batches(tmp_path: Path) -> None:
    lines = "".join(
        json.dumps({"编号": i, "名称": f"站{i}"}, ensure_ascii=False) + "\n" for i in range(7)
    )
    reader = open_table(write(tmp_path, "a.jsonl", lines.encode()), batch_rows=3)
    assert reader.format == "ndjson"
    batches = list(reader.batches())
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert batches[2].to_pylist() == [{"编号": "6", "名称": "站6"}]


def test_invalid_json_is_corrupt(tmp_path: Path) -> None:
    for name, data in [("a.json", b'[{"a": 1}, {"a": '), ("b.ndjson", b'{"a": 1}\n{"a" 2}\n')]:
        with pytest.raises(BadRequest) as excinfo:
            rows(open_table(write(tmp_path, name, data)))
        assert error(excinfo) == "corrupt_file", name


def test_empty_json_array_is_no_rows(tmp_path: Path) -> None:
    with pytest.raises(BadRequest) as excinfo:
        open_table(write(tmp_path, "a.json", b" [ ] "))
    assert error(excinfo) == "no_rows"


# ---------------------------------------------------------------- Parquet


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    table = pa.table(
        {
            "编码": ["000123", None],
            "人口": pa.array([3452000, 12], pa.int64()),
            "比例": [0.5, 2.0],
            "日期": [dt.date(2024, 1, 5), None],
            "更新时间": pa.array([dt.datetime(2024, 1, 5, 8, 30), None], pa.timestamp("us")),
            "达标": [True, False],
        }
    )
    pq.write_table(table, path, row_group_size=1)
    reader = open_table(path, filename="upload")
    assert reader.format == "parquet"
    assert rows(reader) == [
        {
            "编码": "000123",
            "人口": "3452000",
            "比例": "0.5",
            "日期": "2024-01-05",
            "更新时间": "2024-01-05 08:30:00",
            "达标": "true",
        },
        {"编码": None, "人口": "12", "比例": "2", "日期": None, "更新时间": None, "达标": "false"},
    ]
    assert reader.bytes_read == reader.total_bytes


def test_broken_parquet_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": ["x"] * 100}), path)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(BadRequest) as excinfo:
        rows(open_table(path))
    assert error(excinfo) == "corrupt_file"


def _ods_cell(value: str, number: bool = False) -> str:
    kind = (
        f'office:value-type="float" office:value="{value}"'
        if number
        else ('office:value-type="string"')
    )
    return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"


# calamine wants the rows without whitespace between the cells, as office suites write them.
ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="学校">'
    "<table:table-row>"
    + _ods_cell("学校名称")
    + _ods_cell("学生人数")
    + _ods_cell("邮政编码")
    + "</table:table-row><table:table-row>"
    + _ods_cell("济南第一中学")
    + _ods_cell("2400", number=True)
    + _ods_cell("050001")
    + "</table:table-row></table:table></office:spreadsheet></office:body>"
    "</office:document-content>"
)
ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def test_an_ods_spreadsheet_from_libreoffice_or_wps_reads_like_xlsx(tmp_path: Path) -> None:
    # A minimal OpenDocument spreadsheet, built by hand (no ODS writer is a dependency).
    path = tmp_path / "schools.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        z.writestr("content.xml", ODS_CONTENT, compress_type=zipfile.ZIP_DEFLATED)

    reader = open_table(path)

    assert reader.format == "ods"
    assert reader.labels == ["学校名称", "学生人数", "邮政编码"]
    rows = [row for batch in reader.batches() for row in batch.to_pylist()]
    assert rows == [{"学校名称": "济南第一中学", "学生人数": "2400", "邮政编码": "050001"}]


# ---------------------------------------------------------------- row numbers
# `first_row` is the number a steward sees for the first data row on opening the file in a
# spreadsheet; row errors count from it (regression: the report counted data rows, one less
# than the row Excel or WPS shows, and the ragged-row message counted lines).


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_the_file(tmp_path: Path) -> None:
    header = open_table(write(tmp_path, "a.csv", b"a,b\nx,1\n"))
    blank_lines = open_table(write(tmp_path, "b.csv", b"\n\r\na,b\nx,1\n"))
    no_header = open_table(write(tmp_path, "c.csv", b"1,2\n3,4\n"))

    assert (header.first_row, blank_lines.first_row, no_header.first_row) == (2, 4, 1)


def test_the_ragged_row_message_counts_rows_as_first_row_does(tmp_path: Path) -> None:
    reader = open_table(write(tmp_path, "a.csv", b"\n\na,b\n1,2\n3,4,5\n"))

    with pytest.raises(BadRequest) as excinfo:
        rows(reader)

    # Row 5 is the second data row: first_row (4) + 1.
    assert reader.first_row + 1 == excinfo.value.details["row"] == 5
    assert "Row 5 has 3 cells" in excinfo.value.message


def test_xlsx_rows_are_the_sheets_own_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("数据")
    # Blank rows 1–2, a title on row 3, a blank row 4, the header on row 5 (from column B).
    sheet.merge_range(2, 1, 2, 2, "2024年济南市空气质量监测数据")
    sheet.write_row(4, 1, ["监测站点", "PM2.5浓度"])
    sheet.write_row(5, 1, ["泉城广场", 35.5])
    sheet.write_row(6, 1, ["奥体中心", 41])
    workbook.close()

    reader = open_table(path)

    assert reader.labels == ["监测站点", "PM2.5浓度"]
    assert reader.first_row == 6
    assert [r["监测站点"] for r in rows(reader)] == ["泉城广场", "奥体中心"]


def test_a_sheet_without_a_title_or_header_starts_at_its_first_row_with_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("数据")
    sheet.write_row(3, 0, [1, 2])
    sheet.write_row(4, 0, [3, 4])
    workbook.close()

    reader = open_table(path)

    assert reader.labels == ["column_1", "column_2"]
    assert reader.first_row == 4


def test_a_one_column_sheet_keeps_its_first_cell_as_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("数据")
    sheet.write_column(0, 0, ["站点", "泉城广场", "奥体中心"])
    workbook.close()

    reader = open_table(path)

    assert (reader.labels, reader.first_row) == (["站点"], 2)


def test_json_and_parquet_rows_are_record_numbers(tmp_path: Path) -> None:
    ndjson = open_table(write(tmp_path, "a.ndjson", b'{"a": 1}\n{"a": 2}\n'))
    array = open_table(write(tmp_path, "a.json", b'[{"a": 1}, {"a": 2}]'))
    parquet = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), parquet)

    assert (ndjson.first_row, array.first_row, open_table(parquet).first_row) == (1, 1, 1)
