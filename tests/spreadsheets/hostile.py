"""Hostile XLSX files, built in the test in a few milliseconds however large they unpack.

A deflate stream flushed with ``Z_FULL_FLUSH`` keeps no history, so one compressed megabyte can be
repeated a thousand times to make a valid stream that inflates to a gigabyte; the CRC-32 of the
repeated content is computed with zlib's ``crc32_combine`` algorithm rather than over the bytes.
The zip is written by hand (local headers, central directory, end record) around those streams;
the other parts come from a real workbook written by openpyxl.
"""

from __future__ import annotations

import io
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil
from openpyxl import Workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
MB = 1024 * 1024


# -- CRC-32 of repeated content ---------------------------------------------------------------


def _times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's algorithm)."""
    if len2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _square(odd)
    odd = _square(even)
    while True:
        even = _square(odd)
        if len2 & 1:
            crc1 = _times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _square(even)
        if len2 & 1:
            crc1 = _times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def crc32_repeated(block: bytes, count: int) -> int:
    crc, crc_block, size = 0, zlib.crc32(block), len(block)
    power, power_crc = 1, crc_block  # crc of block * power
    while count:
        if count & 1:
            crc = crc32_combine(crc, power_crc, power * size)
        power_crc = crc32_combine(power_crc, power_crc, power * size)
        power *= 2
        count >>= 1
    return crc


# -- parts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    name: str
    deflated: bytes
    crc: int
    size: int


def _segment(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


def part(name: str, data: bytes) -> Part:
    return Part(name, _segment(data) + b"\x03\x00", zlib.crc32(data), len(data))


def repeated_part(name: str, head: bytes, block: bytes, count: int, tail: bytes) -> Part:
    """``head + block * count + tail``, deflated without ever being built."""
    deflated = _segment(head) + _segment(block) * count + _segment(tail) + b"\x03\x00"
    crc = crc32_combine(zlib.crc32(head), crc32_repeated(block, count), len(block) * count)
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    return Part(name, deflated, crc, len(head) + len(block) * count + len(tail))


def zip_of(parts: list[Part]) -> bytes:
    out, central = io.BytesIO(), io.BytesIO()
    for p in parts:
        name = p.name.encode()
        offset = out.tell()
        sizes = (p.crc, len(p.deflated), p.size, len(name))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0) + name + p.deflated)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, 0, offset
            )
            + name
        )
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), start, 0))
    return out.getvalue()


def base_parts(with_strings: bool = True) -> dict[str, bytes]:
    """The parts of a real one-sheet workbook (a header row and one data row of text)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["reference", "status"])
    sheet.append(["R-1", "成功"] if with_strings else [1, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def workbook_with(replaced: dict[str, Part]) -> bytes:
    """The base workbook with parts replaced or added (a shared-strings part is declared)."""
    parts = base_parts()
    if STRINGS in replaced:
        override = f'<Override PartName="/{STRINGS}" ContentType="{STRINGS_TYPE}"/></Types>'
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", override.encode())
    built = [replaced.get(name) or part(name, data) for name, data in parts.items()]
    return zip_of(built + [p for name, p in replaced.items() if name not in parts])


def sheet_head(dimension: str | None = None) -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">{dim}<sheetData>'.encode()


SHEET_TAIL = b"</sheetData></worksheet>"


def _row(n: int, cells: str) -> str:
    return f'<row r="{n}">{cells}</row>'


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# -- the four attacks -----------------------------------------------------------------------------


def zip_bomb(megabytes: int = 3 * 1024) -> bytes:
    """A sheet whose second row holds one cell of ``megabytes`` MB of text (3 GB: 3 MB uploaded)."""
    head = sheet_head() + _row(1, _text("A1", "reference") + _text("B1", "status")).encode()
    head += b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    tail = b"</t></is></c></row>" + SHEET_TAIL
    return workbook_with({SHEET: repeated_part(SHEET, head, b"A" * MB, megabytes, tail)})


def shared_strings_bomb(megabytes: int = 2 * 1024) -> bytes:
    """A shared-strings table of ``megabytes`` MB (openpyxl loads every string when it opens)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}"><si><t>reference</t></si>'
    head += "<si><t>status</t></si>"
    block = b"<si><t>" + b"A" * (MB - 15) + b"</t></si>"
    sheet = sheet_head() + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    return workbook_with({
        SHEET: part(SHEET, sheet + SHEET_TAIL),
        STRINGS: repeated_part(STRINGS, head.encode(), block, megabytes, b"</sst>"),
    })  # fmt: skip


def whitespace_bomb(megabytes: int = 2 * 1024) -> bytes:
    """A sheet padded with ``megabytes`` MB of blanks between two rows."""
    head = sheet_head() + _row(1, _text("A1", "reference") + _text("B1", "status")).encode()
    block = b" \n\t" * (MB // 3)
    count = megabytes * MB // len(block)
    tail = _row(2, _text("A2", "R-1") + _text("B2", "ok")).encode() + SHEET_TAIL
    return workbook_with({SHEET: repeated_part(SHEET, head, block, count, tail)})


def whitespace_padding(kilobytes: int = 512) -> bytes:
    """A modest sheet (not compressed beyond reason as a whole) with one long run of blanks."""
    rows = "".join(_row(n, _text(f"A{n}", f"R-{n:06d}") + _text(f"B{n}", "ok")) for n in range(2, 3000))
    data = (
        sheet_head()
        + _row(1, _text("A1", "reference") + _text("B1", "status")).encode()
        + b" " * (kilobytes * 1024)
        + rows.encode()
        + SHEET_TAIL
    )
    return workbook_with({SHEET: Part(SHEET, zlib.compress(data, 1)[2:-4], zlib.crc32(data), len(data))})


def far_column(rows: int = 20_000, dimension: bool = True) -> bytes:
    """A cell in column XFD on every row (a reader that pads rows makes 16,384 cells of each)."""
    body = "".join(_row(n, _text(f"A{n}", f"R-{n}") + _text(f"XFD{n}", "x")) for n in range(1, rows + 1))
    data = sheet_head(f"A1:XFD{rows}" if dimension else None) + body.encode() + SHEET_TAIL
    return workbook_with({SHEET: part(SHEET, data)})


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Cost:
    seconds: float
    rss_growth: int  # the highest resident size seen while it ran, minus the size before
    error: BaseException | None


def cost_of(action: Callable[[], Any]) -> Cost:
    """Run ``action`` while another thread samples this process's resident size."""
    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            done.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    error: BaseException | None = None
    started = time.monotonic()
    try:
        action()
    except Exception as exc:  # the refusal (or whatever the old code raised)
        error = exc
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    peak[0] = max(peak[0], process.memory_info().rss)
    return Cost(seconds, peak[0] - before, error)
