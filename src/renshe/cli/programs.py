"""``renshe programs sync`` and ``renshe programs list``."""

from __future__ import annotations

from typing import Any

import click

from renshe import clock
from renshe.cli.runtime import run_with_db
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.settings import Settings
from renshe.subsidies.programs import service
from renshe.subsidies.programs.model import DefinitionError
from renshe.subsidies.programs.money import yuan_text
from renshe.subsidies.programs.policy import FAMILIES
from renshe.subsidies.programs.sync import SyncReport, sync_catalogue


@click.group("programs")
def programs_group() -> None:
    """Subsidy programs and their dated policy versions (补贴项目)."""


def _shown(key: str, value: Any) -> str:
    if key == "tiers":
        return "tiers=" + ",".join(
            (f"≤{t['up_to']}:" if t["up_to"] else "") + yuan_text(t["amount_fen"]) for t in value
        )
    if key == "levels_fen":
        return "levels=" + ",".join(f"{k}:{yuan_text(v)}" for k, v in value.items())
    if key.endswith("_fen"):
        return f"{key.removesuffix('_fen')}={yuan_text(value)}"
    return f"{key}={value}"


def _summary(rule: dict[str, Any]) -> str:
    """One line for an amount rule, money in yuan: ``tiered_per_unit tiers=≤3:2000.00,3000.00 …``."""
    if "kind" not in rule:  # one rule per kind of applicant
        return "; ".join(f"{kind}: {_summary(sub)}" for kind, sub in rule.items())
    shown = [_shown(k, v) for k, v in rule.items() if k != "kind" and v not in (None, [], 0)]
    return " ".join([rule["kind"], *shown])


@programs_group.command("sync")
def sync() -> None:
    """Store the seed catalogue; a changed version becomes a new version. Running it again
    changes nothing."""

    async def work(s: Settings) -> SyncReport:
        return await sync_catalogue()

    try:
        report = run_with_db(work)
    except DefinitionError as exc:
        for key, message in exc.problems:
            click.echo(f"{exc.source}: {key}: {message}", err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s) in the catalogue; nothing was changed"
        ) from None
    for label, items in (
        ("created", report.created),
        ("updated", report.updated),
        ("new versions", report.new_versions),
        ("deactivated", report.deactivated),
    ):
        if items:
            click.echo(f"{label}: {', '.join(items)}")
    if not report.changed:
        click.echo(f"unchanged: {len(report.unchanged)} programs")


@programs_group.command("list")
@click.option(
    "--on",
    "on_date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Show the versions in force on this date (default: today).",
)
def list_programs(on_date: object) -> None:
    """Print every program with its versions; * marks the version in force."""
    day = on_date.date() if hasattr(on_date, "date") else clock.today()

    async def work(s: Settings) -> list[service.StoredProgram]:
        async with tenant_transaction(TenantContext.none()):
            return await service.list_programs(include_inactive=True, families=FAMILIES)

    for program in run_with_db(work):
        info = program.info
        state = "" if program.active else "  (inactive)"
        kinds = "/".join(k.value for k in info.beneficiary)
        click.echo(f"{info.code:<22} {info.family:<10} {kinds:<18} {info.name_zh}{state}")
        current = service.in_force(program, day)
        for v in program.versions:
            d = v.definition
            window = f"{d.effective_from}…{d.effective_to or ''}"
            mark = "*" if current is not None and v.id == current.id else " "
            card = d.terms.card
            terms = f"card {card.validity_years}y" if card else _summary(d.terms.data["amount"])
            click.echo(f"  {mark} v{v.version:<3} {window:<24} {terms}")


COMMANDS = [programs_group]
