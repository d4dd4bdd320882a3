"""Safe, stable SQL identifiers made from the headers a department wrote."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63

# Words that would need quoting in SQL that users write by hand; such names get a trailing "_".
RESERVED_WORDS = frozenset(
    {
        "select", "from", "where", "order", "group", "table", "user", "limit", "offset",
        "and", "or", "not", "null", "true", "false", "case", "when", "end", "as", "by",
        "having", "union", "join", "on", "in", "is", "like", "between", "distinct", "all",
        "any", "default", "check", "primary", "references", "create", "insert", "update",
        "delete", "drop", "alter", "grant", "column", "constraint", "to", "with", "desc",
        "asc", "date", "time", "timestamp",
    }
)  # fmt: skip

# Everything that is not an ASCII lower-case letter, a digit or a CJK ideograph (the
# unified ideographs and extension A, which is what Chinese headers use in practice).
_OTHER_RUN = re.compile(r"[^a-z0-9\u3400-\u9fff]+")


def _truncate(name: str, max_bytes: int) -> str:
    """`name` cut on a character boundary to at most `max_bytes` UTF-8 bytes."""
    encoded = name.encode("utf-8")
    if len(encoded) <= max_bytes:
        return name
    # errors="ignore" drops a multi-byte character the cut went through.
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def base_identifier(label: str, position: int) -> str:
    """The identifier for one header before duplicates are resolved (position is 0-based)."""
    text = unicodedata.normalize("NFKC", label).lower()
    name = _OTHER_RUN.sub("_", text).strip("_")
    if not name:
        name = f"column_{position + 1}"
    if name[0].isdigit():
        name = "c_" + name
    name = _truncate(name, MAX_IDENTIFIER_BYTES).rstrip("_")
    if name in RESERVED_WORDS:
        name += "_"
    return name


def make_identifiers(labels: Sequence[str]) -> list[str]:
    """Unique SQL identifiers (lower-case ASCII or CJK, at most 63 bytes) for the headers."""
    bases = [base_identifier(label, i) for i, label in enumerate(labels)]
    # A header keeps its own name when it is the first to claim it; later duplicates get
    # a suffix that avoids every base name, so "a", "a", "a_2" gives a, a_3, a_2 and the
    # real "a_2" column keeps its name.
    taken = set(bases)
    seen: set[str] = set()
    names: list[str] = []
    for base in bases:
        if base not in seen:
            seen.add(base)
            names.append(base)
            continue
        n = 2
        while True:
            suffix = f"_{n}"
            candidate = _truncate(base, MAX_IDENTIFIER_BYTES - len(suffix)).rstrip("_") + suffix
            if candidate not in taken:
                break
            n += 1
        taken.add(candidate)
        names.append(candidate)
    return names
