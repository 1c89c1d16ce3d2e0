"""White-background requests: how many are done without the GPU, and what the gate says.

    .venv/bin/python benchmarks/studio_backgrounds.py [--json FILE]

The set, assembled here (none of it from ../shared): studio shots (benchmarks/check_pairs.py's
five product shapes at three sizes on graded, tinted backdrops with cast shadows, seeds 0-5),
the same products already on pure white, the same products as transparent PNGs, and the
example photos (three, at two scales, mirrored too), each asked "把背景换成纯白", "white
background" or "change the background to pure white" in turn. Each goes through
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
from tasks.studio_path import studio_job  # noqa: E402

SHAPES = ("bottle", "box", "cup", "shoe", "ball")
SIZES = ((900, 900), (1200, 900), (700, 1000))
INSTRUCTIONS = ("把背景换成纯白", "white background", "change the background to pure white")
PHOTOS = ("coffee.png", "chelsea.png", "rocket.jpg")


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
            row["verdict"] = "publish" if all(f.passed for f in result.checks) else "review"
        rows.append(row)
    print(
        "| family | requests | unchanged | OpenCV cut-out (gate: publish) | to the model | IoU min / median |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for family in ("studio shot", "already pure white", "transparent", "photo"):
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
