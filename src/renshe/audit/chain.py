"""Verifying a tenant's audit chain (审计链校验).

Each record's hash is ``sha256(prev_hash || canonical(record))``, computed in SQL by the same
functions ``audit_append`` uses, so verification recomputes exactly what was written. A chain is
broken at the first record where

* ``gap``: the sequence skips (a record was deleted),
* ``link``: ``prev_hash`` is not the previous record's hash (a record was replaced or re-hashed),
* ``hash``: the stored hash does not match the record's content (a record was edited).

The same query serves the nightly job (application role, inside the district's tenant
transaction: RLS lets it read its own rows) and ``renshe audit verify`` (maintenance role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

PROBLEMS = {
    "gap": "record {expected} is missing (the chain jumps to {seq})",
    "link": "record {seq} does not point to the hash of record {previous}",
    "hash": "record {seq} was changed after it was written (its hash does not match)",
}

VERIFY_SQL = """
WITH chain AS MATERIALIZED (
  SELECT a.seq, a.hash, a.prev_hash,
         audit_link_hash(a.prev_hash, audit_canonical(a)) AS recomputed,
         lag(a.seq) OVER w AS prev_seq,
         lag(a.hash) OVER w AS prev_row_hash
  FROM audit_log a
  WHERE a.tenant_id = $1
  WINDOW w AS (ORDER BY a.seq)
),
checked AS (
  SELECT seq, coalesce(prev_seq, 0) + 1 AS expected, prev_seq,
         CASE WHEN seq <> coalesce(prev_seq, 0) + 1 THEN 'gap'
              WHEN prev_hash IS DISTINCT FROM prev_row_hash THEN 'link'
              WHEN hash IS DISTINCT FROM recomputed THEN 'hash'
         END AS problem
  FROM chain
),
first_broken AS (
  SELECT seq, expected, prev_seq, problem FROM checked
  WHERE problem IS NOT NULL ORDER BY seq LIMIT 1
)
SELECT (SELECT count(*) FROM chain) AS records,
       (SELECT max(seq) FROM chain) AS last_seq,
       b.seq, b.expected, b.prev_seq, b.problem
FROM (SELECT 1) one LEFT JOIN first_broken b ON true
"""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome for one tenant: ok, or the first broken link."""

    tenant_id: UUID
    records: int
    last_seq: int | None
    broken_seq: int | None = None
    problem: str | None = None  # gap | link | hash
    expected_seq: int | None = None
    previous_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """English, for the CLI and logs."""
        if self.ok:
            return f"ok ({self.records} records)"
        template = PROBLEMS[self.problem or "hash"]
        return f"BROKEN at seq {self.broken_seq}: " + template.format(
            seq=self.broken_seq, expected=self.expected_seq, previous=self.previous_seq
        )

    def as_result(self) -> dict[str, Any]:
        """The JSON stored in ``jobs.result`` by the nightly check."""
        return {
            "ok": self.ok,
            "records": self.records,
            "last_seq": self.last_seq,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
            "expected_seq": self.expected_seq,
        }


async def verify(conn: asyncpg.Connection, tenant_id: UUID) -> ChainReport:
    """Verify ``tenant_id``'s chain over ``conn`` (what the connection can see of it)."""
    row = await conn.fetchrow(VERIFY_SQL, tenant_id)
    assert row is not None
    return ChainReport(
        tenant_id=tenant_id,
        records=row["records"],
        last_seq=row["last_seq"],
        broken_seq=row["seq"],
        problem=row["problem"],
        expected_seq=row["expected"],
        previous_seq=row["prev_seq"],
    )
