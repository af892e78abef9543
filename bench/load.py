"""A small closed-loop load generator: ``concurrency`` clients request one URL back to back for
``seconds``; throughput and the 99th percentile latency. Runs in its own process pinned to the
CPUs the server is not on (``os.sched_setaffinity``), so client and server do not compete."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import httpx


async def _measure(url: str, headers: dict[str, str], cookies: dict[str, str], seconds: float,
                   concurrency: int) -> dict[str, float]:  # fmt: skip
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, cookies=cookies, limits=limits, timeout=30) as client:
        for _ in range(concurrency):  # warm up every connection (and the server's caches)
            await client.get(url)
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                answer = await client.get(url)
                if answer.status_code != 200:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    rps = len(latencies) / elapsed
    return {"rps": rps, "p99_ms": p99 * 1000, "requests": len(latencies), "errors": errors}


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec.get("cpus"):
        os.sched_setaffinity(0, set(spec["cpus"]))
    result = asyncio.run(
        _measure(spec["url"], spec.get("headers", {}), spec.get("cookies", {}), spec["seconds"],
                 spec.get("concurrency", 16))
    )  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
