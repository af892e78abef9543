"""The tenant transaction: the one primitive through which all tenant data is read or written.

Every request, actor run, CLI command and test opens one. It begins a transaction on the
application role's pool and sets, *transaction-locally*, which tenants this work may read, which
it may write, and who is acting. Row-level security reads those settings; a transaction without
them sees zero rows of any tenant table. Nothing is ever set at session level, so a pooled
connection cannot carry one user's context to the next.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from uuid import UUID

from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from renshe.db.engine import get_engine


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What the current unit of work may see and change."""

    read: frozenset[UUID] = field(default_factory=frozenset)
    write: frozenset[UUID] = field(default_factory=frozenset)
    user_id: UUID | None = None
    request_id: str | None = None

    @classmethod
    def district(
        cls, tenant_id: UUID, user_id: UUID | None = None, request_id: str | None = None
    ) -> TenantContext:
        """A district user or a job of one district: reads and writes that district only."""
        ids = frozenset({tenant_id})
        return cls(read=ids, write=ids, user_id=user_id, request_id=request_id)

    @classmethod
    def subtree(
        cls,
        tenant_ids: frozenset[UUID],
        own_unit: UUID,
        user_id: UUID | None = None,
        request_id: str | None = None,
    ) -> TenantContext:
        """A city user: reads the whole subtree, writes only its own unit's rows (never a district's)."""
        return cls(read=tenant_ids, write=frozenset({own_unit}), user_id=user_id, request_id=request_id)

    @classmethod
    def none(cls, request_id: str | None = None) -> TenantContext:
        """No tenant at all: global tables only (login, org units)."""
        return cls(request_id=request_id)


AfterCommit = Callable[[], Awaitable[None]]
_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "renshe_after_commit", default=None
)


def on_commit(callback: AfterCommit) -> None:
    """Run ``callback`` after the open tenant transaction commits (never if it rolls back).

    Used to hand jobs to the broker only once their row is durable.
    """
    pending = _after_commit.get()
    if pending is None:
        raise RuntimeError("on_commit() needs an open tenant transaction")
    pending.append(callback)


def _csv(ids: frozenset[UUID]) -> str:
    return ",".join(sorted(str(i) for i in ids))


@contextlib.asynccontextmanager
async def tenant_transaction(ctx: TenantContext) -> AsyncIterator[PostgresTransaction]:
    """Open a transaction with ``ctx`` applied; commit on success, roll back on error.

    Nesting is refused: a unit of work has exactly one context.
    """
    engine = get_engine()
    pending: list[AfterCommit] = []
    token = _after_commit.set(pending)
    tx = engine.transaction(allow_nested=False)
    try:
        async with tx:
            await tx.connection.execute(
                "SELECT set_config('app.tenant_ids', $1, true),"
                " set_config('app.write_tenant_ids', $2, true),"
                " set_config('app.user_id', $3, true), set_config('app.request_id', $4, true)",
                _csv(ctx.read),
                _csv(ctx.write),
                str(ctx.user_id) if ctx.user_id else "",
                ctx.request_id or "",
            )
            yield tx
    except BaseException:
        await _give_back(engine, tx)
        raise
    finally:
        _after_commit.reset(token)
    # Reached only when the transaction committed (an exception skips this).
    for callback in pending:
        await callback()


async def _give_back(engine: PostgresEngine, tx: PostgresTransaction) -> None:
    """Return the connection to the pool even when BEGIN or ROLLBACK failed on it.

    Piccolo releases the connection only after a successful rollback; on a connection the server
    has closed (a PostgreSQL restart) the rollback itself fails and the connection would be lost
    to the pool for good, until every request waits forever. Releasing an already released
    proxy is harmless (asyncpg detaches it), so this runs on every failure path.
    """
    connection = getattr(tx, "connection", None)
    if connection is not None and engine.pool is not None:
        with contextlib.suppress(Exception):
            await engine.pool.release(connection)
    context = getattr(tx, "context", None)
    if context is not None and engine.current_transaction.get() is tx:
        engine.current_transaction.reset(context)


def within(column: str, units: Collection[UUID]) -> tuple[str, UUID | list[UUID]]:
    """The predicate "``column`` is one of ``units``" as parameter ``$1``, and that parameter.

    One unit (every district user) gives ``column = $1``, so an index that starts with
    ``tenant_id`` hands over a page of rows already in order; ``= ANY($1::uuid[])`` (city users,
    several districts) cannot, and would sort the whole district for a page of 50.
    """
    ids = sorted(set(units))
    if len(ids) == 1:
        return f"{column} = $1::uuid", ids[0]
    return f"{column} = ANY($1::uuid[])", ids


def current_transaction() -> PostgresTransaction:
    """The open tenant transaction (for services that must run inside one)."""
    tx = get_engine().current_transaction.get()
    if tx is None:
        raise RuntimeError("no tenant transaction is open")
    return tx
