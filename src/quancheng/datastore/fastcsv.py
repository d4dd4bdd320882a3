"""The fast path of CSV/TSV ingest: the engine reads the file itself, checked and cast in SQL.

The Python path parses every row in Arrow, validates and profiles it, stages it as text and
casts it at finalize. Here only the first batch (the sample) goes through that Python code,
which decides the column types and proves the sample valid; then the engine reads the whole
file straight into the typed table (DuckDB `read_csv`; on PostgreSQL one `COPY` of the file
while DuckDB checks the same file in this process), every value guarded by a SQL condition
that holds exactly when the Python path would have typed and validated it the same way.

A value the sample did not foresee (a code with a leading zero in an integer column, an
invalid mobile number, a date that does not exist, a ragged row, odd quoting) stops the
engine, nothing is kept, and the caller loads the file the Python way, which gives the exact
types, row error report and messages. So the fast path stores what the Python path would
store, or nothing.
"""

from __future__ import annotations

import codecs
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from quancheng.datastore import infer, readers, validate
from quancheng.datastore.backends import sqlbuild
from quancheng.datastore.backends.base import ROWID, Backend, CsvCopy, EngineRefused
from quancheng.datastore.policy import ItemInfo
from quancheng.datastore.query import QuerySpec
from quancheng.datastore.schema import DATE_PATTERN, TIMESTAMP_PATTERN, Column, ColumnType
from quancheng.errors import BadRequest

log = logging.getLogger("quancheng.datastore")
D = sqlbuild.DUCKDB
T = ColumnType

# What pyarrow's utf8_is_space and utf8_trim_whitespace take for white space (the readers
# make a cell of only these NULL; validation trims them), as an RE2 class.
SPACE_CODEPOINTS = (
    *range(0x09, 0x0E),
    *range(0x1C, 0x21),
    0x85,
    0xA0,
    0x1680,
    *range(0x2000, 0x200B),
    0x2028,
    0x2029,
    0x202F,
    0x205F,
    0x3000,
)
_SPACES = "".join(chr(c) for c in SPACE_CODEPOINTS)
_WS = (
    r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}]"
)
# A value can only be blank if it starts with one of these ranges (a cheap test first).
_BLANK_STARTS = (
    ("\x85", "\xa1"),
    ("\u1680", "\u1681"),
    ("\u2000", "\u2060"),
    ("\u3000", "\u3001"),
)

# Canonical forms, cast directly; the forms PostgreSQL's own input functions read exactly as
# our casts do. Years start at 1000 and integers have at most 10 digits (11 or more make a
# column TEXT: a phone or an ID number).
_YEAR = r"[1-9][0-9]{3}"
_ISO_DATE = _YEAR + r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_ISO_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_INT = r"[+-]?(?:0|[1-9][0-9]{0,9})"
_DBL = r"[+-]?(?:(?:0|[1-9][0-9]{0,9})(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_FAST = {
    T.INTEGER: _INT,
    T.DOUBLE: _DBL,
    T.DATE: _ISO_DATE,
    T.TIMESTAMP: _ISO_DATE + " " + _ISO_CLOCK,
    T.BOOLEAN: "(?i:true|false)",
}
# Every other form inference admits (RE2's \s is what INTEGER_PATTERN etc. mean by space),
# cast by sqlbuild's finalize expressions.
_GENERAL = {
    T.INTEGER: r"^\s*" + _INT + r"\s*$",
    T.DOUBLE: r"^\s*" + _DBL + r"\s*$",
    T.DATE: DATE_PATTERN.replace(r"(\d{4})", "(" + _YEAR + ")", 1),
    T.TIMESTAMP: TIMESTAMP_PATTERN.replace(r"(\d{4})", "(" + _YEAR + ")", 1),
}
# Validation rules restated on the raw cell (white space around the trimmed value).
_CORES = {
    "integer_text": r"[+-]?[0-9]+",
    "number_text": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
    # ASCII forms only; other Unicode digits go the Python way.
    "mobile": r"1[3-9][0-9]{9}",
    "postcode": r"[0-9]{6}",
}
# An 11-digit number starting 10, 11 or 12 is the only contact phone that is wrong.
_BAD_CONTACT_PHONE = _WS + r"*1[0-2][0-9]{9}" + _WS + "*"
# Rules a stored type proves already.
_IMPLIED = {
    T.INTEGER: {"integer_text", "number_text"},
    T.DOUBLE: {"number_text"},
    T.DATE: {"date", "date_or_timestamp"},
    T.TIMESTAMP: {"date_or_timestamp"},
    T.BOOLEAN: {"logical"},
}
# Rules checked by validate's own code on the stored text after the load.
_AFTERWARDS = {"date", "date_or_timestamp", "logical", "id_number", "id_or_credit_code"}
_AFTERWARDS |= {"credit_code", "bank_card"}
# Rows the types and checks are decided on: more guess better, fewer cost less up front.
SAMPLE_ROWS = 10_000
_TRANSCODE_CHUNK = 4 << 20
_TRANSCODED = "source.csv"
# The extra column of every read, and a NULL string no cell holds (see _read_csv).
_EXTRA = "_QC_EXTRA_"
_NO_NULL = "\x01qc:no-null\x01"


@dataclass(frozen=True)
class Loaded:
    """What the fast path stored: the typed, item-linked columns and the row count."""

    columns: list[Column]
    rows: int


@dataclass(frozen=True)
class _Plan:
    columns: list[Column]
    # Per column: the conditions on the raw cell its data items ask for (SQL, true when ok).
    conditions: list[list[str]]
    # TEXT columns whose rules validate's code checks on the stored values afterwards.
    afterwards: list[Column]
    # TEXT columns whose type only the whole column decides (a sample of empty cells, or
    # of same-length codes that later rows may contradict).
    unsettled: list[tuple[Column, str | None]]
    items: list[ItemInfo]
    sample_rows: int
    whole_file: bool


def load(
    backend: Backend,
    reader: readers.CsvReader,
    items: Sequence[ItemInfo],
    *,
    table: str,
    staging: str,
    beat: Callable[[int], None],
) -> Loaded | None:
    """Load the reader's file into typed `table`; None (nothing kept) when Python must."""
    if backend.dialect not in ("duckdb", "postgres"):
        return None
    plan = _plan(reader, items)
    if plan is None:
        return None
    backend.create_staging(staging, reader.names)
    try:
        beat(0)
        source = _utf8_source(backend, reader, staging)
        total = reader.total_bytes

        def progress(fraction: float) -> None:
            beat(int(total * fraction))

        if not _quotes_plain(source, reader.delimiter):
            return None
        if backend.dialect == "duckdb":
            try:
                select = _select(plan, reader, source, parallel=True)
                rows = backend.create_from_files(table, select, progress=progress, numbered=ROWID)
            except EngineRefused as refused:
                if "parallel=false" not in str(refused):
                    raise
                # Quoted line breaks: DuckDB reads them in one thread only.
                select = _select(plan, reader, source, parallel=False)
                rows = backend.create_from_files(table, select, progress=progress, numbered=ROWID)
        else:
            rows = _copy(backend, plan, reader, source, table, progress, beat)
        if not _rows_agree(plan, rows) or not _settled(backend, plan, table):
            log.info("fast ingest of %s undone: the sample misled it", reader.path.name)
            backend.drop(table)
            return None
        log.debug("fast ingest of %s: %s rows", reader.path.name, rows)
        return Loaded(plan.columns, rows)
    except EngineRefused as refused:
        reason = str(refused).strip().split("\n", 1)[0]
        log.info("fast ingest refused (%s); loading %s in Python", reason, reader.path.name)
        backend.drop(table)
        return None
    finally:
        backend.drop(staging)


# -- plan ----------------------------------------------------------------------------------


def _plan(reader: readers.CsvReader, items: Sequence[ItemInfo]) -> _Plan | None:
    """Types and checks from the sample, exactly as the Python path decides them."""
    if len(reader.names) < 2 or _EXTRA in reader.names:
        # One column: pyarrow skips empty lines, DuckDB reads them as rows of one NULL.
        return None
    if reader.encoding == "utf-8-sig" and not reader.has_header:
        return None  # whether the engine keeps the BOM in the first cell is not ours to know
    try:
        sample = reader.sample(SAMPLE_ROWS)
    except BadRequest:
        return None  # the Python path names the problem
    if sample is None:
        return None
    text_columns = [
        Column(name=n, label=lb) for n, lb in zip(reader.names, reader.labels, strict=True)
    ]
    linked = validate.link_items(text_columns, items)
    validator = validate.RowValidator(linked, items)
    if validator.check(sample, reader.first_row).errors:
        return None  # the Python path writes the report
    profiles = [infer.ColumnProfile() for _ in linked]
    for profile, values in zip(profiles, sample.columns, strict=True):
        profile.observe(values)
    hints = _hints(linked, items)
    inferred = infer.infer_columns(reader.names, reader.labels, profiles, hints)
    columns = [replace(c, item=link.item) for c, link in zip(inferred, linked, strict=True)]
    checks = {c.column.name: c for c in validator.plans}
    conditions: list[list[str]] = []
    afterwards: list[Column] = []
    unsettled: list[tuple[Column, str | None]] = []
    for column, profile, hint in zip(columns, profiles, hints, strict=True):
        found = checks.get(column.name)
        kinds = found.kinds if found else ()
        conds: list[str] = []
        later = False
        for kind in kinds:
            if kind in _IMPLIED.get(column.type, set()):
                continue
            cond = _rule_condition(kind, D.quote(column.name))
            if cond is not None:
                conds.append(cond)
            elif kind in _AFTERWARDS and column.type is T.TEXT:
                later = True
            else:
                return None
        if found and found.required:
            return None  # ingest itself never requires; keep the one path that does simple
        conditions.append(conds)
        if later:
            afterwards.append(column)
        if column.type is T.TEXT and not _text_settled(column, profile, hint):
            unsettled.append((column, hint))
    whole = sample.num_rows < SAMPLE_ROWS
    return _Plan(columns, conditions, afterwards, unsettled, list(items), sample.num_rows, whole)


def _hints(columns: Sequence[Column], items: Sequence[ItemInfo]) -> list[str | None]:
    types = {i.name: i.data_type for i in items}
    return [types.get(c.item) if c.item else None for c in columns]


def _text_settled(column: Column, profile: infer.ColumnProfile, hint: str | None) -> bool:
    """Whether a TEXT column stays TEXT whatever the rows after the sample hold."""
    if infer.label_names_code(column.label) or infer.label_names_code(column.name):
        return True
    if profile.count == 0:
        return False
    candidates = (profile.boolean, profile.integer, profile.double, profile.date)
    if not any(candidates) and not profile.timestamp:
        return True  # some value is no number, date or yes/no word
    if (profile.integer or profile.double) and profile.long_digits:
        return True  # later rows only add values: the long number stays
    # Kept TEXT by the catalog item's type: later rows can only widen the sample's type
    # (integer to double, anything to text), and no item type admits the wider one again.
    numeric = (hint or "").strip().upper() in {"I", "N", "F", "Y"}
    kind, _ = profile.candidate(numeric_hint=numeric)
    return kind is not T.TEXT


# -- SQL -----------------------------------------------------------------------------------


def _lit(text: str) -> str:
    return D.literal(text)


def _maybe_blank(x: str) -> str:
    tests = [f"{x} < '!'"] + [f"({x} >= {_lit(a)} AND {x} < {_lit(b)})" for a, b in _BLANK_STARTS]
    return "(" + " OR ".join(tests) + ")"


def _blank(x: str) -> str:
    return f"regexp_full_match({x}, {_lit(_WS + '*')})"


def _rule_condition(kind: str, x: str) -> str | None:
    """A SQL condition on raw cell `x` true exactly when the rule passes (or None)."""
    core = _CORES.get(kind)
    if core is not None:
        return f"regexp_full_match({x}, {_lit(_WS + '*(?:' + core + ')?' + _WS + '*')})"
    if kind == "contact_phone":
        return f"NOT regexp_full_match({x}, {_lit(_BAD_CONTACT_PHONE)})"
    if kind.startswith(validate.MAX_LENGTH_KIND):
        # Characters (code points, as pyarrow counts them) once trimmed as validation trims.
        limit = int(kind.removeprefix(validate.MAX_LENGTH_KIND))
        return f"(length({x}) <= {limit} OR length(trim({x}, {_lit(_SPACES)})) <= {limit})"
    return None


def _fail(column: Column) -> str:
    return f"error({_lit('qc_fast: ' + column.name)})"


def _value(column: Column, conds: list[str]) -> str:
    """The stored value of a column from its raw cell; raises where Python would differ."""
    x = D.quote(column.name)
    if column.type is T.TEXT:
        value = f"CASE WHEN {_maybe_blank(x)} AND {_blank(x)} THEN NULL ELSE {x} END"
    else:
        sql_type = D.types[column.type]
        branches = [f"WHEN {x} IS NULL THEN NULL"]
        branches.append(
            f"WHEN regexp_full_match({x}, {_lit(_FAST[column.type])}) THEN CAST({x} AS {sql_type})"
        )
        general = _GENERAL.get(column.type)
        cast = sqlbuild.cast_expr(D, column)
        if general is not None:
            branches.append(f"WHEN regexp_matches({x}, {_lit(general)}) THEN {cast}")
        else:
            branches.append(f"WHEN NOT {_blank(x)} THEN {cast}")
        branches.append(f"WHEN {_blank(x)} THEN NULL")
        value = f"CASE {' '.join(branches)} ELSE {_fail(column)} END"
    if conds:
        ok = " AND ".join(conds)
        value = f"CASE WHEN {x} IS NULL OR ({ok}) THEN {value} ELSE {_fail(column)} END"
    return value


def _read_csv(reader: readers.CsvReader, path: Path, *, parallel: bool) -> str:
    """DuckDB's read of the file, with one column more than the header and no NULL string.

    DuckDB drops empty fields after the last column (pyarrow calls such a row ragged) and
    pads short rows: the extra column and NULL (which then means "no such field") show both.
    """
    names = [*reader.names, _EXTRA]
    columns = ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names)
    header = "true" if reader.has_header else "false"
    return (
        f"read_csv({_lit(str(path))}, columns={{{columns}}}, auto_detect=false, "
        f"header={header}, skip={reader.leading_blank_lines}, "
        f"delim={_lit(reader.delimiter)}, quote='\"', escape='\"', strict_mode=true, "
        f"null_padding=true, nullstr={_lit(_NO_NULL)}, parallel={str(parallel).lower()})"
    )


def _whole_rows(reader: readers.CsvReader) -> str:
    """A WHERE condition that raises on a row with fewer or more fields than the header."""
    present = " AND ".join(f"{D.quote(n)} IS NOT NULL" for n in reader.names)
    whole = f"{D.quote(_EXTRA)} IS NULL AND {present}"
    return f"CASE WHEN {whole} THEN true ELSE error('qc_fast: ragged row') END"


def _select(plan: _Plan, reader: readers.CsvReader, path: Path, *, parallel: bool) -> str:
    """The SELECT of the typed table, `_rowid` first, in file order."""
    values = [
        f"{_value(c, conds)} AS {D.quote(c.name)}"
        for c, conds in zip(plan.columns, plan.conditions, strict=True)
    ]
    # Numbered by the engine once the rows are in (create_from_files, `numbered`).
    rowid = f"CAST(NULL AS BIGINT) AS {D.quote(ROWID)}"
    source = _read_csv(reader, path, parallel=parallel)
    return (
        f"SELECT {rowid}, {', '.join(values)} FROM {source} "  # noqa: S608
        f"WHERE {_whole_rows(reader)}"
    )


def _check_select(
    plan: _Plan, reader: readers.CsvReader, path: Path, *, parallel: bool
) -> tuple[str, list[str]]:
    """A query over the file that fails where COPY would store other values than Python.

    It answers the row count and, per TEXT column, how many cells are only white space
    (NULL for the readers, kept by COPY; empty ones COPY makes NULL itself).
    """
    guards: list[str] = []
    blanks: list[str] = []
    texts: list[str] = []
    for column, conds in zip(plan.columns, plan.conditions, strict=True):
        x = D.quote(column.name)
        ok = list(conds)
        if column.type is T.TEXT:
            texts.append(column.name)
            blanks.append(
                f"count(*) FILTER (WHERE {x} <> '' AND {_maybe_blank(x)} AND {_blank(x)})"
            )
        else:
            ok.append(f"({x} = '' OR regexp_full_match({x}, {_lit(_FAST[column.type])}))")
        if ok:
            guards.append(f"CASE WHEN {' AND '.join(ok)} THEN 0 ELSE {_fail(column)} END")
    checked = f"sum({' + '.join(guards)})" if guards else "0"
    source = _read_csv(reader, path, parallel=parallel)
    sql = (
        f"SELECT count(*), {checked}, {', '.join(blanks) or '0'} "  # noqa: S608
        f"FROM {source} WHERE {_whole_rows(reader)}"
    )
    return sql, texts


def _quotes_plain(path: Path, delimiter: str) -> bool:
    """Whether no quote of the file touches white space outside it.

    DuckDB drops the spaces between a delimiter and a quoted value (`a, "b"`) where pyarrow
    keeps them as part of an unquoted value; such files go the Python way. A quote inside
    quoted text next to a space (`"say ""hi"" now"`) is counted too: slower, never wrong.
    """
    near = [b' "', b'" ']
    if delimiter != "\t":
        near += [b'\t"', b'"\t']
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_TRANSCODE_CHUNK):
            if b'"' in chunk or tail == b'"':
                window = tail + chunk
                if any(pattern in window for pattern in near):
                    return False
            tail = chunk[-1:]
    return True


# -- sources -------------------------------------------------------------------------------


def _utf8_source(backend: Backend, reader: readers.CsvReader, staging: str) -> Path:
    """The file as UTF-8: itself, or transcoded into the staging directory."""
    if reader.encoding in ("utf-8", "utf-8-sig"):
        return reader.path
    target = backend.staging_dir(staging) / _TRANSCODED
    decoder = codecs.getincrementaldecoder(str(reader.encoding))(errors="strict")
    try:
        with reader.path.open("rb") as raw, target.open("wb") as out:
            while chunk := raw.read(_TRANSCODE_CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as error:
        raise EngineRefused(f"not {reader.encoding}: {error}") from error
    return target


def _data_offset(reader: readers.CsvReader, path: Path) -> int | None:
    """Where the data rows start in a UTF-8 file (None when the header is not one line)."""
    with path.open("rb") as f:
        head = f.read(readers.SAMPLE_BYTES)
    offset = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    lines = reader.leading_blank_lines + (1 if reader.has_header else 0)
    for _ in range(lines):
        end = head.find(b"\n", offset)
        line = head[offset:end]
        if end < 0 or b'"' in line or b"\r" in line.rstrip(b"\r"):
            return None
        offset = end + 1
    return offset


# -- PostgreSQL ------------------------------------------------------------------------------


def _copy(
    backend: Backend,
    plan: _Plan,
    reader: readers.CsvReader,
    path: Path,
    table: str,
    progress: Callable[[float], None],
    beat: Callable[[int], None],
) -> int:
    """COPY the file into the typed table while DuckDB checks the same file here."""
    offset = _data_offset(reader, path)
    if offset is None:
        raise EngineRefused("the header is not one plain line")
    # One thread (the server parses the COPY on the other core), so the serial reader.
    sql, texts = _check_select(plan, reader, path, parallel=False)
    outcome: dict[str, Any] = {}

    def check() -> None:
        try:
            # One thread: the server parses the COPY on the other core.
            con = duckdb.connect(config={"memory_limit": "256MB", "threads": 1})
            try:
                con.execute("SET enable_progress_bar = false")
                outcome["row"] = con.execute(sql).fetchone()
            finally:
                con.close()
        except BaseException as error:  # handed to the COPY's thread
            outcome["error"] = error

    worker = threading.Thread(target=check, name="qc-ingest-check", daemon=True)
    worker.start()

    def confirm(rows: int) -> list[str]:
        while worker.is_alive():
            worker.join(0.5)
            beat(reader.total_bytes)
        error = outcome.get("error")
        if isinstance(error, duckdb.Error):
            raise EngineRefused(str(error).splitlines()[0])
        if error is not None:
            raise error
        found = outcome["row"]
        if int(found[0]) != rows:
            raise EngineRefused(f"COPY read {rows} rows, DuckDB {found[0]}")
        counts = found[2 : 2 + len(texts)] if texts else []
        return [name for name, n in zip(texts, counts, strict=True) if n]

    source = CsvCopy(
        path=path, encoding="UTF8", offset=offset, delimiter=reader.delimiter, confirm=confirm
    )
    try:
        return backend.copy_file(table, plan.columns, source, progress=progress)
    finally:
        worker.join()


# -- after the load ------------------------------------------------------------------------


def _rows_agree(plan: _Plan, rows: int) -> bool:
    """The engine read as many rows as pyarrow would (as far as the sample tells)."""
    return rows == plan.sample_rows if plan.whole_file else rows >= plan.sample_rows


def _settled(backend: Backend, plan: _Plan, table: str) -> bool:
    """Rules and types that need every stored value, checked by the Python path's own code."""
    for column in plan.afterwards:
        validator = validate.RowValidator([column], plan.items)
        for batch in _column_batches(backend, table, column):
            if validator.check(batch, 1).errors:
                return False
    for column, hint in plan.unsettled:
        profile = infer.ColumnProfile()
        for batch in _column_batches(backend, table, column):
            profile.observe(batch.column(0))
        typed = infer.infer_columns([column.name], [column.label], [profile], [hint])
        if typed[0].type is not T.TEXT:
            return False
    return True


def _column_batches(backend: Backend, table: str, column: Column) -> Iterator[pa.RecordBatch]:
    """The distinct stored values of a column, batch by batch."""
    spec = QuerySpec(fields=(column.name,), limit=0)
    for batch in backend.stream(table, [column], spec, batch_rows=100_000):
        values = batch.column(0)
        yield pa.record_batch([pc.unique(values)], names=[column.name])
