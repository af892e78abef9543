"""读取上传的表格 — every spreadsheet the product reads (registry imports, bank returns) goes
through ``read_rows`` with explicit ``Limits``: upload size, unpacked size and compression ratio
(from the zip directory, before openpyxl opens anything), blank-byte runs and XML entity
declarations (a streaming scan), rows, columns, cell length and wall time. A refusal is a
``SpreadsheetRefused`` naming the problem, the row and the column.
"""

from renshe.spreadsheets.limits import Limits, SpreadsheetRefused
from renshe.spreadsheets.reader import ZIP_MAGIC, Table, check_size, preflight, read_rows

__all__ = ["ZIP_MAGIC", "Limits", "SpreadsheetRefused", "Table", "check_size", "preflight", "read_rows"]
