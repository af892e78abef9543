"""``renshe seed --demo``: demo data, idempotent (a second run adds nothing)."""

from __future__ import annotations

import click

from renshe.cli.runtime import run_with_db
from renshe.settings import Settings

SCALES = ("small", "city", "bench")


async def seed_demo(settings: Settings, scale: str = "small") -> list[tuple[str, list[str]]]:
    """Seed every domain's demo data; return the demo accounts (username, roles)."""
    from renshe.accounts.seed import seed_demo_users
    from renshe.registry.seed import seed_demo_registry
    from renshe.subsidies.demo import seed_demo_subsidies

    accounts = await seed_demo_users(settings)
    await seed_demo_registry(settings, scale)
    await seed_demo_subsidies()
    return accounts


@click.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Seed the demo data set.")
@click.option(
    "--scale",
    type=click.Choice(SCALES),
    default="small",
    show_default=True,
    help="small: a few hundred records per district; city / bench: large data sets.",
)
def seed_command(demo: bool, scale: str) -> None:
    """Seed demo data (safe to run again)."""

    async def work(s: Settings) -> list[tuple[str, list[str]]]:
        return await seed_demo(s, scale)

    accounts = run_with_db(work)
    click.echo(f"demo data ready ({scale}); {len(accounts)} demo accounts")


COMMANDS = [seed_command]
