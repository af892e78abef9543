"""``renshe migrate`` and ``renshe db url``."""

from __future__ import annotations

import asyncio

import click

from renshe.cli.runtime import settings
from renshe.db import migrate as migrations
from renshe.db import urls


@click.command("migrate")
def migrate_command() -> None:
    """Apply pending schema migrations as the owner role (creates roles when allowed)."""
    s = settings()
    applied = asyncio.run(migrations.migrate(s))
    if applied:
        for m in applied:
            click.echo(f"applied {m.version:04d}_{m.name}")
    else:
        click.echo("schema is up to date")


@click.group("db")
def db_group() -> None:
    """Database helpers for operators."""


@db_group.command("url")
@click.option(
    "--role",
    type=click.Choice(["app", "owner", "maint"]),
    default="app",
    show_default=True,
    help="app: the application role (RLS applies); owner: migrations; maint: bypasses RLS.",
)
def db_url(role: str) -> None:
    """Print a connection URL of the running database for ROLE (for psql)."""
    click.echo(urls.role_url(settings(), role))  # type: ignore[arg-type]


COMMANDS = [migrate_command, db_group]
