"""导出 — the people and enterprise lists as CSV or XLSX (:mod:`renshe.spreadsheets.writers`).

Values are masked unless the exporter may unmask (a district clerk, reviewer or finance officer)
and gives a reason; both kinds of export are audited, the unmasked one with its reason. A masked
export gives the year of birth, as the pages and the API do: the full date with the masked ID's
first six and last two characters would leave about nine candidate numbers.

The file is built in an export process (:mod:`renshe.registry.export_tables`): 100,000 rows are
seconds of CPU that must not hold the web process's event loop. The audit entry is written after
the file exists and before it is handed out, so no file leaves without one.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from renshe import offload, text_rules
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Forbidden
from renshe.i18n import current_locale
from renshe.registry.export_tables import ListFile, enterprise_file, people_file
from renshe.registry.model import EnterpriseFilter, PeopleFilter, Problems
from renshe.registry.service import Caller
from renshe.registry.unmask import ENTER_REASON, MAX_REASON, MIN_REASON, REASON_TOO_LONG


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    problems = Problems()
    if len(text) < MIN_REASON:
        problems.error("reason", ENTER_REASON, {"min": MIN_REASON})
    elif len(text) > MAX_REASON:
        problems.error("reason", REASON_TOO_LONG, {"max": MAX_REASON})
    elif (invisible := text_rules.invisible_error(text)) is not None:
        problems.error("reason", invisible)
    problems.raise_if_any(True)
    return text


def _filters_json(f: PeopleFilter | EnterpriseFilter) -> dict[str, Any]:
    return {k: str(v) for k, v in asdict(f).items() if v}


def _unmasked_for(caller: Caller, reason: str | None) -> tuple[UUID | None, str | None]:
    """The exporter's district and the checked reason for an unmasked file; ``(None, None)`` for
    a masked one."""
    if reason is None:
        return None, None
    if not caller.can_unmask():
        raise Forbidden()
    return caller.principal.org_unit.id, check_reason(reason)


async def export_people(
    caller: Caller, f: PeopleFilter, file_format: str, *, sort: str = "newest", reason: str | None = None
) -> bytes:
    """The filtered people list as a file. ``reason`` given: unmasked (permission checked)."""
    units = caller.reading()
    unmasked_for, reason = _unmasked_for(caller, reason)
    request = ListFile(caller.context(), units, f, sort, file_format, current_locale.get(), unmasked_for)
    content, rows = await offload.run(people_file, request)
    action = "person.exported_unmasked" if unmasked_for else "person.exported"
    await _record_export(caller, action, "person_list", f, file_format=file_format, rows=rows, reason=reason)
    return content


async def export_enterprises(
    caller: Caller, f: EnterpriseFilter, file_format: str, *, sort: str = "newest", reason: str | None = None
) -> bytes:
    units = caller.reading()
    unmasked_for, reason = _unmasked_for(caller, reason)
    request = ListFile(caller.context(), units, f, sort, file_format, current_locale.get(), unmasked_for)
    content, rows = await offload.run(enterprise_file, request)
    action = "enterprise.exported_unmasked" if unmasked_for else "enterprise.exported"
    await _record_export(
        caller, action, "enterprise_list", f, file_format=file_format, rows=rows, reason=reason
    )
    return content


async def _record_export(
    caller: Caller, action: str, object_type: str, f: PeopleFilter | EnterpriseFilter,
    *, file_format: str, rows: int, reason: str | None,
) -> None:  # fmt: skip
    after: dict[str, Any] = {"rows": rows, "format": file_format, "filters": _filters_json(f)}
    if reason is not None:
        after["reason"] = reason
    async with tenant_transaction(caller.context()):
        unit = caller.principal.org_unit.id
        await audit.record(unit, caller.actor, action, object_type=object_type, after=after)
