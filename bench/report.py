"""One JSON line per benchmark, then a markdown table (07-quality's output format)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    product: str
    baseline: str
    ratio: float
    goal: float
    higher_is_better: bool
    unit: str = "×"  # what ratio and goal are in: a ratio, or seconds for an absolute goal

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal


def json_line(result: Result) -> str:
    answer = {**asdict(result), "ratio": round(result.ratio, 3), "met": result.met}
    return json.dumps(answer, ensure_ascii=False)


def table(results: list[Result]) -> str:
    lines = [
        "| benchmark | product | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        goal = f"{'≥' if r.higher_is_better else '≤'} {r.goal:g}{r.unit}"
        met = "yes" if r.met else "no"
        lines.append(f"| {r.name} | {r.product} | {r.baseline} | {r.ratio:.2f}{r.unit} | {goal} | {met} |")
    return "\n".join(lines)
