"""A workbook of text cells, written as SpreadsheetML by hand (纯文本工作簿).

Every export the product writes is one sheet of strings: every cell typed as an inline string
with the built-in text format ``@`` (number format 49), the first row bold — except the figures a
caller hands over as numbers on purpose (an ``int`` count: ``#,##0``; a ``Decimal`` amount in yuan:
``#,##0.00``), which a statistician sums in Excel; a code or an account number is always a string.
That needs five small parts and the sheet's XML, which is built row by row into a deflated ZIP
entry; nothing is held per cell but its text. Characters XML 1.0 cannot carry (C0 controls other
than tab, line feed and carriage return; U+FFFE, U+FFFF) are dropped: a spreadsheet cannot hold
them, and refusing the whole export for one stray control character would help nobody.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TEXT, HEADER, COUNT, AMOUNT = 1, 2, 3, 4  # cell style indexes: text; bold text; #,##0; #,##0.00
ROWS_PER_WRITE = 2_000
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}">\
<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>\
</Relationships>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}">\
<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>\
</Relationships>"""
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}">\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""


def _workbook(title: str) -> str:
    name = _NOT_IN_SHEET_NAMES.sub("_", _NOT_XML.sub("", title)).strip("'")[:31] or "Sheet1"
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>\
<sheet name={quoteattr(name)} sheetId="1" r:id="rId1"/></sheets></workbook>"""


def column_letters(count: int) -> list[str]:
    """A, B, … Z, AA, AB, … for the first ``count`` columns."""
    letters = []
    for number in range(1, count + 1):
        name, left = "", number
        while left:
            left, rest = divmod(left - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


Cell = str | int | Decimal


def _row(number: int, values: Sequence[Cell], columns: list[str], style: int) -> str:
    cells = []
    for column, value in zip(columns, values, strict=False):
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            style_of, figure = (COUNT, str(value)) if isinstance(value, int) else (AMOUNT, f"{value:f}")
            cells.append(f'<c r="{column}{number}" s="{style_of}"><v>{figure}</v></c>')
            continue
        text = escape(_NOT_XML.sub("", str(value)))
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        cells.append(f'<c r="{column}{number}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write(header: Sequence[str], rows: Iterable[Sequence[Cell]], title: str = "Sheet1") -> bytes:
    """The workbook's bytes: ``header`` in bold, then ``rows``: strings, and the figures given as
    ``int`` or ``Decimal``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", PACKAGE_RELS)
        package.writestr("xl/workbook.xml", _workbook(title))
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        package.writestr("xl/styles.xml", STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{XML_DECLARATION}<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            columns = column_letters(len(header))
            pending = [_row(1, header, columns, HEADER)]
            for number, values in enumerate(rows, start=2):
                if len(values) > len(columns):
                    columns = column_letters(len(values))
                pending.append(_row(number, values, columns, TEXT))
                if len(pending) >= ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode())
                    pending.clear()
            sheet.write(("".join(pending) + "</sheetData></worksheet>").encode())
    return buffer.getvalue()
