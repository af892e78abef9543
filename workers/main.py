"""What ``dramatiq workers.main`` loads: the broker, then every domain's actors."""

from workers.actors import audit, registry, testing
from workers.broker import broker

__all__ = ["audit", "broker", "registry", "testing"]
