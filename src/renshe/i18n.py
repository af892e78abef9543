"""Translations from Babel catalogs (``renshe/locale/<locale>/LC_MESSAGES/*.po``).

Message ids are English; ``zh_CN`` (the default) translates them. Each domain keeps its own
``.po`` file; all files of one locale are merged at start-up and compiled in memory, so the
catalogs in the repository are the only source and nothing needs a build step.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import io
from functools import cache

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from renshe.paths import locale_dir

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("renshe_locale", default=DEFAULT_LOCALE)


@cache
def catalog(locale: str) -> Catalog:
    merged = Catalog(locale=locale)
    folder = locale_dir() / locale / "LC_MESSAGES"
    if folder.is_dir():
        for po in sorted(folder.glob("*.po")):
            with po.open("rb") as fh:
                for message in read_po(fh, locale=locale):
                    if message.id and message.string:
                        merged[message.id] = message
    return merged


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    if locale == "en":
        return _gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, catalog(locale))
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def lazy(message: str) -> str:
    """Mark a message for extraction where it is defined; translate it where it is shown."""
    return message


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an ``Accept-Language`` header (Chinese when unsure)."""
    if not accept_language:
        return DEFAULT_LOCALE
    choices = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        choices.append((weight, tag.strip()))
    for _, tag in sorted(choices, reverse=True):
        try:
            lang = Locale.parse(tag.replace("-", "_")).language
        except (ValueError, TypeError):
            continue
        if lang == "zh":
            return "zh_CN"
        if lang == "en":
            return "en"
    return DEFAULT_LOCALE


_ = gettext
