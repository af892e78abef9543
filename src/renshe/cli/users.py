"""``renshe users create|list|unlock|reset-second-factor``: user accounts from the command line
(the first sysadmin, and the last resort when no other administrator can help).

Changes go through :mod:`renshe.accounts.service` and are audited with the actor ``cli``.
"""

from __future__ import annotations

import getpass
import sys

import click

from renshe.accounts import listing, passwords, service
from renshe.accounts.authentication import Origin
from renshe.accounts.principal import Role
from renshe.cli.runtime import run_with_db
from renshe.errors import DomainError, ValidationFailed
from renshe.settings import Settings

ROLE_NAMES = [r.value for r in Role]
CLI = Origin(operator=f"cli:{getpass.getuser()}")


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = passwords.policy_errors(password, username)
    if problems:
        raise click.ClickException(" ".join(problems))
    return password


@click.group("users")
def users_group() -> None:
    """Create, list and unlock user accounts; replace a lost second factor."""


@users_group.command("create")
@click.argument("username")
@click.option("--org", "org_code", required=True, help="Org unit code, e.g. 440703.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="A role (repeat for several).",
)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--must-change/--no-must-change",
    default=False,
    show_default=True,
    help="Make the user change the password at first sign-in.",
)
def create_command(  # noqa: PLR0917 - one parameter per click option
    username: str,
    org_code: str,
    roles: tuple[str, ...],
    display_name: str,
    password_stdin: bool,
    must_change: bool,
) -> None:
    """Create USERNAME in an org unit with one or more roles."""
    password = _read_password(password_stdin, username)

    async def work(s: Settings) -> service.Issued:
        return await service.create_user(
            s,
            None,
            CLI,
            username=username,
            org_unit=org_code,
            roles=frozenset(Role(r) for r in roles),
            display_name=display_name,
            password=password,
            must_change_password=must_change,
        )

    try:
        issued = run_with_db(work)
    except ValidationFailed as exc:
        raise click.ClickException(
            "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
        ) from None
    click.echo(f"created {issued.username} ({', '.join(sorted(roles))}) in {org_code}")
    if issued.totp_uri:
        # Shown once, on the operator's terminal only (never logged).
        click.echo("second factor: add this to an authenticator app now")
        click.echo(f"  {issued.totp_uri}")


@users_group.command("list")
@click.option("--org", "org_code", default=None, help="Only this org unit.")
@click.option("--role", default=None, type=click.Choice(ROLE_NAMES))
@click.option("--status", default=None, type=click.Choice(listing.STATUSES))
def list_command(org_code: str | None, role: str | None, status: str | None) -> None:
    """List users (username, org unit, roles, status)."""

    async def work(_: Settings) -> list[listing.UserPage]:
        pages = [await listing.list_users(None, unit_code=org_code, role=role, status=status, per_page=500)]
        while pages[-1].page < pages[-1].pages:
            pages.append(
                await listing.list_users(
                    None, unit_code=org_code, role=role, status=status, page=pages[-1].page + 1, per_page=500
                )
            )
        return pages

    for page in run_with_db(work):
        for u in page.rows:
            state = "inactive" if not u["active"] else ("locked" if u["locked"] else "active")
            roles = ",".join(r.value for r in u["roles"])
            click.echo(f"{u['username']:<24} {u['unit_code']}  {state:<8} {roles}")


@users_group.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Clear USERNAME's lockout after failed sign-ins."""

    async def work(_: Settings) -> None:
        await service.unlock(None, CLI, await service.user_id_by_username(username))

    try:
        run_with_db(work)
    except DomainError as exc:
        raise click.ClickException(f"{username}: {exc.message}") from None
    click.echo(f"unlocked {username}")


@users_group.command("reset-second-factor")
@click.argument("username")
def reset_second_factor_command(username: str) -> None:
    """Give USERNAME a new authenticator key (the old one stops working); prints it once."""

    async def work(settings: Settings) -> service.Issued:
        return await service.reset_second_factor(
            settings, None, CLI, await service.user_id_by_username(username)
        )

    try:
        issued = run_with_db(work)
    except DomainError as exc:
        raise click.ClickException(f"{username}: {exc.message}") from None
    click.echo(f"new second factor for {username} (shown once; hand it over in person):")
    click.echo(f"  key:  {issued.totp_secret}")
    click.echo(f"  link: {issued.totp_uri}")


COMMANDS = [users_group]
