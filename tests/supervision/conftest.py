"""Supervision tests: the registry's fixtures (the real application over HTTP, real PostgreSQL
and Redis)."""

from tests.registry.conftest import app, client

__all__ = ["app", "client"]
