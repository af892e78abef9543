"""What ``dramatiq workers.main`` loads: the broker, then every domain's actors."""

from workers.actors import audit, registry, registry_imports, testing
from workers.broker import broker

__all__ = ["audit", "broker", "registry", "registry_imports", "testing"]
