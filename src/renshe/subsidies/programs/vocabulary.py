"""Words for the codes program versions share (词汇): the values of choice facts and the document
types, named in Chinese and English by the seed catalogue's ``[choices]`` and ``[documents]``
tables.

The vocabularies are not versioned, so a version stored long ago shows its codes in today's
words, and a new word is not a new version. The catalogue refuses a version whose choice is not
in ``[choices]``, and a test checks every stored version; the code itself is shown only for a
value no version of the catalogue knows any more (better than an empty cell).
"""

from __future__ import annotations

from collections.abc import Mapping

from renshe.i18n import current_locale
from renshe.subsidies.programs.catalog import load_catalogue


def _names(table: Mapping[str, Mapping[str, str]], code: str) -> tuple[str, str] | None:
    names = table.get(code)
    return (names["name_zh"], names["name_en"]) if names else None


def choice_names(code: str) -> tuple[str, str] | None:
    """(Chinese, English) words for a choice value, or None when the vocabulary lacks it."""
    return _names(load_catalogue().choices, code)


def document_names(code: str) -> tuple[str, str]:
    """(Chinese, English) names of a document type (the code twice when unknown)."""
    return _names(load_catalogue().documents, code) or (code, code)


def choice_label(code: str) -> str:
    """A choice value as the user reads it, in the current language."""
    zh, en = choice_names(code) or (code, code)
    return en if current_locale.get() == "en" else zh
