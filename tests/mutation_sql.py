"""Hand-made mutants of the row-security helper, which mutmut cannot reach (it mutates Python, and
the policies are written by the PL/pgSQL function ``renshe_protect`` in ``0001_platform.sql``).

``uv run python -m tests.mutation_sql [NAME ...]`` applies each mutant to the migration, runs the
isolation tests against it (every session migrates a fresh database from these files), puts the
file back, and prints killed / SURVIVED per mutant. On demand, not in CI (docs/testing.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MIGRATION = Path(__file__).resolve().parent.parent / "src/renshe/db/migrations/0001_platform.sql"
CHECK = "(tenant_id = ANY ((SELECT app_write_tenants())::uuid[]))"
READ = "USING (tenant_id = ANY ((SELECT app_read_tenants())::uuid[]))"
TESTS = [
    "tests/security/test_isolation_sql.py",
    "tests/security/test_rls_city_moves.py",
    "tests/security/test_rls_policies.py",
    "tests/security/test_route_isolation.py",
]

# name → (text in the migration, its replacement); each text must occur exactly once.
MUTANTS: dict[str, tuple[str, str]] = {
    "select_using_true": (f"FOR SELECT {READ}", "FOR SELECT USING (true)"),
    "select_reads_write_set": (f"FOR SELECT {READ}", f"FOR SELECT USING {CHECK}"),
    "insert_check_true": (f"FOR INSERT WITH CHECK {CHECK}", "FOR INSERT WITH CHECK (true)"),
    "update_using_true": (f"FOR UPDATE USING {CHECK} WITH", "FOR UPDATE USING (true) WITH"),
    "update_check_true": (f"WITH CHECK {CHECK}', tbl);\n  EXECUTE format('CREATE POLICY tenant_delete",
                          "WITH CHECK (true)', tbl);\n  EXECUTE format('CREATE POLICY tenant_delete"),
    "delete_using_true": (f"FOR DELETE USING {CHECK}", "FOR DELETE USING (true)"),
    "update_reads_read_set": (
        f"FOR UPDATE USING {CHECK}",
        "FOR UPDATE USING (tenant_id = ANY ((SELECT app_read_tenants())::uuid[]))",
    ),
    "no_force": ("EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);", ""),
}  # fmt: skip


def run(name: str) -> tuple[bool, list[str]]:
    """Whether the tests kill the mutant ``name``, and the tests that failed."""
    original = MIGRATION.read_text(encoding="utf-8")
    before, after = MUTANTS[name]
    assert original.count(before) == 1, f"{name}: the text to mutate is not in the migration once"
    try:
        MIGRATION.write_text(original.replace(before, after), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-n", "0", "-p", "no:cacheprovider", *TESTS],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        MIGRATION.write_text(original, encoding="utf-8")
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return result.returncode != 0, failed


def main(names: list[str]) -> int:
    survivors = []
    for name in names or list(MUTANTS):
        killed, by = run(name)
        print(f"{name}: {'killed' if killed else 'SURVIVED'}", *by, sep="\n    ", flush=True)
        if not killed:
            survivors.append(name)
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
