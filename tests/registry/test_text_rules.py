"""The text rule of :mod:`renshe.text_rules`: names take every CJK ideograph (Extensions A–I,
the compatibility blocks, 〇); invisible characters (zero-width, bidi controls) are refused with
a field error in names, free text, reasons and passwords — property tests over each block."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from renshe import text_rules
from renshe.accounts import passwords
from renshe.registry import validation
from renshe.registry.model import Problems

# First and last assigned ideograph of each block (Unicode 15.1), and one in the middle.
REPRESENTATIVE = {
    "unified": ("\u4e00", "\u6c5f", "\u9fff"),
    "extension A": ("\u3400", "\u3e00", "\u4dbf"),
    "extension B": ("\U00020000", "\U00020bb7", "\U0002a6df"),  # 𠮷 (U+20BB7) is a family name
    "extension C": ("\U0002a700", "\U0002b000", "\U0002b739"),
    "extension D": ("\U0002b740", "\U0002b800", "\U0002b81d"),
    "extension E": ("\U0002b820", "\U0002c000", "\U0002cea1"),
    "extension F": ("\U0002ceb0", "\U0002d000", "\U0002ebe0"),
    "extension G": ("\U00030000", "\U00031000", "\U0003134a"),
    "extension H": ("\U00031350", "\U00032000", "\U000323af"),
    "extension I": ("\U0002ebf0", "\U0002ed00", "\U0002ee5d"),
    "compatibility": ("\uf900", "\ufa30", "\ufad9"),
    "compatibility supplement": ("\U0002f800", "\U0002f900", "\U0002fa1d"),
    "ideographic zero": ("\u3007",),
}
INVISIBLE = sorted(text_rules.INVISIBLE)


def _name_problems(name: str) -> dict[str, str]:
    problems = Problems()
    validation.check_name(name, problems)
    return problems.errors


@pytest.mark.parametrize(("block", "chars"), REPRESENTATIVE.items())
def test_a_name_in_any_block_of_ideographs_is_accepted(block: str, chars: tuple[str, ...]) -> None:
    for char in chars:
        assert text_rules.is_cjk_ideograph(char), (block, hex(ord(char)))
        assert _name_problems("王" + char + "明") == {}, (block, hex(ord(char)))
        assert _name_problems(char) == {}


def _ideographs_python_knows(block: str) -> st.SearchStrategy[str]:
    first, last = text_rules.CJK_BLOCKS[block]
    return st.characters(min_codepoint=first, max_codepoint=last).filter(
        lambda c: unicodedata.name(c, "").startswith("CJK")
    )


# every block Python's unicodedata has names for (3.11 knows Unicode 14: not H nor I)
KNOWN_BLOCKS = [b for b, (first, _last) in text_rules.CJK_BLOCKS.items() if unicodedata.name(chr(first), "")]


def _names_of_one_block(block: str) -> st.SearchStrategy[str]:
    return st.text(_ideographs_python_knows(block), min_size=1, max_size=6)


@given(st.sampled_from(KNOWN_BLOCKS).flatmap(_names_of_one_block))
def test_any_name_of_ideographs_is_accepted(name: str) -> None:
    assert _name_problems(name) == {}


@given(
    st.text(_ideographs_python_knows("extension B"), min_size=2, max_size=6),
    st.sampled_from(INVISIBLE),
    st.integers(min_value=0, max_value=6),
)
def test_an_invisible_character_anywhere_in_a_name_is_refused(name: str, mark: str, at: int) -> None:
    marked = name[:at] + mark + name[at:]
    assert _name_problems(marked) == {"name": text_rules.INVISIBLE_CHARACTERS}


@given(st.text(min_size=1, max_size=40), st.sampled_from(INVISIBLE))
def test_free_text_with_an_invisible_character_is_refused(text: str, mark: str) -> None:
    assume(text.strip())
    problems = Problems()
    validation.clean_text(text.strip() + mark + "x", "address", problems)
    assert problems.errors == {"address": text_rules.INVISIBLE_CHARACTERS}


def test_free_text_without_one_is_kept() -> None:
    problems = Problems()
    address = "江门市蓬江区𠮷祥路 1 号"
    assert validation.clean_text(f" {address} ", "address", problems) == address
    assert problems.errors == {}


@pytest.mark.parametrize("mark", INVISIBLE)
def test_a_password_with_an_invisible_character_is_refused(mark: str) -> None:
    assert text_rules.INVISIBLE_CHARACTERS in passwords.policy_errors(f"Correct-{mark}Horse-42", "wang")
    assert passwords.policy_errors("Correct-Horse-42", "wang") == []


def test_other_scripts_and_symbols_are_not_ideographs() -> None:
    for char in ("A", "あ", "한", "\u3006", "\u2e80", "\U0002a6e0", "\U0003ffff", "ab"):
        assert not text_rules.is_cjk_ideograph(char), hex(ord(char[0]))
