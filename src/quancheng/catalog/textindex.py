"""Index and query tokens for the catalog full-text search, shared by SQLite FTS5 and PostgreSQL.

Tokens are ASCII ``[a-z0-9]+`` or CJK ideographs only, so both engines keep them verbatim; text
is normalised first (NFKC, casefold, ``ü`` -> ``v`` as pinyin keyboards type it, diacritics off).

Chinese matching must not depend on jieba segmenting a query like the indexed text: a query
word may straddle a boundary of the text's segmentation (``承包经营`` in ``承包/经营权``). So
the index holds every ideograph and every adjacent pair, and a query asks only for ideographs
and pairs: jieba (dictionary only, no HMM) splits it into words, a word asks for its dictionary
pairs plus the characters they leave out (``空气监测`` -> ``空气 监测``, which also finds
``空气质量监测``), and runs of single-character words, mostly unknown names such as ``历下``,
ask for all their pairs. A query whose words each occur contiguously in a text thus always
matches it, whatever segmentation or jieba version built the index.

Pinyin exists only on the index side: every dictionary word inside the text (jieba's DAG) and
every word jieba's HMM guesses gives its toneless pinyin (``gongjiaoxianlu``) and initials
(``gjxl``), every ideograph its syllable (``qiao``); latin query tokens are matched as typed.
The storage layer ANDs query tokens and matches the last as a prefix, so it stays last.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

# PostgreSQL rejects lexemes over 2 KB; truncating both sides alike keeps matching symmetric.
MAX_TOKEN = 64

_CJK_RANGES = (
    (0x3007, 0x3007),  # 〇, used in dates such as 二〇二四
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # Unified Ideographs
    (0xF900, 0xFAFF),  # Compatibility Ideographs (NFKC maps most to unified ones)
    (0x20000, 0x3FFFF),  # planes 2 and 3 hold only ideographs (Extensions B-I)
)
_CJK_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in _CJK_RANGES)
_RUN = re.compile(f"([{_CJK_CLASS}]+)|([a-z0-9]+)")
_POSSESSIVE = re.compile(r"['’]s(?![a-z0-9])")
_PINYIN_V = str.maketrans(dict.fromkeys("üǖǘǚǜ", "v"))

# Dropped from queries only, which can only widen a match; the index keeps them.
_QUERY_STOPWORDS = frozenset(
    {"的", "和", "与", "及", "或", "之", "等", "the", "of", "and", "or", "for", "in", "on", "to"}
)


def is_cjk(ch: str) -> bool:
    """Whether a single character is a CJK ideograph (or 〇)."""
    cp = ord(ch)
    return any(a <= cp <= b for a, b in _CJK_RANGES)


@dataclass(frozen=True)
class _Engines:
    cut: Callable[[str], Iterable[str]]
    is_word: Callable[[str], bool]
    spans: Callable[[str], set[tuple[int, int]]]
    pinyin: Callable[[str], Sequence[str]]


_engines: _Engines | None = None
_engines_lock = threading.Lock()


def _no_pinyin_list(chars: str) -> list[str]:
    # One "" per character without pinyin keeps syllables aligned with the run's positions.
    return [""] * len(chars)


# pypinyin documents list results from `errors` callbacks; its type stub only allows str.
_no_pinyin = cast("Callable[[str], str]", _no_pinyin_list)


def _load() -> _Engines:
    # Imported here: jieba and pypinyin read large dictionaries, never at import time.
    global _engines
    if _engines is not None:
        return _engines
    with _engines_lock:
        if _engines is None:
            # jieba's sources trip invalid-escape warnings whenever they are compiled.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", SyntaxWarning)
                import jieba
            from pypinyin import lazy_pinyin

            logging.getLogger("jieba").setLevel(logging.WARNING)
            # A private tokenizer: words added to jieba's global one elsewhere cannot shift ours.
            tk = jieba.Tokenizer()
            tk.initialize()

            def spans(run: str) -> set[tuple[int, int]]:
                # Every dictionary word inside the run, plus the names jieba's HMM guesses.
                found = {(k, j + 1) for k, ends in tk.get_DAG(run).items() for j in ends}
                found.update((s, e) for _, s, e in tk.tokenize(run, HMM=True))
                return {(s, e) for s, e in found if e - s > 1}

            def pinyin(run: str) -> tuple[str, ...]:
                return tuple(lazy_pinyin(run, errors=_no_pinyin))

            _engines = _Engines(
                cut=lambda run: tk.cut(run, HMM=False),
                is_word=lambda word: bool(tk.FREQ.get(word)),
                spans=spans,
                pinyin=pinyin,
            )
        return _engines


def warm_up() -> None:
    """Load the word and pinyin dictionaries now (a server's start), not in a first search."""
    index_document("济南市公共交通线路")


def _runs(text: str) -> Iterator[tuple[str, bool]]:
    """Normalised runs of the text as (run, is_cjk); latin runs come out whole words."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_PINYIN_V)
    bare = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    for match in _RUN.finditer(_POSSESSIVE.sub("", bare)):
        cjk, latin = match.groups()
        yield (cjk, True) if cjk else (_latin(latin), False)


def _latin(word: str) -> str:
    # A tiny, symmetric plural rule: "stops" and "stop" meet at "stop"; "bus", "gas" stay.
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:MAX_TOKEN]


def _pairs(chunk: str) -> list[str]:
    return [chunk] if len(chunk) == 1 else [chunk[i : i + 2] for i in range(len(chunk) - 1)]


@functools.lru_cache(maxsize=1 << 16)
def _cjk_index(run: str) -> tuple[str, ...]:
    # Catalog text repeats the same runs (department, subject and item names) thousands of
    # times, and segmenting a run is most of the cost of indexing an entry: remembered.
    engines = _load()
    syllables = engines.pinyin(run)
    tokens: list[str] = []
    for i, ch in enumerate(run):
        tokens += (ch, run[i : i + 2], syllables[i])
    for start, end in sorted(engines.spans(run)):
        word_syllables = syllables[start:end]
        if all(word_syllables):
            # Through the latin rule too, as a query cannot tell initials "jncs" from English.
            tokens.append(_latin("".join(word_syllables)))
            tokens.append(_latin("".join(s[0] for s in word_syllables)))
    return tuple(tokens)


def _word_parts(word: str, engines: _Engines) -> list[str]:
    """The pairs a query word must match: its dictionary pairs and the characters they miss."""
    starts = [i for i in range(len(word) - 1) if engines.is_word(word[i : i + 2])]
    if len(word) < 3 or not starts:
        return _pairs(word)
    # 空气监测 asks for 空气 and 监测, not 气监, so it finds 空气质量监测 too.
    covered = {i + d for i in starts for d in (0, 1)}
    parts = [(i, word[i : i + 2]) for i in starts]
    parts += [(i, ch) for i, ch in enumerate(word) if i not in covered]
    return [part for _, part in sorted(parts)]


def _cjk_query(run: str, engines: _Engines) -> Iterator[str]:
    singles = ""
    for word in engines.cut(run):
        if len(word) == 1 and word not in _QUERY_STOPWORDS:
            # Runs of single characters are mostly names jieba does not know (历下): keep pairs.
            singles += word
            continue
        yield from _pairs(singles)
        singles = ""
        yield from _word_parts(word, engines)
    yield from _pairs(singles)


def index_tokens(text: str) -> list[str]:
    """Tokens to index for a field: latin words, ideographs, ideograph pairs, pinyin, initials."""
    tokens: list[str] = []
    for run, cjk in _runs(text):
        tokens.extend(_cjk_index(run) if cjk else (run,))
    return [t for t in dict.fromkeys(tokens) if t]


def index_document(text: str) -> str:
    """The index tokens of a field joined by single spaces, as stored in the FTS column."""
    return " ".join(index_tokens(text))


def query_tokens(query: str) -> list[str]:
    """Tokens a query must match, all ANDed; the last one is matched as a prefix."""
    tokens: list[str] = []
    for run, cjk in _runs(query):
        tokens.extend(_cjk_query(run, _load()) if cjk else [run])
    # Stopwords are dropped unless the query has nothing else (a search for just "的").
    kept = [t for t in tokens if t not in _QUERY_STOPWORDS] or tokens
    if not kept:
        return []
    # The last word is the one being typed: it must stay last to get prefix matching.
    last = kept[-1]
    return [*(t for t in dict.fromkeys(kept[:-1]) if t != last), last]
