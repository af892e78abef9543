"""市级汇总 — city-level rollups: cells per district × month × program × metric, kept current by a
fold of the changes and checked by a nightly recount (shared/spec/06-rollups.md)."""
