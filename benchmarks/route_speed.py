"""Routing time per instruction on one core: every case of the router's case files, timed one by
one in this process after one warm-up pass (patterns compiled), median and p95 over all.

    taskset -c 0 .venv/bin/python benchmarks/route_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from routing import route  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over all instructions")
    args = parser.parse_args()
    instructions = [
        json.loads(line)["instruction"]
        for name in ("router_cases.jsonl", "router_holdout.jsonl", "router_fresh.jsonl")
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for text in instructions:  # warm-up: data files loaded, regexes compiled
        route(text, image_size=(600, 400))
    times = []
    for _ in range(args.repeat):
        for text in instructions:
            start = time.perf_counter()
            route(text, image_size=(600, 400))
            times.append(time.perf_counter() - start)
    times.sort()
    median = statistics.median(times) * 1e3
    print(
        f"{len(instructions)} instructions x {args.repeat}: median {median:.3f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1e3:.3f} ms, max {times[-1] * 1e3:.3f} ms per instruction"
    )


if __name__ == "__main__":
    main()
