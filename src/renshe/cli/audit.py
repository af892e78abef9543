"""``renshe audit verify``: recompute every org unit's audit chain as the maintenance role."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import asyncpg
import click

from renshe.audit import chain
from renshe.cli.runtime import settings
from renshe.db import urls
from renshe.settings import Settings


@dataclass(frozen=True, slots=True)
class UnitReport:
    code: str
    name_en: str
    active: bool
    report: chain.ChainReport


async def verify_all(s: Settings, tenant_code: str | None = None) -> list[UnitReport]:
    """Verify each org unit's chain (or one unit's) over a plain maintenance-role connection.

    The maintenance role bypasses RLS, so one connection reads every tenant's chain; it is used
    only by this named command, read-only.
    """
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.role_url(s, "maint")))
    try:
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            units = await conn.fetch(
                "SELECT id, code, name_en, active FROM org_units"
                " WHERE $1::text IS NULL OR code = $1 ORDER BY code",
                tenant_code,
            )
            reports = []
            for unit in units:
                report = await chain.verify(conn, unit["id"])
                reports.append(UnitReport(unit["code"], unit["name_en"], unit["active"], report))
            return reports
    finally:
        await conn.close()


@click.group("audit")
def audit_group() -> None:
    """The audit log (审计日志)."""


@audit_group.command("verify")
@click.option("--tenant", "tenant_code", default=None, help="Only this org unit (6-digit code).")
def verify_command(tenant_code: str | None) -> None:
    """Recompute each org unit's hash chain; exit 1 naming the first broken link."""
    reports = asyncio.run(verify_all(settings(), tenant_code))
    if not reports:
        raise click.ClickException(f"no org unit with code {tenant_code}")
    broken = [r for r in reports if not r.report.ok]
    for r in reports:
        click.echo(f"{r.code} {r.name_en}: {r.report.describe()}")
    if broken:
        first = broken[0]
        click.echo(
            f"audit chain BROKEN: org unit {first.code}, seq {first.report.broken_seq}"
            f" ({first.report.problem})",
            err=True,
        )
        sys.exit(1)
    click.echo(f"all {len(reports)} audit chains intact")


COMMANDS = [audit_group]
