"""脱敏 — how personal values are shown by default (pages, API responses, exports).

* name: ``张*三`` (first and last character), ``张*`` (two characters); Latin names keep the first
  letter of each word (``CHAN Tai Man`` → ``C*** T** M**``).
* resident ID and residence permits: first 6 and last 2 (``440703**********13``).
* HKID: its letters and the last 2 (``A*****63``); home-return permit, Macao ID, passport: the
  first character and the last 2 (``H******78``).
* bank account: first 4 and last 4 in a fixed shape that hides the length (``6222 **** **** 0128``).
* mobile: first 3 and last 4 (``138****8000``).

Masked strings keep the length of the value (except the bank account), so a clerk can still
compare a card with the screen; a value too short to mask meaningfully is masked completely.
"""

from __future__ import annotations

import re

from renshe.registry.identifiers.model import DocumentType

MASK = "*"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Kept as they are: the middle dot of transliterated minority and foreign names (买买提·艾力),
# spaces and hyphens between words.
_NAME_SEPARATORS = frozenset("·•・.‧- ")

_ID_LIKE = frozenset(
    {DocumentType.PRC_ID, DocumentType.HKMO_RESIDENCE_PERMIT, DocumentType.TW_RESIDENCE_PERMIT}
)


def keep_ends(value: str, head: int, tail: int) -> str:
    """``value`` with everything but the first ``head`` and last ``tail`` characters masked; fully
    masked when nothing would be left to hide."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``陈美玲`` → ``陈*玲``, ``欧阳小明`` → ``欧**明``, ``CHAN Tai Man`` →
    ``C*** T** M**``; a one-character name is masked completely."""
    name = " ".join(name.split())
    if _CJK.search(name):
        positions = [i for i, ch in enumerate(name) if ch not in _NAME_SEPARATORS]
        keep = set()
        if len(positions) >= 2:
            keep.add(positions[0])
        if len(positions) >= 3:
            keep.add(positions[-1])
        return "".join(ch if i in keep or ch in _NAME_SEPARATORS else MASK for i, ch in enumerate(name))
    out = []
    start_of_word = True
    for ch in name:
        if ch in _NAME_SEPARATORS:
            out.append(ch)
            start_of_word = True
        else:
            out.append(ch if start_of_word else MASK)
            start_of_word = False
    return "".join(out)


def document_visible_ends(document_type: DocumentType, number: str) -> tuple[int, int]:
    """How many leading and trailing characters of a stored document number stay visible."""
    if document_type in _ID_LIKE:
        return 6, 2
    if document_type is DocumentType.HKID:
        return (2 if number[1:2].isalpha() else 1), 2
    return 1, 2


def mask_document(document_type: DocumentType, number: str) -> str:
    """A stored document number masked for display (``440703**********13``, ``A*****63``)."""
    head, tail = document_visible_ends(DocumentType(document_type), number)
    return keep_ends(number, head, tail)


def mask_resident_id(number: str) -> str:
    """``440703199003070013`` → ``440703**********13``."""
    return keep_ends(number, 6, 2)


def mask_bank_account(digits: str) -> str:
    """``6222021234567890128`` → ``6222 **** **** 0128`` (the same shape whatever the length)."""
    digits = "".join(digits.split())
    if len(digits) < 12:
        return "**** **** **** ****"
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_mobile(number: str) -> str:
    """``13800138000`` → ``138****8000``."""
    return keep_ends(number, 3, 4)
