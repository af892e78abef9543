"""审计日志 — the append-only, hash-chained audit log."""
