"""The per-district counters behind the numbers (``db/migrations/0014_record_numbers.sql``).

Only the database's numbering trigger writes them; the class is here so that the schema has one
description (``tests/platform/test_schema_matches_tables.py``)."""

from piccolo.columns import UUID, Integer, Text
from piccolo.table import Table


class RecordNumber(Table, tablename="record_numbers"):
    """The last number handed out for one district, kind (SQ, PF, DR) and year."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    kind = Text()
    year = Integer()
    last_value = Integer()
