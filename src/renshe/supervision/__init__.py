"""督查 — supervision: a city administrator's time-limited, audited, read-only access to one
district's records."""
