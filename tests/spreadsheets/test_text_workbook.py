"""The export workbook written by hand (``renshe.spreadsheets.text_workbook``), read back by
openpyxl as a spreadsheet program reads it: every cell text with the text format (but the figures
handed over as numbers), the header bold,
markup and stray control characters unable to break the file."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from renshe.spreadsheets import text_workbook
from renshe.spreadsheets.writers import to_xlsx


def _read(content: bytes) -> list[list[tuple[object, str, str, bool]]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [
        [(c.value, c.data_type, c.number_format, bool(c.font.b)) for c in row] for row in sheet.iter_rows()
    ]


def test_every_cell_is_text_with_the_text_format_and_only_the_header_is_bold() -> None:
    rows = _read(to_xlsx(["姓名", "银行账号"], [["谭*出", "6222 **** **** 1234"], ["=1+1", "00012"]]))
    assert rows == [
        [("姓名", "s", "@", True), ("银行账号", "s", "@", True)],
        [("谭*出", "s", "@", False), ("6222 **** **** 1234", "s", "@", False)],
        [("'=1+1", "s", "@", False), ("00012", "s", "@", False)],  # a formula neutralised, zeros kept
    ]


def test_figures_handed_over_as_numbers_are_numbers_and_everything_else_stays_text() -> None:
    """A count (int) and an amount in yuan (Decimal) are numeric cells a statistician can sum; a
    digit string (a code, an account) and a bool stay text."""
    rows = _read(
        to_xlsx(
            ["区县", "笔数", "金额(元)"], [["440703", 12_345, Decimal(100050).scaleb(-2)], ["x", True, "7"]]
        )
    )
    assert rows[1] == [
        ("440703", "s", "@", False),
        (12_345, "n", "#,##0", False),
        (1000.5, "n", "#,##0.00", False),
    ]
    assert rows[2] == [("x", "s", "@", False), ("True", "s", "@", False), ("7", "s", "@", False)]


def test_markup_spaces_and_control_characters_cannot_break_the_file() -> None:
    texts = ["a & b <c> \"d\" 'e'", "  前后有空格  ", "响\x01铃\x0b\ufffe", "多\n行"]
    content = to_xlsx(["备注"], [[t] for t in texts])
    assert [r[0][0] for r in _read(content)[1:]] == [texts[0], texts[1], "响铃", texts[3]]


def test_the_sheet_is_named_as_a_spreadsheet_allows_and_wide_rows_get_their_columns() -> None:
    title = "人员[名单]: 2026/12 " + "长" * 40
    content = to_xlsx([f"列{n}" for n in range(30)], [[str(n) for n in range(30)]], title=title)
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.title == "人员_名单__ 2026_12 " + "长" * 15  # no []:*?/\, at most 31 characters
    assert sheet["AD1"].value == "列29" and sheet["AD2"].value == "29"
    assert text_workbook.column_letters(53)[-3:] == ["AY", "AZ", "BA"]


def test_the_sheet_is_deflated_and_written_in_pieces() -> None:
    rows = [[f"人员{n}", "开平市长沙街道"] for n in range(3 * text_workbook.ROWS_PER_WRITE + 7)]
    content = to_xlsx(["姓名", "地址"], rows)
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        info = package.getinfo("xl/worksheets/sheet1.xml")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < info.file_size / 5
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    read = [r for r in sheet.iter_rows(values_only=True)]
    assert len(read) == len(rows) + 1 and read[-1] == (f"人员{len(rows) - 1}", "开平市长沙街道")
