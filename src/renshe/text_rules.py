"""What free text a person may type (文字规则): every CJK ideograph, no invisible characters.

One module for every field that keeps what a person typed — names of people and enterprises,
account holders and legal representatives, users' display names, reasons (unmask, export,
rejection, cancellation, objection and its resolution), passwords and addresses and other free
text — so the rule cannot drift between copies.

* **CJK ideographs**: a name may use any of them — the basic block, Extensions A to I, the
  compatibility ideographs and ``〇`` (U+3007, as in 李〇明). Rare characters in personal names
  are mostly in Extension B and later; refusing them would refuse the person.
* **Invisible characters are refused, never stripped**: zero-width characters (U+200B–U+200D,
  U+2060, U+FEFF) and bidirectional controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069,
  U+061C). They make two different strings look the same (a name that does not match itself in
  a search or a bank file, "Trojan Source" reordering in a reason). Stripping would silently
  change a password or a name; a clear error on the field lets the person see and fix it.
"""

from __future__ import annotations

import re
from typing import Final

from renshe.errors import ValidationFailed
from renshe.i18n import lazy

# (first, last) code point of each block of CJK ideographs.
CJK_BLOCKS: Final[dict[str, tuple[int, int]]] = {
    "unified": (0x4E00, 0x9FFF),
    "extension A": (0x3400, 0x4DBF),
    "extension B": (0x20000, 0x2A6DF),
    "extension C": (0x2A700, 0x2B73F),
    "extension D": (0x2B740, 0x2B81F),
    "extension E": (0x2B820, 0x2CEAF),
    "extension F": (0x2CEB0, 0x2EBEF),
    "extension I": (0x2EBF0, 0x2EE5F),
    "extension G": (0x30000, 0x3134F),
    "extension H": (0x31350, 0x323AF),
    "compatibility": (0xF900, 0xFAFF),
    "compatibility supplement": (0x2F800, 0x2FA1F),
}
IDEOGRAPHIC_ZERO: Final = "\u3007"  # 〇
# A regex character-class body matching every CJK ideograph (for use inside [...]).
CJK_CLASS: Final = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in CJK_BLOCKS.values()) + IDEOGRAPHIC_ZERO

ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI_CONTROLS: Final = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
INVISIBLE: Final = ZERO_WIDTH | BIDI_CONTROLS
_INVISIBLE_RE: Final = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")
_CJK_RE: Final = re.compile(f"[{CJK_CLASS}]")

INVISIBLE_CHARACTERS: Final = lazy(
    "Remove the invisible characters (zero-width spaces or text-direction marks) from this field."
)


def is_cjk_ideograph(char: str) -> bool:
    return len(char) == 1 and _CJK_RE.fullmatch(char) is not None


def has_invisible(text: str | None) -> bool:
    return bool(text) and _INVISIBLE_RE.search(text or "") is not None


def invisible_error(text: str | None) -> str | None:
    """The msgid to show on a field whose text holds an invisible character, else None."""
    return INVISIBLE_CHARACTERS if has_invisible(text) else None


def refuse_invisible(**fields: str | None) -> None:
    """422 naming every field whose text holds an invisible character (for services that take
    a few free-text arguments rather than a form)."""
    errors = {name: INVISIBLE_CHARACTERS for name, text in fields.items() if has_invisible(text)}
    if errors:
        raise ValidationFailed(errors)
