"""What ``dramatiq workers.main`` loads: the broker, then every domain's actors."""

from workers.actors import (
    audit,
    disbursement,
    hkmo,
    registry,
    registry_imports,
    rollups,
    subsidies,
    talent,
    testing,
)  # fmt: skip
from workers.broker import broker

__all__ = [
    "audit", "broker", "disbursement", "hkmo", "registry", "registry_imports", "rollups", "subsidies",
    "talent", "testing",
]  # fmt: skip
