"""Images audited per second on one core (run it under `taskset -c 0`).

    taskset -c 0 .venv/bin/python benchmarks/audit_speed.py [--images 60]

The pictures: 3-MP JPEGs, a third each studio shots on a graded backdrop, products already on
pure white and example photos; each read, decoded and audited against amazon-main (with OCR for
the no-text rule) and against tmall-main (no OCR), as the audit task does. Median of 3 passes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from check_pairs import product_shot  # noqa: E402

from config.settings import get_settings  # noqa: E402
from flows.audit import _ocr  # noqa: E402
from routing.presets import preset  # noqa: E402
from tasks.check.audit import audit_picture  # noqa: E402
from tasks.pixels.images import load_image  # noqa: E402


def pictures(count: int) -> list[bytes]:
    rng = np.random.default_rng(0)
    photos = [cv2.imread(str(HERE.parent / "examples" / "images" / n)) for n in ("coffee.png", "chelsea.png")]
    out = []
    for n in range(count):
        if n % 3 == 0:
            img, _ = product_shot(rng, 2000, 1500, ("box", "cup", "ball")[n % 3])
        elif n % 3 == 1:
            img, mask = product_shot(rng, 2000, 1500, "bottle")
            img = np.where(mask[..., None], img, 255).astype(np.uint8)
        else:
            img = cv2.resize(photos[n % 2], (2000, 1500), interpolation=cv2.INTER_CUBIC)
        out.append(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60)
    args = parser.parse_args()
    settings, data = get_settings(), pictures(args.images)
    read_text = _ocr()
    for name, text in (("amazon-main", read_text), ("tmall-main", None)):
        spec = preset(name)
        if text:
            text(np.zeros((64, 64, 3), np.uint8))  # the OCR engine loads once per process (~0.5 s)
        rates = []
        for _ in range(3):
            start = time.perf_counter()
            for n, blob in enumerate(data):
                picture = load_image(blob, settings.max_pixels, keep_exif=False)
                audit_picture(picture.pixels, "jpeg", f"{n}.jpg", spec, settings, text)
            rates.append(len(data) / (time.perf_counter() - start))
        ocr = "with OCR" if text else "without OCR"
        print(f"{name} ({ocr}): {statistics.median(rates):.1f} images/s (3-MP JPEGs, median of 3)")


if __name__ == "__main__":
    main()
