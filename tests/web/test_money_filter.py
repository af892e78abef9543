"""The `money` filter: integer fen in, "¥1,234.50" out (issue 9, money cells)."""

from __future__ import annotations

import pytest

from renshe.web.templating import build_environment, format_money


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (123450, "¥1,234.50"),
        (0, "¥0.00"),
        (5, "¥0.05"),
        (351200000, "¥3,512,000.00"),
        (-1999, "-¥19.99"),
        (None, "—"),
    ],
)
def test_fen_become_yuan_with_sign_separators_and_two_decimals(fen: int | None, shown: str) -> None:
    assert format_money(fen) == shown


def test_the_money_cell_is_right_aligned_with_tabular_figures() -> None:
    env = build_environment()
    cell = env.from_string('{% import "ui/table.html" as t %}{{ t.money(123450) }}').render()
    assert cell == '<td class="text-end ui-num">¥1,234.50</td>'
