"""The audit log table. Rows are written only through the ``audit_append`` SQL function."""

from piccolo.columns import JSONB, UUID, BigInt, Bytea, Text, Timestamptz
from piccolo.table import Table


class AuditRecord(Table, tablename="audit_log"):
    """One audit record (审计记录); the database key is (tenant_id, seq)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    seq = BigInt()
    at = Timestamptz()
    actor_user_id = UUID(null=True)
    actor_username = Text(null=True)
    actor_role = Text(null=True)
    action = Text()
    object_type = Text(null=True)
    object_id = Text(null=True)
    before = JSONB(null=True)
    after = JSONB(null=True)
    request_id = Text(null=True)
    ip = Text(null=True)
    prev_hash = Bytea(null=True)
    hash = Bytea()
