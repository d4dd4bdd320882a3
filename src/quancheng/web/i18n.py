"""Languages of the web pages: Babel catalogues compiled in memory, one Jinja2 environment each."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from quancheng.chinatime import CHINA_TIME

LOCALES = ("zh_CN", "en")
LANG_COOKIE = "qc_lang"


def N_(message: str) -> str:
    """Mark a string for the catalogue; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> Translations:
    """The locale's messages.po, compiled in memory (no .mo files in the tree)."""
    po = resources.files("quancheng.web") / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@cache
def environment(locale: str) -> Environment:
    """The Jinja2 environment of one locale: autoescaped, strict, gettext installed."""
    env = Environment(
        loader=PackageLoader("quancheng.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["number"] = lambda value: format_number(value, locale)
    env.filters["percent"] = lambda value: format_percent(value, "#,##0.0%", locale=locale)
    env.filters["datetime"] = format_time
    env.filters["date"] = format_day
    env.filters["isotime"] = format_iso_time
    return env


def load_all() -> None:
    """Compile every catalogue and build every environment (at app start, to fail early)."""
    for locale in LOCALES:
        environment(locale)


def format_number(value: Any, locale: str) -> str:
    """A whole number with the locale's grouping."""
    return format_decimal(value, locale=locale)


def format_time(value: datetime | None) -> str:
    """A timestamp in China time, to the minute."""
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if value else "—"


def format_iso_time(value: str | None) -> str:
    """An ISO 8601 timestamp (as the JSON of a page carries it) in China time, to the minute."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def format_day(value: datetime | None) -> str:
    """A date in China time."""
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d") if value else "—"


def pick_locale(cookie: str | None, default: str) -> str:
    """The visitor's chosen locale if it is one we have, else the city's default."""
    return cookie if cookie in LOCALES else default
