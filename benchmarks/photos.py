"""Synthetic-but-photographic benchmark inputs: real photos scaled, shifted, tinted, re-encoded.

Every file differs (so no encoder sees the same pixels twice) and has the texture of a photo,
which is what decides JPEG decode/encode cost.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

SOURCES = sorted((Path(__file__).resolve().parents[1] / "examples" / "images").glob("*.*"))


def make_photos(
    folder: Path, count: int, width: int = 2000, height: int = 1500, quality: int = 90
) -> list[Path]:
    """Write `count` JPEGs of width x height into `folder` (kept between runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    bases = [
        cv2.resize(
            cv2.imread(str(p), cv2.IMREAD_COLOR), (width + 200, height + 150), interpolation=cv2.INTER_CUBIC
        )
        for p in SOURCES
    ]
    paths = []
    for n in range(count):
        path = folder / f"photo-{n:05d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        base = bases[n % len(bases)]
        x, y = rng.integers(0, 200), rng.integers(0, 150)
        img = base[y : y + height, x : x + width].astype(np.float32)
        img *= rng.uniform(0.85, 1.15, size=3).astype(np.float32)  # a colour cast per photo
        img += rng.normal(0, 2.5, size=img.shape).astype(np.float32)  # sensor noise
        if n % 2:
            img = img[:, ::-1]
        cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return paths


def write_manifest(path: Path, photos: list[Path], instruction: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "image", "instruction"])
        for photo in photos:
            writer.writerow([photo.stem, str(photo.resolve()), instruction])
    return path
