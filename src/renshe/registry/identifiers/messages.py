"""Every message the identifier validators raise or warn with (English msgids; ``registry.po``
translates them).

Messages never contain the number being checked: they are shown on pages, returned by the API and
may reach logs. A birth date (``%(date)s``) is the only detail ever interpolated.
"""

from __future__ import annotations

from typing import Final

from renshe.i18n import lazy

# -- any document -----------------------------------------------------------------------------
UNKNOWN_DOCUMENT_TYPE: Final = lazy("Unknown document type.")
ENTER_DOCUMENT_NUMBER: Final = lazy("Enter the document number.")
WRONG_CHECK_CHARACTER: Final = lazy(
    "Wrong check character: one of the characters was probably mistyped; check the number digit by digit."
)

# -- resident identity card (居民身份证) and residence permits (居住证) ----------------------------
RESIDENT_ID_LENGTH: Final = lazy("A resident ID number has 18 characters (or 15 digits on an old card).")
RESIDENT_ID_CHARACTERS: Final = lazy("An ID number contains only digits, and X only as the last character.")
RESIDENT_ID_PROVINCE: Final = lazy("The first two digits are not a province code in use.")
RESIDENT_ID_IS_PERMIT: Final = lazy(
    "This number belongs to a residence permit for Hong Kong, Macao or Taiwan residents; "
    "choose the residence permit document type."
)
BIRTH_DATE_NOT_REAL: Final = lazy("Birth date %(date)s does not exist.")
BIRTH_DATE_IN_FUTURE: Final = lazy("Birth date %(date)s is in the future.")
PERMIT_LENGTH: Final = lazy("A residence permit number has 18 characters.")
HKMO_PERMIT_PREFIX: Final = lazy(
    "A residence permit for Hong Kong and Macao residents starts with 810000 (Hong Kong) or 820000 (Macao)."
)
TW_PERMIT_PREFIX: Final = lazy("A residence permit for Taiwan residents starts with 830000.")
CONVERTED_FROM_15: Final = lazy(
    "The old 15-digit number was converted to the 18-digit form; compare it with the person's current card."
)
OLDER_THAN_120: Final = lazy("The birth date makes the person older than 120 years; confirm the number.")

# -- other documents ----------------------------------------------------------------------------
HKID_FORMAT: Final = lazy(
    "A Hong Kong identity card number is 1 or 2 letters, 6 digits and a check character, "
    "for example A123456(3)."
)
MACAU_ID_FORMAT: Final = lazy(
    "A Macao identity card number has 8 digits and starts with 1, 5 or 7, for example 1234567(8)."
)
HOME_RETURN_FORMAT: Final = lazy(
    "A home-return permit number is H or M followed by 8 digits, optionally with a 2-digit renewal count."
)
PASSPORT_FORMAT: Final = lazy("A passport number has 5 to 17 letters or digits.")

# -- unified social credit code (统一社会信用代码) ------------------------------------------------
ENTER_USCC: Final = lazy("Enter the unified social credit code.")
USCC_LENGTH: Final = lazy("A unified social credit code has 18 characters.")
USCC_LETTERS: Final = lazy("A unified social credit code never contains the letters I, O, S, V or Z.")
USCC_FORMAT: Final = lazy(
    "A unified social credit code has the wrong form: characters 3 to 8 must be digits, the others "
    "digits or capital letters."
)
USCC_ORGANIZATION_CODE: Final = lazy(
    "The organization code inside the credit code fails its own check; confirm the code is correct."
)

# -- mobile number and bank account ---------------------------------------------------------------
ENTER_MOBILE: Final = lazy("Enter the mobile number.")
MOBILE_FORMAT: Final = lazy("A mainland mobile number has 11 digits and starts with 13 to 19.")
ENTER_BANK_ACCOUNT: Final = lazy("Enter the bank account number.")
BANK_ACCOUNT_DIGITS: Final = lazy("A bank account number contains only digits.")
BANK_ACCOUNT_LENGTH: Final = lazy("A bank account number has 12 to 30 digits.")
BANK_ACCOUNT_LUHN: Final = lazy("The account number fails the Luhn check; confirm it is correct.")

# -- entered sex and birth date against the ID number ---------------------------------------------
SEX_DISAGREES: Final = lazy("The sex does not match the ID number.")
BIRTH_DATE_DISAGREES: Final = lazy("The date of birth does not match the ID number.")

ALL: Final[tuple[str, ...]] = tuple(
    value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str)
)
