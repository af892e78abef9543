"""Operator endpoints closed to the public in production (运维接口): ``/metrics`` and the API
documentation (``/api/schema…``, ``/docs/api``).

Both describe the inside of the service (every route, request counts, job queues), which helps an
attacker map it. In development and test they stay open (the demo links them, its users read
them). In production:

* ``/metrics`` answers a client whose address is in ``RENSHE_METRICS_ALLOW`` (the Prometheus
  server; behind the reverse proxy the address is the forwarded one, see uvicorn's
  ``proxy_headers``), or a signed-in sysadmin, secadmin or auditor;
* the API documentation answers any signed-in user (a browser session on ``/docs/api``, a bearer
  token under ``/api/schema``) or an address in ``RENSHE_METRICS_ALLOW``.

Anyone else: anonymous → the login page (401 problem+json under ``/api``); signed in without a
role that may → 403. The settings are the application's (``create_app(settings)``), kept in
``app.state``, so a test can build a production application beside the test one.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from renshe.accounts.guards import current_principal
from renshe.accounts.principal import Role
from renshe.settings import Settings, get_settings

SETTINGS_STATE = "settings"
METRICS_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

Connection = ASGIConnection[Any, Any, Any, Any]


def settings_of(connection: Connection) -> Settings:
    # Only the scope is read, here and below: the navigation asks guards with a bare probe.
    app = connection.scope.get("litestar_app")
    settings: Settings | None = app.state.get(SETTINGS_STATE) if app is not None else None
    return settings or get_settings()


def client_allowed(settings: Settings, connection: Connection) -> bool:
    """Whether the client's address is in ``RENSHE_METRICS_ALLOW``."""
    client = connection.scope.get("client")
    try:
        address = ip_address(client[0] if client else "")
    except ValueError:  # no address, or a name (a test client): never on the list
        return False
    return any(address in network for network in settings.metrics_allow)


def metrics_access(connection: Connection, _: Any) -> None:
    settings = settings_of(connection)
    if not settings.production:
        return
    principal = current_principal(connection)
    if principal is not None and principal.roles & METRICS_ROLES:
        return
    if client_allowed(settings, connection):
        return
    if principal is None:
        raise NotAuthorizedException()
    raise PermissionDeniedException()


def api_docs_access(connection: Connection, _: Any) -> None:
    settings = settings_of(connection)
    if not settings.production or current_principal(connection) is not None:
        return
    if not client_allowed(settings, connection):
        raise NotAuthorizedException()
