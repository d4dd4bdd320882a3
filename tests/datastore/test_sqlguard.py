"""The read-only SQL guard: what users may run, what is refused, and what reaches the backend."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from sqlglot import exp

from quancheng.datastore.query import Filter, Op
from quancheng.datastore.sqlguard import CheckedSql, SqlTable, check_sql
from quancheng.errors import BadRequest
from tests.support.postgres import create_database, drop_database, postgres_admin_url

# 身份证号 exists in the physical table but is masked for this reader, so not readable.
POPULATION = SqlTable("d_370100_ab_0001", "t_ab_0001_v3", ["所属区县", "人口", "year"])
SCHOOLS = SqlTable("d_370100_cd_0002", "t_cd_0002_v1", ["所属区县", "school", "students"])


class LazyTables(Mapping[str, SqlTable]):
    """Like the reader's mapping: lookups only; iterating it would list every table."""

    def __init__(self, *tables: SqlTable) -> None:
        self._tables = {t.name: t for t in tables}
        self.looked_up: list[str] = []

    def __getitem__(self, name: str) -> SqlTable:
        self.looked_up.append(name)
        return self._tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the guard must not enumerate the readable tables")

    def __len__(self) -> int:
        raise AssertionError("the guard must not enumerate the readable tables")


def check(sql: str, *, dialect: str = "duckdb", max_rows: int = 1000) -> CheckedSql:
    return check_sql(
        sql, tables=LazyTables(POPULATION, SCHOOLS), dialect=dialect, max_rows=max_rows
    )


def refused(sql: str) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        check(sql)
    return caught.value


def tables_in(sql: str, dialect: str) -> set[str]:
    return {t.name for t in sqlglot.parse_one(sql, read=dialect).find_all(exp.Table)}


ALLOWED = [
    "SELECT 所属区县, count(*) FROM d_370100_ab_0001 GROUP BY 1",
    'SELECT "所属区县", sum("人口") AS total FROM d_370100_ab_0001 GROUP BY "所属区县" '
    "HAVING sum(人口) > 10 ORDER BY total DESC",
    "SELECT p.所属区县, p.人口, s.school FROM d_370100_ab_0001 p "
    "JOIN d_370100_cd_0002 s ON s.所属区县 = p.所属区县 WHERE s.students >= 100",
    "SELECT 所属区县 FROM d_370100_ab_0001 JOIN d_370100_cd_0002 USING (所属区县)",
    "WITH big AS (SELECT 所属区县 AS k, sum(人口) AS n FROM d_370100_ab_0001 GROUP BY 1) "
    "SELECT k, n FROM big WHERE n > 5",
    "SELECT 所属区县, rank() OVER (PARTITION BY year ORDER BY 人口 DESC) AS r, "
    "lag(人口) OVER (ORDER BY year) FROM d_370100_ab_0001",
    "SELECT k FROM (SELECT 所属区县 AS k FROM d_370100_ab_0001) AS sub",
    "SELECT * FROM d_370100_ab_0001 WHERE 人口 > (SELECT avg(students) FROM d_370100_cd_0002 c "
    "WHERE c.所属区县 = d_370100_ab_0001.所属区县)",
    "SELECT 所属区县 FROM d_370100_ab_0001 "
    "WHERE 所属区县 IN (SELECT 所属区县 FROM d_370100_cd_0002)",
    "SELECT 所属区县 FROM d_370100_ab_0001 UNION SELECT 所属区县 FROM d_370100_cd_0002",
    "SELECT 所属区县 FROM d_370100_ab_0001 EXCEPT SELECT 所属区县 FROM d_370100_cd_0002",
    "SELECT lower(school), upper(school), length(school), substring(school, 1, 2), trim(school), "
    "concat(school, '!'), replace(school, 'a', 'b'), left(school, 1), right(school, 1), "
    "lpad(school, 5, '0'), position('a' IN school), split_part(school, '-', 1), "
    "school || '?' FROM d_370100_cd_0002",
    "SELECT abs(students), round(students / 3.0, 2), floor(students), ceil(students), "
    "power(students, 2), sqrt(students), ln(students + 1), exp(1), mod(students, 7), "
    "greatest(students, 1), least(students, 1) FROM d_370100_cd_0002",
    "SELECT coalesce(school, '-'), nullif(students, 0), CASE WHEN students > 1 THEN 'a' "
    "ELSE 'b' END, CAST(students AS TEXT), students::double precision FROM d_370100_cd_0002",
    "SELECT extract(year FROM current_date), date_trunc('month', current_date), "
    "current_date + INTERVAL '1 day', to_char(current_date, 'YYYY-MM') FROM d_370100_cd_0002",
    "SELECT stddev(students), variance(students), median(students), min(school), max(school), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY students) FROM d_370100_cd_0002",
    "SELECT count(*) FILTER (WHERE students > 10), count(DISTINCT school) FROM d_370100_cd_0002",
    "SELECT _rowid, 所属区县 FROM d_370100_ab_0001 ORDER BY _rowid",
    "SELECT * FROM \"D_370100_AB_0001\" WHERE 所属区县 LIKE '历%' AND 人口 BETWEEN 1 AND 9",
]


@pytest.mark.parametrize("sql", ALLOWED)
@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_allowed_queries_are_rewritten_to_physical_tables(sql: str, dialect: str) -> None:
    checked = check(sql, dialect=dialect)
    # The output is valid SQL of the target dialect and reads physical tables only.
    names = tables_in(checked.sql, dialect)
    assert names <= {"t_ab_0001_v3", "t_cd_0002_v1", "big", "sub"}
    assert "d_370100_ab_0001" not in names and "d_370100_cd_0002" not in names
    assert checked.limit == 1000
    assert set(checked.tables) <= {POPULATION.name, SCHOOLS.name}


def test_reports_public_tables_and_columns_read() -> None:
    checked = check(
        "SELECT p.所属区县, s.school FROM d_370100_ab_0001 p JOIN d_370100_cd_0002 s "
        "ON s.所属区县 = p.所属区县"
    )
    assert checked.tables == ["d_370100_ab_0001", "d_370100_cd_0002"]
    assert "d_370100_cd_0002.school" in checked.columns
    assert "d_370100_ab_0001.所属区县" in checked.columns


def test_star_expands_to_readable_columns_only() -> None:
    checked = check("SELECT * FROM d_370100_ab_0001")
    select = sqlglot.parse_one(checked.sql, read="duckdb")
    assert isinstance(select, exp.Select)
    assert select.named_selects == ["所属区县", "人口", "year"]
    assert "身份证号" not in checked.sql and "_rowid" not in checked.sql


def test_qualified_star_and_nested_star_stay_readable() -> None:
    checked = check(
        "WITH c AS (SELECT * FROM d_370100_ab_0001) "
        "SELECT c.*, s.school FROM c JOIN d_370100_cd_0002 s USING (所属区县)"
    )
    select = sqlglot.parse_one(checked.sql, read="duckdb")
    assert isinstance(select, exp.Select)
    assert select.named_selects == ["所属区县", "人口", "year", "school"]


def test_public_name_stays_usable_as_qualifier_and_user_alias_is_kept() -> None:
    plain = check("SELECT d_370100_ab_0001.人口 FROM d_370100_ab_0001")
    assert 'FROM "t_ab_0001_v3" AS "d_370100_ab_0001"' in plain.sql
    aliased = check("SELECT p.人口 FROM d_370100_ab_0001 AS p")
    assert 'FROM "t_ab_0001_v3" AS "p"' in aliased.sql


def test_cjk_identifiers_are_quoted_in_both_dialects() -> None:
    for dialect in ("duckdb", "postgres"):
        checked = check("SELECT 所属区县 FROM d_370100_ab_0001", dialect=dialect)
        assert '"所属区县"' in checked.sql
        assert sqlglot.parse_one(checked.sql, read=dialect).find(exp.Column) is not None


def test_unnamed_outputs_keep_database_names() -> None:
    checked = check("SELECT count(*) FROM d_370100_ab_0001")
    assert "_col_" not in checked.sql


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM d_370100_ab_0001", 1000),
        ("SELECT * FROM d_370100_ab_0001 LIMIT 5", 5),
        ("SELECT * FROM d_370100_ab_0001 LIMIT 50000", 1000),
        ("SELECT * FROM d_370100_ab_0001 LIMIT ALL", 1000),
        ("SELECT * FROM d_370100_ab_0001 FETCH FIRST 7 ROWS ONLY", 7),
        ("SELECT 所属区县 FROM d_370100_ab_0001 UNION SELECT 所属区县 FROM d_370100_cd_0002", 1000),
        ("SELECT 1 UNION ALL SELECT 2 LIMIT 3", 3),
    ],
)
def test_limit_is_added_or_tightened(sql: str, expected: int) -> None:
    checked = check(sql)
    assert checked.limit == expected
    parsed = sqlglot.parse_one(checked.sql, read="duckdb")
    limit = parsed.args["limit"]
    assert isinstance(limit, exp.Limit)
    assert int(limit.expression.name) == expected


def test_offset_survives_the_limit() -> None:
    checked = check("SELECT * FROM d_370100_ab_0001 LIMIT 5 OFFSET 10")
    assert checked.limit == 5
    assert "OFFSET 10" in checked.sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DROP TABLE x",
        "SELECT 1 -- hidden\n; DROP TABLE x",
        "SELECT 1 /* comment */; DELETE FROM d_370100_ab_0001",
        "INSERT INTO d_370100_ab_0001 VALUES (1)",
        "UPDATE d_370100_ab_0001 SET 人口 = 0",
        "DELETE FROM d_370100_ab_0001",
        "CREATE TABLE x AS SELECT 1",
        "DROP TABLE d_370100_ab_0001",
        "COPY d_370100_ab_0001 TO '/tmp/x.csv'",
        "ATTACH 'other.db'",
        "PRAGMA database_list",
        "SET search_path = public",
        "SELECT * INTO stolen FROM d_370100_ab_0001",
        "SELECT * FROM d_370100_ab_0001 FOR UPDATE",
        "WITH gone AS (DELETE FROM d_370100_ab_0001 RETURNING *) SELECT * FROM gone",
        "EXPLAIN SELECT 1",
        "VALUES (1)",
    ],
)
def test_only_one_select_may_run(sql: str) -> None:
    error = refused(sql)
    assert error.code in {"sql_not_select", "sql_parse_error"}
    if not sql.startswith("ATTACH"):
        assert error.code == "sql_not_select"


def test_a_comment_does_not_hide_a_statement() -> None:
    checked = check("SELECT 1 /* ; DROP TABLE x */")
    assert len(sqlglot.parse(checked.sql, read="duckdb")) == 1
    assert not list(sqlglot.parse_one(checked.sql, read="duckdb").find_all(exp.Drop))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM secret_table",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM pg_class",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM main.d_370100_ab_0001",
        "SELECT * FROM t_ab_0001_v3",
        "SELECT 1 FROM d_370100_ab_0001 WHERE 所属区县 IN (SELECT x FROM secret_table)",
        # `x` names a CTE only inside the derived table, not in the outer FROM.
        "SELECT * FROM (WITH x AS (SELECT 1 AS a) SELECT * FROM x) AS a, x",
    ],
)
def test_tables_outside_the_grant_are_denied(sql: str) -> None:
    error = refused(sql)
    assert error.code == "sql_table_denied"
    assert error.message.startswith("no table ")
    assert error.message.endswith(" that you may read")


def test_denial_does_not_say_whether_a_table_exists() -> None:
    assert (
        refused("SELECT * FROM t_ab_0001_v3").message == "no table t_ab_0001_v3 that you may read"
    )


@pytest.mark.parametrize(
    ("sql", "function"),
    [
        ("SELECT pg_sleep(10)", "pg_sleep"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
        ("SELECT current_setting('data_directory')", "current_setting"),
        ("SELECT getenv('HOME')", "getenv"),
        ("SELECT * FROM read_csv('x')", "read_csv"),
        ("SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
        ("SELECT * FROM range(10)", "range"),
        ("SELECT 所属区县 FROM d_370100_ab_0001 WHERE 人口 > length(version())", "version"),
    ],
)
def test_functions_outside_the_allow_list_are_denied(sql: str, function: str) -> None:
    error = refused(sql)
    assert error.code == "sql_function_denied"
    assert function in error.message


def test_padding_is_to_a_literal_width_of_at_most_a_thousand() -> None:
    # lpad(x, 2000000000, 'b') built a 2 GB string per row in the server's memory.
    assert "lpad" in check("SELECT lpad(所属区县, 12, '0') FROM d_370100_ab_0001").sql.lower()
    assert check("SELECT rpad(所属区县, 1000, ' ') FROM d_370100_ab_0001").sql
    for width in ("2000000000", "1001", "人口", "人口 * 1000", "'12'"):
        for pad in ("lpad", "rpad"):
            error = refused(f"SELECT {pad}(所属区县, {width}, 'b') FROM d_370100_ab_0001")
            assert error.code == "sql_function_denied" and "1000" in error.message


def test_table_valued_series_are_denied() -> None:
    assert refused("SELECT * FROM generate_series(1, 1000000000)").code == "sql_function_denied"


def test_hidden_column_named_explicitly_is_unknown() -> None:
    for sql in (
        "SELECT 身份证号 FROM d_370100_ab_0001",
        "SELECT d_370100_ab_0001.身份证号 FROM d_370100_ab_0001",
        "SELECT p.身份证号 FROM d_370100_ab_0001 p",
        "SELECT 所属区县 FROM d_370100_ab_0001 WHERE 身份证号 = '1'",
        "SELECT 身份证号 AS 身份证号 FROM d_370100_ab_0001",
        "SELECT 所属区县 AS a FROM d_370100_ab_0001 ORDER BY 身份证号",
        "SELECT k FROM (SELECT 身份证号 AS k FROM d_370100_ab_0001) s",
        "SELECT s.nope FROM (SELECT 所属区县 AS k FROM d_370100_ab_0001) s",
    ):
        error = refused(sql)
        assert error.code == "unknown_column", sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT d_370100_ab_0001 FROM d_370100_ab_0001",
        "SELECT p FROM d_370100_ab_0001 AS p",
        "SELECT (p).身份证号 FROM d_370100_ab_0001 AS p",
        "SELECT count(p) FROM d_370100_ab_0001 AS p",
        "SELECT 所属区县 FROM d_370100_ab_0001 AS p WHERE p IS NOT NULL",
        "SELECT k FROM (SELECT p AS k FROM d_370100_ab_0001 AS p) AS s",
        "SELECT concat(p.*) FROM d_370100_ab_0001 AS p",
        "SELECT CAST(d_370100_ab_0001.* AS TEXT) FROM d_370100_ab_0001",
        "SELECT count(DISTINCT p.*) FROM d_370100_ab_0001 AS p",
        "SELECT 所属区县 FROM d_370100_ab_0001 AS p ORDER BY p.*",
    ],
)
def test_a_whole_row_reference_is_refused(sql: str) -> None:
    # Regression: PostgreSQL and DuckDB read a table's name as its whole row (a composite or
    # a struct), hidden and masked columns included; the guard let it through.
    for dialect in ("duckdb", "postgres"):
        with pytest.raises(BadRequest) as caught:
            check(sql, dialect=dialect)
        assert caught.value.code == "unknown_column", (sql, dialect)


def test_ambiguous_column_is_refused() -> None:
    sql = "SELECT 所属区县 FROM d_370100_ab_0001, d_370100_cd_0002"
    assert refused(sql).code == "unknown_column"


@pytest.mark.parametrize("sql", ["SELEC 1", "SELECT * FROM", "SELECT (1"])
def test_parse_errors_carry_sqlglots_message(sql: str) -> None:
    error = refused(sql)
    assert error.code == "sql_parse_error"
    assert error.message


def test_table_lookups_use_the_lower_cased_name() -> None:
    tables = LazyTables(POPULATION)
    check_sql('SELECT 人口 FROM "D_370100_AB_0001"', tables=tables, dialect="duckdb", max_rows=9)
    assert tables.looked_up == ["d_370100_ab_0001"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_output_parses_back_in_the_target_dialect(dialect: str) -> None:
    for sql in ALLOWED:
        checked = check(sql, dialect=dialect)
        again = sqlglot.parse(checked.sql, read=dialect)
        assert len(again) == 1 and isinstance(again[0], exp.Query)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'users'::regclass::text",
        "SELECT CAST('pg_authid' AS regclass)",
        "SELECT 1::oid",
        "SELECT 'postgres'::regrole",
        "SELECT CAST(人口 AS json) FROM d_370100_ab_0001",
    ],
)
def test_casts_that_look_into_the_system_catalog_are_denied(sql: str) -> None:
    # A regclass cast answers whether a table exists (and its oid): not for public SQL.
    assert refused(sql).code == "sql_function_denied"


def test_casts_to_plain_types_are_allowed() -> None:
    checked = check(
        "SELECT CAST(人口 AS INTEGER), 人口::numeric(10, 2), CAST(year AS TEXT), "
        "CAST('2024-01-05' AS DATE), '1 day'::interval, TRY_CAST(所属区县 AS BIGINT) "
        "FROM d_370100_ab_0001"
    )

    assert "t_ab_0001_v3" in checked.sql


# --- Policy row filters pushed into user SQL ------------------------------------------------

LIXIA = Filter("district", Op.EQ, "历下区")
PEOPLE_COLUMNS = ["district", "n", "score", "ok", "day", "seen_at"]  # `secret` is not readable
EMPTY_ROW: list[Any] = [None, None, None, None, None]


def people(*row_filter: Filter, rowid: bool = True) -> SqlTable:
    return SqlTable("people", "t_people_v1", PEOPLE_COLUMNS, row_filter=row_filter, rowid=rowid)


# Unfiltered, to show that a filter on one table does not leak onto another.
PLACES = SqlTable("places", "t_places_v1", ["district", "area"])


def check_filtered(
    sql: str, *row_filter: Filter, dialect: str = "duckdb", rowid: bool = True
) -> CheckedSql:
    tables = LazyTables(people(*row_filter, rowid=rowid), PLACES)
    return check_sql(sql, tables=tables, dialect=dialect, max_rows=1000)


def physical_reads(sql: str, dialect: str) -> list[exp.Table]:
    parsed = sqlglot.parse_one(sql, read=dialect)
    return [t for t in parsed.find_all(exp.Table) if t.name == "t_people_v1"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM people",
        "SELECT district FROM people WHERE district = '市中区' OR 1 = 1",
        "SELECT a.n, b.n FROM people a JOIN people AS b ON a.district = b.district",
        "SELECT n FROM people WHERE n IN (SELECT n FROM people)",
        "SELECT (SELECT count(*) FROM people) AS c",
        "WITH x AS (SELECT n FROM people) SELECT n FROM x",
        "WITH people AS (SELECT n FROM people) SELECT n FROM people",
        "SELECT n FROM people UNION ALL SELECT n FROM people",
        "SELECT p.district FROM people p JOIN places USING (district)",
        "SELECT * FROM (people a JOIN people b ON a.n = b.n)",
    ],
)
def test_every_read_of_a_filtered_table_goes_through_its_filter(sql: str, dialect: str) -> None:
    out = check_filtered(sql, LIXIA, dialect=dialect).sql
    reads = physical_reads(out, dialect)
    assert reads
    for table in reads:
        select = table.parent_select
        assert isinstance(select, exp.Select)
        assert select.args["from_"].this is table
        where = select.args["where"].this
        assert isinstance(where, exp.EQ)
        assert where.this.name == "district" and where.expression.this == "历下区"
        # Only the readable columns (and the row id) leave the derived table.
        assert select.named_selects == [*PEOPLE_COLUMNS, "_rowid"]
        assert isinstance(select.parent, exp.Subquery) and select.parent.alias


def test_a_cte_named_like_the_table_is_not_filtered_as_the_table() -> None:
    out = check_filtered("WITH people AS (SELECT 1 AS n) SELECT n FROM people", LIXIA).sql
    assert "t_people_v1" not in out and "WHERE" not in out


def test_an_unfiltered_table_stays_a_plain_reference() -> None:
    out = check_filtered("SELECT area FROM places", LIXIA).sql
    assert 'FROM "t_places_v1" AS "places"' in out


def test_a_hidden_filter_column_is_used_but_not_exposed() -> None:
    out = check_filtered("SELECT * FROM people", Filter("secret", Op.EQ, "s1")).sql
    select = sqlglot.parse_one(out, read="duckdb")
    assert isinstance(select, exp.Select)
    assert select.named_selects == PEOPLE_COLUMNS
    assert [c.name for c in select.find_all(exp.Column)].count("secret") == 1


def test_the_hidden_filter_column_stays_unknown_to_the_user() -> None:
    with pytest.raises(BadRequest) as caught:
        check_filtered("SELECT secret FROM people", Filter("secret", Op.EQ, "s1"))
    assert caught.value.code == "unknown_column"


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_filter_values_are_literals_not_sql(dialect: str) -> None:
    value = "x' OR '1'='1"
    out = check_filtered("SELECT n FROM people", Filter("district", Op.EQ, value), dialect=dialect)
    parsed = sqlglot.parse(out.sql, read=dialect)
    assert len(parsed) == 1 and parsed[0] is not None
    strings = [lit.this for lit in parsed[0].find_all(exp.Literal) if lit.is_string]
    assert strings == [value]
    assert not list(parsed[0].find_all(exp.Or))


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        (datetime.date(2024, 3, 1), "CAST('2024-03-01' AS DATE)"),
        (datetime.datetime(2024, 3, 1, 8, 30), "CAST('2024-03-01 08:30:00' AS TIMESTAMP)"),
        (True, "TRUE"),
        (-4.5, "-4.5"),
        (float("nan"), "CAST('NaN' AS DOUBLE)"),
        (float("-inf"), "CAST('-Infinity' AS DOUBLE)"),
    ],
)
def test_typed_values_become_typed_literals(value: object, sql: str) -> None:
    out = check_filtered("SELECT n FROM people", Filter("x", Op.EQ, value)).sql
    assert f'"t_people_v1"."x" = {sql}' in out


@pytest.mark.parametrize(
    "bad",
    [
        Filter("seen_at", Op.EQ, datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
        Filter("n", Op.EQ, b"bytes"),
        Filter("n", Op.BETWEEN, (1, 2, 3)),
    ],
)
def test_filters_that_cannot_be_expressed_refuse_the_query(bad: Filter) -> None:
    with pytest.raises(BadRequest) as caught:
        check_filtered("SELECT n FROM people", bad)
    assert caught.value.code == "bad_filter"


PEOPLE_ROWS: list[tuple[Any, ...]] = [
    (1, "历下区", 10, 1.5, True, datetime.date(2024, 1, 1), datetime.datetime(2024, 1, 1, 8)),
    (2, "市中区", 20, 2.5, False, datetime.date(2024, 2, 1), datetime.datetime(2024, 2, 1, 9, 30)),
    (3, "历下区", *EMPTY_ROW),
    (4, "it's 50%_off", 30, 3.5, True, datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1)),
    (5, "its 50xxoff", 40, -4.5, False, datetime.date(2024, 4, 1), datetime.datetime(2024, 4, 1)),
    (6, "a\\b", 50, 0.0, True, datetime.date(2024, 5, 1), datetime.datetime(2024, 5, 1)),
]
PLACES_ROWS = [(1, "历下区", 100.0), (2, "市中区", 200.0), (3, "槐荫区", 300.0)]


class Database:
    """A real database holding the two physical tables, and the dialect to write for it."""

    def __init__(self, dialect: str, run: Callable[[str], list[tuple[Any, ...]]]) -> None:
        self.dialect = dialect
        self._run = run

    def rows(self, sql: str, *row_filter: Filter, rowid: bool = True) -> list[tuple[Any, ...]]:
        return self._run(check_filtered(sql, *row_filter, dialect=self.dialect, rowid=rowid).sql)

    def ids(self, sql: str, *row_filter: Filter) -> list[Any]:
        return sorted(r[0] for r in self.rows(sql, *row_filter))


def _create(execute: Callable[..., Any], types: Mapping[str, str], mark: str) -> None:
    execute(
        f"CREATE TABLE t_people_v1 (district {types['text']}, n BIGINT, score {types['double']}, "
        f"ok BOOLEAN, day DATE, seen_at TIMESTAMP, secret {types['text']}, _rowid BIGINT)"
    )
    execute(
        f"CREATE TABLE t_places_v1 (district {types['text']}, area DOUBLE PRECISION, _rowid BIGINT)"
    )
    for rowid, *values in PEOPLE_ROWS:
        row = [*values, f"s{rowid}", rowid]
        execute(f"INSERT INTO t_people_v1 VALUES ({', '.join([mark] * 8)})", row)
    for rowid, district, area in PLACES_ROWS:
        execute(f"INSERT INTO t_places_v1 VALUES ({mark}, {mark}, {mark})", [district, area, rowid])


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Database]:
    """A DuckDB file with the physical tables."""
    conn = duckdb.connect(str(tmp_path / "city.duckdb"))
    _create(conn.execute, {"text": "VARCHAR", "double": "DOUBLE"}, "?")
    yield Database("duckdb", lambda sql: conn.execute(sql).fetchall())
    conn.close()


@pytest.fixture
def pg() -> Iterator[Database]:
    """A fresh PostgreSQL database with the physical tables (skipped without a server)."""
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("QC_TEST_POSTGRES_URL is not set: run the suite with `make test`")
        pytest.skip("no PostgreSQL server: run with scripts/with-postgres")
    url = create_database(admin)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(libpq, autocommit=True)
    _create(conn.execute, {"text": "TEXT", "double": "DOUBLE PRECISION"}, "%s")
    yield Database("postgres", lambda sql: conn.execute(sql).fetchall())
    conn.close()
    drop_database(admin, url)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The physical tables on DuckDB and on PostgreSQL."""
    fixture: Database = request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
    return fixture


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT _rowid FROM people", [1, 3]),
        ("SELECT _rowid FROM people WHERE district = '历下区' OR 1 = 1", [1, 3]),
        ("SELECT _rowid FROM people WHERE district <> '历下区' OR district IS NULL", []),
        ("SELECT count(*) FROM people", [2]),
        ("SELECT count(*) FROM people a CROSS JOIN people b", [4]),
        ("SELECT a._rowid FROM people a JOIN people b ON a._rowid <> b._rowid", [1, 3]),
        ("SELECT b._rowid FROM people a RIGHT JOIN people b ON true", [1, 1, 3, 3]),
        ("SELECT _rowid FROM (SELECT _rowid FROM people) AS s", [1, 3]),
        ("SELECT (SELECT max(_rowid) FROM people) AS m", [3]),
        (
            "SELECT area FROM places WHERE district NOT IN (SELECT district FROM people)",
            [200.0, 300.0],
        ),
        ("SELECT p._rowid FROM places p WHERE EXISTS (SELECT 1 FROM people WHERE n = 20)", []),
        ("WITH x AS (SELECT _rowid FROM people) SELECT _rowid FROM x", [1, 3]),
        ("WITH people AS (SELECT _rowid FROM people) SELECT _rowid FROM people", [1, 3]),
        ("WITH people AS (SELECT 99 AS r) SELECT r FROM people", [99]),
        ("SELECT _rowid FROM people UNION ALL SELECT _rowid FROM people", [1, 1, 3, 3]),
        ("SELECT _rowid FROM places UNION SELECT _rowid FROM people", [1, 2, 3]),
        ("SELECT count(DISTINCT district) FROM people", [1]),
        ("SELECT sum(n) FROM people", [10]),
        ("SELECT count(*) FROM places JOIN people USING (district)", [2]),
        ("SELECT count(*) FROM places LEFT JOIN people USING (district)", [4]),
    ],
)
def test_user_sql_sees_only_the_rows_of_the_filter(
    db: Database, sql: str, expected: list[Any]
) -> None:
    assert db.ids(sql, LIXIA) == expected


@pytest.mark.parametrize(
    ("row_filter", "expected"),
    [
        (Filter("district", Op.EQ, "历下区"), [1, 3]),
        (Filter("district", Op.EQ, "it's 50%_off"), [4]),
        (Filter("district", Op.EQ, "a\\b"), [6]),
        (Filter("n", Op.EQ, None), [3]),
        (Filter("n", Op.NE, 10), [2, 4, 5, 6]),
        (Filter("n", Op.NE, None), [1, 2, 4, 5, 6]),
        (Filter("n", Op.LT, 20), [1]),
        (Filter("n", Op.LTE, 20), [1, 2]),
        (Filter("n", Op.GT, 30), [5, 6]),
        (Filter("n", Op.GTE, 30), [4, 5, 6]),
        (Filter("n", Op.LT, None), []),
        (Filter("score", Op.EQ, -4.5), [5]),
        (Filter("score", Op.LT, 0.0), [5]),
        (Filter("score", Op.GT, -5), [1, 2, 4, 5, 6]),
        (Filter("ok", Op.EQ, True), [1, 4, 6]),
        (Filter("ok", Op.EQ, False), [2, 5]),
        (Filter("day", Op.GTE, datetime.date(2024, 3, 1)), [4, 5, 6]),
        (Filter("seen_at", Op.GT, datetime.datetime(2024, 1, 1, 8)), [2, 4, 5, 6]),
        (Filter("seen_at", Op.EQ, datetime.datetime(2024, 2, 1, 9, 30)), [2]),
        (Filter("district", Op.IN, ("历下区", "市中区")), [1, 2, 3]),
        (Filter("n", Op.IN, (10, None)), [1, 3]),
        (Filter("n", Op.IN, ()), []),
        (Filter("district", Op.CONTAINS, "50%_"), [4]),
        (Filter("district", Op.CONTAINS, "'s 5"), [4]),
        (Filter("district", Op.CONTAINS, "历下"), [1, 3]),
        (Filter("district", Op.CONTAINS, "\\"), [6]),
        (Filter("district", Op.CONTAINS, "_"), [4]),
        (Filter("district", Op.STARTSWITH, "IT"), [4, 5]),
        (Filter("district", Op.STARTSWITH, "%"), []),
        (Filter("n", Op.CONTAINS, "0"), [1, 2, 4, 5, 6]),
        (Filter("n", Op.ISNULL, True), [3]),
        (Filter("n", Op.ISNULL, False), [1, 2, 4, 5, 6]),
        (Filter("n", Op.BETWEEN, (20, 40)), [2, 4, 5]),
        (Filter("n", Op.BETWEEN, (None, 20)), [1, 2]),
        (Filter("n", Op.BETWEEN, (None, None)), [1, 2, 4, 5, 6]),
        (Filter("day", Op.BETWEEN, (datetime.date(2024, 2, 1), datetime.date(2024, 3, 1))), [2, 4]),
        (Filter("secret", Op.EQ, "s2"), [2]),
    ],
)
def test_each_operator_filters_like_the_row_query(
    db: Database, row_filter: Filter, expected: list[int]
) -> None:
    assert db.ids("SELECT _rowid FROM people", row_filter) == expected
    assert db.rows("SELECT count(*) FROM people", row_filter) == [(len(expected),)]


def test_several_filters_all_apply(db: Database) -> None:
    both = (LIXIA, Filter("n", Op.ISNULL, False))
    assert db.ids("SELECT _rowid FROM people WHERE true OR n IS NULL", *both) == [1]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT _rowid FROM people",
        "SELECT p._rowid FROM people AS p",
        "SELECT people._rowid FROM people",
        "SELECT n FROM people ORDER BY _rowid",
        "SELECT n FROM people AS p ORDER BY p._rowid DESC",
        "SELECT n FROM people WHERE _rowid > 1",
        "SELECT max(_rowid) FROM people",
        "SELECT district FROM people GROUP BY district HAVING max(_rowid) > 1",
        "SELECT row_number() OVER (ORDER BY _rowid) AS r FROM people",
        "SELECT n - _rowid AS d FROM people",
        "SELECT _rowid FROM (SELECT * FROM people) AS s",
        "WITH x AS (SELECT _rowid FROM people) SELECT 1 AS one FROM x",
        "SELECT a.n FROM people a JOIN people b ON a._rowid = b._rowid",
        "SELECT _rowid FROM places UNION SELECT _rowid FROM people",
    ],
)
@pytest.mark.parametrize("row_filter", [(), (LIXIA,)])
def test_a_table_read_without_its_row_ids_has_no_rowid_column(
    sql: str, row_filter: tuple[Filter, ...]
) -> None:
    # A row-filtered reader saw its rows' numbers: the gaps between them counted the rows
    # its filter hid, and the largest told the table's size.
    with pytest.raises(BadRequest) as caught:
        check_filtered(sql, *row_filter, rowid=False)
    assert caught.value.code == "unknown_column"
    assert caught.value.status == 400
    assert caught.value.details == {"column": "_rowid"}


def test_the_row_id_is_refused_like_a_column_that_does_not_exist() -> None:
    errors = []
    for column in ("_rowid", "nope"):
        with pytest.raises(BadRequest) as caught:
            check_filtered(f"SELECT {column} FROM people", LIXIA, rowid=False)
        errors.append((caught.value.code, caught.value.message.replace(column, "?")))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("row_filter", [(), (LIXIA,)])
def test_a_table_read_without_its_row_ids_does_not_pass_them_on(
    dialect: str, row_filter: tuple[Filter, ...]
) -> None:
    out = check_filtered("SELECT * FROM people AS p", *row_filter, dialect=dialect, rowid=False).sql
    reads = physical_reads(out, dialect)
    assert len(reads) == 1
    select = reads[0].parent_select
    assert isinstance(select, exp.Select)
    assert select.named_selects == PEOPLE_COLUMNS


def test_a_filtered_table_without_row_ids_reads_its_rows(db: Database) -> None:
    assert "_rowid" not in check_filtered("SELECT * FROM people", LIXIA, rowid=False).sql
    rows = db.rows("SELECT * FROM people ORDER BY n", LIXIA, rowid=False)
    assert [r[:2] for r in rows] == [("历下区", 10), ("历下区", None)]
    joined = "SELECT p.n, count(*) AS c FROM people AS p JOIN places USING (district) GROUP BY p.n"
    assert sorted(db.rows(joined, LIXIA, rowid=False), key=str) == [(10, 1), (None, 1)]


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
        max_size=12,
    )
)
def test_any_text_value_matches_only_itself(value: str) -> None:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t_people_v1 (district VARCHAR, secret VARCHAR, _rowid BIGINT)")
    conn.execute("INSERT INTO t_people_v1 VALUES (?, 'x', 1), (?, 'y', 2)", [value, value + "z"])
    table = SqlTable("people", "t_people_v1", ["district"], row_filter=())
    for op, expected in ((Op.EQ, [1]), (Op.STARTSWITH, [1, 2]), (Op.CONTAINS, [1, 2])):
        filtered = SqlTable(
            table.name, table.physical, table.columns, (Filter("district", op, value),)
        )
        sql = check_sql(
            "SELECT _rowid FROM people", tables={"people": filtered}, dialect="duckdb", max_rows=9
        ).sql
        assert sorted(r[0] for r in conn.execute(sql).fetchall()) == expected
    conn.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT n AS x FROM people GROUP BY x HAVING max(secret) LIKE 's1%'",
        "SELECT district FROM people HAVING max(secret) = 's1'",
        "SELECT district FROM people QUALIFY row_number() OVER () > 0 AND secret = 's1'",
        "SELECT district AS secret FROM people ORDER BY secret || ''",
        "SELECT district AS secret FROM people ORDER BY lower(secret) DESC",
        "SELECT district AS secret FROM people UNION SELECT district FROM people "
        "ORDER BY secret || ''",
        "SELECT DISTINCT ON (secret || '') district AS secret FROM people",
    ],
)
def test_a_hidden_column_is_no_oracle_in_having_qualify_or_order_by(db: Database, sql: str) -> None:
    # Regression: sqlglot's scopes leave out the columns of HAVING, QUALIFY and ORDER BY that
    # might name an output, so the guard passed them unqualified and the database read the
    # hidden (masked) column: `HAVING max(secret) LIKE 's1%'` told its value a prefix at a
    # time, and `ORDER BY secret || ''` under an output named secret sorted by it.
    with pytest.raises(BadRequest) as caught:
        db.rows(sql)
    assert caught.value.code == "unknown_column"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT -n AS secret FROM people WHERE n IS NOT NULL ORDER BY secret",
            [(-50,), (-40,), (-30,), (-20,), (-10,)],
        ),
        (
            "SELECT DISTINCT ON (secret) district AS secret FROM people "
            "WHERE district = '历下区' ORDER BY secret",
            [("历下区",)],
        ),
    ],
)
def test_an_output_named_like_a_hidden_column_is_still_the_output(
    db: Database, sql: str, expected: list[tuple[Any, ...]]
) -> None:
    assert db.rows(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT secret FROM people AS x(secret) ORDER BY _rowid",
        "SELECT x.secret FROM people AS x(secret, n) ORDER BY x._rowid",
        "SELECT s FROM (SELECT secret, _rowid FROM people x(secret)) AS q(s) ORDER BY _rowid",
    ],
)
@pytest.mark.parametrize("row_filter", [(), (LIXIA,)])
def test_column_aliases_rename_the_readable_columns_not_the_physical_ones(
    db: Database, sql: str, row_filter: tuple[Filter, ...]
) -> None:
    # Regression: `AS x(secret)` renamed the first readable column for the guard, but the
    # physical table lost the alias list, so `x.secret` read the hidden column itself —
    # raw ID numbers through a table whose 身份证号 is masked.
    rows = db.rows(sql, *row_filter)
    assert all(not str(r[0]).startswith("s") for r in rows)
    expected = ["历下区", "历下区"] if row_filter else [r[1] for r in PEOPLE_ROWS]
    assert [r[0] for r in rows] == expected


def test_a_column_alias_list_keeps_the_other_columns_and_the_filter(db: Database) -> None:
    rows = db.rows("SELECT * FROM people AS p(place, people) ORDER BY people", LIXIA)
    assert rows[0][:2] == ("历下区", 10)
    assert len(rows) == 2


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM people NATURAL JOIN (SELECT 's1' AS secret) AS g",
        "SELECT district FROM (SELECT 's1' AS secret) AS g NATURAL LEFT JOIN people",
    ],
)
def test_a_natural_join_cannot_match_on_a_hidden_column(db: Database, sql: str) -> None:
    # Regression: with no readable column in common, qualify left the NATURAL JOIN as it
    # was and the database joined on the physical columns: the hidden `secret` against a
    # guessed value.
    with pytest.raises(BadRequest) as caught:
        db.rows(sql)
    assert caught.value.code == "sql_join_denied"


def test_a_natural_join_on_readable_columns_still_joins(db: Database) -> None:
    sql = "SELECT count(*) FROM people NATURAL JOIN (SELECT 's1' AS secret, 10 AS n) AS g"
    assert db.rows(sql) == [(1,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT concat(p.*) FROM people AS p",
        "SELECT concat_ws(',', people.*) FROM people",
        "SELECT coalesce(p.*) FROM people AS p",
    ],
)
def test_a_star_inside_an_expression_is_not_the_physical_row(db: Database, sql: str) -> None:
    # Regression: qualify expands the stars of a select list only; PostgreSQL read
    # concat(p.*) as the text of the whole physical row, the hidden `secret` included.
    with pytest.raises(BadRequest) as caught:
        db.rows(sql)
    assert caught.value.code == "unknown_column"


def test_count_star_and_select_star_still_work(db: Database) -> None:
    assert db.rows("SELECT count(*) FROM people", LIXIA) == [(2,)]
    assert db.rows("SELECT p.* FROM people AS p WHERE n = 10") == [
        ("历下区", 10, 1.5, True, datetime.date(2024, 1, 1), datetime.datetime(2024, 1, 1, 8))
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM " + "(SELECT * FROM " * 100 + "d_370100_ab_0001" + ") AS s" * 100,
        " UNION ALL ".join(["SELECT 1"] * 1000),
    ],
)
def test_a_query_too_deep_to_walk_is_a_parse_error(sql: str) -> None:
    # Regression: sqlglot parsed these, then qualify and the scope walk ran out of Python's
    # recursion limit, and the RecursionError was a 500.
    assert refused(sql).code == "sql_parse_error"
