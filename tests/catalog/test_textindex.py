"""Index and query tokens of the catalog search: Chinese words, pinyin, initials, English."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from quancheng.catalog.textindex import (
    MAX_TOKEN,
    index_document,
    index_tokens,
    is_cjk,
    query_tokens,
)

NAMES = [
    "济南市公交线路站点信息",
    "历下区企业法人登记信息",
    "市场主体登记注册信息",
    "城市道路照明设施（路灯）信息",
    "空气质量监测小时数据",
    "泉水水位监测数据",
    "居民身份证信息",
    "不动产登记信息",
    "天桥区城市管理综合执法案件信息",
    "历城区农村土地承包经营权登记数据",
    "槐荫区中小学校基本信息",
    "济南市12345市民服务热线工单",
]
BUS, ENTERPRISE, MARKET, LIGHTS, AIR, SPRING, ID_CARD, PROPERTY, TIANQIAO, LAND = NAMES[:10]
HAN_ALPHABET = sorted({ch for name in NAMES for ch in name if is_cjk(ch)})
TOKEN = re.compile(r"[a-z0-9]+")
LIGHT = settings(deadline=None, max_examples=60)


def satisfiable(query: str, text: str) -> bool:
    """What both engines do: every query token but the last exact, the last one a prefix."""
    tokens, indexed = query_tokens(query), index_tokens(text)
    if not tokens:
        return False
    *exact, last = tokens
    return set(exact) <= set(indexed) and any(t.startswith(last) for t in indexed)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # Chinese words, whole names and words typed together that are apart in the name.
        ("公交", BUS),
        ("公交线路", BUS),
        ("济南公交", BUS),
        ("公交站点", BUS),
        ("企业登记", ENTERPRISE),
        ("企业法人", ENTERPRISE),
        ("历下", ENTERPRISE),
        ("主体登记", MARKET),
        ("市场主体注册", MARKET),
        ("路灯", LIGHTS),
        ("路灯设施", LIGHTS),
        ("空气监测", AIR),
        ("空气质量", AIR),
        ("泉水监测", SPRING),
        ("水位", SPRING),
        ("身份证", ID_CARD),
        ("不动产", PROPERTY),
        ("不动产 登记", PROPERTY),
        ("承包经营", LAND),
        ("济南的公交", BUS),
        ("桥", TIANQIAO),
        # Full pinyin, pinyin of several words, initials, single syllables.
        ("gongjiao", BUS),
        ("gongjiaoxianlu", BUS),
        ("jinan gongjiao", BUS),
        ("gong jiao", BUS),
        ("gj", BUS),
        ("gjxl", BUS),
        ("jns gj", BUS),
        ("lixiaqu", ENTERPRISE),
        ("qiye faren", ENTERPRISE),
        ("kongqizhiliang", AIR),
        ("shuiwei", SPRING),
        ("sfz", ID_CARD),
        ("shenfenzheng", ID_CARD),
        ("budongchan dengji", PROPERTY),
        ("bdc", PROPERTY),
        ("ludeng", LIGHTS),
        ("chengbaojingying", LAND),
        ("qiao", TIANQIAO),
        # Typed differently: case, fullwidth, tone marks, mixed scripts, digits.
        ("GongJiao", BUS),
        ("ＧＯＮＧＪＩＡＯ", BUS),
        ("gōngjiāo", BUS),
        ("济南 gongjiao", BUS),
        ("12345 热线", NAMES[11]),
    ],
)
def test_query_finds_catalog_name(query: str, text: str) -> None:
    assert satisfiable(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("gongjiao", SPRING),
        ("公交", SPRING),
        ("企业", ID_CARD),
        ("历下", LAND),  # 历 and 下 both occur in the name, but not side by side
        ("空气监测", SPRING),
        ("gj", AIR),
        ("身份证", PROPERTY),
        ("不动产 公交", PROPERTY),
        ("12345", BUS),
    ],
)
def test_query_misses_unrelated_name(query: str, text: str) -> None:
    assert not satisfiable(query, text)


def test_index_tokens_of_a_name() -> None:
    tokens = index_tokens(BUS)
    for token in ["公交", "线路", "gongjiao", "gj", "gongjiaoxianlu", "gjxl", "jinan", "公", "交"]:
        assert token in tokens
    assert len(tokens) == len(set(tokens))
    assert index_document(BUS) == " ".join(tokens)


def test_every_substring_of_a_name_finds_it() -> None:
    # The guarantee of the module docstring, whatever jieba makes of name and query.
    for name in NAMES:
        for start in range(len(name)):
            for end in range(start + 1, len(name) + 1):
                part = name[start:end]
                if all(map(is_cjk, part)) and query_tokens(part):
                    assert satisfiable(part, name), part


@pytest.mark.parametrize("typed", ["gongjiaoxianlu", "公交线路站点", "bus stops"])
def test_search_as_you_type(typed: str) -> None:
    text = f"{BUS} Bus stops"
    for end in range(1, len(typed) + 1):
        if query_tokens(typed[:end]):
            assert satisfiable(typed[:end], text), typed[:end]


@pytest.mark.parametrize(
    ("query", "tokens"),
    [
        ("", []),
        ("***", []),
        ("  \t\n", []),
        ("'; DROP TABLE", ["drop", "table"]),
        ("公交", ["公交"]),
        ("gongjiao", ["gongjiao"]),
        ("ＧＯＮＧＪＩＡＯ", ["gongjiao"]),
        ("gōngjiāo lǜdì", ["gongjiao", "lvdi"]),
        ("空气监测", ["空气", "监测"]),
        ("历下", ["历下"]),
        ("济南的公交", ["济南", "公交"]),
        ("的", ["的"]),
        ("Bus stops of the city's", ["bus", "stop", "city"]),
        ("PM2.5", ["pm2", "5"]),
        ("公交 bus 公交", ["bus", "公交"]),
    ],
)
def test_query_tokens(query: str, tokens: list[str]) -> None:
    assert query_tokens(query) == tokens


def test_latin_normalisation_is_symmetric() -> None:
    indexed = index_tokens("Jinan’s bus STOPS, 2024年, café, Ｗｉ-Ｆｉ, 绿地")
    assert indexed[:7] == ["jinan", "bus", "stop", "2024", "年", "nian", "cafe"]
    for query in ["stop", "stops", "bus", "café", "cafe", "wi fi", "lvdi", "lǜdì"]:
        assert set(query_tokens(query)) <= set(indexed), query


def test_tokens_are_bounded() -> None:
    assert index_tokens("x" * 5000) == ["x" * MAX_TOKEN]
    assert query_tokens("x" * 5000) == ["x" * MAX_TOKEN]


def test_is_cjk() -> None:
    assert all(is_cjk(ch) for ch in "公〇㐀𠀀豈")
    assert not any(is_cjk(ch) for ch in "a1、（あ한 ")


def test_import_loads_nothing_and_jieba_stays_quiet() -> None:
    code = (
        "import sys\n"
        "from quancheng.catalog import textindex\n"
        "assert 'jieba' not in sys.modules and 'pypinyin' not in sys.modules\n"
        "assert textindex.query_tokens('gongjiao') == ['gongjiao']\n"
        "assert 'jieba' not in sys.modules\n"
        "assert textindex.index_tokens('公交')[:2] == ['公', '公交']\n"
    )
    # Warnings on: compiling jieba's sources must not leak its invalid-escape notes either.
    command = [sys.executable, "-W", "default", "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# Arbitrary unicode, with ideographs, pinyin and separators mixed in often.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(), st.sampled_from(HAN_ALPHABET), st.sampled_from("gongjiao GJ2024 ’'.（")
    )
)


@LIGHT
@given(TEXT)
def test_index_tokens_are_plain(text: str) -> None:
    tokens = index_tokens(text)
    assert len(tokens) == len(set(tokens))
    for token in tokens:
        assert 0 < len(token) <= MAX_TOKEN
        assert TOKEN.fullmatch(token) or all(is_cjk(ch) for ch in token), token
    assert index_document(text).split(" ") == (tokens or [""])


@LIGHT
@given(TEXT)
def test_query_tokens_are_plain_and_match_their_own_text(text: str) -> None:
    tokens = query_tokens(text)
    for token in tokens:
        assert TOKEN.fullmatch(token) or all(is_cjk(ch) for ch in token), token
    # Stronger than "a single jieba word finds itself": any text finds itself.
    assert not tokens or satisfiable(text, text)


@LIGHT
@given(st.text(alphabet=HAN_ALPHABET, min_size=1), st.data())
def test_any_chinese_substring_finds_its_text(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert satisfiable(text[start:end], f"前缀 {text} 后缀")


@LIGHT
@given(st.sampled_from(["公交", "线路", "企业法人", "登记", "空气质量", "泉水", "身份证", "路灯"]))
def test_a_word_finds_itself_in_pinyin_and_initials(word: str) -> None:
    syllables = lazy_pinyin(word)
    assert satisfiable("".join(syllables), word)
    assert satisfiable("".join(s[0] for s in syllables), word)
    assert satisfiable(" ".join(syllables), word)
