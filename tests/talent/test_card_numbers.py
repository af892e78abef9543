"""Card numbers: the check character catches what a clerk mistypes (04-talent-cards §5)."""

from __future__ import annotations

import pytest

from renshe.talent.card_numbers import CardNumber, CardNumberInvalid, format_card_number, parse_card_number


def test_a_number_reads_back_into_its_parts() -> None:
    number = format_card_number("440703", 2026, 123)
    assert number.startswith("QD4407032026000123") and len(number) == 19
    assert parse_card_number(number) == CardNumber("440703", 2026, 123)
    assert parse_card_number(f" {number[:8]}-{number[8:].lower()} ") == CardNumber("440703", 2026, 123)


def test_the_check_is_iso_7064_mod_11_2_like_the_resident_id() -> None:
    # 11010519491231002 is GB 11643's published example with check character X
    from renshe.talent.card_numbers import check_character

    assert check_character("11010519491231002") == "X"
    assert check_character("4407032026000123") == "0"


def test_every_single_digit_typo_and_every_neighbour_swap_is_refused() -> None:
    number = format_card_number("440703", 2026, 4567)
    digits = number[2:]
    for i, ch in enumerate(digits):
        for other in "0123456789X":
            if other == ch or (other == "X" and i != len(digits) - 1):
                continue
            typo = "QD" + digits[:i] + other + digits[i + 1 :]
            with pytest.raises(CardNumberInvalid):
                parse_card_number(typo)
    for i in range(len(digits) - 2):
        if digits[i] != digits[i + 1]:
            swapped = "QD" + digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            with pytest.raises(CardNumberInvalid):
                parse_card_number(swapped)


@pytest.mark.parametrize(
    "text", ["", "QD", "QX44070320260001230", "QD4407032026000123", "QD44070320260001231X"]
)
def test_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(CardNumberInvalid):
        parse_card_number(text)


def test_past_a_million_the_sequence_grows_longer() -> None:
    number = format_card_number("440703", 2026, 1_000_000)
    assert parse_card_number(number).sequence == 1_000_000
