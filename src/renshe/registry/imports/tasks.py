"""The import job kinds: ``registry.validate_import`` and ``registry.run_import``.

Both handlers are idempotent: validation rewrites the report from the stored file; the import
runs in the job's single transaction and a batch already imported is not imported again.
"""

from __future__ import annotations

from renshe.jobs.kinds import JobKind, register
from renshe.registry.imports import service

VALIDATE_IMPORT = register(
    JobKind(
        name=service.VALIDATE_KIND,
        handler=service.validate_job,
        time_limit_seconds=20 * 60,
        max_attempts=3,
        title="Check an import file",
    )
)
RUN_IMPORT = register(
    JobKind(
        name=service.RUN_KIND,
        handler=service.import_job,
        time_limit_seconds=60 * 60,
        max_attempts=3,
        title="Import people or enterprises",
    )
)
