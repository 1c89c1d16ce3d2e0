"""The baseline: a bare single-process OpenCV loop doing the same decode, crop and encode.

python benchmarks/bare_opencv.py MANIFEST.csv OUT_DIR [--quality 95]
"""

import argparse
import csv
from pathlib import Path

import cv2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--quality", type=int, default=95)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with args.manifest.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        img = cv2.imread(row["image"], cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        side = min(h, w)
        x, y = (w - side) // 2, (h - side) // 2
        cv2.imwrite(
            str(args.out / f"{row['id']}.jpg"),
            img[y : y + side, x : x + side],
            [cv2.IMWRITE_JPEG_QUALITY, args.quality],
        )


if __name__ == "__main__":
    main()
