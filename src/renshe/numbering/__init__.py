"""Numbers people can say on the phone (受理编号) for applications, batches and imports.

``SQ440703-2026-000123`` (申请), ``PF440703-2026-000045`` (发放批次), ``DR440703-2026-000007`` (导入):
prefix, district code, year, a sequence of at least six digits. The database hands them out
(``db/migrations/0014_record_numbers.sql``): a BEFORE INSERT trigger on each table takes the next
value of the district's counter for that kind and year in the inserting transaction, so a rollback
gives the number back and the committed numbers have no gap. Python only reads and matches them.
"""

from __future__ import annotations

import re

APPLICATION, BATCH, IMPORT = "SQ", "PF", "DR"

_NUMBER = re.compile(r"(SQ|PF|DR)[0-9]{6}-[0-9]{4}-[0-9]{6,}")


def clean_number(raw: str | None, kind: str) -> str | None:
    """A typed number as stored (case and surrounding spaces ignored), or None when the text is
    not a number of this ``kind`` — a list filter then matches nothing by number."""
    text = "".join((raw or "").split()).upper()[:40]
    return text if _NUMBER.fullmatch(text) and text.startswith(kind) else None
