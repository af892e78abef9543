"""No personal number in clear at rest (read as a superuser, the attacker with a copy of the
disk) or in the logs; a sealed value moved to another row does not decrypt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from renshe.accounts.principal import Role
from renshe.protection.fields import UndecryptableValue
from renshe.registry.sealing import DOCUMENTS, unseal
from tests.registry.support import (
    api_headers,
    enterprise_body,
    hkid,
    home_return_permit,
    mobile,
    person_body,
    prc_id,
    raw_rows,
    unit_id,
)

ROOT = Path(__file__).resolve().parents[2]


def _variants(number: str) -> set[str]:
    """The number and the forms it might leak in (lower case, without brackets, the long middle)."""
    plain = number.replace("(", "").replace(")", "")
    forms = {number, number.lower(), plain, plain.lower()}
    # the middle of a long number (an 18-digit ID, a bank card) must not leak either; for a short
    # one (an 8-character HKID) four digits would match unrelated codes such as 440703 by chance
    if len(plain) >= 12:
        forms.add(plain[2:-2])
    return forms


async def test_no_clear_number_in_any_column(client: httpx.AsyncClient, admin_url: str) -> None:
    clerk = await api_headers("440784", Role.CLERK)
    number, card, permit, phone = prc_id("440784"), hkid(), home_return_permit(), mobile()
    person = (
        await client.post(
            "/api/v1/people",
            json=person_body(
                documents=[
                    {"type": "hkid", "number": card},
                    {"type": "home_return_permit", "number": permit},
                ],
                residency="hong_kong",
                mobile=phone,
            ),
            headers=clerk,
        )
    ).json()
    other = (
        await client.post(
            "/api/v1/people",
            json=person_body(documents=[{"type": "prc_id", "number": number}]),
            headers=clerk,
        )
    ).json()
    company_body = enterprise_body()
    company = (await client.post("/api/v1/enterprises", json=company_body, headers=clerk)).json()
    account = person_body()["bank"]["account_number"]
    await client.patch(
        f"/api/v1/people/{other['id']}",
        json={"version": 1, "bank": {"account_number": account}},
        headers=clerk,
    )
    await client.post(
        f"/api/v1/people/{other['id']}/unmask",
        json={"field": "bank_account", "reason": "核对账户"},
        headers=clerk,
    )
    ids = [person["id"], other["id"], company["id"]]
    rows = []
    for table, key in (
        ("persons", "id"),
        ("person_documents", "person_id"),
        ("enterprises", "id"),
        ("audit_log", "object_id"),
    ):
        found = await raw_rows(admin_url, f"SELECT * FROM {table} WHERE {key}::text = ANY($1::text[])", ids)
        assert found, table
        rows += found
    dump = " ".join(repr(v) if not isinstance(v, bytes) else v.hex() for r in rows for v in r.values())
    secrets = [number, card, permit, phone, account, company_body["bank"]["account_number"]]
    for secret in secrets:
        for form in _variants(secret):
            assert form not in dump, f"a personal number is stored in clear ({len(form)} chars)"
    stored = [r for r in rows if "number_enc" in r]
    assert len(stored) == 3 and all(r["number_enc"].count(":") == 2 for r in stored)


async def test_a_sealed_value_copied_to_another_row_does_not_decrypt(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    clerk = await api_headers("440784", Role.CLERK)
    first = (
        await client.post(
            "/api/v1/people",
            json=person_body(documents=[{"type": "prc_id", "number": prc_id("440784")}]),
            headers=clerk,
        )
    ).json()
    rows = await raw_rows(
        admin_url, "SELECT tenant_id, id, number_enc FROM person_documents WHERE person_id = $1", first["id"]
    )
    row = rows[0]
    assert unseal(DOCUMENTS, "number", row["tenant_id"], row["id"], row["number_enc"])
    with pytest.raises(UndecryptableValue):
        unseal(DOCUMENTS, "number", await unit_id("440703"), row["id"], row["number_enc"])


def test_nothing_personal_in_the_logs(db: None) -> None:
    env = {**os.environ, "RENSHE_LOG_LEVEL": "DEBUG", "RENSHE_LOG_FORMAT": "json"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.registry.log_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [201, 409, 422, 200, 404, 200]
    logged = done.stderr + "\n".join(done.stdout.strip().splitlines()[:-1])
    assert logged.count("http.request") >= 6  # the requests were logged, at DEBUG level
    for secret in report["secrets"]:
        for form in _variants(secret):
            assert form not in logged, "a personal number reached the log"
