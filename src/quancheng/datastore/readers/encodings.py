"""The text encoding of an uploaded file: BOMs, UTF-8, and GB18030 before Western guesses."""

from __future__ import annotations

import codecs

import charset_normalizer

from quancheng.datastore.readers.base import bad

_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz"})
# Other double-byte encodings that charset_normalizer often names for short GB text.
_OTHER_CJK = frozenset(
    {"big5", "big5hkscs", "cp950", "cp949", "euc_kr", "shift_jis", "cp932", "euc_jp"}
)
# Below this coherence a non-GB CJK guess is treated as unsure (short samples score 0).
_SURE_COHERENCE = 0.3


def _canonical(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "gb18030" if name in _GB_FAMILY else name


def _decode_error(sample: bytes, encoding: str, *, complete: bool) -> UnicodeDecodeError | None:
    """The error decoding `sample` strictly; a cut multi-byte tail is fine unless complete."""
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        return exc
    return None


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The text encoding of a file from its first bytes (`complete` if that is the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decode_error(sample, "utf-8", complete=complete) is None:
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    guess = _canonical(best.encoding) if best is not None else None
    if guess == "gb18030":
        return guess
    sure_other_cjk = (
        best is not None
        and guess in {_canonical(e) for e in _OTHER_CJK}
        and best.coherence >= _SURE_COHERENCE
    )
    # Chinese government files are GB18030 far more often than anything charset_normalizer
    # might guess from a short sample (cp1252, cp949, big5...), so GB18030 wins when it fits.
    if (
        not sure_other_cjk
        and not (guess or "").startswith("utf")
        and _decode_error(sample, "gb18030", complete=complete) is None
    ):
        return "gb18030"
    if guess is None:
        raise bad(
            "The text encoding of the file could not be detected; give the encoding explicitly.",
            "bad_encoding",
        )
    return guess


def resolve_encoding(sample: bytes, given: str | None, *, complete: bool) -> str:
    """The given encoding checked against the sample, else the detected one."""
    if given is None:
        return detect_encoding(sample, complete=complete)
    try:
        encoding = _canonical(given)
    except LookupError:
        raise bad(f"Unknown text encoding {given!r}.", "bad_encoding", encoding=given) from None
    if encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    error = _decode_error(sample, encoding, complete=complete)
    if error is not None:
        raise bad(
            f"The file is not valid {encoding} text: bytes at offset {error.start} do not "
            "decode. Check the encoding or leave it out to detect it.",
            "bad_encoding",
            encoding=encoding,
            offset=error.start,
        )
    return encoding
