"""Post-check time per before/after pair at ~1 MP (median over pairs, after one warm-up).

    .venv/bin/python benchmarks/checks_speed.py [--pairs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from routing import route  # noqa: E402
from tasks.checks import check_pair  # noqa: E402

IMAGES = Path(__file__).resolve().parents[1] / "examples" / "images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    instruction = "把中间的杯子改成红色"
    plan = route(instruction)
    pairs = []
    for path in sorted(IMAGES.glob("*.*")):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        s = (1_000_000 / (h * w)) ** 0.5
        before = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC)
        after = cv2.GaussianBlur(before, (0, 0), 0.7)
        cv2.circle(after, (after.shape[1] // 2, after.shape[0] // 2), 120, (40, 40, 220), -1)
        pairs.append((before, np.clip(after + rng.normal(0, 1.5, after.shape), 0, 255)
                      .astype(np.uint8)))
    check_pair(*pairs[0], instruction, plan)  # warm-up: OpenCV's first calls allocate
    times = []
    for n in range(args.pairs):
        before, after = pairs[n % len(pairs)]
        t0 = time.perf_counter()
        check_pair(before, after, instruction, plan)
        times.append(time.perf_counter() - t0)
    print(f"{args.pairs} pairs of {pairs[0][0].shape[1]}x{pairs[0][0].shape[0]} (~1 MP): "
          f"median {1000 * statistics.median(times):.1f} ms, max {1000 * max(times):.1f} ms")


if __name__ == "__main__":
    main()
