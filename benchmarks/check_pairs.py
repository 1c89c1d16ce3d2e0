"""Before/after pairs for the request checks, and their scores per family.

    .venv/bin/python benchmarks/check_pairs.py [--out DIR] [--seed N] [--quick]

Families of good edits (the checks must publish them) and bad ones (they must go to review),
on synthetic product shots of several shapes and sizes and on the example photos: backgrounds
(pure white, a named colour, a scene; grey/off-white/blue when white was asked, the product lost,
noise), object recolours (right, wrong colour, spread over two places), text (replaced, added,
wrong word, erased, old left), removals (done, not done), keep-constraints, tile seams. A good
edit changes what was asked and leaves the rest as a VAE round trip leaves it: a little soft, a
little noisy, re-encoded. Writes DIR/pairs.jsonl in the shape of ../shared/eval's pairs
(`retouch check --jsonl` reads it) and prints recall and keep per family.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from routing import route  # noqa: E402
from tasks.check.gate import check_pair  # noqa: E402

IMAGES = ROOT / "examples" / "images"
FONT = cv2.FONT_HERSHEY_DUPLEX
COLOURS = {  # name: (zh, en, BGR)
    "red": ("红色", "red", (40, 40, 210)),
    "blue": ("蓝色", "blue", (200, 90, 30)),
    "green": ("绿色", "green", (60, 160, 40)),
    "yellow": ("黄色", "yellow", (40, 210, 240)),
    "purple": ("紫色", "purple", (160, 50, 120)),
    "black": ("黑色", "black", (25, 25, 25)),
}
BACKGROUNDS = {  # name: (zh, en, BGR)
    "light grey": ("浅灰色", "light grey", (211, 211, 211)),
    "beige": ("米色", "beige", (205, 228, 240)),
    "light blue": ("浅蓝色", "light blue", (240, 200, 150)),
    "black": ("黑色", "black", (10, 10, 10)),
}


# ------------------------------------------------------------------------------------------------
# pictures


def vae(img: np.ndarray, rng) -> np.ndarray:
    """What a good model output looks like outside the edit: soft, slightly noisy, re-encoded."""
    out = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 0.8)).astype(np.float32)
    out += rng.normal(0, rng.uniform(1.0, 2.0), img.shape)
    ok, buf = cv2.imencode(
        ".jpg", np.clip(out, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(88, 95))]
    )
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)[..., None]


def blend(a: np.ndarray, b: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.clip(a.astype(np.float32) * (1 - alpha) + b.astype(np.float32) * alpha, 0, 255).astype(np.uint8)


def product_shot(rng, width: int, height: int, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """A studio-like product photo and the product's mask: a lit shape on a graded backdrop."""
    top = rng.integers(150, 235, 3).astype(np.float32)
    bottom = np.clip(top - rng.integers(10, 45), 0, 255)
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    img = top * (1 - ramp) + bottom * ramp + np.zeros((height, width, 3), np.float32)
    img += cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 4)[..., None]
    mask = np.zeros((height, width), np.uint8)
    cx, cy, s = width // 2, height // 2, min(width, height)
    if shape == "bottle":
        cv2.rectangle(mask, (cx - s // 8, cy - s // 6), (cx + s // 8, cy + s // 3), 1, -1)
        cv2.rectangle(mask, (cx - s // 22, cy - s // 3), (cx + s // 22, cy - s // 6), 1, -1)
        cv2.circle(mask, (cx, cy - s // 6), s // 8, 1, -1)
    elif shape == "box":
        cv2.rectangle(mask, (cx - s // 4, cy - s // 5), (cx + s // 4, cy + s // 4), 1, -1)
    elif shape == "cup":
        cv2.ellipse(mask, (cx, cy), (s // 5, s // 4), 0, 0, 360, 1, -1)
        cv2.ellipse(mask, (cx + s // 5, cy), (s // 12, s // 10), 0, 0, 360, 1, s // 40)
    elif shape == "shoe":
        pts = np.array(
            [
                [cx - s // 3, cy + s // 6],
                [cx - s // 3, cy - s // 12],
                [cx - s // 8, cy - s // 8],
                [cx, cy - s // 20],
                [cx + s // 3, cy + s // 20],
                [cx + s // 3, cy + s // 6],
            ]
        )
        cv2.fillPoly(mask, [pts.astype(np.int32)], 1)
    else:  # ball
        cv2.circle(mask, (cx, cy), s // 4, 1, -1)
    colour = rng.integers(30, 220, 3).astype(np.float32)
    colour[rng.integers(3)] = rng.integers(0, 60)  # a clearly coloured product
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1.15 - 0.45 * (xx - (cx - s * 0.15)) ** 2 / (s * 0.45) ** 2 - 0.2 * (yy - cy) / s
    body = np.clip(colour * np.clip(light, 0.45, 1.25)[..., None], 0, 255)
    shadow = (
        soft(
            cv2.ellipse(
                np.zeros((height, width), np.uint8), (cx, cy + s // 3), (s // 4, s // 30), 0, 0, 360, 1, -1
            ),
            s / 40,
        )
        * 0.35
    )
    img = img * (1 - shadow)
    img = blend(np.clip(img, 0, 255).astype(np.uint8), body.astype(np.uint8), soft(mask, 1.2))
    return img, mask.astype(bool)


def photo(name: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """An example photo and a centred ellipse standing for its product."""
    img = cv2.imread(str(IMAGES / name), cv2.IMREAD_COLOR)
    if scale != 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.26), int(h * 0.34)), 0, 0, 360, 1, -1)
    return img, mask.astype(bool)


def recoloured(img: np.ndarray, bgr: tuple[int, int, int]) -> np.ndarray:
    """`img` in the hue and chroma of `bgr`, keeping its shading (Lab L)."""
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(np.float32)
    target = cv2.cvtColor(np.uint8([[bgr]]), cv2.COLOR_BGR2LAB)[0, 0].astype(np.float32)
    lab[..., 1:] = target[1:]
    lab[..., 0] = np.clip(lab[..., 0] * 0.35 + target[0] * 0.65, 0, 255)
    return cv2.cvtColor(lab.astype(np.uint8), cv2.COLOR_LAB2BGR)


def write(
    img: np.ndarray, text: str, box: tuple[int, int, int, int], ink=(20, 20, 20), paper=(245, 245, 245)
) -> np.ndarray:
    """A label: `text` on a plain patch filling `box` (x0, y0, x1, y1)."""
    out = img.copy()
    x0, y0, x1, y1 = box
    cv2.rectangle(out, (x0, y0), (x1, y1), paper, -1)
    scale = (y1 - y0) / 40
    (tw, th), _ = cv2.getTextSize(text, FONT, scale, max(1, int(scale * 2)))
    while tw > (x1 - x0) * 0.9 and scale > 0.3:
        scale *= 0.9
        (tw, th), _ = cv2.getTextSize(text, FONT, scale, max(1, int(scale * 2)))
    org = (x0 + (x1 - x0 - tw) // 2, y0 + (y1 - y0 + th) // 2)
    cv2.putText(out, text, org, FONT, scale, ink, max(1, int(scale * 2)), cv2.LINE_AA)
    return out


def banner(img: np.ndarray) -> tuple[int, int, int, int]:
    h, w = img.shape[:2]
    return int(w * 0.06), int(h * 0.05), int(w * 0.46), int(h * 0.17)


def inpaint(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return cv2.inpaint(
        img, cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)), 5, cv2.INPAINT_TELEA
    )


# ------------------------------------------------------------------------------------------------
# families: each returns (before, after, instruction) for a base picture


def _bg(rng, before, product, colour):
    feather = soft(product, max(1.0, min(before.shape[:2]) / 400))
    return blend(np.full_like(before, colour), vae(before, rng), feather)


def bg_pure_white(rng, before, product):
    zh, en = "把背景换成纯白色", "make the background pure white"
    return before, _bg(rng, before, product, (255, 255, 255)), [zh, en][rng.integers(2)]


def bg_named(rng, before, product):
    zh, en, bgr = BACKGROUNDS[list(BACKGROUNDS)[rng.integers(len(BACKGROUNDS))]]
    instruction = [f"把背景换成{zh}", f"change the background to {en}"][rng.integers(2)]
    return before, _bg(rng, before, product, bgr), instruction


def bg_scene(rng, before, product):
    h, w = before.shape[:2]
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), max(2, w / 150))
    veins = np.sin(np.linspace(0, 18, w)[None, :] + grain * 6) * 18
    marble = np.clip(225 + veins[..., None] + np.zeros((h, w, 3)), 0, 255).astype(np.uint8)
    after = blend(marble, vae(before, rng), soft(product, max(1.0, min(h, w) / 400)))
    instruction = ["把背景换成大理石台面", "change the background to a marble countertop"][rng.integers(2)]
    return before, after, instruction


def bg_grey(rng, before, product):
    return before, _bg(rng, before, product, (int(rng.integers(195, 225)),) * 3), "把背景换成纯白色"


def bg_offwhite(rng, before, product):
    level = int(rng.integers(236, 246))
    return (
        before,
        _bg(rng, before, product, (level, level, level + 4 if level < 251 else 255)),
        "make the background pure white",
    )


def bg_wrong_colour(rng, before, product):
    after = _bg(rng, before, product, (235, 190, 140))
    return before, after, ["把背景换成纯白色", "把背景换成浅灰色"][rng.integers(2)]


def bg_product_lost(rng, before, product):
    after = np.full_like(before, 255)
    shadow = soft(product, min(before.shape[:2]) / 20) * 0.12  # a faint ghost where it was
    return before, blend(after, np.zeros_like(after), shadow), "把背景换成纯白色"


def bg_noise(rng, before, product):
    h, w = before.shape[:2]
    noise = rng.normal(128, 60, (h // 16 + 1, w // 16 + 1, 3)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    noise += rng.normal(0, 20, noise.shape)
    return (
        before,
        np.clip(noise, 0, 255).astype(np.uint8),
        ["把背景换成纯白色", "change the background to a marble countertop"][rng.integers(2)],
    )


def bg_product_altered(rng, before, product):
    _, _, bgr = COLOURS[list(COLOURS)[rng.integers(len(COLOURS))]]
    after = _bg(rng, before, product, (255, 255, 255))
    after = blend(after, recoloured(after, bgr), soft(product, 2))
    return before, after, "把背景换成纯白色"


def recolour_named(rng, before, product):
    name = list(COLOURS)[rng.integers(len(COLOURS))]
    zh, en, bgr = COLOURS[name]
    after = blend(vae(before, rng), recoloured(before, bgr), soft(product, 1.5))
    return before, after, [f"把产品改成{zh}", f"make the product {en}"][rng.integers(2)]


def recolour_wrong(rng, before, product):
    names = list(COLOURS)
    asked, done = rng.choice(len(names), 2, replace=False)
    if {names[asked], names[done]} <= {"red", "purple"} or {names[asked], names[done]} <= {"black"}:
        done = names.index("green") if names[asked] != "green" else names.index("blue")
    after = blend(vae(before, rng), recoloured(before, COLOURS[names[done]][2]), soft(product, 1.5))
    return before, after, f"把产品改成{COLOURS[names[asked]][0]}"


def recolour_spread(rng, before, product):
    name = list(COLOURS)[rng.integers(len(COLOURS))]
    h, w = before.shape[:2]
    extra = np.zeros((h, w), np.uint8)
    corner = (int(w * 0.1), int(h * 0.8)) if rng.integers(2) else (int(w * 0.88), int(h * 0.12))
    cv2.circle(extra, corner, int(min(h, w) * 0.08), 1, -1)
    where = product | extra.astype(bool)
    after = blend(vae(before, rng), recoloured(before, COLOURS[name][2]), soft(where, 1.5))
    return before, after, f"make the product {COLOURS[name][1]}"


def text_replace(rng, before, product):
    old, new = [("SALE", "NEW"), ("HOT DEAL", "FREE SHIP"), ("50% OFF", "BUY 2 GET 1")][rng.integers(3)]
    base = write(before, old, banner(before))
    after = write(vae(base, rng), new, banner(before))
    return base, after, [f"把'{old}'改成'{new}'", f'replace "{old}" with "{new}"'][rng.integers(2)]


def text_add(rng, before, product):
    words = ["NEW IN", "LIMITED", "BEST SELLER"][rng.integers(3)]
    after = write(vae(before, rng), words, banner(before))
    instruction = [f"在左上角加上文字'{words}'", f"add the text '{words}' at the top left"][rng.integers(2)]
    return before, after, instruction


def text_wrong(rng, before, product):
    old, new, wrong = [
        ("SALE", "NEW", "NEVV"),
        ("HOT DEAL", "FREE SHIP", "FREE SHOP"),
        ("50% OFF", "SALE", "SAIL"),
    ][rng.integers(3)]
    base = write(before, old, banner(before))
    return base, write(vae(base, rng), wrong, banner(before)), f"把'{old}'改成'{new}'"


def text_erased(rng, before, product):
    old, new = [("SALE", "NEW"), ("HOT DEAL", "FREE SHIP")][rng.integers(2)]
    base = write(before, old, banner(before))
    return base, write(vae(base, rng), "", banner(before)), f"replace '{old}' with '{new}'"


def text_old_left(rng, before, product):
    old, new = [("SALE", "NEW"), ("HOT DEAL", "FREE SHIP")][rng.integers(2)]
    base = write(before, old, banner(before))
    x0, y0, x1, y1 = banner(before)
    h = y1 - y0
    after = write(vae(base, rng), new, (x0, y1 + h // 3, x1, y1 + h // 3 + h))
    return base, after, f"把'{old}'改成'{new}'"


def text_other_changed(rng, before, product):
    old, new = [("SALE", "NEW"), ("HOT DEAL", "FREE SHIP")][rng.integers(2)]
    x0, y0, x1, y1 = banner(before)
    h = y1 - y0
    second = (x0, y1 + h // 2, x1, y1 + h // 2 + h)
    base = write(write(before, old, banner(before)), "ONLY TODAY", second)
    after = write(write(vae(base, rng), new, banner(before)), "ONLY TOMORROW", second)
    return base, after, f"把'{old}'改成'{new}'"


def _mark(before):
    h, w = before.shape[:2]
    box = (int(w * 0.62), int(h * 0.84), int(w * 0.96), int(h * 0.95))
    return write(before, "(C) STUDIO 88", box, ink=(90, 90, 90), paper=(225, 225, 225)), box


def remove_mark(rng, before, product):
    base, (x0, y0, x1, y1) = _mark(before)
    mask = np.zeros(base.shape[:2], bool)
    mask[y0 - 2 : y1 + 3, x0 - 2 : x1 + 3] = True
    after = blend(vae(base, rng), inpaint(base, mask), soft(mask, 2))
    return base, after, ["删除右下角的水印", "remove the watermark in the bottom right"][rng.integers(2)]


def remove_mark_not_done(rng, before, product):
    base, (x0, y0, x1, y1) = _mark(before)
    after = vae(base, rng)
    after[y0:y1, x0:x1] = cv2.GaussianBlur(after[y0:y1, x0:x1], (0, 0), 1.0)
    patch = after[y0:y1, x0:x1].astype(np.int16) + 40  # a lighter patch, the text still legible
    after[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
    return base, after, "删除右下角的水印"


def _ball(before):
    h, w = before.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (int(w * 0.85), int(h * 0.6)), int(min(h, w) * 0.07), 1, -1)
    ball = blend(before, np.full_like(before, (30, 140, 240)), soft(mask, 1))
    return ball, mask.astype(bool)


def remove_object(rng, before, product):
    base, mask = _ball(before)
    after = blend(
        vae(base, rng), inpaint(base, mask), soft(cv2.dilate(mask.astype(np.uint8), np.ones((9, 9))), 2)
    )
    return base, after, ["remove the ball on the right", "把右边的球删掉"][rng.integers(2)]


def remove_object_not_done(rng, before, product):
    base, mask = _ball(before)
    after = vae(base, rng)
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((15, 15))).astype(bool) & ~mask
    after[ring] = np.clip(after[ring].astype(np.int16) + 45, 0, 255).astype(np.uint8)
    return base, after, "remove the ball on the right"


def keep_background(rng, before, product):
    name = list(COLOURS)[rng.integers(len(COLOURS))]
    after = blend(vae(before, rng), recoloured(before, COLOURS[name][2]), soft(product, 1.5))
    return before, after, f"把产品改成{COLOURS[name][0]}，别动背景"


def keep_background_broken(rng, before, product):
    name = list(COLOURS)[rng.integers(len(COLOURS))]
    after = blend(vae(before, rng), recoloured(before, COLOURS[name][2]), soft(product, 1.5))
    tint = np.array([rng.integers(-50, -30), rng.integers(-10, 10), rng.integers(30, 50)], np.float32)
    after = blend(np.clip(after.astype(np.float32) + tint, 0, 255).astype(np.uint8), after, soft(product, 2))
    return before, after, f"把产品改成{COLOURS[name][0]}，别动背景"


def seams(rng, before, product):
    name = list(COLOURS)[rng.integers(len(COLOURS))]
    after = blend(vae(before, rng), recoloured(before, COLOURS[name][2]), soft(product, 1.5))
    h, w = after.shape[:2]
    tile = int(rng.choice([32, 48, 64])) * max(1, w // 1024)
    grid = np.zeros((h, w), np.float32)
    grid[:, ::tile] = 1
    grid[::tile, :] = 1
    grid = cv2.GaussianBlur(grid, (0, 0), 0.8) * rng.uniform(14, 24) * product
    return (
        before,
        np.clip(after.astype(np.float32) - grid[..., None], 0, 255).astype(np.uint8),
        f"make the product {COLOURS[name][1]}",
    )


GOOD = [
    bg_pure_white,
    bg_named,
    bg_scene,
    recolour_named,
    text_replace,
    text_add,
    remove_mark,
    remove_object,
    keep_background,
]
BAD = [
    bg_grey,
    bg_offwhite,
    bg_wrong_colour,
    bg_product_lost,
    bg_noise,
    bg_product_altered,
    recolour_wrong,
    recolour_spread,
    text_wrong,
    text_erased,
    text_old_left,
    text_other_changed,
    remove_mark_not_done,
    remove_object_not_done,
    keep_background_broken,
    seams,
]
SHAPES = ("bottle", "box", "cup", "shoe", "ball")
SIZES = ((640, 480), (1024, 1024), (1500, 1000))


def bases(rng, quick: bool):
    """(name, picture, product mask): synthetic shots of every shape and size, and the photos."""
    sizes = SIZES[:1] if quick else SIZES
    for shape in SHAPES:
        for w, h in sizes:
            img, mask = product_shot(rng, w, h, shape)
            yield f"{shape}{w}x{h}", img, mask
    for name in ("coffee.png", "rocket.jpg", "chelsea.png"):
        for scale in (1.0,) if quick else (1.0, 2.0):
            img, mask = photo(name, scale)
            yield f"{Path(name).stem}x{scale:g}", img, mask


def make(out: Path, seed: int, quick: bool = False) -> list[dict]:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for base_name, img, product in bases(rng, quick):
        for fn in GOOD + BAD:
            before, after, instruction = fn(rng, img, product)
            pair_id = f"{base_name}-{fn.__name__}"
            paths = []
            for side, pixels in (("before", before), ("after", after)):
                path = out / f"{pair_id}-{side}.png"
                cv2.imwrite(str(path), pixels)
                paths.append(str(path))
            rows.append(
                {
                    "id": pair_id,
                    "before": paths[0],
                    "after": paths[1],
                    "instruction": instruction,
                    "expect": "publish" if fn in GOOD else "review",
                    "family": fn.__name__,
                    "base": base_name,
                }
            )
    (out / "pairs.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return rows


def score(rows: list[dict], verbose: bool = False) -> dict[str, tuple[int, int]]:
    """{family: (right, total)}, checking each pair in this process."""
    results: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        before = cv2.imread(row["before"], cv2.IMREAD_COLOR)
        after = cv2.imread(row["after"], cv2.IMREAD_COLOR)
        report = check_pair(before, after, row["instruction"], route(row["instruction"]))
        right = report.verdict == row["expect"]
        results[row["family"]][0] += right
        results[row["family"]][1] += 1
        if verbose and not right:
            why = "; ".join(f"{f.check}: {f.message}" for f in report.failed) or "all passed"
            print(f"MISS {row['id']} {row['instruction']!r} -> {report.verdict}: {why}")
    return {k: (v[0], v[1]) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data" / "check-pairs")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="one size per shape, photos at 1x")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = make(args.out, args.seed, args.quick)
    results = score(rows, args.verbose)
    good = [f.__name__ for f in GOOD]
    print(f"{len(rows)} pairs in {args.out / 'pairs.jsonl'} ({time.perf_counter() - start:.0f} s)")
    for title, names in (
        ("good edits published (keep)", good),
        ("bad edits sent to review (recall)", [f.__name__ for f in BAD]),
    ):
        print(title)
        for name in names:
            right, total = results[name]
            print(f"  {name:24s} {right:3d}/{total:3d}")
        right = sum(results[n][0] for n in names)
        total = sum(results[n][1] for n in names)
        print(f"  {'all':24s} {right:3d}/{total:3d} = {right / total:.1%}")


if __name__ == "__main__":
    main()
