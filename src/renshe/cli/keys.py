"""``renshe keys rotate``: re-encrypt personal data under the active ``RENSHE_DATA_KEY``.

After changing ``RENSHE_DATA_KEY`` (and listing the old key in ``RENSHE_DATA_KEYS_RETIRED``),
run this once: it creates one ``registry.rotate_keys`` job per active district (or reuses the
district's unfinished one), which the workers run in batches with progress on the jobs page.
``--now`` runs the jobs in this process instead (no worker needed). Running it again is safe: a
job finds only the values still sealed with a retired key. Remove the old key from
``RENSHE_DATA_KEYS_RETIRED`` only when every job has succeeded.
"""

from __future__ import annotations

import click

from renshe.cli.runtime import run_with_db
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.errors import DomainError
from renshe.jobs import runner
from renshe.protection.keyring import keyring
from renshe.registry import keys
from renshe.settings import Settings
from renshe.talent import publishing, signing_keys
from renshe.tenancy import service as tenancy


async def rotate(tenant_code: str | None, now: bool) -> list[tuple[str, str, str]]:
    """(district code, job id, status) per district."""
    async with tenant_transaction(TenantContext.none()):
        units = [u for u in await tenancy.active_units("district") if tenant_code in (None, u["code"])]
    if not units:
        raise click.ClickException(f"no active district with code {tenant_code}")
    out = []
    for unit in units:
        async with tenant_transaction(TenantContext.district(unit["id"])):
            job = await keys.request_rotation(unit["id"])
        status = job.status
        if now:
            status = await runner.run(unit["id"], job.id) or "not run (held by a worker)"
        out.append((unit["code"], str(job.id), status))
    return out


@click.group("keys")
def keys_group() -> None:
    """Data keys for personal data (个人信息加密密钥) and talent-card signing keys (签名密钥)."""


@keys_group.command("rotate")
@click.option("--tenant", "tenant_code", default=None, help="Only this district (6-digit code).")
@click.option("--now", is_flag=True, help="Run the re-encryption in this process, not on a worker.")
def rotate_command(tenant_code: str | None, now: bool) -> None:
    """Re-encrypt every value sealed with a retired key, one job per district."""

    async def work(_: Settings) -> list[tuple[str, str, str]]:
        return await rotate(tenant_code, now)

    results = run_with_db(work)
    click.echo(f"active key id: {keyring().active_id}")
    for code, job_id, status in results:
        click.echo(f"{code}: job {job_id} {status}")


async def _signing(action: str, kid: str | None = None) -> list[signing_keys.PublishedKey]:
    async with tenant_transaction(TenantContext.none()):
        if action == "rotate":
            await signing_keys.rotate()
        elif action == "retire":
            assert kid is not None
            await signing_keys.retire(kid)
        keys = await signing_keys.every_key()
        districts = await tenancy.active_units("district")
    if action == "rotate":
        # every district's list again, under the new key: the old key may be retired next
        for unit in districts:
            await publishing.publish_in_own_transaction(unit["id"])
    return keys


def _show(keys: list[signing_keys.PublishedKey]) -> None:
    for k in keys:
        until = f", signed until {k.signed_until:%Y-%m-%d %H:%M}" if k.signed_until else ""
        click.echo(f"{k.kid}  {k.state:<9}  since {k.not_before:%Y-%m-%d %H:%M}{until}")


@keys_group.command("rotate-signing")
def rotate_signing_command() -> None:
    """Make a new talent-card signing key and republish every district's status list with it; the
    old key keeps verifying the cards it signed until it is retired."""
    _show(run_with_db(lambda _: _signing("rotate")))


@keys_group.command("retire-signing")
@click.argument("kid")
def retire_signing_command(kid: str) -> None:
    """Withdraw a signing key that no longer signs: cards signed with it stop verifying."""
    try:
        _show(run_with_db(lambda _: _signing("retire", kid)))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


@keys_group.command("list-signing")
def list_signing_command() -> None:
    """The talent-card signing keys, newest first, with their state."""
    _show(run_with_db(lambda _: _signing("list")))


COMMANDS = [keys_group]
