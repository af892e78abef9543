"""Demo accounts (idempotent) and the ``renshe users`` commands."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

from renshe.accounts.seed import seed_demo_users
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.accounts.support import audit_actions, code_at, login, set_user, unique, unit_id

DISTRICTS = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")


async def _count_users() -> int:
    async with tenant_transaction(TenantContext.none()):
        return await current_transaction().connection.fetchval("SELECT count(*) FROM users")


async def test_demo_accounts_are_created_once(client, settings):
    accounts = dict(await seed_demo_users(settings))
    for code in DISTRICTS:
        for prefix in ("clerk", "reviewer", "finance", "admin"):
            assert f"{prefix}_{code}" in accounts
    assert accounts["admin_440703"] == ["district_admin"]
    assert accounts["analyst_440700"] == ["city_analyst"]
    assert accounts["cityadmin_440700"] == ["city_admin"]
    for name in ("sysadmin", "secadmin", "auditor"):
        assert accounts[name] == [name]
    assert len(accounts) == 4 * 7 + 2 + 3
    before = await _count_users()
    again = await seed_demo_users(settings)
    assert dict(again) == accounts
    assert await _count_users() == before
    # the demo password works and is not forced to change; admins use the demo TOTP secret
    answer = await login(client, "clerk_440703", settings.demo_password)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    client.cookies.clear()
    answer = await login(client, "auditor", settings.demo_password, code_at(settings.demo_totp_secret, 1))
    assert answer.status_code == 303


async def _run(*args: str, stdin: str = "") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "renshe",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=os.environ.copy(),
    )
    out, _ = await proc.communicate(stdin.encode())
    return proc.returncode or 0, out.decode()


async def test_users_commands(client):
    name = unique("cli")
    code, out = await _run(
        "users",
        "create",
        name,
        "--org",
        "440784",
        "--role",
        "clerk",
        "--name",
        "命令行用户",
        "--password-stdin",
        stdin="Cli-Password-77\n",
    )
    assert code == 0, out
    assert (await login(client, name, "Cli-Password-77")).status_code == 303
    # a weak password is refused before anything is written
    code, out = await _run(
        "users",
        "create",
        unique("weak"),
        "--org",
        "440784",
        "--role",
        "clerk",
        "--password-stdin",
        stdin="weak\n",
    )
    assert code != 0 and "at least 10" in out
    # an admin role prints the TOTP provisioning URI
    code, out = await _run(
        "users",
        "create",
        unique("adm"),
        "--org",
        "440700",
        "--role",
        "secadmin",
        "--password-stdin",
        stdin="Cli-Password-77\n",
    )
    assert code == 0 and "otpauth://totp/" in out
    # role rules apply
    code, out = await _run(
        "users",
        "create",
        unique("bad"),
        "--org",
        "440700",
        "--role",
        "auditor",
        "--role",
        "sysadmin",
        "--password-stdin",
        stdin="Cli-Password-77\n",
    )
    assert code != 0
    code, out = await _run("users", "list", "--org", "440784")
    assert code == 0 and name in out
    async with tenant_transaction(TenantContext.none()):
        user_id = await current_transaction().connection.fetchval(
            "SELECT id FROM users WHERE username = $1", name
        )
    await set_user(user_id, failed_logins=5, locked_until=datetime.now(UTC) + timedelta(minutes=30))
    code, out = await _run("users", "list", "--status", "locked")
    assert name in out
    code, out = await _run("users", "unlock", name)
    assert code == 0, out
    client.cookies.clear()
    assert (await login(client, name, "Cli-Password-77")).status_code == 303
    actions = [r["action"] for r in await audit_actions(await unit_id("440784"), user_id)]
    assert actions[:1] == ["user.created"] and "user.unlocked" in actions
