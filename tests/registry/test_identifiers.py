"""Identifier validation against every vector of shared/reference/identifiers.md, plus the rules
around them (15→18 conversion, residence permits, residency, derived birth date and sex)."""

from __future__ import annotations

from datetime import date

import pytest

from renshe.i18n import catalog, current_locale
from renshe.registry.identifiers import (
    BankAccountInvalid,
    BirthAndSex,
    DocumentInvalid,
    DocumentType,
    IdentifierInvalid,
    MobileInvalid,
    Residency,
    Sex,
    UsccInvalid,
    agrees,
    check_bank_account,
    convert_15_to_18,
    derive_birth_and_sex,
    disagreements,
    document_residency_consistent,
    messages,
    normalise,
    normalise_mobile,
    parse_document_type,
    residency_consistent,
    validate_document,
    validate_uscc,
)
from renshe.registry.identifiers import resident_id as rid
from renshe.registry.identifiers import uscc as uscc_module

TODAY = date(2025, 6, 1)
P = DocumentType


def with_check(first17: str) -> str:
    return first17 + rid.check_character(first17)


# -- resident identity number (居民身份证) ------------------------------------------------------------

RESIDENT_VALID = [
    ("11010519491231002X", date(1949, 12, 31), Sex.FEMALE),
    ("440524188001010014", date(1880, 1, 1), Sex.MALE),
    ("440703199003070013", date(1990, 3, 7), Sex.MALE),
    ("440704198511200023", date(1985, 11, 20), Sex.FEMALE),
    ("440785200508080073", date(2005, 8, 8), Sex.MALE),
]


@pytest.mark.parametrize(("number", "born", "sex"), RESIDENT_VALID)
def test_valid_resident_ids_validate_and_derive_birth_and_sex(number: str, born: date, sex: Sex) -> None:
    doc = validate_document(P.PRC_ID, number, today=TODAY)
    assert doc.number == number
    assert doc.identity_key == number
    assert doc.residency is Residency.MAINLAND
    assert (doc.birth_date, doc.sex) == (born, sex)
    assert doc.derived == BirthAndSex(born, sex)
    assert derive_birth_and_sex(number) == BirthAndSex(born, sex)


def test_spec_examples_of_derived_sex() -> None:
    assert derive_birth_and_sex("440703199003070013") == BirthAndSex(date(1990, 3, 7), Sex.MALE)
    assert derive_birth_and_sex("440704198511200023") == BirthAndSex(date(1985, 11, 20), Sex.FEMALE)


RESIDENT_INVALID = [
    ("110105194912310021", messages.WRONG_CHECK_CHARACTER),
    ("11010519490231002X", messages.BIRTH_DATE_NOT_REAL),
    ("1101051949123100X2", messages.RESIDENT_ID_CHARACTERS),
]


@pytest.mark.parametrize(("number", "message"), RESIDENT_INVALID)
def test_invalid_resident_ids_are_refused_with_the_specific_reason(number: str, message: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, number, today=TODAY)
    assert caught.value.message == message


def test_impossible_birth_date_is_named_but_the_number_is_not() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, "11010519490231002X", today=TODAY)
    assert str(caught.value) == "Birth date 1949-02-31 does not exist."
    assert "110105" not in str(caught.value)


def test_lower_case_x_is_accepted_and_stored_upper_case() -> None:
    doc = validate_document(P.PRC_ID, "11010519491231002x", today=TODAY)
    assert doc.number == "11010519491231002X"


def test_spaces_and_full_width_digits_are_normalised() -> None:
    doc = validate_document(P.PRC_ID, " 440703 1990 0307 0013 ", today=TODAY)
    assert doc.number == "440703199003070013"
    full_width = "４４０７０３１９９００３０７００１３"
    assert validate_document(P.PRC_ID, full_width, today=TODAY).number == "440703199003070013"


def test_birth_date_in_the_future_is_refused() -> None:
    number = with_check("44070320250602001")  # born the day after TODAY
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, number, today=TODAY)
    assert caught.value.message == messages.BIRTH_DATE_IN_FUTURE
    assert caught.value.params == {"date": "2025-06-02"}
    assert validate_document(P.PRC_ID, number, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_today_defaults_to_the_date_in_shanghai() -> None:
    assert validate_document(P.PRC_ID, "440785200508080073").birth_date == date(2005, 8, 8)


@pytest.mark.parametrize("address", ["449999", "440785", "710000", "150000", "650000"])
def test_unknown_or_newer_address_codes_are_accepted(address: str) -> None:
    # 440785 (恩平) with a 1950 birth date: the code is kept for life whatever its age.
    number = with_check(address + "19500101002")
    assert validate_document(P.PRC_ID, number, today=TODAY).number == number


@pytest.mark.parametrize(
    "province", ["00", "10", "16", "20", "24", "38", "47", "55", "66", "70", "72", "84", "99"]
)
def test_unknown_province_prefixes_are_refused(province: str) -> None:
    number = with_check(province + "070319900307001")
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, number, today=TODAY)
    assert caught.value.message == messages.RESIDENT_ID_PROVINCE


@pytest.mark.parametrize("raw", ["44070319900307001", "4407031990030700133", "44070319900307001A"])
def test_wrong_length_or_characters(raw: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, raw, today=TODAY)
    assert caught.value.message in {messages.RESIDENT_ID_LENGTH, messages.RESIDENT_ID_CHARACTERS}


def test_very_old_birth_date_is_a_warning_not_an_error() -> None:
    doc = validate_document(P.PRC_ID, "440524188001010014", today=TODAY)
    assert doc.warnings == (messages.OLDER_THAN_120,)
    assert validate_document(P.PRC_ID, "440703199003070013", today=TODAY).warnings == ()


# -- 15 → 18 -------------------------------------------------------------------------------------


def test_fifteen_digit_number_converts_to_the_eighteen_digit_one() -> None:
    eighteen = "440703199003070013"
    fifteen = eighteen[:6] + eighteen[8:17]  # drop "19" and the check character
    assert fifteen == "440703900307001"
    assert convert_15_to_18(fifteen) == eighteen
    doc = validate_document(P.PRC_ID, fifteen, today=TODAY)
    assert doc.number == eighteen
    assert doc.identity_key == eighteen
    assert (doc.birth_date, doc.sex) == (date(1990, 3, 7), Sex.MALE)
    assert doc.warnings == (messages.CONVERTED_FROM_15,)


def test_fifteen_digit_number_with_impossible_date_is_refused() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, "440703900230001", today=TODAY)
    assert str(caught.value) == "Birth date 1990-02-30 does not exist."


def test_residence_permits_have_no_fifteen_digit_form() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.HKMO_RESIDENCE_PERMIT, "810000800101001", today=TODAY)
    assert caught.value.message == messages.PERMIT_LENGTH


# -- residence permits (港澳台居民居住证) ---------------------------------------------------------------

PERMIT_VALID = [
    (P.HKMO_RESIDENCE_PERMIT, "810000198001010014", Residency.HONG_KONG, date(1980, 1, 1), Sex.MALE),
    (P.HKMO_RESIDENCE_PERMIT, "820000198512120022", Residency.MACAO, date(1985, 12, 12), Sex.FEMALE),
    (P.TW_RESIDENCE_PERMIT, "830000199006150030", Residency.TAIWAN, date(1990, 6, 15), Sex.MALE),
]


@pytest.mark.parametrize(("kind", "number", "residency", "born", "sex"), PERMIT_VALID)
def test_valid_residence_permits(
    kind: DocumentType, number: str, residency: Residency, born: date, sex: Sex
) -> None:
    doc = validate_document(kind, number, today=TODAY)
    assert (doc.number, doc.residency, doc.birth_date, doc.sex) == (number, residency, born, sex)


@pytest.mark.parametrize("number", [row[1] for row in PERMIT_VALID])
def test_permit_numbers_are_refused_as_resident_ids_with_a_pointer_to_the_permit_type(number: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PRC_ID, number, today=TODAY)
    assert caught.value.message == messages.RESIDENT_ID_IS_PERMIT


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        (P.HKMO_RESIDENCE_PERMIT, "830000199006150030", messages.HKMO_PERMIT_PREFIX),
        (P.HKMO_RESIDENCE_PERMIT, "440703199003070013", messages.HKMO_PERMIT_PREFIX),
        (P.TW_RESIDENCE_PERMIT, "810000198001010014", messages.TW_PERMIT_PREFIX),
        (P.HKMO_RESIDENCE_PERMIT, "810000198001010015", messages.WRONG_CHECK_CHARACTER),
    ],
)
def test_invalid_residence_permits(kind: DocumentType, number: str, message: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(kind, number, today=TODAY)
    assert caught.value.message == message


def test_permit_with_other_address_digits_under_81_is_refused() -> None:
    number = with_check("81010019800101001")  # province 81 but not 810000
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.HKMO_RESIDENCE_PERMIT, number, today=TODAY)
    assert caught.value.message == messages.HKMO_PERMIT_PREFIX


# -- unified social credit code (统一社会信用代码) -----------------------------------------------------


@pytest.mark.parametrize("code", ["91110000600037341L", "91440703MA4W00011N", "92440781L12345674C"])
def test_valid_credit_codes(code: str) -> None:
    result = validate_uscc(code)
    assert result.code == code
    assert result.address_code == code[2:8]
    assert result.organization_code == code[8:17]
    assert result.warnings == ()


def test_credit_code_is_normalised() -> None:
    assert validate_uscc(" 91440703ma4w00011n ").code == "91440703MA4W00011N"
    assert validate_uscc("９１１１００００６０００３７３４１Ｌ").code == "91110000600037341L"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91110000600037341X", messages.WRONG_CHECK_CHARACTER),
        ("9111000060003734IL", messages.USCC_LETTERS),
        ("91110000600037341", messages.USCC_LENGTH),
        ("911100A0600037341L", messages.USCC_FORMAT),
        ("", messages.ENTER_USCC),
    ],
)
def test_invalid_credit_codes(code: str, message: str) -> None:
    with pytest.raises(UsccInvalid) as caught:
        validate_uscc(code)
    assert caught.value.message == message


def test_embedded_organization_code_failure_is_only_a_warning() -> None:
    first17 = "91440703MA4W00012"  # organization code MA4W0001 should end in 1, not 2
    code = first17 + uscc_module.check_character(first17)
    result = validate_uscc(code)
    assert result.code == code
    assert result.warnings == (messages.USCC_ORGANIZATION_CODE,)


# -- Hong Kong identity card (香港身份證) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("A123456(3)", "A1234563"),
        ("CA182361(1)", "CA1823611"),
        ("G123456(A)", "G123456A"),
        ("AB987654(3)", "AB9876543"),
    ],
)
def test_valid_hkid(raw: str, stored: str) -> None:
    doc = validate_document(P.HKID, raw)
    assert (doc.number, doc.identity_key, doc.residency) == (stored, stored, Residency.HONG_KONG)
    assert doc.birth_date is None and doc.sex is None
    assert validate_document(P.HKID, stored).number == stored  # brackets optional on input


def test_hkid_written_loosely_is_the_same_number() -> None:
    for raw in ["a123456(3)", "A 123456 (3)", "A123456（3）", "Ａ１２３４５６（３）", "g123456(a)"]:
        assert validate_document(P.HKID, raw).number in {"A1234563", "G123456A"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("A123456(4)", messages.WRONG_CHECK_CHARACTER),
        ("CA182361(2)", messages.WRONG_CHECK_CHARACTER),
        ("A12345(3)", messages.HKID_FORMAT),
        ("ABC123456(3)", messages.HKID_FORMAT),
        ("A123456(B)", messages.HKID_FORMAT),
    ],
)
def test_invalid_hkid(raw: str, message: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.HKID, raw)
    assert caught.value.message == message


# -- Macao identity card (澳門居民身份證) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("1234567(8)", "12345678"),
        ("5215299(8)", "52152998"),
        ("1/234567/8", "12345678"),
        ("7123456(1)", "71234561"),
    ],
)
def test_valid_macau_id(raw: str, stored: str) -> None:
    doc = validate_document(P.MACAU_ID, raw)
    assert (doc.number, doc.residency) == (stored, Residency.MACAO)


@pytest.mark.parametrize("raw", ["2234567(8)", "123456(7)", "12345678(9)", "A234567(8)"])
def test_invalid_macau_id(raw: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.MACAU_ID, raw)
    assert caught.value.message == messages.MACAU_ID_FORMAT


# -- home-return permit (回乡证) -------------------------------------------------------------------


def test_home_return_permit_without_renewal_count() -> None:
    doc = validate_document(P.HOME_RETURN_PERMIT, "H12345678")
    assert (doc.number, doc.identity_key, doc.renewal_count, doc.residency) == (
        "H12345678",
        "H12345678",
        None,
        Residency.HONG_KONG,
    )


def test_home_return_permit_with_renewal_count_keys_on_the_lifetime_number() -> None:
    doc = validate_document(P.HOME_RETURN_PERMIT, "M1234567801")
    assert (doc.number, doc.identity_key, doc.renewal_count, doc.residency) == (
        "M1234567801",
        "M12345678",
        1,
        Residency.MACAO,
    )
    renewed = validate_document(P.HOME_RETURN_PERMIT, "m12345678 02")
    assert renewed.identity_key == doc.identity_key
    assert renewed.renewal_count == 2


@pytest.mark.parametrize("raw", ["H1234567", "C12345678", "H123456789", "H123456780123", "HM2345678"])
def test_invalid_home_return_permits(raw: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.HOME_RETURN_PERMIT, raw)
    assert caught.value.message == messages.HOME_RETURN_FORMAT


# -- passport (护照) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("E12345678", "E12345678"), ("ea 1234567", "EA1234567"), ("K1234", "K1234"), ("123456789", "123456789")],
)
def test_valid_passports(raw: str, stored: str) -> None:
    doc = validate_document(P.PASSPORT, raw)
    assert (doc.number, doc.identity_key, doc.residency) == (stored, stored, None)


@pytest.mark.parametrize("raw", ["E123", "E12345678901234567", "E1234567#", "护照12345", "E12.345678"])
def test_invalid_passports(raw: str) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(P.PASSPORT, raw)
    assert caught.value.message == messages.PASSPORT_FORMAT


# -- any document ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentType))
def test_empty_number_is_refused_for_every_type(kind: DocumentType) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document(kind, " （ ） ")
    assert caught.value.message == messages.ENTER_DOCUMENT_NUMBER


def test_document_type_values_are_the_api_contract() -> None:
    assert [t.value for t in DocumentType] == [
        "prc_id",
        "hkmo_residence_permit",
        "tw_residence_permit",
        "home_return_permit",
        "hkid",
        "macau_id",
        "passport",
    ]
    assert parse_document_type(" HKID ") is DocumentType.HKID
    with pytest.raises(DocumentInvalid) as caught:
        parse_document_type("driving_licence")
    assert caught.value.message == messages.UNKNOWN_DOCUMENT_TYPE


def test_normalise_examples() -> None:
    assert normalise(P.HKID, "a123456（3）") == "A1234563"
    assert normalise(P.MACAU_ID, "1/234567/8") == "12345678"
    assert normalise(P.HOME_RETURN_PERMIT, "Ｈ１２３４５６７８") == "H12345678"
    assert normalise(P.PASSPORT, "e-1234 5678") == "E12345678"


# -- mobile (手机号码) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("19212345678", "19212345678"),
        ("0086 138 0013 8000", "13800138000"),
        ("86-138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
    ],
)
def test_valid_mobiles(raw: str, number: str) -> None:
    assert normalise_mobile(raw) == number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12812345678", messages.MOBILE_FORMAT),
        ("1380013800", messages.MOBILE_FORMAT),
        ("+85291234567", messages.MOBILE_FORMAT),
        ("861380013800", messages.MOBILE_FORMAT),
        ("  ", messages.ENTER_MOBILE),
    ],
)
def test_invalid_mobiles(raw: str, message: str) -> None:
    with pytest.raises(MobileInvalid) as caught:
        normalise_mobile(raw)
    assert caught.value.message == message


# -- bank account (银行账号) -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["6222021234567890128", "4111111111111111", "6222 0212 3456 7890 128"])
def test_luhn_valid_accounts_have_no_warning(raw: str) -> None:
    digits, warnings = check_bank_account(raw)
    assert digits == raw.replace(" ", "")
    assert warnings == ()


def test_luhn_failure_is_a_warning_never_an_error() -> None:
    digits, warnings = check_bank_account("60142870670591508")
    assert digits == "60142870670591508"
    assert warnings == ("The account number fails the Luhn check; confirm it is correct.",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("62220212345", messages.BANK_ACCOUNT_LENGTH),  # 11 digits
        ("1" * 31, messages.BANK_ACCOUNT_LENGTH),
        ("6222O21234567890128", messages.BANK_ACCOUNT_DIGITS),
        ("", messages.ENTER_BANK_ACCOUNT),
    ],
)
def test_invalid_bank_accounts(raw: str, message: str) -> None:
    with pytest.raises(BankAccountInvalid) as caught:
        check_bank_account(raw)
    assert caught.value.message == message


def test_bank_account_length_bounds_are_inclusive() -> None:
    assert check_bank_account("1" * 12)[0] == "1" * 12
    assert check_bank_account("1" * 30)[0] == "1" * 30


# -- residency and the "must agree" rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        (P.PRC_ID, {Residency.MAINLAND}),
        (P.HKMO_RESIDENCE_PERMIT, {Residency.HONG_KONG, Residency.MACAO}),
        (P.TW_RESIDENCE_PERMIT, {Residency.TAIWAN}),
        (P.HOME_RETURN_PERMIT, {Residency.HONG_KONG, Residency.MACAO}),
        (P.HKID, {Residency.HONG_KONG}),
        (P.MACAU_ID, {Residency.MACAO}),
        (P.PASSPORT, set(Residency)),
    ],
)
def test_residency_allowed_per_document_type(kind: DocumentType, allowed: set[Residency]) -> None:
    assert {r for r in Residency if residency_consistent(kind, r)} == allowed


def test_the_number_itself_narrows_residency() -> None:
    hk_permit = validate_document(P.HKMO_RESIDENCE_PERMIT, "810000198001010014", today=TODAY)
    assert document_residency_consistent(hk_permit, Residency.HONG_KONG)
    assert not document_residency_consistent(hk_permit, Residency.MACAO)
    macao_return = validate_document(P.HOME_RETURN_PERMIT, "M12345678")
    assert document_residency_consistent(macao_return, Residency.MACAO)
    assert not document_residency_consistent(macao_return, Residency.HONG_KONG)
    passport = validate_document(P.PASSPORT, "E12345678")
    assert document_residency_consistent(passport, Residency.FOREIGN)
    assert document_residency_consistent(passport, Residency.MAINLAND)


def test_entered_sex_and_birth_date_must_agree_with_the_number() -> None:
    derived = validate_document(P.PRC_ID, "440703199003070013", today=TODAY).derived
    assert agrees(None, None, derived)
    assert agrees(Sex.MALE, date(1990, 3, 7), derived)
    assert not agrees(Sex.FEMALE, None, derived)
    assert disagreements(Sex.FEMALE, date(1990, 3, 8), derived) == {
        "sex": messages.SEX_DISAGREES,
        "birth_date": messages.BIRTH_DATE_DISAGREES,
    }
    hkid = validate_document(P.HKID, "A123456(3)")
    assert hkid.derived is None
    assert agrees(Sex.FEMALE, date(2000, 1, 1), hkid.derived)  # nothing to disagree with


# -- messages ---------------------------------------------------------------------------------------

INVALID_INPUTS = [
    (P.PRC_ID, "110105194912310021"),
    (P.PRC_ID, "11010519490231002X"),
    (P.PRC_ID, "1101051949123100X2"),
    (P.PRC_ID, "810000198001010014"),
    (P.PRC_ID, "99070319900307001X"),
    (P.PRC_ID, "4407031990030700"),
    (P.PRC_ID, with_check("44070320300101001")),
    (P.HKMO_RESIDENCE_PERMIT, "830000199006150030"),
    (P.HKMO_RESIDENCE_PERMIT, "81000019800101001"),
    (P.TW_RESIDENCE_PERMIT, "810000198001010014"),
    (P.HKID, "A123456(4)"),
    (P.HKID, "A12345(3)"),
    (P.MACAU_ID, "2234567(8)"),
    (P.HOME_RETURN_PERMIT, "C12345678"),
    (P.PASSPORT, "E1"),
    (P.PASSPORT, ""),
]


def _raised(kind: DocumentType, raw: str) -> IdentifierInvalid:
    with pytest.raises(IdentifierInvalid) as caught:
        validate_document(kind, raw, today=TODAY)
    return caught.value


@pytest.mark.parametrize(("kind", "raw"), INVALID_INPUTS)
def test_raised_messages_are_translated_and_never_echo_the_number(kind: DocumentType, raw: str) -> None:
    error = _raised(kind, raw)
    assert catalog("zh_CN").get(error.message) is not None
    token = current_locale.set("zh_CN")
    try:
        chinese = error.text()
    finally:
        current_locale.reset(token)
    assert chinese != error.message
    number = normalise(kind, raw)
    for shown in (str(error), chinese):
        assert len(number) < 5 or number not in shown
        # Not even a 9-character stretch of it (a birth date alone is 8).
        assert not any(number[i : i + 9] in shown for i in range(len(number) - 8))


def test_every_message_has_a_chinese_translation() -> None:
    zh = catalog("zh_CN")
    missing = [m for m in messages.ALL if not getattr(zh.get(m), "string", "")]
    assert missing == []
    assert len(messages.ALL) >= 30


def test_birth_date_message_in_chinese() -> None:
    error = _raised(P.PRC_ID, "11010519490231002X")
    token = current_locale.set("zh_CN")
    try:
        assert error.text() == "出生日期 1949-02-31 不存在。"
    finally:
        current_locale.reset(token)
    token = current_locale.set("en")
    try:
        assert error.text() == "Birth date 1949-02-31 does not exist."
    finally:
        current_locale.reset(token)


def test_errors_are_unprocessable_domain_errors() -> None:
    for cls in (DocumentInvalid, UsccInvalid, MobileInvalid, BankAccountInvalid):
        assert issubclass(cls, IdentifierInvalid)
        assert cls.status_code == 422
