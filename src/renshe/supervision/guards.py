"""The guard of every person-level route: district users pass as they are; a city user passes only
under a live supervision grant (督查), and then reads only the districts it opens.

It sits after the role guard (``guards=[READ, SUPERVISED]``): the role guard says who may ever
read people, this one what a city administrator may read today. A city analyst never passes —
aggregates only (01-platform §4). Each request read under a grant is audited.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar.connection import ASGIConnection

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.guards import principal_of
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import Forbidden
from renshe.i18n import lazy
from renshe.supervision import service
from renshe.web.request_context import request_id_of

AGGREGATES_ONLY = lazy(
    "City roles see counts and sums, not individuals' records. The city dashboard and the rollups show "
    "what the districts did."
)
ASK_FIRST = lazy(
    "To inspect a district's records, ask for supervision access first (Supervision page: "
    "district, reason, up to 8 hours)."
)


async def supervised(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    p = principal_of(connection)
    if p.is_district:
        return
    if not p.has(*service.ASKERS):
        raise Forbidden(AGGREGATES_ONLY)
    origin = Origin(
        ip=connection.client.host if connection.client else None, request_id=request_id_of(connection)
    )
    async with tenant_transaction(p.context(origin.request_id)):
        grants = await service.live_districts(p)
        if not grants:
            raise Forbidden(ASK_FIRST)
        # the path only: a query string can hold a searched name or number
        what = {"method": connection.scope.get("method", "GET"), "path": connection.url.path}
        await service.record_read(p, actor_for(p, origin), grants, what)
    # for this request only: the principal reads the supervised districts and acts as nothing else
    connection.scope["principal"] = replace(  # type: ignore[typeddict-unknown-key]
        p, readable_units=frozenset(grants), roles=frozenset({Role.CITY_ADMIN})
    )


supervised.requires_login = True  # type: ignore[attr-defined]
SUPERVISED = supervised
