"""代发 (disbursement): payment batches of approved awards, the bank payment files they become and the
bank's return files that reconcile them.

Pure parts live here already: ``bankfiles`` (the canonical payment record, its per-bank layouts and
the envelope check) and ``returns`` (parsing a bank return file and matching it against a batch's
lines). Both know nothing of the database or HTTP.
"""
