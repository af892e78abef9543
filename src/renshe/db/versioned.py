"""The optimistic-locking UPDATE every versioned record of a domain uses (applications, talent-card
applications, HK/MO grants and tranches): write the columns only if the row still has the version
that was read, bump the version and ``updated_at`` (the demo's story time when one is set), and
answer 409 with the domain's own words otherwise. One statement, inside the caller's open tenant
transaction, so row security applies as to every other write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from renshe import clock
from renshe.db.tenant import current_transaction
from renshe.errors import Conflict

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


async def change(
    table: str, row: Mapping[str, Any], columns: Mapping[str, Any], stale: str
) -> dict[str, Any]:
    """Write ``columns`` of ``row`` in ``table`` if its version is still ``row["version"]``; the
    updated row, or :class:`Conflict` with ``stale`` (someone changed it meanwhile)."""
    names = list(columns)
    # table and column names come from the code, never from a request: checked all the same
    if not all(_IDENTIFIER.match(n) for n in (table, *names)):
        raise ValueError(f"not an identifier: {table} {names}")
    sets = ", ".join(f"{n} = ${i + 5}" for i, n in enumerate(names))
    updated = await current_transaction().connection.fetchrow(
        f"""UPDATE {table} SET {sets}, version = version + 1, updated_at = coalesce($4, now())
            WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING *""",
        row["tenant_id"], row["id"], row["version"], clock.record_time(), *columns.values(),
    )  # fmt: skip
    if updated is None:
        raise Conflict(stale)
    return dict(updated)
