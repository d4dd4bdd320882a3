"""The read-only SQL guard: what users may run, what is refused, and what reaches the backend."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
import sqlglot
from sqlglot import exp

from quancheng.datastore.sqlguard import CheckedSql, SqlTable, check_sql
from quancheng.errors import BadRequest

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
