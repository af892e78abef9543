"""补贴项目 — programs as dated policy data.

* ``seed_programs.toml`` — the city's programs and versions (amounts in yuan; never in code);
  ``catalog`` reads and checks it, ``sync`` stores it (``renshe programs sync``).
* ``policy`` — versions in force by date, district overrides (``[programs.CODE]`` in
  ``tenants/*.toml``) merged on the city version; ``overrides`` checks them at tenants sync.
* ``rules`` (amount kinds), ``eligibility``, ``caps``, ``facts`` — pure, integer fen.
* ``service`` — ``version_in_force(code, tenant, date)``, ``evaluate(version, facts,
  beneficiary, history, application_date=..., prior_receipt=...) -> Evaluation``.
* ``api`` — ``GET /api/v1/programs`` and ``/api/v1/programs/{code}``.
"""
