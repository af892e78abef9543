"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from renshe import offload
from renshe.api.openapi import declare_problems
from renshe.api.problem import is_api_path
from renshe.db import engine as db_engine
from renshe.logging import configure_logging
from renshe.paths import static_dir
from renshe.settings import Settings, get_settings
from renshe.tenancy import names as unit_names
from renshe.web import middleware as web_middleware
from renshe.web.restricted import SETTINGS_STATE, api_docs_access
from renshe.web.routes import route_handlers
from renshe.web.templating import build_environment


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Tests start the pool once for the session; the app then borrows it.
        owned = not db_engine.is_started()
        await db_engine.start(settings)
        await unit_names.load()
        from renshe.redis import close_redis

        if owned:
            offload.warm()  # the first export or bank return should not wait for a process to start
            # Everything imported and built so far lives as long as the process: out of the
            # collector's sight, a full collection walks only what requests allocate, in
            # milliseconds instead of the hundreds a whole heap took while /healthz waited.
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if owned:
                await close_redis()
                await db_engine.close()
                await asyncio.to_thread(offload.shutdown)

    # Cache headers of static assets are set by the security-headers middleware.
    static = create_static_files_router(
        path="/static", directories=[static_dir()], cache_control=None, include_in_schema=False
    )
    app = Litestar(
        route_handlers=[static, *route_handlers()],
        lifespan=[lifespan],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(build_environment())),
        middleware=web_middleware.stack(settings),
        exception_handlers=web_middleware.exception_handlers(),
        openapi_config=openapi_config(),
        # Logging is structlog's (renshe.logging); errors are logged by renshe.web.errors.
        logging_config=None,
        debug=False,
        state=State({SETTINGS_STATE: settings}),
    )
    # Request context and security headers wrap the whole app, router 404/405 included.
    app.asgi_handler = web_middleware.wrap(app.asgi_handler, settings)
    _api_routes_only_in_schema(app)
    declare_problems(app)
    return app


def _api_routes_only_in_schema(app: Litestar) -> None:
    """Keep the OpenAPI document to ``/api`` routes even if a page forgets
    ``include_in_schema=False`` (pages are not an API contract). Routes registered later with
    ``app.register`` are not filtered: declare pages ``include_in_schema=False``."""
    plugin: Any = app.plugins.get("OpenAPIPlugin")
    for path in [p for p in plugin.included_routes if not is_api_path(p)]:
        del plugin.included_routes[path]
    plugin._openapi = None  # built lazily, from the routes kept


API_DESCRIPTION = """The JSON API of renshe (人社). Conventions: docs/api.md.

* Authentication: `POST /api/v1/auth/token` with `{"username", "password", "totp"?}` answers
  `{"access_token", "token_type": "bearer", "expires_in"}`; send `Authorization: Bearer <token>`.
* Errors: RFC 9457 `application/problem+json` with `type`, `title`, `status`, `detail`,
  `instance`, `request_id` and, for bad input, field errors under `errors`.
* Lists: `?limit=` (1–200, default 50) and `?cursor=`, answering `{"items", "next_cursor"}`.
* Money: integer fen in fields named `*_fen`.
"""


def openapi_config() -> OpenAPIConfig:
    """OpenAPI at ``/api/schema`` (JSON; ``/openapi.json`` and ``/openapi.yaml`` below it).

    Only API routes are in it: pages are declared ``include_in_schema=False``. No JavaScript
    viewer is served (they load from CDNs); ``/docs/api`` lists the endpoints as a page. In
    production the document needs a login or an allow-listed address (:mod:`renshe.web.restricted`).
    """
    return OpenAPIConfig(
        title="renshe API",
        version="1",
        path="/api/schema",
        # A router of our own, to put the access guard on every schema route.
        openapi_router=Router(
            "/api/schema",
            route_handlers=[],
            include_in_schema=False,
            dto=None,
            return_dto=None,
            guards=[api_docs_access],
        ),
        description=API_DESCRIPTION,
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="An opaque token from POST /api/v1/auth/token.",
                )
            }
        ),
        security=[{"bearer": []}],
    )
