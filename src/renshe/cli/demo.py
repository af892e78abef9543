"""``renshe demo``: the whole product on one machine with one command."""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.error
import urllib.request

import click

from renshe import embedded
from renshe.cli.runtime import settings as load_settings
from renshe.cli.supervisor import Child, Supervisor, run_demo
from renshe.db import engine, migrate, urls
from renshe.settings import Settings

DEMO_MARKER = "demo-seeded-v1"
DISTRICT_CODES = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")


async def _prepare(s: Settings) -> bool:
    """Migrate, sync tenants, seed once. Returns True when demo data was seeded now."""
    await migrate.migrate(s)
    await engine.start(s, min_size=1, max_size=4)  # the demo seeding runs a few districts at once
    try:
        from renshe.subsidies.programs.sync import sync_catalogue
        from renshe.tenancy.service import sync_directory

        async def sync() -> None:
            await sync_directory(s.tenants_dir)
            await sync_catalogue()

        marker = s.data_dir / DEMO_MARKER
        if marker.exists():
            await sync()
            return False
        from renshe.cli.seed import seed_demo

        await seed_demo(s, opening=sync)  # the first sync opens the demo's story (its audit dates)
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
        return True
    finally:
        from renshe.redis import close_redis

        await close_redis()
        await engine.close()


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def banner(s: Settings, url: str, seconds: float, seeded: bool) -> str:
    districts = " ".join(DISTRICT_CODES)
    note = ", demo data seeded" if seeded else ""
    lines = [
        "",
        f"  renshe 人社 is running at {url}   (ready in {seconds:.1f} s{note})",
        "",
        f"  password for every demo login:  {s.demo_password}",
        f"  TOTP secret for admin logins:   {s.demo_totp_secret}   (current code: renshe totp-now)",
        "",
        f"  district logins, C in {districts}:",
        "    clerk_C  reviewer_C  finance_C  admin_C (district admin, TOTP)",
        "  city 440700:  analyst_440700   cityadmin_440700 (TOTP)",
        "  MLPS admins:  sysadmin  secadmin  auditor (all TOTP)",
        "",
        f"  data: {s.data_dir}   stop: Ctrl-C",
        "",
    ]
    return "\n".join(lines)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--worker-processes", default=1, show_default=True, type=click.IntRange(1, 8))
def demo_command(host: str, port: int, worker_processes: int) -> None:
    """Run web server, worker and scheduler with embedded PostgreSQL and Valkey (unless URLs are set)."""
    t0 = time.monotonic()
    s = load_settings()
    if s.production:
        raise click.ClickException("renshe demo is not for RENSHE_ENV=production")
    me = [sys.executable, "-m", "renshe"]
    supervisor = Supervisor(
        [
            Child("web", [*me, "web", "--host", host, "--port", str(port)]),
            Child("worker", [*me, "worker", "--processes", str(worker_processes)]),
            Child("scheduler", [*me, "scheduler"]),
        ]
    )
    url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}"  # noqa: S104
    seeded: list[bool] = []

    def prepare() -> None:
        urls.admin_url(s)
        urls.redis_url(s)
        seeded.append(asyncio.run(_prepare(s)))

    def stop_servers() -> None:
        if s.embedded_redis:
            embedded.stop_valkey(s.data_dir)
        if s.embedded_database:
            embedded.stop_postgres(s.data_dir)

    sys.exit(
        run_demo(
            supervisor,
            starting="starting database and Redis…" if s.embedded_database else "using RENSHE_DATABASE_URL…",
            prepare=prepare,
            ready=lambda: _is_ready(url),
            banner=lambda: banner(s, url, time.monotonic() - t0, seeded[0]),
            cleanup=stop_servers,
        )
    )


@click.command("totp-now")
@click.option("--secret", default=None, help="Base32 secret (default: RENSHE_DEMO_TOTP_SECRET).")
def totp_now(secret: str | None) -> None:
    """Print the current TOTP code for the demo admin logins (not in production)."""
    import pyotp

    s = load_settings()
    if s.production:
        raise click.ClickException("not available when RENSHE_ENV=production")
    click.echo(pyotp.TOTP(secret or s.demo_totp_secret).now())


COMMANDS = [demo_command, totp_now]
