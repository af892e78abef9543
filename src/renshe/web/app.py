"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from renshe.db import engine as db_engine
from renshe.logging import configure_logging
from renshe.paths import static_dir
from renshe.settings import Settings, get_settings
from renshe.web import middleware as web_middleware
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
        from renshe.redis import close_redis

        try:
            yield
        finally:
            if owned:
                await close_redis()
                await db_engine.close()

    static = create_static_files_router(
        path="/static", directories=[static_dir()], cache_control=None, include_in_schema=False
    )
    return Litestar(
        route_handlers=[static, *route_handlers()],
        lifespan=[lifespan],
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(build_environment())
        ),
        middleware=web_middleware.stack(settings),
        exception_handlers=web_middleware.exception_handlers(),
        openapi_config=OpenAPIConfig(
            title="renshe API",
            version="1",
            path="/api/schema",
        ),
        debug=False,
    )
