"""Alerts for Piccolo (the schema is ``db/migrations/0021_alerts.sql``). Written through
:mod:`renshe.alerts.service`."""

from piccolo.columns import JSONB, UUID, Date, Text, Timestamptz
from piccolo.table import Table


class Alert(Table, tablename="alerts"):
    """告警: a breach a nightly check found in a district, until an administrator resolves it."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    kind = Text()
    subject = Text()
    details = JSONB(default={})
    raised_on = Date()
    raised_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = UUID(null=True, default=None)
    resolution = Text(null=True, default=None)
