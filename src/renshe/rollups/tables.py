"""The rollups for Piccolo (the schema is ``db/migrations/0025_rollups.sql``; deltas: 0028, 0029). Written by
:mod:`renshe.rollups.folding` (the cells, the folds) and by the database's triggers (the changes)."""

from piccolo.columns import UUID, BigInt, Bytea, Date, Integer, Text, Timestamptz
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
    """A change not folded yet: a delta to one metric of a cell (``metric`` and ``delta``), a
    payee's paid lines in a month (``payee_id`` too: ``metric`` is the served count they feed), or
    a mark of a cell to recount (all null)."""

    id = BigInt(primary_key=True)
    tenant_id = UUID()
    month = Date()
    program_code = Text()
    changed_at = Timestamptz()
    metric = Text(null=True, default=None)
    delta = BigInt(null=True, default=None)
    payee_id = UUID(null=True, default=None)


class RollupPayeeMonth(Table, tablename="rollup_payee_months"):
    """受益人月度已付笔数: a payee's paid lines under a program in a month; the first month with
    any is the month the payee counts as served in."""

    id = UUID()
    tenant_id = UUID(primary_key=True)
    program_code = Text()
    served = Text()
    payee_id = UUID()
    month = Date()
    paid_lines = Integer()


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
