"""Money and counts as people read them: thousands separators, two decimals, no float on the way."""

from __future__ import annotations

from renshe import i18n, numbers


def test_money_from_fen() -> None:
    assert numbers.money(351200000) == "¥3,512,000.00"
    assert numbers.money(5) == "¥0.05"
    assert numbers.money(-1230) == "-¥12.30"
    assert numbers.money(0) == "¥0.00"
    assert numbers.money(None) == ""
    # a sum a float would get wrong: 10**17 + 1 fen
    assert numbers.money(10**17 + 1) == "¥1,000,000,000,000,000.01"


def test_counts_and_rates() -> None:
    assert numbers.grouped(1204) == "1,204"
    assert numbers.yuan(123456) == "1,234.56"
    token = i18n.current_locale.set("en")
    try:
        assert numbers.rate(830.4) == "830 rows/s"
        assert numbers.rate(2.25) == "2.2 rows/s"
        assert numbers.rate(12345.0) == "12,345 rows/s"
    finally:
        i18n.current_locale.reset(token)
    assert numbers.rate(830.4) == "830 行/秒"
