"""The gate's time per before/after pair at ~1 MP, by kind of request (medians after a warm-up),
with OCR and without it, and the time of the risk model alone.

    taskset -c 0 .venv/bin/python benchmarks/checks_speed.py [--pairs 12]

Kinds: a local recolour, a new background (finds the product), a style change, and the two that
read text (a text replacement and a watermark removal). With OCR installed every edit but a
style is also read for words it invented (the changed area, once); "without OCR" times the same
pairs with the OCR engine unavailable (those measures are then not taken, as where OCR is not
installed). The pairs come from benchmarks/check_pairs.py's good families, on product shots and
the example photos scaled to 1 MP. The OCR engine is loaded once before timing (0.5 s, once per
process). "risk" is tasks/check/risk.py alone: the measures weighed into one calibrated risk.
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
from benchmarks.check_pairs import (  # noqa: E402
    bg_pure_white,
    photo,
    product_shot,
    recolour_named,
    remove_mark,
    text_replace,
    vae,
)
from routing import route  # noqa: E402
from tasks.check import ocr  # noqa: E402
from tasks.check.gate import check_pair  # noqa: E402
from tasks.check.risk import assess, load_model  # noqa: E402


def style(rng, before, product):
    sepia = np.array([[0.272, 0.534, 0.131], [0.349, 0.686, 0.168], [0.393, 0.769, 0.189]])
    out = np.clip(vae(before, rng).astype(np.float32) @ sepia.T, 0, 255).astype(np.uint8)
    return before, out, "换成复古风格"


KINDS = {
    "recolour": recolour_named,
    "background": bg_pure_white,
    "style": style,
    "text (OCR)": text_replace,
    "watermark removal (OCR)": remove_mark,
}


def bases(rng, count: int):
    side = round((1_000_000 * 4 / 3) ** 0.5)
    for n in range(count):
        if n % 2:
            img, mask = photo(("coffee.png", "rocket.jpg", "chelsea.png")[n // 2 % 3], 1.0)
            scale = (1_000_000 / (img.shape[0] * img.shape[1])) ** 0.5
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            mask = cv2.resize(mask.astype(np.uint8), img.shape[1::-1]).astype(bool)
            yield img, mask
        else:
            yield product_shot(rng, side, round(side * 3 / 4), ("bottle", "box", "cup", "shoe")[n // 2 % 4])


def _no_ocr():
    raise ocr.OcrUnavailable("switched off for this timing")


def _median_ms(pairs, plans) -> tuple[float, float, list]:
    times, reports = [], []
    for (before, after, instruction), plan in zip(pairs, plans, strict=True):
        start = time.perf_counter()
        reports.append(check_pair(before, after, instruction, plan))
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), 1000 * max(times), reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=12, help="pairs per kind")
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    pictures = list(bases(rng, args.pairs))
    model = load_model()
    print(
        f"{args.pairs} pairs per kind, {pictures[0][0].shape[1]}x{pictures[0][0].shape[0]} and "
        "photos at ~1 MP; median (max) per pair:"
    )
    print(f"  {'kind':26s} {'with OCR':>16s} {'without OCR':>16s} {'risk model':>12s}")
    engine = ocr._engine
    for name, make in KINDS.items():
        pairs = [make(rng, img, mask) for img, mask in pictures]
        plans = [route(instruction) for _, _, instruction in pairs]
        check_pair(pairs[0][0], pairs[0][1], pairs[0][2], plans[0])  # warm-up (and OCR load)
        with_ocr, with_max, reports = _median_ms(pairs, plans)
        ocr._engine = _no_ocr
        try:
            without, without_max, _ = _median_ms(pairs, plans)
        finally:
            ocr._engine = engine
        weighing = []
        for report in reports:
            start = time.perf_counter()
            assess(report.findings, report.model or "any", model)
            weighing.append(time.perf_counter() - start)
        print(
            f"  {name:26s} {with_ocr:8.1f} ms ({with_max:4.0f}) {without:8.1f} ms ({without_max:4.0f})"
            f" {1000 * statistics.median(weighing):9.2f} ms"
        )


if __name__ == "__main__":
    main()
