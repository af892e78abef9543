"""The long-running processes: ``renshe web``, ``renshe worker``, ``renshe scheduler``, and
``renshe nightly`` (the nightly fan-out, now)."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import date

import click

from renshe.cli.runtime import run_with_db, settings
from renshe.db import urls
from renshe.settings import Settings, get_settings

# Module names, not imports: src/renshe never imports workers/ (Dramatiq loads it by name).
WORKERS_MODULE = "workers.main"
SCHEDULER_MODULE = "workers.scheduler"
SHUTDOWN_TIMEOUT_MS = 30_000


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "processes", default=1, show_default=True, type=int,
              help="uvicorn worker processes")  # fmt: skip
def web_command(host: str, port: int, processes: int) -> None:
    """Serve the web application (uvicorn on renshe.web.app:create_app)."""
    import uvicorn

    settings()
    uvicorn.run(
        "renshe.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        proxy_headers=True,
        log_config=None,  # our structlog set-up handles uvicorn's loggers
    )


@click.command("worker")
@click.option("--processes", type=int, default=None, help="default: RENSHE_WORKER_PROCESSES")
@click.option("--threads", type=int, default=None, help="default: RENSHE_WORKER_THREADS")
@click.option("--queues", "-Q", multiple=True, help="only these queues (default: all)")
def worker_command(processes: int | None, threads: int | None, queues: tuple[str, ...]) -> None:
    """Run Dramatiq worker processes (like `dramatiq workers.main`)."""
    if threads is not None:  # the worker processes size their pools from the settings
        os.environ["RENSHE_WORKER_THREADS"] = str(threads)
        get_settings.cache_clear()
    s = settings()
    _start_embedded(s)
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    argv = [
        WORKERS_MODULE,
        "--processes", str(processes or s.worker_processes),
        "--threads", str(threads or s.worker_threads),
        "--skip-logging",
        # a job cut short here is taken up again by the dispatcher sweep: do not hang a stop
        "--worker-shutdown-timeout", str(SHUTDOWN_TIMEOUT_MS),
    ]  # fmt: skip
    if queues:
        argv += ["--queues", *queues]
    sys.exit(dramatiq_main(make_argument_parser().parse_args(argv)))


def _start_embedded(s: Settings) -> None:
    """Start the embedded servers once in the parent, not racing in every forked child."""
    urls.redis_url(s)
    urls.admin_url(s)


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler: nightly fan-out at RENSHE_NIGHTLY_HOUR:00 and the dispatcher sweep."""
    _start_embedded(settings())
    importlib.import_module(SCHEDULER_MODULE).main()


@click.command("nightly")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="business date (default: yesterday in Asia/Shanghai)")  # fmt: skip
@click.option("--tenant", "tenant_code", default=None, help="only this org unit (6-digit code)")
def nightly_command(day: object, tenant_code: str | None) -> None:
    """Run the nightly fan-out now: one job per active org unit per nightly kind."""
    from renshe.errors import NotFound
    from renshe.jobs import nightly

    business_date = day.date() if day is not None else _yesterday()  # type: ignore[attr-defined]

    async def work(_: Settings) -> list[nightly.Planned]:
        return await nightly.fan_out(business_date, tenant_code)

    try:
        planned = run_with_db(work)
    except NotFound as exc:
        raise click.ClickException(f"no active org unit with code {tenant_code}") from exc
    for p in planned:
        state = "created " if p.created else "existing"
        click.echo(f"{state} {p.tenant_code} {p.kind} {p.job_id} {p.status}")
    created = sum(p.created for p in planned)
    click.echo(
        f"business date {business_date.isoformat()}: {created} created,"
        f" {len(planned) - created} already existed"
    )


def _yesterday() -> date:
    from datetime import timedelta

    from renshe import clock

    return clock.today() - timedelta(days=1)


COMMANDS = [web_command, worker_command, scheduler_command, nightly_command]
