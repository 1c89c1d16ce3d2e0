"""Geometry-locked compositing against today's resize-back, on cases with a known answer.

    python benchmarks/composite.py [--sizes 6,12,24] [--repeats 5] [--json FILE]

Each case: a large product photo (a sample photo enlarged to 6-24 MP, with fabric-like texture
and sharp print so that softness shows), a known local edit made at full resolution (the ground
truth), and a "model output": that edit scaled down to the model's ~1 MP working size, shifted
and zoomed slightly (the model's drift), softened, with noise and JPEG (the VAE). Measured:

- kept: the share of the pixels outside the edit and its feather band that are bit-identical
  to the original (goal 100%);
- PSNR / SSIM of the edited region against the ground truth: composite vs resize-back;
- seconds per composite (median, one process, run it under `taskset -c 0` for one core) and
  the peak memory of one composite in a fresh process (VmHWM growth).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tasks.check.measures import ssim  # noqa: E402
from tasks.edit.composite import FEATHER, composite  # noqa: E402

PHOTOS = HERE.parent / "examples" / "images"
DRIFTS = {"coffee.png": (5.0, -3.0, 1.006), "rocket.jpg": (-4.0, 2.5, 0.994), "chelsea.png": (2.0, 4.0, 1.01)}


def large_photo(name: str, megapixels: float, seed: int) -> np.ndarray:
    """A sample photo enlarged to `megapixels`, with fine texture and sharp print added."""
    small = cv2.imread(str(PHOTOS / name), cv2.IMREAD_COLOR)
    h, w = small.shape[:2]
    scale = (megapixels * 1e6 / (w * h)) ** 0.5
    width, height = round(w * scale), round(h * scale)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    weave = 6 * np.sin(x * 0.9) * np.sin(y * 0.7)  # a 7-9 px fabric weave
    img += weave[..., None] + rng.normal(0, 3, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for n in range(6):  # sharp print: a label's small text
        size = max(1.0, width / 1500) * (1 + n % 3)
        cv2.putText(
            img,
            f"SKU-{seed}{n} 100% cotton",
            (width // 20, height // 8 + n * height // 8),
            cv2.FONT_HERSHEY_SIMPLEX,
            size,
            (20, 20, 20),
            max(1, round(size * 2)),
            cv2.LINE_AA,
        )
    return img


def local_edit(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ground truth: an object in the right half recoloured (hue turned), and its mask."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (int(w * 0.68), int(h * 0.55)), (int(w * 0.13), int(h * 0.16)), 15, 0, 360, 1, -1)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + 60) % 180
    hsv[..., 1] = np.maximum(hsv[..., 1], 140)
    recoloured = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(1.0, w / 2000))[..., None]
    truth = (img * (1 - soft) + recoloured * soft).astype(np.uint8)
    return truth, mask.astype(bool)


def model_output(truth: np.ndarray, drift: tuple[float, float, float], seed: int) -> np.ndarray:
    """The truth as the model would return it: ~1 MP, drifted, soft, noisy, JPEG-compressed."""
    h, w = truth.shape[:2]
    factor = (1024 * 1024 / (w * h)) ** 0.5
    ew, eh = round(w * factor / 32) * 32, round(h * factor / 32) * 32
    small = cv2.resize(truth, (ew, eh), interpolation=cv2.INTER_AREA)
    dx, dy, zoom = drift
    warp = cv2.getRotationMatrix2D((ew / 2, eh / 2), 0.0, zoom)
    warp[:, 2] += (dx, dy)
    moved = cv2.warpAffine(small, warp, (ew, eh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    soft = cv2.GaussianBlur(moved, (0, 0), 0.6).astype(np.float32)
    noisy = np.clip(soft + np.random.default_rng(seed).normal(0, 2.0, soft.shape), 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 92])[1], cv2.IMREAD_COLOR)


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    err = ((a.astype(np.float64) - b.astype(np.float64)) ** 2)[where].mean()
    return float(10 * np.log10(255.0**2 / max(err, 1e-12)))


def region_ssim(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    ys, xs = np.nonzero(where)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    grey = [cv2.cvtColor(x[box], cv2.COLOR_BGR2GRAY) for x in (a, b)]
    return ssim(*grey, where[box])


def case(name: str, megapixels: float, seed: int):
    original = large_photo(name, megapixels, seed)
    truth, edited_region = local_edit(original)
    return original, truth, edited_region, model_output(truth, DRIFTS[name], seed)


def measure(sizes: list[float], repeats: int) -> list[dict]:
    rows = []
    for megapixels in sizes:
        for seed, name in enumerate(DRIFTS):
            original, truth, region, edited = case(name, megapixels, seed)
            h, w = original.shape[:2]
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                result = composite(original, edited)
                times.append(time.perf_counter() - started)
            resized = cv2.resize(edited, (w, h), interpolation=cv2.INTER_CUBIC)  # today's output
            band = max(3, round(FEATHER * max(h, w) * 1.6))  # the feather band, with room to spare
            near = cv2.dilate(region.astype(np.uint8), np.ones((2 * band + 1,) * 2, np.uint8)).astype(bool)
            outside = ~near
            identical = (result.pixels == original).all(axis=2)
            rows.append(
                {
                    "photo": name,
                    "size": f"{w}x{h}",
                    "megapixels": round(w * h / 1e6, 1),
                    "drift_corrected_px": round(result.shift_px, 1),
                    "zoom": round(result.zoom, 4),
                    "changed_share": round(result.changed, 3),
                    "kept_identical_outside": round(float(identical[outside].mean()), 6),
                    "kept_identical_outside_resize_back": round(
                        float((resized == original).all(axis=2)[outside].mean()), 6
                    ),
                    "psnr_edit": round(psnr(result.pixels, truth, region), 2),
                    "psnr_edit_resize_back": round(psnr(resized, truth, region), 2),
                    "ssim_edit": round(region_ssim(result.pixels, truth, region), 4),
                    "ssim_edit_resize_back": round(region_ssim(resized, truth, region), 4),
                    "psnr_outside": round(psnr(result.pixels, truth, outside), 2),
                    "psnr_outside_resize_back": round(psnr(resized, truth, outside), 2),
                    "seconds": round(statistics.median(times), 4),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def peak_memory(megapixels: float) -> dict:
    """Peak RSS growth of one composite, in a fresh process: the inputs are made first, then the
    kernel's high-water mark is reset (/proc/self/clear_refs) and read again after composite."""
    code = f"""
import sys
sys.path.insert(0, {str(HERE.parent)!r})
from benchmarks.composite import case
from tasks.edit.composite import composite


def hwm():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])


original, truth, region, edited = case("coffee.png", {megapixels!r}, 0)
del truth, region
open("/proc/self/clear_refs", "w").write("5")
before = hwm()
composite(original, edited)
print(before, hwm(), original.nbytes)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, nbytes = map(int, out.split())
    return {
        "megapixels": megapixels,
        "peak_growth_mib": round((after - before) / 1024, 1),
        "original_mib": round(nbytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="6,12,24", help="megapixels of the large photos")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    rows = measure(sizes, args.repeats)
    memory = [peak_memory(mp) for mp in sizes]
    print(
        "\n| photo | size | drift fixed px | kept outside: composite / resize-back "
        "| PSNR edit | SSIM edit | s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['photo']} | {r['size']} | {r['drift_corrected_px']} "
            f"| {r['kept_identical_outside']:.2%} / {r['kept_identical_outside_resize_back']:.2%} "
            f"| {r['psnr_edit']} vs {r['psnr_edit_resize_back']} dB "
            f"| {r['ssim_edit']} vs {r['ssim_edit_resize_back']} | {r['seconds']} |"
        )
    for m in memory:
        print(
            f"peak memory of one composite at {m['megapixels']} MP: +{m['peak_growth_mib']} MiB "
            f"(the original alone: {m['original_mib']} MiB)"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "memory": memory}, indent=2))


if __name__ == "__main__":
    main()
