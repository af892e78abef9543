"""``renshe tenants sync`` and ``renshe tenants list``."""

from __future__ import annotations

from pathlib import Path

import click

from renshe.cli.runtime import run_with_db
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.settings import Settings
from renshe.tenancy import service


@click.group("tenants")
def tenants_group() -> None:
    """Org units as code (tenants/*.toml)."""


@tenants_group.command("sync")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of TOML files (default: RENSHE_TENANTS_DIR, else ./tenants).",
)
def sync(directory: Path | None) -> None:
    """Upsert org units from the TOML files; deactivate the ones no file names."""

    async def work(s: Settings) -> service.SyncReport:
        return await service.sync_directory(directory or s.tenants_dir)

    try:
        report = run_with_db(work)
    except service.TenantFilesInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s) in the tenant files; nothing was changed"
        ) from None
    for label, keys in (
        ("created", report.created),
        ("updated", report.updated),
        ("deactivated", report.deactivated),
        ("unchanged", report.unchanged),
    ):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}")


@tenants_group.command("list")
def list_units() -> None:
    """Print every org unit with its code, kind and state."""

    async def work(s: Settings) -> list[dict]:
        async with tenant_transaction(TenantContext.none()):
            return await service.all_units()

    for unit in run_with_db(work):
        state = "active" if unit["active"] else "inactive"
        click.echo(f"{unit['code']}  {unit['kind']:<9} {unit['key']:<10} {unit['name_zh']}  ({state})")


COMMANDS = [tenants_group]
