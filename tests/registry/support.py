"""Helpers for the registry tests: synthetic valid numbers (never a real person's), API users
with bearer tokens, scratch districts, and the superuser's view of raw rows."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from renshe.accounts import tokens
from renshe.accounts.authentication import USER_COLUMNS, Origin, build_principal
from renshe.accounts.principal import Principal, Role
from renshe.accounts.service import create_user
from renshe.audit import service as audit
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry.identifiers import hongkong, luhn_check_digit, resident_id, uscc
from renshe.settings import get_settings
from tests.determinism import session_seed

BASE_URL = "http://testserver.local"
PASSWORD = "Xq7#pLm2!vR9zz"
TESTER = audit.Actor(user_id=None, username="registry_tester", role="clerk", request_id="req-registry")
# Seeded from the run's seed (printed in the header; RENSHE_TEST_SEED replays it): a number that
# breaks a test can be had again.
_rng = random.Random(session_seed())


# ---------------------------------------------------------------- synthetic numbers


def prc_id(area: str = "440703", born: date | None = None, male: bool | None = None) -> str:
    """A valid 18-digit resident ID number of ``area`` (random birth date and sequence)."""
    born = born or date(1960, 1, 1) + timedelta(days=_rng.randrange(40 * 365))
    seq = _rng.randrange(1000)
    if male is not None and (seq % 2 == 1) != male:
        seq = (seq + 1) % 1000
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id.check_character(first17)


def hkid() -> str:
    prefix = _rng.choice("ABCDEGHKMPRVYZ")
    digits = f"{_rng.randrange(10**6):06d}"
    return f"{prefix}{digits}({hongkong.check_character(prefix, digits)})"


def home_return_permit(letter: str = "H") -> str:
    return f"{letter}{_rng.randrange(10**8):08d}"


def luhn_card(prefix: str = "6222") -> str:
    body = prefix + "".join(_rng.choice("0123456789") for _ in range(14))
    return body + luhn_check_digit(body)


def not_luhn_card() -> str:
    card = luhn_card()
    return card[:-1] + str((int(card[-1]) + 1) % 10)


def mobile() -> str:
    return f"1{_rng.choice('3456789')}{_rng.randrange(10**9):09d}"


def credit_code(area: str = "440703") -> str:
    """A valid USCC of an enterprise (91) in ``area``, its organization code checked too."""
    organization = "".join(_rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    body = "91" + area + organization + uscc.organization_check_character(organization)
    return body + uscc.check_character(body)


def person_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "陈美玲",
        "documents": [{"type": "prc_id", "number": prc_id()}],
        "mobile": mobile(),
        "residency": "mainland",
        "bank": {
            "account_number": luhn_card(),
            "account_name": "陈美玲",
            "bank_name": "中国工商银行江门分行",
        },
    }
    body.update(overrides)
    return body


def enterprise_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "江门市测试科技有限公司",
        "uscc": credit_code(),
        "legal_representative": "李大明",
        "registered_on": "2021-05-06",
        "bank": {"account_number": luhn_card("4402"), "bank_name": "中国银行江门分行"},
    }
    body.update(overrides)
    return body


# ---------------------------------------------------------------- users and clients


async def principal(code: str, *roles: Role) -> Principal:
    username = f"r_{roles[0].value}_{secrets.token_hex(4)}"
    issued = await create_user(
        get_settings(), None, Origin(operator="test"), username=username, org_unit=code,
        roles=frozenset(roles), password=PASSWORD, must_change_password=False,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.none()):
        user = await current_transaction().connection.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = $1",
            issued.user_id,
        )
        return await build_principal(user, frozenset(roles))


async def api_headers(code: str, *roles: Role, language: str | None = None) -> dict[str, str]:
    """Bearer-token headers of a new user of org unit ``code`` holding ``roles``."""
    token, _ = await tokens.issue(get_settings(), await principal(code, *roles), Origin())
    headers = {"Authorization": f"Bearer {token}"}
    if language:
        headers["Accept-Language"] = language
    return headers


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# ---------------------------------------------------------------- database views


async def unit_id(code: str) -> UUID:
    async with tenant_transaction(TenantContext.none()):
        found: UUID = await current_transaction().connection.fetchval(
            "SELECT id FROM org_units WHERE code = $1", code
        )
    return found


async def superuser(admin_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))


async def raw_rows(admin_url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as the database holds them, read by a superuser (the attacker with a disk copy)."""
    conn = await superuser(admin_url)
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def audit_records(tenant: UUID, object_id: UUID | str) -> list[dict[str, Any]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT action, actor_username, before::text AS before, after::text AS after FROM audit_log"
            " WHERE object_id = $1 ORDER BY seq",
            str(object_id),
        )
    return [dict(r) for r in rows]
