"""Bounded fuzzing of the ingest readers, the SQL guard and the NGSI-LD parsers.

The property everywhere: the code answers, or refuses with one of our clear errors (a
PlatformError with a 4xx status); it never fails with any other exception.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quancheng.datastore.infer import ColumnProfile, infer_columns
from quancheng.datastore.readers import detect_encoding, open_table
from quancheng.datastore.sqlguard import SqlTable, check_sql
from quancheng.errors import PlatformError
from quancheng.operations import ngsi

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def clear_or_fine(call: Callable[[], Any]) -> Any:
    """Run `call`; our 4xx errors are an answer, anything else propagates and fails the test."""
    try:
        return call()
    except PlatformError as err:
        assert 400 <= err.status < 500, f"{type(err).__name__} {err.status}: {err.message}"
        return None


# -- ingest: sniffers, readers and type inference -------------------------------------------

CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "1", "-0", "1e309", "NaN", "2024-02-30", "2024-01-01 25:00", "true", "是", '"', "=1+1"]
    ),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
)
SEPARATORS = st.sampled_from([",", "\t", ";", "|", ", ", ""])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"])


@st.composite
def delimited_text(draw: st.DrawFn) -> bytes:
    """CSV-like garbage: ragged rows, stray quotes, mixed separators and encodings."""
    sep = draw(SEPARATORS)
    newline = draw(NEWLINES)
    rows = draw(st.lists(st.lists(CELLS, max_size=6), min_size=1, max_size=8))
    text = newline.join(sep.join(row) for row in rows)
    encoding = draw(ENCODINGS)
    return text.encode(encoding, errors="replace")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def json_text(draw: st.DrawFn) -> bytes:
    """JSON and NDJSON: arrays of records, odd values, truncated documents."""
    records = draw(st.lists(JSON_VALUES, max_size=6))
    if draw(st.booleans()):
        text = json.dumps(records, allow_nan=True)
    else:
        text = "\n".join(json.dumps(r, allow_nan=True) for r in records)
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    return (text if draw(st.booleans()) else text[:cut]).encode()


FILE_NAMES = st.sampled_from(
    [
        "a.csv",
        "a.tsv",
        "a.txt",
        "a.json",
        "a.ndjson",
        "a.jsonl",
        "a.xlsx",
        "a.xls",
        "a.ods",
        "a.parquet",
        "a",
        "a.CSV",
    ]
)


def read_everything(data: bytes, filename: str) -> None:
    """Open the bytes as an upload, read every batch and infer the column types."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.bin"
        path.write_bytes(data)

        def run() -> None:
            reader = open_table(path, filename=filename, batch_rows=4)
            profiles = [ColumnProfile() for _ in reader.names]
            for batch in reader.batches():
                for profile, column in zip(profiles, batch.columns, strict=True):
                    profile.observe(column)
            infer_columns(reader.names, reader.labels, profiles)

        clear_or_fine(run)


@FUZZ
@given(data=st.binary(max_size=2048), filename=FILE_NAMES)
def test_random_bytes_never_crash_a_reader(data: bytes, filename: str) -> None:
    read_everything(data, filename)


@FUZZ
@given(data=delimited_text(), filename=st.sampled_from(["a.csv", "a.tsv", "a.txt"]))
def test_delimited_garbage_never_crashes_the_csv_reader(data: bytes, filename: str) -> None:
    read_everything(data, filename)


@FUZZ
@given(data=json_text(), filename=st.sampled_from(["a.json", "a.ndjson", "a.jsonl"]))
def test_json_garbage_never_crashes_the_json_readers(data: bytes, filename: str) -> None:
    read_everything(data, filename)


@FUZZ
@given(sample=st.binary(max_size=512), complete=st.booleans())
def test_encoding_detection_always_names_a_codec(sample: bytes, complete: bool) -> None:
    encoding = clear_or_fine(lambda: detect_encoding(sample, complete=complete))
    if encoding is not None:
        assert "".encode(encoding) is not None  # a codec Python knows


@FUZZ
@given(batches=st.lists(st.lists(st.none() | CELLS, max_size=8), max_size=4))
def test_type_inference_takes_any_strings(batches: list[list[str | None]]) -> None:
    profile = ColumnProfile()
    for batch in batches:
        profile.observe(pa.array(batch, pa.string()))
    kind, _ = profile.result()
    assert kind is not None


# -- the SQL guard of POST /api/v1/sql --------------------------------------------------------

TABLES = {
    "d_370100_ab_0001": SqlTable("d_370100_ab_0001", "t_ab_0001_v3", ["所属区县", "人口", "year"]),
    "people": SqlTable("people", "t_people_v1", ["district", "age"]),
}
# One token a line: keywords, punctuation, names, functions and statements the guard refuses.
SQL_WORDS = tuple(
    """
SELECT
FROM
WHERE
GROUP BY
ORDER BY
LIMIT
OFFSET
UNION
ALL
WITH
AS
JOIN
ON
AND
OR
NOT
IN
LIKE
IS NULL
CASE
WHEN
THEN
END
*
,
(
)
;
--
/*
*/
'
"
`
=
<>
||
+
1
0
-1
9e999
NULL
d_370100_ab_0001
people
t_people_v1
所属区县
人口
year
district
age
count(*)
sum(人口)
read_csv('x')
pg_sleep(1)
sqlite_master
information_schema.tables
DROP TABLE people
INSERT INTO people VALUES (1)
COPY
ATTACH
PRAGMA
EXPLAIN
rowid
$1
?
:x
OVER ()
row_number()
DISTINCT
HAVING
INTERVAL '1 day'
""".strip().splitlines()
)
SQL_TOKENS = st.sampled_from(SQL_WORDS)
SQLISH = st.one_of(
    st.lists(SQL_TOKENS, max_size=16).map(" ".join),
    st.text(max_size=80),
    st.builds(
        lambda a, b: f"SELECT {a} FROM people {b}", st.text(max_size=20), st.text(max_size=20)
    ),
)


@FUZZ
@given(sql=SQLISH, dialect=st.sampled_from(["duckdb", "postgres"]))
def test_the_sql_guard_refuses_clearly_or_passes(sql: str, dialect: str) -> None:
    checked = clear_or_fine(lambda: check_sql(sql, tables=TABLES, dialect=dialect, max_rows=50))
    if checked is not None:
        # What passes reads only the physical tables it was given.
        assert set(checked.tables) <= set(TABLES)
        assert checked.limit <= 50


# -- the NGSI-LD parsers --------------------------------------------------------------------

TYPES = st.sampled_from(["Streetlight", "AirQualityObserved", "Device", "WeatherObserved", "X"])
NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True))
COORDINATES = st.lists(NUMBERS, max_size=3)
GEOMETRY = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint", "Nope", ""]),
        "coordinates": st.one_of(
            COORDINATES,
            st.lists(COORDINATES, max_size=5),
            st.lists(st.lists(COORDINATES, max_size=5), max_size=3),
            JSON_VALUES,
        ),
    }
)
ATTRIBUTE = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["Property", "Relationship", "GeoProperty", "Other"])},
        optional={
            "value": st.one_of(JSON_VALUES, GEOMETRY),
            "object": JSON_VALUES,
            "observedAt": st.one_of(st.text(max_size=30), st.just("2026-06-01T12:00:00Z")),
            "unitCode": JSON_VALUES,
        },
    ),
    JSON_VALUES,
)
ATTR_NAMES = st.one_of(
    st.sampled_from(
        ["location", "status", "powerState", "PM2_5", "dateObserved", "id", "@context"]
    ),
    st.text(max_size=10),
)
ATTRS = st.dictionaries(ATTR_NAMES, ATTRIBUTE, max_size=5)


@st.composite
def entities(draw: st.DrawFn) -> Any:
    """Entity-shaped JSON (id, type, attributes) or anything at all."""
    if draw(st.booleans()):
        return draw(JSON_VALUES)
    body: dict[str, Any] = draw(ATTRS)
    body["id"] = draw(st.one_of(st.text(max_size=20), st.just("urn:ngsi-ld:Streetlight:x")))
    body["type"] = draw(st.one_of(TYPES, JSON_VALUES))
    return body


@FUZZ
@given(body=entities())
def test_parse_entity_takes_any_json(body: Any) -> None:
    clear_or_fine(lambda: ngsi.parse_entity(body, now=NOW, future_seconds=300))


@FUZZ
@given(entity_type=TYPES, attrs=ATTRS)
def test_parse_attrs_takes_any_attributes(entity_type: str, attrs: dict[str, Any]) -> None:
    clear_or_fine(lambda: ngsi.parse_attrs(entity_type, attrs, now=NOW, future_seconds=300))


@FUZZ
@given(entity_type=TYPES, payload=st.one_of(ATTRS, st.dictionaries(ATTR_NAMES, JSON_VALUES)))
def test_device_messages_take_any_json(entity_type: str, payload: Any) -> None:
    clear_or_fine(lambda: ngsi.device_attrs(entity_type, payload, now=NOW, future_seconds=300))


Q_WORDS = (
    "status",
    "PM2_5",
    "a.b",
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "~=",
    ";",
    "|",
    "(",
    ")",
    "..",
    "'ok'",
    '"ok"',
    "1",
    "-1.5",
    "1e309",
    "2026-01-01T00:00:00Z",
    ",",
    " ",
    "!",
    "''",
    "\\\\",
)
Q_TOKENS = st.sampled_from(Q_WORDS)


@FUZZ
@given(q=st.one_of(st.lists(Q_TOKENS, max_size=10).map("".join), st.text(max_size=40)))
def test_parse_q_takes_any_query(q: str) -> None:
    terms = clear_or_fine(lambda: ngsi.parse_q(q))
    if terms is not None:
        # A parsed query can be evaluated against any attributes.
        ngsi.matches_q(terms, {"status": {"type": "Property", "value": "ok"}})


@FUZZ
@given(
    georel=st.one_of(
        st.sampled_from(["near;maxDistance==100", "near;minDistance==-1", "within", "intersects"]),
        st.text(max_size=30),
    ),
    geometry=st.one_of(st.none(), st.sampled_from(["Point", "Polygon", "LineString", ""])),
    coordinates=st.one_of(
        st.none(), st.text(max_size=40), st.lists(COORDINATES, max_size=4).map(json.dumps)
    ),
)
def test_parse_georel_takes_any_parameters(
    georel: str, geometry: str | None, coordinates: str | None
) -> None:
    clear_or_fine(lambda: ngsi.parse_georel(georel, geometry, coordinates))


@FUZZ
@given(value=st.one_of(GEOMETRY, JSON_VALUES))
def test_geojson_checks_take_any_value(value: Any) -> None:
    clear_or_fine(lambda: ngsi.check_geometry(value))
