"""``renshe seed --demo``: demo data, idempotent (a second run adds nothing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import click

from renshe import clock, demo_story
from renshe.cli.runtime import run_with_db
from renshe.settings import Settings

SCALES = ("small", "city", "bench")


class DemoNotForProduction(RuntimeError):
    """The demo data set creates accounts with a published password and TOTP secret."""


async def seed_demo(
    settings: Settings,
    scale: str = "small",
    *,
    opening: Callable[[], Awaitable[None]] | None = None,
    codes: tuple[str, ...] | None = None,
) -> list[tuple[str, list[str]]]:
    """Seed every domain's demo data (the subsidies in every district, or those in ``codes``);
    return the demo accounts (username, roles).

    The story is dated (``renshe.demo_story``): ``opening`` (``renshe demo``'s first tenant and
    programme sync) and the accounts at its first instant, the registry over the two years after,
    the subsidies over the last weeks; the audit log with them while the story clock is open. The
    rollups count it all before the demo opens."""
    if settings.production:
        raise DemoNotForProduction(
            "renshe seed --demo is not for RENSHE_ENV=production: its accounts share the published "
            "demo password and TOTP secret"
        )
    from renshe.accounts.seed import seed_demo_users
    from renshe.audit import story_clock
    from renshe.hkmo.demo import seed_demo_hkmo
    from renshe.hkmo.demo_grants import seed_demo_grants, seed_demo_targets
    from renshe.registry.seed import seed_demo_registry
    from renshe.rollups.demo import fold_demo_history
    from renshe.subsidies.demo import seed_demo_subsidies
    from renshe.talent.demo import seed_demo_talent

    async with story_clock.opened(settings):
        with clock.story_at(demo_story.opening(clock.today())):
            if opening is not None:
                await opening()
            accounts = await seed_demo_users(settings)
        await seed_demo_registry(settings, scale)
        await seed_demo_subsidies(codes)
        await seed_demo_talent(codes)
        await seed_demo_hkmo(codes)
        await seed_demo_grants(codes)
        await seed_demo_targets()
    await fold_demo_history(codes)
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

    try:
        accounts = run_with_db(work)
    except DemoNotForProduction as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"demo data ready ({scale}); {len(accounts)} demo accounts")


COMMANDS = [seed_command]
