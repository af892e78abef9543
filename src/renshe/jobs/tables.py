"""The jobs table (tenant table; database key (tenant_id, id))."""

from piccolo.columns import JSONB, UUID, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class Job(Table, tablename="jobs"):
    id = UUID(primary_key=True)
    tenant_id = UUID()
    kind = Text()
    args = JSONB(default={})
    idempotency_key = Text()
    business_date = Date(null=True, default=None)
    status = Text(default="queued")
    progress_done = Integer(default=0)
    progress_total = Integer(null=True, default=None)
    attempts = Integer(default=0)
    max_attempts = Integer(default=5)
    result = JSONB(null=True, default=None)
    last_error = Text(null=True, default=None)
    requested_by = UUID(null=True, default=None)
    worker = Text(null=True, default=None)
    created_at = Timestamptz()
    enqueued_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
