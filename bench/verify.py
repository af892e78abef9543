"""The card check page ``/verify/<token>`` under load (no login: a front desk's phone), against
``bench.baseline_app`` reading the same keys, lists and card state with raw asyncpg, verifying the
same token and rendering the same template (goal: throughput ≥ 0.7×).

A district with one issued card; each server runs alone pinned to CPU 0, the load generator on
the other CPUs, best of the alternating rounds (``bench.web``).
"""

from __future__ import annotations

import asyncpg

from bench import talent
from bench.environment import settle
from bench.report import Result
from bench.web import CONCURRENCY, _best, _load, _server


async def run(url: str, seconds: float, rounds: int = 3) -> list[Result]:
    tenant = await talent.make_approved(url, 20)
    await talent._issue_as_the_job_does(tenant)
    conn = await asyncpg.connect(url)
    try:
        token = await conn.fetchval("SELECT token FROM talent_cards WHERE tenant_id = $1 LIMIT 1", tenant)
        user_id = await conn.fetchval("SELECT id FROM users WHERE org_unit_id = $1 LIMIT 1", tenant)
    finally:
        await conn.close()
    await settle(url)
    runs: dict[str, list[dict[str, float]]] = {"product": [], "baseline": []}
    with (
        _server("renshe.web.app:create_app", {}) as product,
        _server("bench.baseline_app:create_app", {"BENCH_USER_ID": str(user_id)}) as baseline,
    ):
        for _ in range(rounds):
            runs["product"].append(_load(f"{product}/verify/{token}", seconds))
            runs["baseline"].append(_load(f"{baseline}/verify/{token}", seconds))
    mine, base = _best(runs["product"]), _best(runs["baseline"])
    return [
        Result(
            "card check page (throughput)",
            f"/verify/<token>: {mine['rps']:,.0f} req/s ({CONCURRENCY} clients, best of {rounds}, p99 "
            f"{mine['p99_ms']:,.0f} ms)",
            f"raw asyncpg + the same check and template: {base['rps']:,.0f} req/s "
            f"(p99 {base['p99_ms']:,.0f} ms)",
            mine["rps"] / base["rps"], 0.7, True,
        )
    ]  # fmt: skip
