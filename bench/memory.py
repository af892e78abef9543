"""Batch memory: peak RSS of a process building 1,000,000 lines vs 100,000 (goal ≤ 1.2×: memory
does not grow with the size of the night). Each build runs in a fresh child process
(``python -m bench.memory <district> <date>``) so the figures are the build's alone."""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
from datetime import date

from bench import awards
from bench.report import Result

SMALL_DISTRICT, LARGE_DISTRICT = "440704", "440705"


def _child_peak_kib(code: str, n: int) -> tuple[int, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", code],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    answer = json.loads(out.strip().splitlines()[-1])
    if answer["lines"] != n:
        raise RuntimeError(f"the child built {answer['lines']} lines for {n} awards")
    return int(answer["peak_kib"]), float(answer["seconds"])


async def run(url: str, small: int, large: int) -> Result:
    await awards.make_ready(url, SMALL_DISTRICT, small)
    await awards.make_ready(url, LARGE_DISTRICT, large)
    small_kib, small_s = _child_peak_kib(SMALL_DISTRICT, small)
    large_kib, large_s = _child_peak_kib(LARGE_DISTRICT, large)
    return Result(
        name="batch memory",
        product=f"peak RSS building {large:,} lines: {large_kib / 1024:,.0f} MiB ({large_s:.0f} s)",
        baseline=f"building {small:,} lines: {small_kib / 1024:,.0f} MiB ({small_s:.0f} s)",
        ratio=large_kib / small_kib,
        goal=1.2,
        higher_is_better=False,
    )


async def _build_in_child(code: str) -> dict[str, float | int]:
    import time

    import asyncpg

    from bench.environment import started_engine
    from renshe.disbursement.build import BuildRequest, build
    from renshe.settings import get_settings

    conn = await asyncpg.connect(get_settings().database_url)
    tenant = await awards.district(conn, code)
    await conn.close()
    day = date(2026, 3, 3)
    async with started_engine():
        t0 = time.perf_counter()
        builders = get_settings().batch_builders  # as the nightly job builds
        request = BuildRequest(tenant, day, "nightly", f"nightly:{day.isoformat()}", builders=builders)
        result = await build(request)
        seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"lines": result.lines_added, "peak_kib": peak, "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_build_in_child(sys.argv[1]))))
