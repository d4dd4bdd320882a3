"""Row query strings (`?所属区县=历下区&_sort=-人口`) as QuerySpecs, and keyset cursors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from quancheng.datastore.cursors import CursorKey
from quancheng.datastore.params import parse_row_query
from quancheng.datastore.query import AggFunc, Aggregate, Filter, Op, QuerySpec, Sort
from quancheng.datastore.schema import Column, ColumnType, TableSchema
from quancheng.errors import BadRequest

SCHEMA = TableSchema(
    (
        Column("district", "所属区县"),
        Column("population", "人口", ColumnType.INTEGER),
        Column("area", "面积", ColumnType.DOUBLE),
        Column("open", "是否开放", ColumnType.BOOLEAN),
        Column("founded", "成立日期", ColumnType.DATE),
        Column("updated", "更新时间", ColumnType.TIMESTAMP),
        Column("id_card", "身份证号"),
        Column("a__b", "a__b"),
    )
)
VISIBLE = frozenset(SCHEMA.names) - {"id_card"}
VISIBLE_LABELS = ["所属区县", "人口", "面积", "是否开放", "成立日期", "更新时间", "a__b"]
CURSORS = CursorKey(bytes(32)).for_dataset(1)


def parse(query: str | list[tuple[str, str]], **kwargs: Any) -> QuerySpec:
    pairs = query if isinstance(query, list) else _pairs(query)
    kwargs.setdefault("cursors", CURSORS)
    return parse_row_query(pairs, SCHEMA, visible=VISIBLE, **kwargs)


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(p.split("=", 1)) for p in query.split("&") if p]  # type: ignore[misc]


def refused(query: str | list[tuple[str, str]], **kwargs: Any) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        parse(query, **kwargs)
    return caught.value


def test_defaults_are_visible_columns_in_schema_order() -> None:
    spec = parse("")
    assert spec.fields == ("district", "population", "area", "open", "founded", "updated", "a__b")
    assert (spec.limit, spec.offset, spec.filters, spec.sort) == (100, 0, (), ())
    assert spec.after is None and spec.search is None


def test_labels_and_identifiers_name_the_same_column() -> None:
    by_label = parse("所属区县=历下区&人口__gte=5")
    by_name = parse("district=历下区&population__gte=5")
    assert (
        by_label.filters
        == by_name.filters
        == (
            Filter("district", Op.EQ, "历下区"),
            Filter("population", Op.GTE, 5),
        )
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("人口=5", Filter("population", Op.EQ, 5)),
        ("人口__eq=5", Filter("population", Op.EQ, 5)),
        ("人口__ne=-5", Filter("population", Op.NE, -5)),
        ("人口__lt=5", Filter("population", Op.LT, 5)),
        ("人口__lte=5", Filter("population", Op.LTE, 5)),
        ("面积__gt=2.5", Filter("area", Op.GT, 2.5)),
        ("面积__gte=1e3", Filter("area", Op.GTE, 1000.0)),
        ("人口__in=1,2, 3", Filter("population", Op.IN, (1, 2, 3))),
        ('所属区县__in=["历下区","市中,区"]', Filter("district", Op.IN, ("历下区", "市中,区"))),
        ("人口__in=[1, 2]", Filter("population", Op.IN, (1, 2))),
        ("所属区县__contains=下", Filter("district", Op.CONTAINS, "下")),
        ("人口__contains=12", Filter("population", Op.CONTAINS, "12")),
        ("所属区县__startswith=历", Filter("district", Op.STARTSWITH, "历")),
        ("所属区县__isnull=true", Filter("district", Op.ISNULL, True)),
        ("所属区县__isnull=0", Filter("district", Op.ISNULL, False)),
        ("人口__between=1,9", Filter("population", Op.BETWEEN, (1, 9))),
        (
            "成立日期__between=2024-01-01,2024年3月1日",
            Filter("founded", Op.BETWEEN, (dt.date(2024, 1, 1), dt.date(2024, 3, 1))),
        ),
    ],
)
def test_every_operator(query: str, expected: Filter) -> None:
    assert parse(query).filters == (expected,)


@pytest.mark.parametrize(
    ("column", "raw", "value"),
    [
        ("是否开放", "true", True),
        ("是否开放", "FALSE", False),
        ("是否开放", "1", True),
        ("是否开放", "0", False),
        ("是否开放", "是", True),
        ("是否开放", "否", False),
        ("成立日期", "2024-01-05", dt.date(2024, 1, 5)),
        ("成立日期", "2024/1/5", dt.date(2024, 1, 5)),
        ("成立日期", "2024年1月5日", dt.date(2024, 1, 5)),
        ("更新时间", "2024-01-05T08:30:00", dt.datetime(2024, 1, 5, 8, 30)),
        ("更新时间", "2024-01-05 08:30", dt.datetime(2024, 1, 5, 8, 30)),
        ("更新时间", "2024-01-05 08:30:01.5", dt.datetime(2024, 1, 5, 8, 30, 1, 500000)),
        ("更新时间", "2024-01-05", dt.datetime(2024, 1, 5)),
        ("人口", " 42 ", 42),
        ("面积", "3", 3.0),
        ("所属区县", " 历下区 ", " 历下区 "),
    ],
)
def test_values_become_the_column_type(column: str, raw: str, value: Any) -> None:
    (found,) = parse([(column, raw)]).filters
    assert found.value == value and type(found.value) is type(value)


@pytest.mark.parametrize(
    "query",
    [
        "人口=abc",
        "人口=1.5",
        "面积=nan",
        "面积=x",
        "是否开放=maybe",
        "成立日期=2024-13-01",
        "成立日期=2024-02-30",
        "成立日期=yesterday",
        "更新时间=2024-01-05 25:00",
        "人口__in=1,x",
        "人口__in=",
        "人口__in=[1, {}]",
        "人口__in=[1",
        "人口__between=1",
        "人口__between=1,2,3",
        "所属区县__isnull=perhaps",
    ],
)
def test_bad_values_are_refused_naming_the_parameter(query: str) -> None:
    error = refused(query)
    assert error.code == "bad_value"
    assert error.details["parameter"] == query.split("=", 1)[0]


@pytest.mark.parametrize(
    "query",
    [
        "人口=٣",
        "人口__gte=３",
        "人口__in=1,٢",
        "面积=٣.٥",
        "面积__lt=1_000",
        "成立日期=٢٠٢٤-٠١-٠٥",
        "更新时间__gte=２０２４-０１-０５ ０８:００",
    ],
)
def test_numbers_and_dates_are_written_in_ascii_digits(query: str) -> None:
    # Regression: int(), float() and the patterns read '٣' and '３' as 3 (and
    # float() read 1_000 as 1000), so a filter matched a number nobody wrote.
    error = refused(query)
    assert error.code == "bad_value"
    assert error.details["parameter"] == query.split("=", 1)[0]


@pytest.mark.parametrize(
    ("columns", "query"),
    [
        (("count", "n"), "_group_by=count"),
        (("count", "n"), "_group_by=count&_agg=count,max:n"),
        (("min_n", "n"), "_group_by=min_n&_agg=min:n"),
    ],
)
def test_an_aggregate_named_like_its_group_column_is_refused(
    columns: tuple[str, str], query: str
) -> None:
    # Regression: grouping a column called count by the default count gave two result
    # columns called count, and each row object kept one of them: the group value was lost.
    schema = TableSchema(tuple(Column(c, c, ColumnType.INTEGER) for c in columns))
    with pytest.raises(BadRequest) as caught:
        parse_row_query(_pairs(query), schema, visible=frozenset(columns))
    assert caught.value.code == "bad_value"
    assert caught.value.details["parameter"] == "_agg"


def test_a_column_called_count_groups_with_a_named_count() -> None:
    schema = TableSchema((Column("count", "count", ColumnType.INTEGER), Column("n", "n")))
    spec = parse_row_query(
        _pairs("_group_by=count&_agg=count:n"), schema, visible=frozenset({"count", "n"})
    )
    assert [a.alias for a in spec.aggregates] == ["count_n"]


def test_several_filters_on_one_column_are_all_kept() -> None:
    spec = parse("人口__gte=1&人口__lt=9&人口__ne=5")
    assert [f.op for f in spec.filters] == [Op.GTE, Op.LT, Op.NE]


def test_double_underscore_prefers_a_whole_column_name() -> None:
    assert parse("a__b=x").filters == (Filter("a__b", Op.EQ, "x"),)
    assert parse("a__b__startswith=x").filters == (Filter("a__b", Op.STARTSWITH, "x"),)


def test_unknown_column_lists_visible_labels() -> None:
    error = refused("nope=1")
    assert error.code == "unknown_column"
    assert error.details == {"parameter": "nope", "column": "nope", "available": VISIBLE_LABELS}


@pytest.mark.parametrize(
    ("hidden", "unknown"),
    [
        ("身份证号=1", "nope=1"),
        ("id_card__startswith=3701", "nope__startswith=3701"),
        ("_sort=身份证号", "_sort=nope"),
        ("_fields=id_card", "_fields=nope"),
        ("_group_by=身份证号", "_group_by=nope"),
        ("_group_by=所属区县&_agg=min:身份证号", "_group_by=所属区县&_agg=min:nope"),
    ],
)
def test_hidden_column_is_indistinguishable_from_unknown(hidden: str, unknown: str) -> None:
    a, b = refused(hidden), refused(unknown)
    assert a.code == b.code == "unknown_column"
    assert a.details["available"] == b.details["available"] == VISIBLE_LABELS
    assert "身份证号" not in json.dumps(a.details["available"], ensure_ascii=False)


def test_unknown_operator_and_parameter() -> None:
    error = refused("人口__like=5")
    assert (error.code, error.details["parameter"]) == ("unknown_operator", "人口__like")
    assert refused("_bogus=1").code == "unknown_parameter"
    assert refused("_bogus__eq=1").code == "unknown_parameter"
    # Unknown prefix with an unknown suffix is about the column.
    assert refused("nope__like=5").code == "unknown_column"


def test_passthrough_keys_are_ignored() -> None:
    spec = parse("_format=csv&_shape=arrays&人口=1", passthrough=frozenset({"_format", "_shape"}))
    assert spec.filters == (Filter("population", Op.EQ, 1),)


def test_sort_fields_limit_offset() -> None:
    spec = parse(
        "_sort=所属区县,-人口&_sort_desc=area&_fields=人口,district,人口&_limit=5&_offset=10"
    )
    assert spec.sort == (Sort("district"), Sort("population", True), Sort("area", True))
    assert spec.fields == ("population", "district")
    assert (spec.limit, spec.offset) == (5, 10)


@pytest.mark.parametrize("limit", ["-1", "10001", "abc", "1.5"])
def test_limit_out_of_range(limit: str) -> None:
    error = refused(f"_limit={limit}")
    assert (error.code, error.details["parameter"]) == ("bad_limit", "_limit")


@pytest.mark.parametrize("offset", ["-1", "٣", "9223372036854775808", "9999999999999999999"])
def test_offset_out_of_range(offset: str) -> None:
    # Regression: an offset past the 64-bit range reached the engine, which answered with
    # "a value does not fit its column", naming no parameter.
    error = refused(f"_offset={offset}")
    assert (error.code, error.details["parameter"]) == ("bad_value", "_offset")


def test_limit_in_other_digits_is_refused() -> None:
    assert refused("_limit=١٠").code == "bad_limit"


def test_limit_bounds_follow_max_limit() -> None:
    assert parse("_limit=0").limit == 0
    assert parse("_limit=50", max_limit=50).limit == 50
    assert refused("_limit=51", max_limit=50).code == "bad_limit"
    assert refused("_offset=-1").code == "bad_value"


def test_search_uses_visible_columns() -> None:
    for key in ("_search", "q"):
        spec = parse(f"{key}=历下")
        assert spec.search == "历下"
        assert "id_card" not in spec.searchable
        assert spec.searchable == spec.fields


def test_group_by_with_aggregates_and_sort_by_alias() -> None:
    spec = parse(
        "_group_by=所属区县&_agg=count,sum:人口,avg:area,max:成立日期&_sort=-sum_population"
    )
    assert spec.group_by == ("district",)
    assert spec.fields == ("district",)
    assert spec.aggregates == (
        Aggregate(AggFunc.COUNT),
        Aggregate(AggFunc.SUM, "population"),
        Aggregate(AggFunc.AVG, "area"),
        Aggregate(AggFunc.MAX, "founded"),
    )
    assert spec.sort == (Sort("sum_population", True),)


def test_group_by_defaults_to_count_and_sorts_by_group_label() -> None:
    spec = parse("_group_by=所属区县,是否开放&_sort=所属区县,-count")
    assert spec.aggregates == (Aggregate(AggFunc.COUNT),)
    assert spec.sort == (Sort("district"), Sort("count", True))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("_group_by=所属区县&_fields=人口", "bad_value"),
        ("_group_by=所属区县&_agg=median:人口", "unknown_operator"),
        ("_group_by=所属区县&_agg=sum:所属区县", "bad_value"),
        ("_group_by=所属区县&_agg=sum", "bad_value"),
        ("_group_by=所属区县&_sort=人口", "unknown_column"),
        ("_agg=count", "bad_value"),
        # A sealed cursor is new on every seal: made in the test, so the test's id is stable
        # (pytest-xdist's workers must collect the same ids).
        ("_group_by=所属区县&_next=<cursor>", "bad_cursor"),
    ],
)
def test_group_by_misuse(query: str, code: str) -> None:
    assert refused(query.replace("<cursor>", CURSORS.seal(("a", 1)))).code == code


def test_next_cursor_follows_the_sort() -> None:
    token = CURSORS.seal((dt.date(2024, 1, 5), 17, 42))
    spec = parse(f"_sort=成立日期,-人口&_next={token}")
    assert spec.after == (dt.date(2024, 1, 5), 17, 42)
    assert parse(f"_next={CURSORS.seal((42,))}").after == (42,)


@pytest.mark.parametrize(
    "values",
    [
        ("a", 1, 42),  # three values for two sort columns
        (dt.date(2024, 1, 5), 42),  # a date for an integer column
        ("x", 1),  # a text for an integer column
        (True, 1),  # a boolean for an integer column
        (1,),  # no sort values where one is sorted on
    ],
)
def test_next_cursor_must_fit_the_sort(values: tuple[Any, ...]) -> None:
    error = refused(f"_sort=人口&_next={CURSORS.seal(values)}")
    assert (error.code, error.details["parameter"]) == ("bad_cursor", "_next")


def test_next_cursor_of_another_dataset_or_without_cursors_is_refused() -> None:
    other = CursorKey(bytes(32)).for_dataset(2).seal((42,))
    assert refused(f"_next={other}").code == "bad_cursor"
    assert refused(f"_next={CURSORS.seal((42,))}", cursors=None).code == "bad_cursor"
