"""错误标注文件 — an import with errors, given back as the clerk's own file with an error column.

The stored upload (kept encrypted until the import succeeds) is read again with the same reader
and limits as the check, and written with the export writers (CSV with BOM or XLSX, every cell
text, formula-looking cells neutralised) in the same format: every row where it was (row numbers
match the report; rows the reader skips come back empty), every cell as it was, and one more
column at the end saying in the downloader's language what is wrong in that row, naming the
column ("证件号码：校验位不正确"). Rows without errors leave it empty. Reading and writing are
CPU work and run in a thread. The download is audited like an export
(``registry.import_errors_exported``): the file holds personal data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from renshe import offload, spreadsheets
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound
from renshe.i18n import gettext, lazy, translate
from renshe.registry.imports import reader
from renshe.registry.imports import service as imports
from renshe.registry.imports.columns import looks_like_header
from renshe.registry.sealing import unseal
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import render

ERROR_COLUMN = lazy("Errors in this row")
CELL_PROBLEM = lazy("%(column)s: %(message)s")
SEPARATOR = lazy("; ")
NO_ERROR_FILE = lazy("This import has no errors to download, or its file is no longer kept.")


@dataclass(frozen=True, slots=True)
class ErrorFile:
    content: bytes
    file_format: str
    stem: str  # an ASCII file name stem (the clerk's own name may hold personal data)


def row_messages(report: dict[str, Any]) -> dict[int, str]:
    """Spreadsheet row number → what is wrong there, in the current language."""
    problems: dict[int, list[str]] = {}
    for issue in report.get("errors", []):
        text = translate(str(issue["message"]), issue.get("params"))
        line = gettext(CELL_PROBLEM) % {"column": issue.get("column", ""), "message": text}
        problems.setdefault(int(issue["row"]), []).append(line)
    return {row: gettext(SEPARATOR).join(lines) for row, lines in problems.items()}


def _cell(value: object) -> str:
    """Text as it was typed; a typed XLSX cell (a number, a date) as the check read it."""
    return value if isinstance(value, str) else reader.cell_text(value)[0]


def annotated(file_format: str, data: bytes, kind: str, messages: dict[int, str], title: str) -> bytes:
    """The file again with the error column (CPU only: run in a pool process, :mod:`renshe.offload`)."""
    table = spreadsheets.read_rows(file_format, data, reader.LIMITS)
    records = [(number, [_cell(v) for v in values]) for number, values in table.rows]
    header_at = reader.header_index(records, looks_like_header(kind))
    width = max((len(cells) for _, cells in records), default=0)
    rows: list[list[str]] = []
    expected = 1
    for position, (number, cells) in enumerate(records):
        while expected < number:  # a row the reader skipped: keep every later row where it was
            rows.append([""] * (width + 1))
            expected += 1
        note = messages.get(number, "")
        if position == header_at:
            note = f"{title}: {note}" if note else title
        rows.append([*cells, *[""] * (width - len(cells)), note])
        expected = number + 1
    if not rows:
        return render(file_format, [], [], "Sheet1")
    return render(file_format, rows[0], rows[1:], "Sheet1")


async def error_file(caller: Caller, batch_id: UUID) -> ErrorFile:
    """The annotated file of an import the caller may see (404 for another district's)."""
    async with tenant_transaction(caller.context()):
        batch = await imports.get_batch(batch_id, caller.reading())
        stored = await imports.stored_file(batch)
        report = batch.report or {}
        if stored is None or not report.get("errors"):
            raise NotFound(NO_ERROR_FILE)
        await audit.record(
            caller.principal.org_unit.id, caller.actor, "registry.import_errors_exported",
            object_type="import_batch", object_id=batch.id,
            after={"format": batch.file_format, "error_rows": batch.error_count},
        )  # fmt: skip
    data = base64.b64decode(unseal(imports.TABLE, imports.FILE_COLUMN, batch.tenant_id, batch.id, stored))
    content = await offload.run(
        annotated, batch.file_format, data, batch.kind, row_messages(report), gettext(ERROR_COLUMN)
    )
    return ErrorFile(content, batch.file_format, f"import-errors-{batch.kind}")
