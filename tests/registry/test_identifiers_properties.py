"""Property tests (hypothesis) for the identifier validators: generated valid numbers validate,
every single-character substitution is caught where the check scheme guarantees it, normalisation
is idempotent."""

from __future__ import annotations

from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from renshe.registry.identifiers import (
    DocumentInvalid,
    DocumentType,
    Residency,
    Sex,
    UsccInvalid,
    check_bank_account,
    convert_15_to_18,
    hongkong,
    luhn_check_digit,
    luhn_valid,
    normalise,
    normalise_mobile,
    resident_id,
    uscc,
    validate_document,
    validate_uscc,
)

TODAY = date(2025, 6, 1)
MAINLAND_PROVINCES = sorted(resident_id.PROVINCES - resident_id.PERMIT_PROVINCES)
DIGITS = "0123456789"

provinces = st.sampled_from(MAINLAND_PROVINCES)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date, Sex]:
    province = draw(provinces)
    rest = draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(birth_dates)
    sequence = draw(sequences)
    first17 = f"{province:02d}{rest}{born:%Y%m%d}{sequence:03d}"
    sex = Sex.MALE if sequence % 2 else Sex.FEMALE
    return first17 + resident_id.check_character(first17), born, sex


@st.composite
def permits(draw: st.DrawFn) -> tuple[DocumentType, str, Residency]:
    prefix, kind, residency = draw(
        st.sampled_from(
            [
                ("810000", DocumentType.HKMO_RESIDENCE_PERMIT, Residency.HONG_KONG),
                ("820000", DocumentType.HKMO_RESIDENCE_PERMIT, Residency.MACAO),
                ("830000", DocumentType.TW_RESIDENCE_PERMIT, Residency.TAIWAN),
            ]
        )
    )
    first17 = f"{prefix}{draw(birth_dates):%Y%m%d}{draw(sequences):03d}"
    return kind, first17 + resident_id.check_character(first17), residency


@given(resident_ids())
def test_generated_resident_ids_validate_and_derive_birth_and_sex(generated: tuple[str, date, Sex]) -> None:
    number, born, sex = generated
    doc = validate_document(DocumentType.PRC_ID, number, today=TODAY)
    assert doc.number == number
    assert (doc.birth_date, doc.sex) == (born, sex)


@given(permits())
def test_generated_residence_permits_validate(generated: tuple[DocumentType, str, Residency]) -> None:
    kind, number, residency = generated
    doc = validate_document(kind, number, today=TODAY)
    assert (doc.number, doc.residency) == (number, residency)


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_substitution_in_a_resident_id_is_caught(
    generated: tuple[str, date, Sex], position: int, replacement: str
) -> None:
    # MOD 11-2 has weights that are all non-zero mod the prime 11, so changing one character
    # always changes the sum mod 11 — the check character (or the date, or the prefix) fails.
    number = generated[0]
    assume(replacement != number[position])
    assume(position == 17 or replacement != "X")
    changed = number[:position] + replacement + number[position + 1 :]
    try:
        validate_document(DocumentType.PRC_ID, changed, today=TODAY)
    except DocumentInvalid:
        return
    raise AssertionError("a single substitution was accepted")


@given(resident_ids())
def test_fifteen_digit_round_trip(generated: tuple[str, date, Sex]) -> None:
    number, born, _ = generated
    assume(born.year // 100 == 19)  # only 19xx births ever had 15-digit cards
    fifteen = number[:6] + number[8:17]
    assert convert_15_to_18(fifteen) == number
    assert validate_document(DocumentType.PRC_ID, fifteen, today=TODAY).number == number


# -- USCC --------------------------------------------------------------------------------------------

alphabet_chars = st.sampled_from(uscc.ALPHABET)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    head = draw(st.text(uscc.ALPHABET, min_size=2, max_size=2))
    address = draw(st.text(DIGITS, min_size=6, max_size=6))
    subject = draw(st.text(uscc.ALPHABET, min_size=9, max_size=9))
    first17 = head + address + subject
    return first17 + uscc.check_character(first17)


@given(credit_codes())
def test_generated_credit_codes_validate(code: str) -> None:
    assert validate_uscc(code).code == code
    assert validate_uscc(code.lower()).code == code


@given(credit_codes(), st.integers(min_value=0, max_value=17), alphabet_chars)
def test_any_single_substitution_in_a_credit_code_is_caught(
    code: str, position: int, replacement: str
) -> None:
    # 31 is prime and every weight 3^i mod 31 is non-zero, so one changed character always changes
    # the sum mod 31.
    assume(replacement != code[position])
    changed = code[:position] + replacement + code[position + 1 :]
    try:
        validate_uscc(changed)
    except UsccInvalid:
        return
    raise AssertionError("a single substitution was accepted")


# -- HKID ----------------------------------------------------------------------------------------------

letters = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2)
six_digits = st.text(DIGITS, min_size=6, max_size=6)


@given(letters, six_digits, st.booleans(), st.booleans())
def test_generated_hkids_validate_however_written(
    prefix: str, digits: str, brackets: bool, lower: bool
) -> None:
    check = hongkong.check_character(prefix, digits)
    written = f"{prefix}{digits}({check})" if brackets else f"{prefix}{digits}{check}"
    doc = validate_document(DocumentType.HKID, written.lower() if lower else written)
    assert doc.number == f"{prefix}{digits}{check}"


@given(letters, six_digits, st.integers(min_value=0, max_value=6), st.sampled_from("0123456789A"))
def test_a_changed_digit_or_check_character_in_an_hkid_is_caught(
    prefix: str, digits: str, position: int, replacement: str
) -> None:
    # Digit weights are 2…8 and digit differences below 11, so a changed digit always changes
    # the sum mod 11. (Letters valued 11 apart — A and L — can collide; the scheme allows it.)
    number = prefix + digits + hongkong.check_character(prefix, digits)
    index = len(prefix) + position
    assume(replacement != number[index] and (position == 6 or replacement != "A"))
    changed = number[:index] + replacement + number[index + 1 :]
    try:
        validate_document(DocumentType.HKID, changed)
    except DocumentInvalid:
        return
    raise AssertionError("a single substitution was accepted")


# -- Luhn, mobile, normalisation ---------------------------------------------------------------------


@given(st.text(DIGITS, min_size=1, max_size=40))
def test_appending_the_luhn_check_digit_makes_any_digit_string_pass(payload: str) -> None:
    assert luhn_valid(payload + luhn_check_digit(payload))


@given(st.text(DIGITS, min_size=11, max_size=29))
def test_luhn_valid_accounts_have_no_warning_and_a_changed_digit_warns(payload: str) -> None:
    account = payload + luhn_check_digit(payload)
    assert check_bank_account(account) == (account, ())
    changed = str((int(account[0]) + 1) % 10) + account[1:]
    digits, warnings = check_bank_account(changed)
    assert digits == changed
    assert len(warnings) == 1


@given(
    st.sampled_from("3456789"),
    st.text(DIGITS, min_size=9, max_size=9),
    st.sampled_from(["", "+86", "0086", "86"]),
)
def test_mobile_numbers_with_any_prefix_normalise(second: str, rest: str, prefix: str) -> None:
    number = "1" + second + rest
    assert normalise_mobile(f"{prefix} {number[:3]}-{number[3:7]}-{number[7:]}") == number


@given(st.sampled_from(list(DocumentType)), st.text())
def test_normalise_is_idempotent(kind: DocumentType, raw: str) -> None:
    once = normalise(kind, raw)
    assert normalise(kind, once) == once
    assert not any(ch.isspace() or ch in "()（）/-" or "a" <= ch <= "z" for ch in once)
