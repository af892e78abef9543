"""Byte-identical XLSX: a workbook saved twice from the same content gives the same bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and every zip member. Here the workbook
is written with ``ExcelWriter`` directly (``save_workbook`` would overwrite ``modified`` with now),
with created and modified set to the caller's ``stamp`` (a business date: the batch's, the
report's month), and the archive is re-packed with every member dated ``stamp`` as well.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter


def _stable_zip(raw: bytes, stamp: dt.datetime) -> bytes:
    """Re-pack ``raw`` with every member dated ``stamp``, in the same order, same compression."""
    date_time = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def save(wb: Workbook, stamp: dt.datetime, title: str) -> bytes:
    """The workbook's bytes, dated ``stamp`` throughout."""
    wb.properties.creator = "renshe"
    wb.properties.lastModifiedBy = "renshe"
    wb.properties.title = title
    wb.properties.created = stamp
    wb.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _stable_zip(raw.getvalue(), stamp)
