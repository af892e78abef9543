"""Program tables for Piccolo (the schema is ``db/migrations/0006_programs.sql``). Global
reference data: read with ``TenantContext.none()`` like org units."""

from piccolo.columns import JSONB, UUID, Array, Boolean, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class Program(Table, tablename="programs"):
    code = Text(primary_key=True)
    family = Text()
    name_zh = Text()
    name_en = Text()
    beneficiary = Array(Text())
    status = Text(default="")
    sort_order = Integer(default=0)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ProgramVersion(Table, tablename="program_versions"):
    """Immutable once written (a database trigger refuses UPDATE and DELETE)."""

    id = UUID(primary_key=True)
    program_code = Text()
    version = Integer()
    effective_from = Date()
    effective_to = Date(null=True)
    terms = JSONB()
    digest = Text()
    created_at = Timestamptz()
