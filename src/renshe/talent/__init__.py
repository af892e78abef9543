"""侨都人才卡 — talent cards: applications, nightly issuance, signed offline-verifiable cards and
their lifecycle (shared/spec/04-talent-cards.md)."""
