"""Supervision grants for Piccolo (the schema is ``db/migrations/0024_supervision.sql``). Written
through :mod:`renshe.supervision.service`."""

from piccolo.columns import UUID, Text, Timestamptz
from piccolo.table import Table


class SupervisionGrant(Table, tablename="supervision_grants"):
    """督查授权: a city administrator's read-only access to one district's records, ≤ 8 hours."""

    id = UUID(primary_key=True)
    tenant_id = UUID()  # the city bureau
    user_id = UUID()
    district_id = UUID()
    reason = Text()
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
