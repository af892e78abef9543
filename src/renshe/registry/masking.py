"""脱敏 — how personal values are shown by default (pages, API responses, exports).

* name: the surname and the given name's last character (``张*三``), the surname alone when the
  given name has one character (``张*``); a compound surname stays whole (``欧阳*明``, ``司徒*``);
  Latin names keep the first letter of each word (``CHAN Tai Man`` → ``C*** T** M**``). The one
  rule for people's names on every page, export and the public notice (公示).
* resident ID and residence permits: first 6 and last 2 (``440703**********13``).
* HKID: its letters and the last 2 (``A*****63``); home-return permit, Macao ID, passport: the
  first character and the last 2 (``H******78``).
* bank account: first 4 and last 4 in a fixed shape that hides the length (``6222 **** **** 0128``).
* mobile: first 3 and last 4 (``138****8000``).
* free text from outside (a bank's failure reason, a spreadsheet cell quoted in an error): every
  run of 11 or more digits — an ID, an account or a mobile, whole or in groups — masked by its
  shape, and the names it is known to quote (``mask_in_text``).

Masked strings keep the length of the value (except the bank account), so a clerk can still
compare a card with the screen; a value too short to mask meaningfully is masked completely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from renshe.registry.identifiers.model import DocumentType

MASK = "*"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Kept as they are: the middle dot of transliterated minority and foreign names (买买提·艾力),
# spaces and hyphens between words.
_NAME_SEPARATORS = frozenset("·•・.‧- ")

# Compound surnames (复姓) kept whole: ``欧阳*明``, not ``欧**明``. The common ones of the
# Hundred Family Surnames; a rarer one is masked like a single surname (one more character hidden).
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司徒", "上官", "诸葛", "司马", "东方", "皇甫", "尉迟",
    "公孙", "慕容", "长孙", "夏侯", "轩辕", "令狐", "钟离", "宇文",
    "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶",
    "太史", "申屠", "闻人", "万俟", "赫连", "淳于", "单于", "濮阳",
    "左丘", "东郭", "拓跋",
})  # fmt: skip

_ID_LIKE = frozenset(
    {DocumentType.PRC_ID, DocumentType.HKMO_RESIDENCE_PERMIT, DocumentType.TW_RESIDENCE_PERMIT}
)


def keep_ends(value: str, head: int, tail: int) -> str:
    """``value`` with everything but the first ``head`` and last ``tail`` characters masked; fully
    masked when nothing would be left to hide."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def _surname_length(name: str, positions: list[int]) -> int:
    if len(positions) > 2 and positions[1] == 1 and name[:2] in COMPOUND_SURNAMES:
        return 2
    return 1


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``陈美玲`` → ``陈*玲``, ``欧阳小明`` → ``欧阳*明``, ``司徒明`` → ``司徒*``,
    ``CHAN Tai Man`` → ``C*** T** M**``; a one-character name is masked completely."""
    name = " ".join(name.split())
    if _CJK.search(name):
        positions = [i for i, ch in enumerate(name) if ch not in _NAME_SEPARATORS]
        keep = set()
        if len(positions) >= 2:
            surname = _surname_length(name, positions)
            keep.update(positions[:surname])
            if len(positions) - surname >= 2:  # the given name's last character
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


# 11+ digits (full-width too), maybe grouped by spaces or hyphens, maybe ending in an ID's X.
# Letters around them do not matter: a bank writes "A/C6222…" as readily as "账号6222…".
_NUMBER_IN_TEXT = re.compile(r"\d(?:[ \u3000-]?\d){10,}(?:[ \u3000-]?[Xx])?")
_GROUPING = re.compile(r"[ \u3000-]")


def _mask_number(match: re.Match[str]) -> str:
    digits = unicodedata.normalize("NFKC", _GROUPING.sub("", match.group())).upper()
    if len(digits) == 18:  # a resident ID or a residence permit (or an 18-digit account)
        return mask_resident_id(digits)
    if len(digits) == 11 and digits.startswith("1"):
        return mask_mobile(digits)
    return mask_bank_account(digits)


def mask_in_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text that may quote personal values, as it may be stored and shown: ``names`` (the
    payee's, say) masked wherever they occur, and every run of 11 or more digits masked as an ID,
    a mobile or an account (``账号 6222 0212 3456 7890 128`` → ``账号 6222 **** **** 0128``)."""
    for name in names:
        if name and name.strip():
            text = text.replace(name, mask_name(name))
    return _NUMBER_IN_TEXT.sub(_mask_number, text)
