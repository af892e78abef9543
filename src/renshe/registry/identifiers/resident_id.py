"""居民身份证号码 (GB 11643-1999) and 港澳台居民居住证 numbers, which share its structure.

18 characters: 6-digit address code, birth date ``YYYYMMDD``, 3-digit sequence (odd = male,
even = female) and an ISO 7064 MOD 11-2 check character. Address codes are deliberately not looked
up: codes are kept for life and districts are renamed, so a code unknown to us, or newer than the
birth date, is still a real number. Only the province prefix is checked.
"""

from __future__ import annotations

from datetime import date

from . import messages
from .model import BirthAndSex, DocumentInvalid, Sex

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

# Province prefixes in use (省级行政区划代码), including 71 Taiwan and 81/82/83 of the permits.
PROVINCES = frozenset(
    (
        *range(11, 16),  # 北京 天津 河北 山西 内蒙古
        *range(21, 24),  # 辽宁 吉林 黑龙江
        *range(31, 38),  # 上海 … 山东
        *range(41, 47),  # 河南 … 海南
        *range(50, 55),  # 重庆 四川 贵州 云南 西藏
        *range(61, 66),  # 陕西 甘肃 青海 宁夏 新疆
        71,  # 台湾
        81,  # 香港 (居住证)
        82,  # 澳门 (居住证)
        83,  # 台湾 (居住证)
    )
)
PERMIT_PROVINCES = frozenset({81, 82, 83})
HONG_KONG_PERMIT = "810000"
MACAO_PERMIT = "820000"
TAIWAN_PERMIT = "830000"

# A person older than this is almost certainly a mistyped year: accepted, with a warning.
PLAUSIBLE_AGE = 120


def check_character(first17: str) -> str:
    """The MOD 11-2 check character of 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def convert_15_to_18(number: str) -> str:
    """A legacy 15-digit number (``YYMMDD``, no check) in its 18-digit form: ``19`` inserted
    before the year, the check character computed."""
    if len(number) != 15 or not number.isdigit():
        raise DocumentInvalid(messages.RESIDENT_ID_LENGTH)
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def _birth_date(number: str, today: date) -> date:
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    shown = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    try:
        born = date(year, month, day)
    except ValueError:
        raise DocumentInvalid(messages.BIRTH_DATE_NOT_REAL, date=shown) from None
    if born > today:
        raise DocumentInvalid(messages.BIRTH_DATE_IN_FUTURE, date=shown)
    return born


def check_structure(number: str, today: date) -> BirthAndSex:
    """Check an 18-character number (already normalised, ``x`` upper-cased): characters,
    province prefix, birth date, check character — in that order, so that the message names the
    most specific problem (an impossible date rather than the check character it also breaks).
    """
    if len(number) != 18:
        raise DocumentInvalid(messages.RESIDENT_ID_LENGTH)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise DocumentInvalid(messages.RESIDENT_ID_CHARACTERS)
    if int(number[:2]) not in PROVINCES:
        raise DocumentInvalid(messages.RESIDENT_ID_PROVINCE)
    born = _birth_date(number, today)
    if check_character(number[:17]) != number[17]:
        raise DocumentInvalid(messages.WRONG_CHECK_CHARACTER)
    return BirthAndSex(born, Sex.MALE if int(number[16]) % 2 else Sex.FEMALE)


def derive_birth_and_sex(number: str) -> BirthAndSex:
    """Birth date and sex of a valid 18-character number (``DocumentInvalid`` otherwise).

    ``440703199003070013`` → male, 1990-03-07; ``440704198511200023`` → female, 1985-11-20.
    """
    return check_structure(number.upper(), date.max)


def age_warnings(born: date, today: date) -> tuple[str, ...]:
    """A warning when the birth date is implausibly long ago."""
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return (messages.OLDER_THAN_120,) if years > PLAUSIBLE_AGE else ()
