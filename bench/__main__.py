"""``uv run python -m bench [--only batch,memory,web,demo,talent,verify,hkmo,rollups] [--awards N]
[--approvals N] [--memory-scale SMALL,LARGE]``

Runs the benchmarks of 07-quality that exist for the released capabilities on a throw-away
database and prints a JSON line per benchmark, then a markdown table. Every figure is a ratio
against a baseline measured in the same run. Exit status 0 even when a goal is missed: the
table says so; these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench import environment
from bench.report import Result, json_line, table

CHOICES = ("batch", "memory", "web", "demo", "talent", "verify", "hkmo", "rollups")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(CHOICES), help="comma-separated: " + ", ".join(CHOICES))
    parser.add_argument("--awards", type=int, default=100_000, help="ready awards for the batch benchmark")
    parser.add_argument(
        "--memory-scale", default="100000,1000000", help="SMALL,LARGE line counts for the memory benchmark"
    )
    parser.add_argument("--rows", type=int, default=200_000, help="applications behind the list benchmarks")
    parser.add_argument(
        "--approvals", type=int, default=10_000, help="approvals for the card issuance benchmark"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="load duration per web measurement")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace, url: str) -> list[Result]:
    chosen = {c.strip() for c in args.only.split(",") if c.strip()}
    unknown = chosen - set(CHOICES)
    if unknown:
        raise SystemExit(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")
    await environment.migrate_and_sync()
    results: list[Result] = []
    if "batch" in chosen:
        from bench import batch

        results.append(await batch.run(url, args.awards))
        print(json_line(results[-1]), flush=True)
    if "memory" in chosen:
        from bench import memory

        small, large = (int(x) for x in args.memory_scale.split(","))
        results.append(await memory.run(url, small, large))
        print(json_line(results[-1]), flush=True)
    if "web" in chosen:
        from bench import web

        for result in await web.run(url, args.rows, args.seconds):
            results.append(result)
            print(json_line(result), flush=True)
    if "talent" in chosen:
        from bench import talent

        results.append(await talent.run(url, args.approvals))
        print(json_line(results[-1]), flush=True)
    if "verify" in chosen:
        from bench import verify

        for result in await verify.run(url, args.seconds):
            results.append(result)
            print(json_line(result), flush=True)
    if "hkmo" in chosen:
        from bench import hkmo

        for result in await hkmo.run(url):
            results.append(result)
            print(json_line(result), flush=True)
    if "rollups" in chosen:
        from bench import rollups

        for result in await rollups.run(url):
            results.append(result)
            print(json_line(result), flush=True)
    if "demo" in chosen:
        from bench import demo

        results.append(demo.run())
        print(json_line(results[-1]), flush=True)
    return results


def main(argv: list[str]) -> int:
    args = _parse(argv)
    url = environment.prepare()
    try:
        results = asyncio.run(_run(args, url))
    finally:
        environment.drop()
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
