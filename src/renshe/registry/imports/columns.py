"""导入列名 — the column names a district types, and the words it uses inside the cells.

Headers are matched after removing spaces, required-field stars and a trailing "(必填)"; each
field accepts several names (姓名 / 名字, 证件号码 / 身份证号码 …). Cell values such as
"居民身份证", "回乡证", "本科" or "香港" are mapped onto the registry's codes; the codes
themselves (``prc_id``, ``bachelor``) and the English labels are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from renshe.registry.identifiers import DocumentType, Residency, Sex
from renshe.registry.model import Education

MAX_DOCUMENTS = 3

# field → accepted header names (the first is the template's)
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "人员姓名", "name"),
    "doc_type": ("证件类型", "证件类别", "证件种类", "document type"),
    "doc_number": ("证件号码", "证件号", "身份证号码", "身份证号", "公民身份号码", "document number"),
    "doc_type_2": ("证件类型2", "其他证件类型", "第二证件类型"),
    "doc_number_2": ("证件号码2", "其他证件号码", "第二证件号码"),
    "doc_type_3": ("证件类型3", "第三证件类型"),
    "doc_number_3": ("证件号码3", "第三证件号码"),
    "sex": ("性别", "sex"),
    "birth_date": ("出生日期", "出生年月日", "birth date"),
    "mobile": ("手机号码", "手机号", "手机", "联系电话", "联系手机", "mobile"),
    "residency": ("户籍/居住地类型", "户籍类型", "居住地类型", "户籍/居住地", "居住地", "residency"),
    "education": ("学历", "文化程度", "最高学历", "education"),
    "graduated_on": ("毕业时间", "毕业日期", "毕业年月", "graduated on"),
    "school": ("毕业院校", "毕业学校", "学校", "school"),
    "account_name": ("开户名", "户名", "账户名", "账户名称", "收款人", "account name"),
    "account_number": ("银行账号", "银行卡号", "账号", "收款账号", "银行帐号", "account number"),
    "bank_name": ("开户银行", "开户行", "银行名称", "开户银行名称", "bank"),
    "branch_code": ("联行号", "开户行行号", "网点代码", "branch code"),
    "address": ("地址", "住址", "联系地址", "居住地址", "address"),
    "notes": ("备注", "notes"),
}
ENTERPRISE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "单位名称", "名称", "enterprise name"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc"),
    "legal_representative": ("法定代表人", "法人代表", "法人", "legal representative"),
    "registered_on": ("成立日期", "注册日期", "登记日期", "registered on"),
    "registered_district": ("登记区划代码", "注册地区划代码", "区划代码", "registered district"),
    "account_name": ("开户名", "户名", "账户名称", "account name"),
    "account_number": ("银行账号", "基本存款账户", "基本户账号", "账号", "account number"),
    "bank_name": ("开户银行", "开户行", "银行名称", "bank"),
    "branch_code": ("联行号", "开户行行号", "branch code"),
    "address": ("地址", "注册地址", "经营地址", "address"),
    "notes": ("备注", "notes"),
}
COLUMNS_BY_KIND: Mapping[str, dict[str, tuple[str, ...]]] = {
    "people": PEOPLE_COLUMNS,
    "enterprises": ENTERPRISE_COLUMNS,
}
REQUIRED = {
    "people": ("name", "doc_type", "doc_number"),
    "enterprises": ("name", "uscc", "legal_representative"),
}

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def clean_header(text: str) -> str:
    text = text.translate(_FULL_WIDTH).strip().lstrip("\ufeff")
    text = re.sub(r"[（(]\s*(必填|选填|可选)\s*[)）]$", "", text)
    return re.sub(r"[\s*]", "", text).lower()


def _lookup(columns: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return {clean_header(name): field for field, names in columns.items() for name in names}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which spreadsheet column holds which field, and the header text the clerk wrote."""

    positions: dict[str, int]
    headers: dict[str, str]
    unknown: tuple[str, ...]

    def value(self, cells: Sequence[str], field: str) -> str:
        at = self.positions.get(field)
        if at is None or at >= len(cells):
            return ""
        return cells[at].strip()

    def header_of(self, field: str) -> str:
        return self.headers.get(field, field)


def map_columns(kind: str, header: Sequence[str]) -> ColumnMap:
    lookup = _lookup(COLUMNS_BY_KIND[kind])
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for i, text in enumerate(header):
        field = lookup.get(clean_header(text))
        if field is None:
            if text.strip():
                unknown.append(text.strip())
            continue
        positions.setdefault(field, i)
        headers.setdefault(field, text.strip())
    return ColumnMap(positions, headers, tuple(unknown))


def looks_like_header(kind: str) -> object:
    """A predicate for :func:`reader.read_sheet`: a row naming at least two known columns."""
    lookup = _lookup(COLUMNS_BY_KIND[kind])

    def is_header(cells: Sequence[object]) -> bool:
        names = {lookup.get(clean_header(str(c))) for c in cells if c is not None}
        names.discard(None)
        return len(names) >= 2

    return is_header


# ---------------------------------------------------------------- cell values

_DOCUMENT_WORDS: dict[str, DocumentType] = {
    "居民身份证": DocumentType.PRC_ID,
    "身份证": DocumentType.PRC_ID,
    "二代身份证": DocumentType.PRC_ID,
    "中华人民共和国居民身份证": DocumentType.PRC_ID,
    "大陆居民身份证": DocumentType.PRC_ID,
    "港澳居民居住证": DocumentType.HKMO_RESIDENCE_PERMIT,
    "港澳居住证": DocumentType.HKMO_RESIDENCE_PERMIT,
    "香港居民居住证": DocumentType.HKMO_RESIDENCE_PERMIT,
    "澳门居民居住证": DocumentType.HKMO_RESIDENCE_PERMIT,
    "台湾居民居住证": DocumentType.TW_RESIDENCE_PERMIT,
    "台湾居住证": DocumentType.TW_RESIDENCE_PERMIT,
    "港澳居民来往内地通行证": DocumentType.HOME_RETURN_PERMIT,
    "回乡证": DocumentType.HOME_RETURN_PERMIT,
    "港澳同胞回乡证": DocumentType.HOME_RETURN_PERMIT,
    "来往内地通行证": DocumentType.HOME_RETURN_PERMIT,
    "香港身份证": DocumentType.HKID,
    "香港居民身份证": DocumentType.HKID,
    "香港永久性居民身份证": DocumentType.HKID,
    "香港身份證": DocumentType.HKID,
    "澳门身份证": DocumentType.MACAU_ID,
    "澳门居民身份证": DocumentType.MACAU_ID,
    "澳门永久性居民身份证": DocumentType.MACAU_ID,
    "澳門身份證": DocumentType.MACAU_ID,
    "护照": DocumentType.PASSPORT,
    "外国护照": DocumentType.PASSPORT,
    "中国护照": DocumentType.PASSPORT,
}
_RESIDENCY_WORDS: dict[str, Residency] = {
    "内地": Residency.MAINLAND,
    "大陆": Residency.MAINLAND,
    "中国大陆": Residency.MAINLAND,
    "内地居民": Residency.MAINLAND,
    "境内": Residency.MAINLAND,
    "本地": Residency.MAINLAND,
    "香港": Residency.HONG_KONG,
    "香港居民": Residency.HONG_KONG,
    "港": Residency.HONG_KONG,
    "澳门": Residency.MACAO,
    "澳门居民": Residency.MACAO,
    "澳": Residency.MACAO,
    "台湾": Residency.TAIWAN,
    "台湾居民": Residency.TAIWAN,
    "台": Residency.TAIWAN,
    "外籍": Residency.FOREIGN,
    "外国": Residency.FOREIGN,
    "外国人": Residency.FOREIGN,
    "境外": Residency.FOREIGN,
    "国外": Residency.FOREIGN,
}
_SEX_WORDS: dict[str, Sex] = {"男": Sex.MALE, "女": Sex.FEMALE, "m": Sex.MALE, "f": Sex.FEMALE}
_EDUCATION_WORDS: dict[str, Education] = {
    "无": Education.NONE,
    "文盲": Education.NONE,
    "无学历": Education.NONE,
    "小学": Education.PRIMARY,
    "初中": Education.JUNIOR_SECONDARY,
    "高中": Education.SENIOR_SECONDARY,
    "普高": Education.SENIOR_SECONDARY,
    "中专": Education.VOCATIONAL,
    "技校": Education.VOCATIONAL,
    "职高": Education.VOCATIONAL,
    "中职": Education.VOCATIONAL,
    "中专/技校": Education.VOCATIONAL,
    "大专": Education.ASSOCIATE,
    "专科": Education.ASSOCIATE,
    "高职": Education.ASSOCIATE,
    "本科": Education.BACHELOR,
    "大学本科": Education.BACHELOR,
    "学士": Education.BACHELOR,
    "大学": Education.BACHELOR,
    "硕士": Education.MASTER,
    "研究生": Education.MASTER,
    "硕士研究生": Education.MASTER,
    "博士": Education.DOCTORATE,
    "博士研究生": Education.DOCTORATE,
}


def _word(value: str) -> str:
    return clean_header(value).replace("_", " ").replace(" ", "")


def _match(value: str, words: Mapping[str, str], codes: Sequence[str]) -> str | None:
    """The code a cell names; ``None`` for an empty cell; ``"?"`` for a word we do not know."""
    if not value.strip():
        return None
    word = _word(value)
    for code in codes:
        if word == code.replace("_", ""):
            return code
    for text, code in words.items():
        if word == _word(text):
            return code
    return "?"


def document_type(value: str) -> str | None:
    return _match(value, _DOCUMENT_WORDS, [t.value for t in DocumentType])


def residency(value: str) -> str | None:
    return _match(value, _RESIDENCY_WORDS, [r.value for r in Residency])


def sex(value: str) -> str | None:
    return _match(value, _SEX_WORDS, [s.value for s in Sex])


def education(value: str) -> str | None:
    return _match(value, _EDUCATION_WORDS, [e.value for e in Education])


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def parse_date(value: str) -> date | None:
    """2020-07-01, 2020/7/1, 2020.7.1, 2020年7月1日, 20200701; a month alone (2020-07, 2020年7月)
    means its first day (graduation dates are often written so). ``ValueError`` when unreadable."""
    text = value.strip()
    if not text:
        return None
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2} ", text) else text
    match = _DATE.match(text) or _COMPACT.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    return date(year, month, day)
