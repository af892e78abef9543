"""Numbers people can say on the phone (受理编号) for applications, batches and imports.

``SQ440703-2026-000123`` (申请), ``PF440703-2026-000045`` (发放批次), ``DR440703-2026-000007`` (导入),
``RC440703-2026-000012`` (人才卡申请):
prefix, district code, year, a sequence of at least six digits. The database hands them out
(``db/migrations/0014_record_numbers.sql``): a BEFORE INSERT trigger on each table takes the next
value of the district's counter for that kind and year in the inserting transaction, so a rollback
gives the number back and the committed numbers have no gap. Python only reads and matches them.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

APPLICATION, BATCH, IMPORT, TALENT_APPLICATION = "SQ", "PF", "DR", "RC"
PATTERN = r"^(SQ|PF|DR|RC)[0-9]{6}-[0-9]{4}-[0-9]{6,}$"

# How the API documents a number (the services hand it out as a plain str).
Number = Annotated[
    str,
    msgspec.Meta(
        pattern=PATTERN,
        examples=["SQ440703-2026-000123"],
        description="Prefix (SQ application, PF batch, DR import, RC talent-card application), district "
        "code, year and a sequence without gaps per district, kind and year. Unique in its district; "
        "never reused.",
    ),
]


def clean_number(raw: str | None) -> str | None:
    """A number typed into a filter box, as stored: spaces dropped, upper case (the match is exact
    but case-insensitive). None for an empty box; any other text simply matches nothing."""
    text = "".join((raw or "").split()).upper()[:40]
    return text or None
