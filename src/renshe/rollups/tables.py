"""The rollups for Piccolo (the schema is ``db/migrations/0025_rollups.sql``; deltas: 0028). Written by
:mod:`renshe.rollups.folding` (the cells, the folds) and by the database's triggers (the changes)."""

from piccolo.columns import UUID, BigInt, Bytea, Date, Text, Timestamptz
from piccolo.table import Table


class RollupCell(Table, tablename="rollup_cells"):
    """汇总单元: one metric of one district, month and program."""

    id = UUID()
    tenant_id = UUID(primary_key=True)
    month = Date()
    program_code = Text()
    metric = Text()
    value = BigInt()


class RollupChange(Table, tablename="rollup_changes"):
    """A change not folded yet: a delta to one metric of a cell (``metric`` and ``delta``; an
    application's filed and decided counts), or a mark of a cell to recount (both null)."""

    id = BigInt(primary_key=True)
    tenant_id = UUID()
    month = Date()
    program_code = Text()
    changed_at = Timestamptz()
    metric = Text(null=True, default=None)
    delta = BigInt(null=True, default=None)


class RollupFold(Table, tablename="rollup_folds"):
    """When a district's rollups were last folded and recounted."""

    tenant_id = UUID(primary_key=True)
    id = UUID()
    folded_at = Timestamptz()
    recomputed_at = Timestamptz(null=True, default=None)


class MonthlyReport(Table, tablename="monthly_reports"):
    """月报: the bureau's statistics of a month, as the XLSX workbook that was sent."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    month = Date()
    content = Bytea()
    sha256 = Text()
    generated_at = Timestamptz()
