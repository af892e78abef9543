"""The XLSX package (a zip) judged before any XML parser sees it.

1. The central directory's declared sizes: parts, total unpacked size, each part's size by kind
   and its compression ratio. Python's ``zipfile`` never inflates a part past the size the
   directory declares (a lie ends in a CRC error), so these figures bound what follows.
2. A streaming scan of every part, chunk by chunk, before openpyxl opens the workbook (which parses
   the shared strings, the styles and each sheet's first elements whole, at load time): no run of
   blank bytes longer than ``max_blank_run`` (a whitespace bomb becomes text nodes kept in memory)
   and no ``<!DOCTYPE``/``<!ENTITY`` (entity expansion). The clock runs during the scan.
"""

from __future__ import annotations

import io
import struct
import zipfile

from renshe.spreadsheets.limits import (
    BAD_PACKAGE,
    BLANK_RUN,
    MB,
    PART_TOO_LARGE,
    RATIO_TOO_HIGH,
    TOO_MANY_PARTS,
    UNPACKS_TOO_LARGE,
    XML_DECLARATIONS,
    Deadline,
    Limits,
    SpreadsheetRefused,
)

CHUNK = 64 * 1024
_EOCD = b"PK\x05\x06"
_BLANKS = bytes.maketrans(b"\t\r\n", b"   ")  # every XML blank becomes a space, then one search
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ALLOWED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
SHEETS = "xl/worksheets/"
STRINGS = "xl/sharedStrings.xml"


def _declared_parts(data: bytes) -> int | None:
    """The part count of the end-of-central-directory record, read before ``ZipFile`` builds an
    object per part (``None``: not found or Zip64, left to ``zipfile``)."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    total = struct.unpack_from("<H", data, at + 10)[0]
    return None if total == 0xFFFF else int(total)


def _part_limit(name: str, limits: Limits) -> int:
    if name.startswith(SHEETS):
        return limits.max_unpacked_bytes
    if name == STRINGS:
        return limits.max_strings_bytes
    return limits.max_other_part_bytes


def check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse on the declared figures alone (nothing is inflated)."""
    parts = archive.infolist()
    if len(parts) > limits.max_parts:
        raise SpreadsheetRefused(TOO_MANY_PARTS, max=limits.max_parts)
    total = 0
    for info in parts:
        if info.flag_bits & 0x1 or info.compress_type not in _ALLOWED_COMPRESSION:
            raise SpreadsheetRefused(BAD_PACKAGE)  # encrypted, or an exotic compressor
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise SpreadsheetRefused(UNPACKS_TOO_LARGE, mb=limits.max_unpacked_bytes // MB)
        limit = _part_limit(info.filename, limits)
        if info.file_size > limit:
            raise SpreadsheetRefused(PART_TOO_LARGE, part=info.filename, mb=max(limit // MB, 1))
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size // max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise SpreadsheetRefused(RATIO_TOO_HIGH, part=info.filename, ratio=ratio)


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, deadline: Deadline) -> None:
    run = 0  # blanks at the end of the chunks read so far
    overlap = b""
    needle = b" " * (limits.max_blank_run + 1)
    with archive.open(info) as part:
        while chunk := part.read(CHUNK):
            deadline.check()
            blanks = chunk.translate(_BLANKS)
            stripped = blanks.lstrip(b" ")
            if not stripped:  # the whole chunk is blank: the run goes on
                run += len(blanks)
            else:
                run += len(blanks) - len(stripped)
                if run > limits.max_blank_run or needle in blanks:
                    raise SpreadsheetRefused(BLANK_RUN, part=info.filename, max=limits.max_blank_run)
                run = len(blanks) - len(blanks.rstrip(b" "))
            if run > limits.max_blank_run:
                raise SpreadsheetRefused(BLANK_RUN, part=info.filename, max=limits.max_blank_run)
            window = overlap + chunk
            if any(marker in window for marker in _DECLARATIONS):
                raise SpreadsheetRefused(XML_DECLARATIONS, part=info.filename)
            overlap = chunk[-16:]


def open_package(data: bytes, limits: Limits, deadline: Deadline) -> zipfile.ZipFile:
    """The checked, scanned archive; the caller closes it."""
    declared = _declared_parts(data)
    if declared is not None and declared > limits.max_parts:
        raise SpreadsheetRefused(TOO_MANY_PARTS, max=limits.max_parts)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        raise SpreadsheetRefused(BAD_PACKAGE) from None
    try:
        check_directory(archive, limits)
        for info in archive.infolist():
            if not info.is_dir():
                _scan_part(archive, info, limits, deadline)
    except SpreadsheetRefused:
        archive.close()
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        archive.close()
        raise SpreadsheetRefused(BAD_PACKAGE) from None
    return archive
