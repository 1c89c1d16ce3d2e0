"""White-background requests: how many are done without the GPU, and what the gate says.

    .venv/bin/python benchmarks/studio_backgrounds.py [--json FILE]

The set, assembled here (none of it from ../shared): studio shots (benchmarks/check_pairs.py's
five product shapes at three sizes on graded, tinted backdrops with cast shadows, seeds 0-5),
the same products already on pure white, the same products as transparent PNGs, the harder
studio shots a catalog has (a T-shirt that runs off the bottom or a side of the frame, a product
with a wide soft shadow, a glossy bottle with white highlights and its reflection on the
floor), and the example photos (three, at two scales, mirrored too), each asked "把背景换成纯白",
"white background" or "change the background to pure white" in turn. Each goes through
tasks/studio_path.studio_job as a batch would: published unchanged, cut out by OpenCV (and
judged by the model's checks), or left to the model (with the reason). For the OpenCV cut-outs,
the product kept is compared with the true mask (IoU).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from check_pairs import product_shot  # noqa: E402

from config.contracts import Item, Job  # noqa: E402
from config.settings import get_settings  # noqa: E402
from routing import route  # noqa: E402
from tasks.edit.studio_path import studio_job  # noqa: E402

SHAPES = ("bottle", "box", "cup", "shoe", "ball")
SIZES = ((900, 900), (1200, 900), (700, 1000))
INSTRUCTIONS = ("把背景换成纯白", "white background", "change the background to pure white")
PHOTOS = ("coffee.png", "chelsea.png", "rocket.jpg")


def _shirt_mask(width: int, height: int, side: str) -> np.ndarray:
    """A T-shirt's outline that runs off the frame at `side` (bottom, left or right)."""
    s = min(width, height)
    cx, top = width // 2, int(height * 0.12)
    body_bottom = height + s // 10 if side == "bottom" else int(height * 0.9)
    mask = np.zeros((height, width), np.uint8)
    body = [
        (cx - s // 4, top + s // 10),
        (cx + s // 4, top + s // 10),
        (cx + s // 4, body_bottom),
        (cx - s // 4, body_bottom),
    ]
    sleeve_l = [
        (cx - s // 4, top + s // 10),
        (cx - s // 8, top),
        (cx - s // 2.4, top + s // 4),
        (cx - s // 3, top + s // 3),
    ]
    sleeve_r = [(2 * cx - x, y) for x, y in sleeve_l]
    for polygon in (body, sleeve_l, sleeve_r):
        cv2.fillPoly(mask, [np.array(polygon, np.int32)], 1)
    cv2.fillPoly(
        mask,
        [
            np.array(
                [
                    (cx - s // 8, top),
                    (cx + s // 8, top),
                    (cx + s // 4, top + s // 10),
                    (cx - s // 4, top + s // 10),
                ],
                np.int32,
            )
        ],
        1,
    )
    cv2.ellipse(mask, (cx, top), (s // 14, s // 24), 0, 0, 180, 0, -1)  # the neckline
    if side in ("left", "right"):  # the frame cuts the shirt at one side
        shift = int(width * 0.3) * (-1 if side == "left" else 1)
        mask = np.roll(mask, shift, axis=1)
        if side == "left":
            mask[:, width + shift :] = 0
        else:
            mask[:, :shift] = 0
    return mask.astype(bool)


def harder_shot(rng, width: int, height: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A catalog's harder studio shots on plain light grey: a T-shirt off the edge of the frame,
    a product with a wide soft shadow, a glossy bottle with highlights and a floor reflection."""
    grey = float(rng.integers(200, 232))
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    img = grey + np.zeros((height, width, 3), np.float32) - 12 * ramp
    img += cv2.GaussianBlur(rng.normal(0, 3, (height, width)).astype(np.float32), (0, 0), 3)[..., None]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    s = min(width, height)
    if kind.startswith("shirt"):
        mask = _shirt_mask(width, height, kind.split("-")[1])
        colour = np.array([170, 90, 30], np.float32)  # a blue T-shirt
        folds = 0.85 + 0.15 * np.sin(xx / (s / 9) + np.sin(yy / (s / 5)))
        body = colour * folds[..., None]
    elif kind == "soft-shadow":
        mask = np.zeros((height, width), np.uint8)
        cv2.rectangle(
            mask,
            (width // 2 - s // 5, height // 2 - s // 4),
            (width // 2 + s // 5, height // 2 + s // 5),
            1,
            -1,
        )
        mask = mask.astype(bool)
        shadow = np.zeros((height, width), np.float32)
        cv2.ellipse(shadow, (width // 2 + s // 8, height // 2 + s // 5), (s // 3, s // 12), 0, 0, 360, 1, -1)
        img *= 1 - 0.35 * cv2.GaussianBlur(shadow, (0, 0), s / 25)[..., None]
        body = np.array([60, 140, 200], np.float32) * (1.05 - 0.3 * (yy - height / 2) / s)[..., None]
    else:  # glossy: a dark bottle with white highlights and its reflection on the floor
        mask = np.zeros((height, width), np.uint8)
        cx, cy = width // 2, height // 2
        cv2.rectangle(mask, (cx - s // 9, cy - s // 6), (cx + s // 9, cy + s // 4), 1, -1)
        cv2.rectangle(mask, (cx - s // 28, cy - s // 3), (cx + s // 28, cy - s // 6), 1, -1)
        mask = mask.astype(bool)
        body = np.array([40, 70, 35], np.float32) + np.zeros((height, width, 3), np.float32)
        stripe = np.exp(-(((xx - (cx - s // 18)) / (s / 60)) ** 2))[..., None]
        body = body * (1 - stripe) + 250 * stripe  # a white specular stripe
        floor = np.zeros((height, width), np.float32)
        cv2.rectangle(floor, (cx - s // 9, cy + s // 4), (cx + s // 9, cy + s // 4 + s // 8), 1, -1)
        reflection = (
            cv2.GaussianBlur(floor, (0, 0), s / 80)[..., None]
            * np.clip(1 - (yy - (cy + s / 4)) / (s / 8), 0, 1)[..., None]
        )
        img = img * (1 - 0.35 * reflection) + np.array([40, 70, 35], np.float32) * 0.35 * reflection
    soft_mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0)[..., None]
    out = img * (1 - soft_mask) + body * soft_mask
    return np.clip(out, 0, 255).astype(np.uint8), mask


HARDER = ("shirt-bottom", "shirt-left", "shirt-right", "soft-shadow", "glossy")


def cases(folder: Path):
    """(family, path, true product mask or None)."""
    n = 0
    for seed in range(2):
        for shape in SHAPES:
            for width, height in SIZES:
                img, mask = product_shot(np.random.default_rng(100 * seed + n), width, height, shape)
                n += 1
                studio = folder / f"studio-{n}.jpg"
                cv2.imwrite(str(studio), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
                yield "studio shot", studio, mask
                white = folder / f"white-{n}.png"
                cv2.imwrite(str(white), np.where(mask[..., None], img, 255).astype(np.uint8))
                yield "already pure white", white, mask
                clear = folder / f"transparent-{n}.png"
                cv2.imwrite(str(clear), np.dstack([img, np.where(mask, 255, 0).astype(np.uint8)]))
                yield "transparent", clear, mask
    for seed in range(3):
        for kind in HARDER:
            width, height = ((1200, 1200), (1000, 1300), (1500, 1000))[seed]
            img, mask = harder_shot(np.random.default_rng(500 + seed), width, height, kind)
            hard = folder / f"harder-{kind}-{seed}.jpg"
            cv2.imwrite(str(hard), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
            yield f"studio: {'off the edge' if kind.startswith('shirt') else kind}", hard, mask
    for name in PHOTOS:
        photo = cv2.imread(str(HERE.parent / "examples" / "images" / name))
        for scale in (1.0, 2.0):
            for mirrored in (False, True):
                img = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
                path = folder / f"photo-{name}-{scale}-{mirrored}.png"
                cv2.imwrite(str(path), img[:, ::-1] if mirrored else img)
                yield "photo", path, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = get_settings()
    work = Path(tempfile.mkdtemp(prefix="retouch-studio-"))
    rows = []
    for n, (family, path, truth) in enumerate(cases(work)):
        instruction = INSTRUCTIONS[n % len(INSTRUCTIONS)]
        job = Job(item=Item(id=f"c{n}", image=str(path), instruction=instruction), plan=route(instruction))
        result, why = studio_job(job, str(work / "out"), settings)
        row = {"family": family, "instruction": instruction, "image": path.name}
        if result is None:
            row.update(outcome="model", why=(why or "").split(":")[0])
        elif result.notes and result.notes[-1].startswith("already satisfied"):
            row.update(outcome="unchanged")
        else:
            kept = (cv2.imread(result.output) < 240).any(axis=2)  # not the white (JPEG rings at 250-254)
            row.update(outcome="opencv", iou=float((kept & truth).sum() / (kept | truth).sum()))
            row["verdict"] = "publish" if result.status == "published" else "review"
        rows.append(row)
    print(
        "| family | requests | unchanged | OpenCV cut-out (gate: publish) | to the model | IoU min / median |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    families = ("studio shot", "studio: off the edge", "studio: soft-shadow", "studio: glossy")
    for family in (*families, "already pure white", "transparent", "photo"):
        mine = [r for r in rows if r["family"] == family]
        count = collections.Counter(r["outcome"] for r in mine)
        ious = sorted(r["iou"] for r in mine if "iou" in r)
        quality = f"{ious[0]:.3f} / {ious[len(ious) // 2]:.3f}" if ious else "-"
        published = sum(r.get("verdict") == "publish" for r in mine)
        print(
            f"| {family} | {len(mine)} | {count['unchanged']} | {count['opencv']} ({published}) | "
            f"{count['model']} | {quality} |"
        )
    reasons = collections.Counter(r["why"] for r in rows if r["outcome"] == "model")
    no_gpu = sum(r["outcome"] != "model" for r in rows)
    studio = [r for r in rows if r["family"] != "photo"]
    print(
        f"\nwithout the GPU: {no_gpu}/{len(rows)} requests ({100 * no_gpu / len(rows):.0f}%); "
        f"of the studio pictures {sum(r['outcome'] != 'model' for r in studio)}/{len(studio)}; "
        f"photos done by OpenCV: {sum(r['outcome'] != 'model' for r in rows if r['family'] == 'photo')}"
    )
    print("to the model, why:", dict(reasons))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
