"""Handing a job to Dramatiq by actor name, without importing ``workers/``.

The web process, the CLI and the scheduler send; only worker processes declare actors. Both sides
build a ``RedisBroker`` on the same Redis URL and namespace, so a message sent here lands in the
list the workers consume (``<namespace>:<queue>``).
"""

from __future__ import annotations

import asyncio
import threading
from uuid import UUID

import dramatiq
import structlog
from dramatiq.brokers.redis import RedisBroker

from renshe.db.urls import redis_url
from renshe.settings import Settings, get_settings

log = structlog.get_logger(__name__)

# The Redis key prefix of every queue (shared with workers/broker.py).
NAMESPACE = "renshe-jobs"

_broker: RedisBroker | None = None
_lock = threading.Lock()


def build_broker(settings: Settings, middleware: list[dramatiq.Middleware] | None = None) -> RedisBroker:
    """A broker on the application's Redis (the embedded Valkey when no URL is set)."""
    return RedisBroker(url=redis_url(settings), namespace=NAMESPACE, middleware=middleware or [])


def sender() -> RedisBroker:
    """The process's sending broker (no middleware, no actors)."""
    global _broker  # noqa: PLW0603 - one connection pool per process
    with _lock:
        if _broker is None:
            _broker = build_broker(get_settings())
        return _broker


def message(kind: str, queue_name: str, tenant_id: UUID, job_id: UUID) -> dramatiq.Message[None]:
    return dramatiq.Message(
        queue_name=queue_name,
        actor_name=kind,
        args=(str(tenant_id), str(job_id)),
        kwargs={},
        options={},
    )


def send_now(kind: str, queue_name: str, tenant_id: UUID, job_id: UUID) -> None:
    """Push one message to Redis (blocking)."""
    broker = sender()
    broker.declare_queue(queue_name)
    broker.enqueue(message(kind, queue_name, tenant_id, job_id))


async def send(kind: str, queue_name: str, tenant_id: UUID, job_id: UUID) -> bool:
    """Send without blocking the event loop. A failure is logged, not raised: the job row stays
    queued and the dispatcher sweep sends it again later."""
    try:
        await asyncio.to_thread(send_now, kind, queue_name, tenant_id, job_id)
    except Exception:
        log.warning("job.send_failed", job_id=str(job_id), kind=kind, exc_info=True)
        return False
    return True


def close() -> None:
    global _broker  # noqa: PLW0603
    with _lock:
        if _broker is not None:
            _broker.close()
            _broker = None
