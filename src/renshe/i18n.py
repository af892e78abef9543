"""Translations from Babel catalogs (``renshe/locale/<locale>/LC_MESSAGES/*.po``).

Message ids are English; ``zh_CN`` (the default) translates them. Each domain keeps its own
``.po`` file; all files of one locale are merged at start-up and compiled in memory, so the
catalogs in the repository are the only source and nothing needs a build step.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import io
from collections.abc import Mapping
from functools import cache

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


def translate(message: str, params: Mapping[str, object] | None = None) -> str:
    """A msgid stored with its parameters (a report, a queued message), in the current language
    with the placeholders filled; a placeholder that does not fit leaves the text unfilled."""
    text = gettext(message)
    if params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            text = text % dict(params)
    return text


def lazy(message: str) -> str:
    """Mark a message for extraction where it is defined; translate it where it is shown."""
    return message


# A header longer than this, or with more parts, is cut: nobody prefers their 40th language.
_MAX_ACCEPT_LANGUAGE = 512
_MAX_CHOICES = 16
_PRIMARY = {"zh": "zh_CN", "en": "en"}


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an ``Accept-Language`` header (Chinese when unsure).

    Only the primary subtag matters (``zh-Hant-TW`` → Chinese, ``en-GB`` → English), so any
    tag, known to Babel or not (``xx``, ``i-klingon``, garbage), is read without a lookup and
    an unknown one is simply skipped; a weight that is not a number in [0, 1] counts as 0.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language[:_MAX_ACCEPT_LANGUAGE].split(",")[:_MAX_CHOICES]):
        tag, _, q = part.strip().partition(";")
        weight = 1.0
        if q:
            name, _, value = q.strip().partition("=")
            try:
                weight = float(value) if name.strip() == "q" else 0.0
            except ValueError:
                weight = 0.0
            if not 0.0 <= weight <= 1.0:  # also NaN
                weight = 0.0
        primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
        if weight > 0 and primary in _PRIMARY:
            choices.append((weight, -position, _PRIMARY[primary]))
    return max(choices)[2] if choices else DEFAULT_LOCALE


_ = gettext
