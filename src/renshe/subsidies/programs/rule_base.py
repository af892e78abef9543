"""What every amount rule shares: the ``AmountRule`` protocol and the one way a maximum is
applied (it lowers, never raises)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Protocol

from renshe.subsidies.programs.model import Entitlement, Message

Facts = Mapping[str, Any]


class AmountRule(Protocol):
    kind: ClassVar[str]

    def compute(self, facts: Facts) -> Entitlement: ...

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        """Each fact the rule reads → the declared types it accepts."""
        ...

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        """Conditions of the rule itself (a claim window), as not-eligible reasons."""
        ...

    def to_data(self) -> dict[str, Any]: ...


def cap_at(amount: int, cap: int | None) -> tuple[int, bool]:
    """``min(amount, cap)``: a maximum lowers, never raises."""
    if cap is not None and amount > cap:
        return cap, True
    return amount, False


def non_negative(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
