"""Every string the web pages show is in the catalogues, and Chinese has all of them translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import quancheng.web
from quancheng.web.i18n import LOCALES, translations

WEB = Path(quancheng.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_msgids() -> dict[str, str]:
    """msgid -> where it is used, from the templates and the Python code of the web package."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        WEB, method_map=METHODS, options_map={"**/templates/**.html": {"trimmed": "false"}}
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalogue(locale: str) -> Catalog:
    path = WEB / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def test_the_extractor_sees_templates_and_code() -> None:
    used = used_msgids()
    assert len(used) > 150
    assert "Data catalog" in used  # a template
    assert "Unconditional sharing" in used  # labels.py, marked with N_
    assert "The entry was published." in used  # a flash message in render.py


@pytest.mark.parametrize("locale", LOCALES)
def test_every_used_message_is_in_the_catalogue(locale: str) -> None:
    known = {m.id for m in catalogue(locale) if m.id}
    missing = {msgid: where for msgid, where in used_msgids().items() if msgid not in known}
    assert missing == {}, f"add these to {locale}/LC_MESSAGES/messages.po"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_has_no_stale_messages(locale: str) -> None:
    used = used_msgids()
    stale = sorted(str(m.id) for m in catalogue(locale) if m.id and m.id not in used)
    assert stale == [], f"remove these from {locale}/LC_MESSAGES/messages.po"


def test_chinese_translates_everything_with_the_same_placeholders() -> None:
    problems = []
    for message in catalogue("zh_CN"):
        if not message.id:
            continue
        msgid = str(message.id)
        text = message.string if isinstance(message.string, str) else ""
        if not text.strip():
            problems.append(("untranslated", msgid))
        elif message.fuzzy:
            problems.append(("fuzzy", msgid))
        elif sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text)):
            problems.append(("placeholders differ", msgid))
    assert problems == []


def test_catalogues_compile_in_memory_and_translate() -> None:
    assert translations("zh_CN").gettext("Data catalog") == "数据目录"
    assert translations("zh_CN").gettext("Unconditional sharing") == "无条件共享"
    assert translations("en").gettext("Data catalog") == "Data catalog"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_is_in_the_catalogue_twice(locale: str) -> None:
    # Two entries of one msgid (two branches adding the same word) load silently, the later
    # one winning: the earlier translation would be dead text that reviewers still read.
    path = WEB / "translations" / locale / "LC_MESSAGES" / "messages.po"
    ids = re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
