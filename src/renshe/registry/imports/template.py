"""导入模板 — the downloadable template: the Chinese column names of the import and one example
row of synthetic data (a valid but invented ID number, mobile and bank card), as XLSX (every
cell text, so Excel keeps long numbers) or CSV (UTF-8 with BOM)."""

from __future__ import annotations

from renshe.registry.identifiers import luhn_check_digit
from renshe.registry.identifiers.resident_id import check_character
from renshe.registry.identifiers.uscc import check_character as uscc_check
from renshe.registry.identifiers.uscc import organization_check_character
from renshe.registry.imports.columns import ENTERPRISE_COLUMNS, PEOPLE_COLUMNS
from renshe.spreadsheets.writers import render

# Synthetic: born 1990-03-07 in 蓬江区, sequence 001; a card number with a valid Luhn digit.
_ID = "44070319900307001"
EXAMPLE_ID = _ID + check_character(_ID)
EXAMPLE_CARD = "622202123456789012" + luhn_check_digit("622202123456789012")
_ORG = "MA51X2Y3"
_USCC = "91440703" + _ORG + organization_check_character(_ORG)
EXAMPLE_USCC = _USCC + uscc_check(_USCC)

PEOPLE_EXAMPLE = {
    "name": "陈美玲",
    "doc_type": "居民身份证",
    "doc_number": EXAMPLE_ID,
    "sex": "女",
    "birth_date": "1990-03-07",
    "mobile": "13800138000",
    "residency": "内地",
    "education": "本科",
    "graduated_on": "2012-07-01",
    "school": "五邑大学",
    "account_name": "陈美玲",
    "account_number": EXAMPLE_CARD,
    "bank_name": "中国工商银行江门分行",
    "address": "江门市蓬江区建设路1号",
    "notes": "示例行，导入前请删除",
}
ENTERPRISE_EXAMPLE = {
    "name": "江门市示例科技有限公司",
    "uscc": EXAMPLE_USCC,
    "legal_representative": "李大明",
    "registered_on": "2021-05-06",
    "registered_district": "440703",
    "account_name": "江门市示例科技有限公司",
    "account_number": "44050170010800000123",
    "bank_name": "中国建设银行江门分行",
    "address": "江门市蓬江区示例路8号",
    "notes": "示例行，导入前请删除",
}
# the template leaves out the rarely used third document and the branch code
_SKIP = {"doc_type_3", "doc_number_3", "branch_code", "sex", "birth_date"}


def template_file(kind: str, file_format: str) -> bytes:
    columns, example = (
        (PEOPLE_COLUMNS, PEOPLE_EXAMPLE) if kind == "people" else (ENTERPRISE_COLUMNS, ENTERPRISE_EXAMPLE)
    )
    fields = [f for f in columns if f not in _SKIP]
    header = [columns[f][0] for f in fields]
    row = [example.get(f, "") for f in fields]
    return render(file_format, header, [row], "导入模板")
