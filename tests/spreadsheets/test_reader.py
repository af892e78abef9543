"""The one spreadsheet reader against hostile files: each is refused in under a second with the
process growing by less than 100 MB, naming what is wrong (and the row and column where there is
one); well-formed files within the limits are read."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from renshe.spreadsheets import Limits, SpreadsheetRefused, read_rows
from renshe.spreadsheets import limits as msg
from tests.spreadsheets import hostile

LIMITS = Limits()
MB = 1024 * 1024


def read_all(file_format: str, data: bytes, limits: Limits = LIMITS, **kwargs: Any) -> list[Any]:
    return list(read_rows(file_format, data, limits, **kwargs).rows)


HOSTILE: dict[str, tuple[Callable[[], bytes], str, dict[str, object]]] = {
    "zip bomb (3 GB sheet)": (hostile.zip_bomb, msg.UNPACKS_TOO_LARGE, {"mb": 100}),
    "shared-strings bomb (2 GB)": (hostile.shared_strings_bomb, msg.UNPACKS_TOO_LARGE, {"mb": 100}),
    "whitespace bomb (2 GB)": (hostile.whitespace_bomb, msg.UNPACKS_TOO_LARGE, {"mb": 100}),
    "whitespace padding (512 KB)": (
        hostile.whitespace_padding,
        msg.BLANK_RUN,
        {"part": hostile.SHEET, "max": 8192},
    ),
    "column XFD on every row": (
        hostile.far_column,
        msg.DIMENSION_TOO_WIDE,
        {"column": "XFD", "range": "A1:XFD20000", "max": 50, "last": "AX"},
    ),
    "column XFD on every row, no dimension": (
        lambda: hostile.far_column(dimension=False),
        msg.CELL_TOO_FAR_RIGHT,
        {"row": 1, "column": "XFD", "max": 50, "last": "AX"},
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_workbooks_are_refused_fast_and_small(name: str) -> None:
    make, message, params = HOSTILE[name]
    data = make()
    assert len(data) < LIMITS.max_bytes  # each one is a legal upload by size
    cost = hostile.cost_of(lambda: read_all("xlsx", data))
    assert isinstance(cost.error, SpreadsheetRefused), repr(cost.error)
    assert (cost.error.message, cost.error.params) == (message, params)
    assert cost.seconds < 1.0, f"{name}: {cost.seconds:.2f} s"
    assert cost.rss_growth < 100 * MB, f"{name}: {cost.rss_growth / MB:.0f} MB"


def test_a_large_part_is_refused_on_its_compression_ratio() -> None:
    """Within the total, a part inflating more than 100× is refused before it is inflated."""
    data = hostile.zip_bomb(megabytes=40)
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data)
    assert refused.value.message == msg.RATIO_TOO_HIGH
    assert refused.value.params["part"] == hostile.SHEET and int(str(refused.value.params["ratio"])) > 100


def test_the_shared_strings_part_has_its_own_ceiling() -> None:
    data = hostile.shared_strings_bomb(megabytes=40)
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data, Limits(max_ratio=10_000))
    assert (refused.value.message, refused.value.params) == (
        msg.PART_TOO_LARGE,
        {"part": hostile.STRINGS, "mb": 32},
    )


def test_the_hostile_files_are_real_workbooks_when_small() -> None:
    """The same constructions at a harmless size are read: the refusals are about size alone."""
    lenient = Limits(max_cell_chars=2 * MB, max_ratio=10_000)
    rows = read_all("xlsx", hostile.zip_bomb(megabytes=1), lenient)
    assert rows[0] == (1, ("reference", "status")) and len(rows[1][1][0]) == MB
    strings = read_all("xlsx", hostile.shared_strings_bomb(megabytes=1), lenient)
    assert strings[0] == (1, ("reference", "status"))
    assert read_all("xlsx", hostile.whitespace_bomb(megabytes=0))[1] == (2, ("R-1", "ok"))
    assert len(read_all("xlsx", hostile.far_column(3), Limits(max_columns=16_384))) == 3


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_within_the_limits_is_read_with_its_row_numbers() -> None:
    data = workbook([["reference", "amount"], [], ["R-1", 12.5], ["R-2", 1234]])
    assert read_all("xlsx", data) == [
        (1, ("reference", "amount")),
        (3, ("R-1", 12.5)),
        (4, ("R-2", 1234)),
    ]


def test_rows_columns_cell_length_and_time_are_limited_in_a_workbook() -> None:
    data = workbook([["a", "b"], ["x" * 2001, "y"], *([["z"]] * 10)])
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data)
    assert (refused.value.message, refused.value.params) == (
        msg.CELL_TOO_LONG,
        {"row": 2, "column": "A", "length": 2001, "max": 2000},
    )
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data, Limits(max_rows=5))
    assert refused.value.message == msg.DIMENSION_TOO_LONG and refused.value.params["rows"] == 12
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", workbook([list(range(51))]))
    assert refused.value.message == msg.DIMENSION_TOO_WIDE and refused.value.params["column"] == "AY"
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data, Limits(max_seconds=0))
    assert refused.value.message == msg.TOO_SLOW


def test_upload_size_and_broken_packages_are_refused() -> None:
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", b"PK\x03\x04" + b"\0" * 100, Limits(max_bytes=50))
    assert (refused.value.message, refused.value.params) == (msg.TOO_LARGE, {"mb": 0})
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", b"PK\x03\x04 not a zip at all")
    assert refused.value.message == msg.BAD_PACKAGE
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", b"")
    assert refused.value.message == msg.EMPTY


def test_entity_declarations_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        + hostile.sheet_head()[len(b'<?xml version="1.0" encoding="UTF-8"?>') :]
        + b"</sheetData></worksheet>"
    )
    data = hostile.workbook_with({hostile.SHEET: hostile.part(hostile.SHEET, laughs)})
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("xlsx", data)
    assert (refused.value.message, refused.value.params) == (msg.XML_DECLARATIONS, {"part": hostile.SHEET})


# -- CSV --------------------------------------------------------------------------------------------


def test_csv_encoding_errors_name_the_line() -> None:
    good = "reference,status\nR-1,成功\n".encode()
    data = good + b"R-2,\xff\xfe\xfd\n"
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", data)
    assert (refused.value.message, refused.value.params) == (msg.BAD_ENCODING, {"line": 3})
    assert read_all("csv", "编号,状态\n1,失败\n".encode("gbk"))[1] == (2, ("1", "失败"))
    assert read_rows("csv", "a,b\n".encode("gbk"), LIMITS).encoding == "utf-8"
    assert read_rows("csv", "编号,状态\n".encode("gbk"), LIMITS).encoding == "gb18030"


def test_csv_rows_columns_and_cell_length_are_limited() -> None:
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", b"a,b\n" + b"x,y\n" * 10, Limits(max_rows=5))
    assert (refused.value.message, refused.value.params) == (msg.ROW_TOO_FAR_DOWN, {"row": 6, "max": 5})
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", b"a,b\n" + b"," * 60 + b"\n")
    assert (refused.value.message, refused.value.params) == (
        msg.CELL_TOO_FAR_RIGHT,
        {"row": 2, "column": "BI", "max": 50, "last": "AX"},
    )
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", b"a,b\nx," + b"y" * 3000 + b"\n")
    assert (refused.value.message, refused.value.params) == (
        msg.CELL_TOO_LONG,
        {"row": 2, "column": "B", "length": 3000, "max": 2000},
    )
    with pytest.raises(SpreadsheetRefused) as refused:
        read_all("csv", b"a,b\n" * 10, Limits(max_bytes=20))
    assert refused.value.message == msg.TOO_LARGE


def test_csv_delimiters_are_sniffed_when_asked() -> None:
    assert read_all("csv", b"a;b\nx;y\n", delimiters=",;")[1] == (2, ("x", "y"))
    assert read_all("csv", b"a;b\nx;y\n")[1] == (2, ("x;y",))
