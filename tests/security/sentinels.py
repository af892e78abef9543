"""Sentinel personal values (哨兵数据): a distinctive name, a valid resident ID with a known birth
date, a mobile and a bank account per write path, and every common form each could leak in.

A form is searched for in clear; the masked forms the product shows (``哨*甲``,
``440783**********3X``, ``138****8000``, ``6222 **** **** 0128``) contain none of them.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from renshe.registry.identifiers import luhn_check_digit, resident_id
from renshe.registry.masking import mask_bank_account, mask_mobile, mask_resident_id

AREA = "440783"  # 开平: its own district, so the scans see what these paths wrote
PATHS = (
    "api", "api_enterprise", "api_edit", "page", "page_enterprise", "page_edit", "import_csv", "import_xlsx",
)  # fmt: skip
# Distinctive: no other test and no seed data uses these names.
NAMES = {
    "api": "哨兵甲",
    "api_enterprise": "哨兵乙",
    "page": "哨兵丙",
    "page_enterprise": "哨兵丁",
    "import_csv": "哨兵戊",
    "import_xlsx": "哨兵己",
    "api_edit": "哨兵庚",
    "page_edit": "哨兵辛",
}
BIRTHS = {
    "api": date(1987, 11, 23),
    "api_enterprise": date(1986, 4, 17),
    "page": date(1985, 9, 29),
    "page_enterprise": date(1984, 6, 12),
    "import_csv": date(1983, 2, 26),
    "import_xlsx": date(1982, 8, 14),
    "api_edit": date(1981, 10, 3),
    "page_edit": date(1980, 12, 21),
}


@dataclass(frozen=True, slots=True)
class Sentinel:
    path: str
    name: str
    number: str  # an 18-character resident ID, valid, ending in X when the draw allows
    born: date
    mobile: str
    account: str  # a 19-digit card number passing the Luhn check

    @property
    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"born": self.born.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sentinel:
        return cls(**(data | {"born": date.fromisoformat(data["born"])}))


def make(path: str, rng: random.Random) -> Sentinel:
    born = BIRTHS[path]
    number = ""
    for _ in range(200):  # prefer an X check character: its lower-case form is searched too
        first17 = f"{AREA}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + resident_id.check_character(first17)
        if number.endswith("X"):
            break
    body = "6217" + "".join(rng.choice("0123456789") for _ in range(14))
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return Sentinel(path, NAMES[path], number, born, mobile, body + luhn_check_digit(body))


def sentinels(seed: int) -> list[Sentinel]:
    rng = random.Random(seed)
    return [make(path, rng) for path in PATHS]


def _grouped(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at : at + size])
        at += size
    if at < len(digits):
        out.append(digits[at:])
    return sep.join(out)


def name_forms(s: Sentinel) -> set[str]:
    escaped = json.dumps(s.name)[1:-1]  # \u54e8\u5175\u7532
    return {s.name, " ".join(s.name), escaped, escaped.upper().replace("\\U", "\\u"), quote(s.name)}


def birth_forms(s: Sentinel) -> set[str]:
    b = s.born
    return {
        f"{b:%Y%m%d}",
        b.isoformat(),
        f"{b:%Y/%m/%d}",
        f"{b:%Y.%m.%d}",
        f"{b.year}年{b.month}月{b.day}日",
        f"{b:%Y年%m月%d日}",
        f"{b.year}/{b.month}/{b.day}",
        f"{b.year}-{b.month}-{b.day}",
    }


def number_forms(s: Sentinel) -> set[str]:
    n, m, a = s.number, s.mobile, s.account
    forms = {
        n, n.lower(), _grouped(n, (6, 8, 4), " "), _grouped(n, (6, 8, 4), "-"), n[6:16],
        m, _grouped(m, (3, 4, 4), " "), _grouped(m, (3, 4, 4), "-"), f"+86{m}", f"+86 {m}",
        a, _grouped(a, (4, 4, 4, 4), " "), _grouped(a, (4, 4, 4, 4), "-"), a[4:-4],
    }  # fmt: skip
    # in a bytea column (a file, a digest input) the ASCII bytes show as hex
    return forms | {f.encode().hex() for f in (n, m, a)}


def masked_forms(s: Sentinel) -> set[str]:
    """The numbers as the product shows them: fine on a page, never in a log (01-platform §9)."""
    return {mask_resident_id(s.number), mask_mobile(s.mobile), mask_bank_account(s.account)}


@dataclass(frozen=True, slots=True)
class Hit:
    where: str
    path: str
    kind: str  # name | birth date | number | masked number
    form: str

    def __str__(self) -> str:
        return f"{self.where}: the {self.path} sentinel's {self.kind} in clear ({self.form!r})"


def find(
    where: str,
    text: str,
    planted: list[Sentinel],
    *,
    names: bool = True,
    births: bool = True,
    masked: bool = False,
) -> list[Hit]:
    """Every sentinel form found in ``text`` (case-insensitive for the ASCII forms)."""
    folded = text.lower()
    hits = []
    for s in planted:
        kinds = [("number", number_forms(s))]
        if names:
            kinds.append(("name", name_forms(s)))
        if births:
            kinds.append(("birth date", birth_forms(s)))
        if masked:
            kinds.append(("masked number", masked_forms(s)))
        for kind, forms in kinds:
            hits += [Hit(where, s.path, kind, f) for f in sorted(forms) if f.lower() in folded]
    return hits


def all_forms(s: Sentinel) -> set[str]:
    return name_forms(s) | birth_forms(s) | number_forms(s)
