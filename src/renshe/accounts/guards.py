"""Route guards and the principal dependency.

``requires_login`` and ``requires_roles(...)`` are Litestar guards. Anonymous →
:class:`NotAuthorizedException` (a browser is sent to ``/login?next=…``, an API client gets 401);
a principal without one of the roles → :class:`PermissionDeniedException` (403). Both carry
``requires_login = True``, which the auth middleware reads to decide whether an expired session
should lead to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from renshe.accounts.principal import Principal, Role
from renshe.accounts.sessions import Session

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], Any], None]


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal the auth middleware put in the scope (None when anonymous)."""
    return cast("Principal | None", cast("dict[str, Any]", connection.scope).get("principal"))


def current_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Session | None:
    """The browser session the auth middleware loaded (None when anonymous or on the API)."""
    return cast("Session | None", cast("dict[str, Any]", connection.scope).get("renshe_session"))


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = current_principal(connection)
    if principal is None:
        raise NotAuthorizedException()
    return principal


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    principal_of(connection)


requires_login.requires_login = True  # type: ignore[attr-defined]


def requires_roles(*roles: Role) -> Guard:
    wanted = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
        if not principal_of(connection).roles & wanted:
            raise PermissionDeniedException()

    guard.requires_login = True  # type: ignore[attr-defined]
    guard.roles = wanted  # type: ignore[attr-defined]  # read by renshe.api.openapi (403)
    guard.__name__ = "requires_" + "_or_".join(sorted(r.value for r in roles))
    return guard


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Dependency ``principal``: the signed-in principal (401 / login page when there is none)."""
    return principal_of(request)


PRINCIPAL_DEPENDENCY = {"principal": Provide(provide_principal, sync_to_thread=False)}
