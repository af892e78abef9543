"""机构 — org units: the city bureau and its district offices (global table)."""

from piccolo.columns import JSONB, UUID, Boolean, ForeignKey, Text, Timestamptz
from piccolo.table import Table


class OrgUnit(Table, tablename="org_units"):
    """An org unit (机构). ``code`` is the GB/T 2260 code, an attribute that may change; ``key``
    is the stable name of its file in ``tenants/``."""

    id = UUID(primary_key=True)
    key = Text()
    code = Text()
    kind = Text()
    parent_id: ForeignKey["OrgUnit"] = ForeignKey("self", db_column_name="parent_id")
    name_zh = Text()
    name_en = Text()
    active = Boolean(default=True)
    settings = JSONB(default={})
    source_file = Text(null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
