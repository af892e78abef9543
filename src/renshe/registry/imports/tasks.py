"""The import job kinds: ``registry.validate_import`` and ``registry.run_import``.

Both handlers are idempotent: validation rewrites the report from the stored file; the import
runs in the job's single transaction and a batch already imported is not imported again. Each
kind says what it did in one sentence (the jobs page shows it instead of the result's JSON).
"""

from __future__ import annotations

from typing import Any

from renshe.i18n import gettext, lazy
from renshe.jobs.kinds import JobKind, register
from renshe.numbers import grouped
from renshe.registry.imports import service

CHECKED_WITH_ERRORS = lazy(
    "Checked %(rows)s rows: %(errors)s rows have errors; nothing can be imported until they are corrected."
)
CHECKED_CLEAN = lazy("Checked %(rows)s rows without errors: %(new)s to import, %(known)s already registered.")
UNREADABLE = lazy("The file could not be read; the import's page says why.")
CHECKED_BEFORE = lazy("The file had been checked already; the import's page has the report.")
IMPORTED = lazy("Imported %(count)s rows; %(known)s already registered were skipped.")
NOT_IMPORTED = lazy("Nothing was imported: the registry changed since the check. See the import's report.")


def validate_summary(result: dict[str, Any]) -> str:
    if result.get("file_error"):
        return gettext(UNREADABLE)
    if "rows" not in result:
        return gettext(CHECKED_BEFORE)
    if result["error_rows"]:
        return gettext(CHECKED_WITH_ERRORS) % {
            "rows": grouped(result["rows"]),
            "errors": grouped(result["error_rows"]),
        }
    return gettext(CHECKED_CLEAN) % {
        "rows": grouped(result["rows"]),
        "new": grouped(result["to_import"]),
        "known": grouped(result["already_registered"]),
    }


def import_summary(result: dict[str, Any]) -> str:
    if result["status"] != "imported":
        return gettext(NOT_IMPORTED)
    return gettext(IMPORTED) % {
        "count": grouped(result["imported"]),
        "known": grouped(result.get("already_registered", 0)),
    }


VALIDATE_IMPORT = register(
    JobKind(
        name=service.VALIDATE_KIND,
        handler=service.validate_job,
        time_limit_seconds=20 * 60,
        max_attempts=3,
        title="Check an import file",
        summary=validate_summary,
    )
)
RUN_IMPORT = register(
    JobKind(
        name=service.RUN_KIND,
        handler=service.import_job,
        time_limit_seconds=60 * 60,
        max_attempts=3,
        title="Import people or enterprises",
        summary=import_summary,
    )
)
