"""Sentinel values planted through every write path never come back in clear.

``sentinel_probe`` (a subprocess, DEBUG JSON logs) plants a distinctive name, a valid resident ID,
a mobile and a bank account per path — API, pages, CSV and XLSX import, bank return — and reads
back every masked export, API answer and masked page. This test then looks for each value in
every common form (grouped, hyphenated, lower-case ``x``, the hidden middle, JSON-escaped, the
birth date inside the ID in any spelling):

* in every column of every table, read as the superuser (a copy of the disk) — every row written
  since the probe started (``xmin`` after the transaction id taken before it: the sentinels are
  random per run, so no older row can hold one; the rows of the rest of the suite are skipped,
  which made this scan minutes long);
* in every log line the run produced (there not even masked: 01-platform §9);
* in everything read back (masked exports, API answers, pages).

A name is kept in clear in the few columns that hold it by design (the registry, an award's
payee, a payment line's payee — the bank file needs it); a birth date only in
``persons.birth_date``. Anywhere else, a hit fails the test.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.registry.support import raw_rows
from tests.security.sentinels import Hit, Sentinel, all_forms, find

ROOT = Path(__file__).resolve().parents[2]

# (table, column) where a person's name is stored in clear by design, and why
NAME_COLUMNS = {
    ("persons", "name"): "the registry (search by name, unmasking)",
    ("persons", "bank_account_name"): "the registered account holder",
    ("enterprises", "legal_representative"): "the registered legal representative",
    ("enterprises", "bank_account_name"): "the account holder (a sole proprietor's own name)",
    ("applications", "payee_name"): "the award's payee, frozen at approval",
    ("payment_lines", "payee_name"): "the bank file's account name",
}
BIRTH_COLUMNS = {("persons", "birth_date")}


def _probe(seed: int) -> tuple[dict[str, Any], str]:
    env = {**os.environ, "RENSHE_LOG_LEVEL": "DEBUG", "RENSHE_LOG_FORMAT": "json", "SENTINEL_SEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.sentinel_probe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"seed {seed}: " + done.stderr[-4000:]
    out = done.stdout.strip().splitlines()
    report: dict[str, Any] = json.loads(out[-1])
    return report, done.stderr + "\n".join(out[:-1])


# A row's xmin is a 32-bit transaction id: "written since" is "less than 2^31 transactions after".
_WRITTEN_SINCE = "((x.xmin::text::bigint - $2 + 4294967296) % 4294967296) < 2147483648"


async def _transaction_id(admin_url: str) -> int:
    [row] = await raw_rows(admin_url, "SELECT txid_current() % 4294967296 AS xid")
    return int(row["xid"])


async def _database_hits(admin_url: str, planted: list[Sentinel], since_xid: int) -> tuple[list[Hit], int]:
    """The hits, and how many planted names the scan saw where they belong (the registry): a scan
    that skipped the probe's rows would find nothing and pass — this count says it did not."""
    tables = await raw_rows(
        admin_url,
        """SELECT table_schema, table_name FROM information_schema.tables
           WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
           ORDER BY 1, 2""",
    )
    assert {"persons", "payment_lines", "audit_log", "bank_returns"} <= {t["table_name"] for t in tables}
    patterns = [_like(form) for s in planted for form in all_forms(s)]
    hits: list[Hit] = []
    names_seen = 0
    for t in tables:
        name = f'"{t["table_schema"]}"."{t["table_name"]}"'
        # each row as JSON: every column by name, bytea as hex, jsonb and text as they are stored
        sql = (
            f"SELECT to_jsonb(x)::text AS j FROM {name} x"
            f" WHERE {_WRITTEN_SINCE} AND to_jsonb(x)::text ILIKE ANY($1::text[])"
        )
        for row in await raw_rows(admin_url, sql, patterns, since_xid):
            for column, value in json.loads(row["j"]).items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                key = (t["table_name"], column)
                if key == ("persons", "name"):
                    names_seen += sum(1 for s in planted if s.name == text)
                hits += find(
                    f"{t['table_name']}.{column}", text, planted,
                    names=key not in NAME_COLUMNS, births=key not in BIRTH_COLUMNS,
                )  # fmt: skip
    return hits, names_seen


def _like(form: str) -> str:
    """``%form%`` for ILIKE, its own wildcards and escapes taken literally."""
    return "%" + form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def test_sentinels_planted_everywhere_never_come_back_in_clear(db: None, admin_url: str) -> None:
    seed = int(os.environ.get("SENTINEL_SEED") or secrets.randbelow(10**9))
    since_xid = await _transaction_id(admin_url)
    report, logged = _probe(seed)
    planted = [Sentinel.from_json(s) for s in report["sentinels"]]
    read: list[tuple[str, str]] = report["read"]
    assert len(read) >= 60, f"seed {seed}: the probe read back too little"
    assert logged.count("http.request") >= 60, "the requests were not logged at DEBUG level"

    hits = find("the log", logged, planted, masked=True)  # no number in a log, masked or not
    for where, text in read:
        hits += find(where, text, planted)
    found, names_seen = await _database_hits(admin_url, planted, since_xid)
    hits += found
    assert not hits, f"seed {seed} (rerun with SENTINEL_SEED={seed}):\n" + "\n".join(
        sorted({str(h) for h in hits})
    )

    # the scan can fail: the sentinels are where they belong, in clear or sealed
    registry = await raw_rows(
        admin_url, "SELECT name, birth_date, mobile_enc FROM persons WHERE name = ANY($1::text[])",
        [s.name for s in planted],
    )  # fmt: skip
    assert {r["name"] for r in registry} == {s.name for s in planted if "enterprise" not in s.path}
    assert names_seen == len(registry), "the scan did not read the rows the probe wrote"
    assert all(r["mobile_enc"] and r["mobile_enc"].count(":") == 2 for r in registry)
    assert find("the check", "\n".join(f"{r['name']} {r['birth_date']}" for r in registry), planted)
