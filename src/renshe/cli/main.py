"""``renshe``: the one command for operators and developers."""

from __future__ import annotations

import importlib

import click

from renshe.settings import SettingsError

# Each module defines click commands/groups and a COMMANDS list.
COMMAND_MODULES: tuple[str, ...] = (
    "renshe.cli.database",
    "renshe.cli.tenants",
    "renshe.cli.users",
    "renshe.cli.seed",
    "renshe.cli.audit",
    "renshe.cli.keys",
    "renshe.cli.processes",
    "renshe.cli.demo",
    "renshe.cli.programs",
)


class RensheGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(f"configuration error — {exc}") from exc


@click.group(cls=RensheGroup)
@click.version_option(package_name="renshe")
def cli() -> None:
    """人社 renshe — district offices of the Human Resources and Social Security Bureau."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        continue
    for _command in _module.COMMANDS:
        cli.add_command(_command)
