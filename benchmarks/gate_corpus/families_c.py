#!/usr/bin/env python3
"""Gate-corpus pair families, author "c": TEXT and WATERMARK edits.

    python benchmarks/gate_corpus/families_c.py OUT_DIR [--seed N] [--per-family N]

Every "before" is a synthetic product shot (drawn here with numpy/OpenCV, printed words
rendered with Pillow, CJK with WenQuanYi Micro Hei) or a real photo, carrying banners,
stickers, captions or watermarks. A scene is kept as layers (backdrop, product albedo,
shading, printed words, overlays), so the "after" of an edit is the same layers with the
asked change (new words, overlay gone) and then a VAE-like round trip; the bad families
break that edit in one of the ways diffusion editors do (one character wrong, garbled
glyphs, old text left or ghosted, other words changed, invented text, wrong language,
watermark kept, faded, smeared, removed together with the product's own print...).
"""

import argparse
import json
import math
import os
import pathlib
from functools import cache, lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

AUTHOR = "c"

# ----------------------------------------------------------------------------------------------
# fonts and text rendering
# ----------------------------------------------------------------------------------------------
_FD = "/usr/share/fonts/truetype"
CJK_FONT = f"{_FD}/wqy/wqy-microhei.ttc"
HAVE_CJK = os.path.exists(CJK_FONT)


def _existing(paths):
    return [p for p in paths if os.path.exists(p)]


LATIN_BOLD = _existing(
    [
        f"{_FD}/dejavu/DejaVuSans-Bold.ttf",
        f"{_FD}/liberation/LiberationSans-Bold.ttf",
        f"{_FD}/dejavu/DejaVuSerif-Bold.ttf",
        f"{_FD}/dejavu/DejaVuSansCondensed-Bold.ttf",
        f"{_FD}/liberation/LiberationSerif-Bold.ttf",
        f"{_FD}/liberation/LiberationSansNarrow-Bold.ttf",
        f"{_FD}/liberation/LiberationSans-BoldItalic.ttf",
        f"{_FD}/liberation/LiberationMono-Bold.ttf",
    ]
)
LATIN_REG = _existing(
    [
        f"{_FD}/dejavu/DejaVuSans.ttf",
        f"{_FD}/liberation/LiberationSans-Regular.ttf",
        f"{_FD}/liberation/LiberationSerif-Regular.ttf",
        f"{_FD}/dejavu/DejaVuSerif.ttf",
        f"{_FD}/liberation/LiberationSans-Italic.ttf",
    ]
)
LATIN_THIN = (
    _existing([f"{_FD}/dejavu/DejaVuSans-ExtraLight.ttf", f"{_FD}/dejavu/DejaVuSansCondensed.ttf"])
    or LATIN_REG
)
if HAVE_CJK:
    LATIN_BOLD = LATIN_BOLD or [CJK_FONT]
    LATIN_REG = LATIN_REG or [CJK_FONT]
    LATIN_THIN = LATIN_THIN or [CJK_FONT]
HERSHEY = "hershey"  # last-resort font: cv2.putText, Latin only
LATIN_BOLD = LATIN_BOLD or [HERSHEY]
LATIN_REG = LATIN_REG or [HERSHEY]
LATIN_THIN = LATIN_THIN or [HERSHEY]


def is_ascii(s):
    return all(ord(c) < 128 for c in s)


def needs_cjk_font(s):
    return any(ord(c) > 0x2000 and c not in "€¥" for c in s)


def pick_font(rng, text, weight="bold"):
    if needs_cjk_font(text):
        return CJK_FONT
    pool = {"bold": LATIN_BOLD, "reg": LATIN_REG, "thin": LATIN_THIN}[weight]
    # latin-1 characters (é, ü, ¥, €) exist in every TTF listed above
    return pool[int(rng.integers(len(pool)))]


def font_for(text, font):
    """The font actually used for `text` (CJK text always goes to the CJK font)."""
    if needs_cjk_font(text) and HAVE_CJK:
        return CJK_FONT
    if font == HERSHEY or not os.path.exists(font):
        return HERSHEY
    return font


@lru_cache(maxsize=256)
def _font(path, size):
    return ImageFont.truetype(path, int(size))


@lru_cache(maxsize=4096)
def _measure(text, font):
    font = font_for(text, font)
    if font == HERSHEY:
        (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, 100 / 30.0, 6)
        return max(w, 1), max(h, 1)
    x0, y0, x1, y1 = _font(font, 100).getbbox(text)
    return max(x1 - x0, 1), max(y1 - y0, 1)


def fit_size(text, font, mw, mh):
    w, h = _measure(text, font)
    return int(max(9, min(100.0 * min(mw / w, mh / h), 1600)))


@lru_cache(maxsize=512)
def _text_alpha(text, font, size, stroke, fill_only):
    font = font_for(text, font)
    if font == HERSHEY:
        scale = size / 30.0
        th = max(1, int(size / 14))
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, th + 2 * stroke)
        pad = 4 + stroke
        im = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
        if stroke and not fill_only:
            cv2.putText(
                im, text, (pad, pad + h), cv2.FONT_HERSHEY_DUPLEX, scale, 255, th + 2 * stroke, cv2.LINE_AA
            )
        cv2.putText(im, text, (pad, pad + h), cv2.FONT_HERSHEY_DUPLEX, scale, 255, th, cv2.LINE_AA)
        return im.astype(np.float32) / 255.0
    f = _font(font, size)
    x0, y0, x1, y1 = f.getbbox(text, stroke_width=stroke)
    pad = 3
    im = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(im).text(
        (pad - x0, pad - y0), text, font=f, fill=255, stroke_width=stroke, stroke_fill=0 if fill_only else 255
    )
    return np.asarray(im, np.float32) / 255.0


def text_alpha(text, font, size, stroke=0, fill_only=True):
    return _text_alpha(text, font, int(size), int(stroke), bool(fill_only))


def ink_height(text, font, size):
    a = text_alpha(text, font, size)
    rows = np.where(a.max(1) > 0.4)[0]
    return 0 if len(rows) == 0 else int(rows[-1] - rows[0] + 1)


def garble_alpha(a, seed):
    """Diffusion-style glyph soup: wavy strokes, slices jumbled, bits dropped/doubled."""
    r = np.random.default_rng(seed)
    h, w = a.shape
    pad = int(0.25 * h) + 2
    a = cv2.copyMakeBorder(a, pad, pad, 4, 4, cv2.BORDER_CONSTANT, value=0)
    h2, w2 = a.shape
    ys, xs = np.mgrid[0:h2, 0:w2].astype(np.float32)
    amp = 0.07 * h
    mx = xs + amp * 0.6 * np.sin(2 * np.pi * ys / max(h * 0.9, 4) + r.uniform(0, 6))
    my = ys + amp * np.sin(2 * np.pi * xs / max(h * r.uniform(0.7, 1.3), 4) + r.uniform(0, 6))
    out = cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderValue=0)
    # cut into slices and jitter them vertically, mirror one, drop one thin one
    n = max(3, int(w / max(h * 0.45, 1)))
    cuts = np.sort(r.choice(np.arange(3, w2 - 3), size=min(n, w2 - 8), replace=False))
    edges = [0] + list(cuts) + [w2]
    res = np.zeros_like(out)
    for i in range(len(edges) - 1):
        x0, x1 = edges[i], edges[i + 1]
        sl = out[:, x0:x1]
        u = r.random()
        if u < 0.35:
            sl = np.roll(sl, int(r.integers(-int(0.14 * h) - 1, int(0.14 * h) + 2)), axis=0)
        elif u < 0.5:
            sl = sl[:, ::-1]
        elif u < 0.6:
            sl = np.zeros_like(sl)
        res[:, x0:x1] = sl
    # a few blobs of "ink"
    for _ in range(int(r.integers(1, 4))):
        cx, cy = int(r.integers(0, w2)), int(r.integers(pad, h2 - pad))
        cv2.ellipse(
            res,
            (cx, cy),
            (int(h * r.uniform(0.05, 0.15)), int(h * r.uniform(0.03, 0.1))),
            float(r.uniform(0, 180)),
            0,
            360,
            1.0,
            -1,
            cv2.LINE_AA,
        )
    return np.clip(res, 0, 1)


# ----------------------------------------------------------------------------------------------
# drawing primitives (all on float32 BGR images)
# ----------------------------------------------------------------------------------------------
def paste(img, a, x0, y0, colour, opacity=1.0, keep=None):
    """Alpha-composite a flat colour through alpha `a` placed at (x0, y0)."""
    H, W = img.shape[:2]
    h, w = a.shape
    ax0, ay0 = max(0, -x0), max(0, -y0)
    bx0, by0 = max(0, x0), max(0, y0)
    bx1, by1 = min(W, x0 + w), min(H, y0 + h)
    if bx1 <= bx0 or by1 <= by0:
        return
    sub = a[ay0 : ay0 + (by1 - by0), ax0 : ax0 + (bx1 - bx0)] * float(opacity)
    if keep is not None:
        nx, ny, c = keep
        yy, xx = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
        sub = sub * np.clip((nx * xx + ny * yy - c) / 3.0 + 0.5, 0, 1)
    sub = sub[..., None]
    reg = img[by0:by1, bx0:bx1]
    col = np.asarray(colour, np.float32).reshape(1, 1, 3)
    reg *= 1 - sub
    reg += col * sub


def draw_item(img, it, mask=False):
    """Draw one text item: {text, font, colour, cx, cy, mw, mh | size, opacity, stroke,
    shadow, garble, angle, keep}. Returns the ink bbox (x0, y0, x1, y1)."""
    text = it["text"]
    if not text.strip():
        return None
    font = it["font"]
    size = it.get("size") or fit_size(text, font, it["mw"], it["mh"])
    sw = int(round(it.get("stroke", (0, None))[0] * size)) if it.get("stroke") else 0
    a = text_alpha(text, font, size, sw, True)
    af = text_alpha(text, font, size, sw, False) if sw else a
    if it.get("garble") is not None:
        a = garble_alpha(a, it["garble"])
        af = garble_alpha(af, it["garble"]) if sw else a
    ang = it.get("angle", 0)
    if ang:
        a, af = rotate_alpha(a, ang), (rotate_alpha(af, ang) if sw else None)
        af = a if af is None else af
    h, w = a.shape
    x0 = int(round(it["cx"] - w / 2))
    y0 = int(round(it["cy"] - h / 2))
    op = it.get("opacity", 1.0)
    keep = it.get("keep")
    white = (255, 255, 255)
    if it.get("shadow") and not mask:
        d = max(1, int(size * 0.045))
        sh = cv2.GaussianBlur(af, (0, 0), max(0.8, size * 0.035))
        paste(img, sh, x0 + d, y0 + d, (15, 15, 15), 0.55 * op, keep)
    if sw:
        paste(img, af, x0, y0, white if mask else it["stroke"][1], op, keep)
    paste(img, a, x0, y0, white if mask else it["colour"], op, keep)
    return (x0, y0, x0 + w, y0 + h)


def rotate_alpha(a, ang):
    h, w = a.shape
    M = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
    c, s = abs(M[0, 0]), abs(M[0, 1])
    nw, nh = int(h * s + w * c) + 2, int(h * c + w * s) + 2
    M[0, 2] += nw / 2 - w / 2
    M[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(a, M, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=0)


def shape_alpha(shape, w, h, rng_or_none=None):
    """Alpha of a banner/sticker body of size (w, h)."""
    ss = 2
    m = np.zeros((h * ss, w * ss), np.uint8)
    W2, H2 = w * ss, h * ss
    if shape == "round":
        r = int(min(H2, W2) * 0.5) - 1
        cv2.rectangle(m, (r, 0), (W2 - 1 - r, H2 - 1), 255, -1)
        cv2.circle(m, (r, H2 // 2), r, 255, -1)
        cv2.circle(m, (W2 - 1 - r, H2 // 2), r, 255, -1)
    elif shape == "soft":
        r = int(min(H2, W2) * 0.18)
        cv2.rectangle(m, (r, 0), (W2 - 1 - r, H2 - 1), 255, -1)
        cv2.rectangle(m, (0, r), (W2 - 1, H2 - 1 - r), 255, -1)
        for cx in (r, W2 - 1 - r):
            for cy in (r, H2 - 1 - r):
                cv2.circle(m, (cx, cy), r, 255, -1)
    elif shape == "ribbon":
        n = int(H2 * 0.35)
        pts = np.array(
            [[0, 0], [W2 - 1, 0], [W2 - 1 - n, H2 // 2], [W2 - 1, H2 - 1], [0, H2 - 1], [n, H2 // 2]],
            np.int32,
        )
        cv2.fillPoly(m, [pts], 255)
    elif shape == "circle":
        cv2.circle(m, (W2 // 2, H2 // 2), min(W2, H2) // 2 - 1, 255, -1)
    elif shape == "burst":
        k = 20
        R, r = min(W2, H2) / 2 - 1, min(W2, H2) / 2 * 0.84
        pts = []
        for i in range(2 * k):
            rad = R if i % 2 == 0 else r
            t = math.pi * i / k
            pts.append([W2 / 2 + rad * math.cos(t), H2 / 2 + rad * math.sin(t)])
        cv2.fillPoly(m, [np.array(pts, np.int32)], 255)
    elif shape == "tag":
        n = int(W2 * 0.16)
        pts = np.array([[n, 0], [W2 - 1, 0], [W2 - 1, H2 - 1], [n, H2 - 1], [0, H2 // 2]], np.int32)
        cv2.fillPoly(m, [pts], 255)
        cv2.circle(m, (int(n * 0.9), H2 // 2), max(2, int(H2 * 0.07)), 0, -1)
    else:  # rect
        m[:] = 255
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def draw_overlay(img, ov, mask=False):
    """Overlays: {"type": "box"} (banner/sticker/tag/free text) or {"type": "wm"}."""
    if ov["type"] == "wm":
        paste(
            img,
            ov["alpha"],
            0,
            0,
            (255, 255, 255) if mask else ov["colour"],
            ov["opacity"] * ov.get("fade", 1.0),
            ov.get("keep"),
        )
        return ov["bbox"]
    boxes = []
    if ov.get("shape", "none") != "none" and ov.get("body", True):
        x0, y0, x1, y1 = [int(v) for v in ov["rect"]]
        w, h = x1 - x0, y1 - y0
        a = shape_alpha(ov["shape"], w, h)
        op = ov.get("opacity", 1.0)
        if ov.get("drop") and not mask:
            d = max(2, int(min(w, h) * 0.05))
            paste(img, cv2.GaussianBlur(a, (0, 0), d), x0 + d, y0 + d, (10, 10, 10), 0.35 * op)
        if mask:
            paste(img, a, x0, y0, (255, 255, 255), op, ov.get("keep"))
        else:
            fill = np.asarray(ov["fill"], np.float32)
            g = ov.get("grad", 0.0)
            if ov.get("ring"):
                rw = max(2, int(min(w, h) * 0.05))
                paste(img, a, x0, y0, ov["ring"], op, ov.get("keep"))
                a2 = cv2.erode(a, np.ones((2 * rw + 1, 2 * rw + 1), np.uint8))
            else:
                a2 = a
            # vertical gradient on the fill: paste row bands
            if g:
                nb = 8
                for i in range(nb):
                    ya, yb = i * h // nb, (i + 1) * h // nb
                    t = (i + 0.5) / nb
                    col = np.clip(fill * (1 + g * (0.5 - t)), 0, 255)
                    band = np.zeros_like(a2)
                    band[ya:yb] = a2[ya:yb]
                    paste(img, band, x0, y0, col, op, ov.get("keep"))
            else:
                paste(img, a2, x0, y0, fill, op, ov.get("keep"))
        boxes.append((x0, y0, x1, y1))
    for it in ov.get("texts", []):
        b = draw_item(img, it, mask)
        if b:
            boxes.append(b)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def clone(ovs):
    return [dict(o, texts=[dict(t) for t in o.get("texts", [])]) for o in ovs]


def footprint(H, W, ovs):
    m = np.zeros((H, W, 3), np.float32)
    for o in ovs:
        draw_overlay(m, o, mask=True)
    return m[..., 0] / 255.0


# ----------------------------------------------------------------------------------------------
# noise, backdrops
# ----------------------------------------------------------------------------------------------
def fbm(h, w, rng, base=3, octaves=4, persist=0.5):
    out = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        n = base * 2**o
        gx = max(2, int(round(n * w / max(h, w)))) + 1
        gy = max(2, int(round(n * h / max(h, w)))) + 1
        g = rng.random((gy, gx)).astype(np.float32)
        out += amp * cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
        tot += amp
        amp *= persist
    out /= tot
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _grad(h, w, c0, c1, vertical=True):
    t = np.linspace(0, 1, h if vertical else w, dtype=np.float32)
    t = t[:, None, None] if vertical else t[None, :, None]
    c0, c1 = np.asarray(c0, np.float32), np.asarray(c1, np.float32)
    return np.broadcast_to(c0 * (1 - t) + c1 * t, (h, w, 3)).copy()


def _vignette(h, w, strength):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = ((xx / w - 0.5) ** 2 + (yy / h - 0.45) ** 2) * 2
    return (1 - strength * r)[..., None]


def backdrop(kind, h, w, rng):
    if kind == "studio_white":
        v = rng.uniform(249, 254)
        return np.clip(np.full((h, w, 3), v, np.float32) * _vignette(h, w, 0.02), 0, 255)
    if kind == "near_white":
        base = np.array([rng.uniform(228, 238), rng.uniform(234, 242), rng.uniform(238, 246)])
        return _grad(h, w, base + 4, base - 4) * _vignette(h, w, 0.04)
    if kind == "grey":
        v = rng.uniform(170, 215)
        return _grad(h, w, (v + 18,) * 3, (v - 15,) * 3) * _vignette(h, w, 0.08)
    if kind == "pastel":
        cols = [(200, 190, 245), (205, 235, 200), (240, 220, 190), (190, 220, 240), (235, 200, 225)]
        c = np.array(cols[int(rng.integers(len(cols)))], np.float32)
        return _grad(h, w, c + 8, c - 14) * _vignette(h, w, 0.06)
    if kind == "gradient":
        pairs = [
            ((250, 230, 200), (190, 140, 90)),
            ((220, 230, 250), (120, 160, 230)),
            ((240, 240, 240), (150, 150, 160)),
            ((200, 240, 255), (110, 180, 240)),
        ]
        c0, c1 = pairs[int(rng.integers(len(pairs)))]
        return _grad(h, w, c0, c1, vertical=bool(rng.random() < 0.7))
    if kind == "wood":
        light = np.array(rng.choice([[140, 185, 225], [110, 150, 195], [150, 190, 215]]), np.float32)
        dark = light * rng.uniform(0.55, 0.7)
        n = fbm(h, w, rng, base=2, octaves=3)
        yy = np.arange(h, dtype=np.float32)[:, None] / max(h, w)
        xx = np.arange(w, dtype=np.float32)[None, :] / max(h, w)
        grain = 0.5 + 0.5 * np.sin(2 * np.pi * (yy * rng.uniform(18, 30) + 2.5 * n + 0.3 * xx))
        grain = grain**2
        fine = fbm(h, w, rng, base=40, octaves=2)
        t = np.clip(0.65 * grain + 0.35 * fine, 0, 1)[..., None]
        img = light * (1 - t) + dark * t
        nplank = int(rng.integers(3, 6))
        for i in range(1, nplank):
            y = int(h * i / nplank + rng.uniform(-0.03, 0.03) * h)
            img[max(0, y - 1) : y + 2] *= 0.72
        return img
    if kind == "fabric":
        c = np.array(
            rng.choice([[190, 205, 215], [170, 170, 175], [200, 175, 150], [150, 170, 190]]), np.float32
        )
        p = rng.uniform(5, 9)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        weave = 0.5 + 0.25 * (
            np.sin(2 * np.pi * xx / p) * np.sign(np.sin(np.pi * yy / p)) + np.sin(2 * np.pi * yy / p)
        )
        folds = fbm(h, w, rng, base=2, octaves=2)
        return c * (0.9 + 0.08 * weave[..., None] + 0.12 * (folds[..., None] - 0.5))
    if kind == "marble":
        base = np.array([rng.uniform(230, 245)] * 3, np.float32) + np.array([2, 0, -3], np.float32)
        n = fbm(h, w, rng, base=3, octaves=5)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
        v = np.abs(np.sin(2 * np.pi * (xx * rng.uniform(1.5, 3) + yy * rng.uniform(0.5, 1.5)) + 7 * n))
        vein = (1 - v) ** 10
        cloud = fbm(h, w, rng, base=4, octaves=3)
        return base * (1 - 0.35 * vein[..., None] - 0.05 * cloud[..., None])
    if kind == "concrete":
        v = rng.uniform(145, 185)
        n1 = fbm(h, w, rng, base=4, octaves=5)
        n2 = rng.random((h, w)).astype(np.float32)
        g = v + 40 * (n1 - 0.5) + 10 * (n2 - 0.5)
        pits = (rng.random((h, w)) < 0.0015).astype(np.float32)
        g -= 50 * cv2.GaussianBlur(pits, (0, 0), 1.2) * 6
        img = np.repeat(g[..., None], 3, 2) + np.array([2, 0, -2], np.float32)
        return img
    if kind == "outdoor":
        hz = int(h * rng.uniform(0.5, 0.62))
        sky = _grad(hz, w, (235, 200, 150), (250, 235, 215))
        groundc = rng.choice([[70, 140, 90], [120, 170, 200], [90, 120, 130]])
        gn = fbm(h - hz, w, rng, base=6, octaves=4)[..., None]
        ground = np.array(groundc, np.float32) * (0.75 + 0.5 * gn)
        img = np.concatenate([sky, ground], 0)
        tree = fbm(h, w, rng, base=5, octaves=3)
        band = np.exp(-(((np.arange(h)[:, None] - hz + 0.08 * h) / (0.1 * h)) ** 2))
        treemask = np.clip((tree - 0.45) * 4, 0, 1) * band
        img = img * (1 - treemask[..., None]) + np.array([60, 110, 70], np.float32) * treemask[..., None]
        img = cv2.GaussianBlur(img, (0, 0), max(2.0, 0.006 * max(h, w)))
        for _ in range(int(rng.integers(4, 9))):  # bokeh
            c = (int(rng.integers(0, w)), int(rng.integers(0, hz)))
            rr = int(rng.uniform(0.01, 0.03) * max(h, w))
            b = np.zeros((h, w), np.float32)
            cv2.circle(b, c, rr, 1.0, -1, cv2.LINE_AA)
            b = cv2.GaussianBlur(b, (0, 0), rr * 0.3)
            img += 35 * b[..., None]
        return img
    raise ValueError(kind)


# ----------------------------------------------------------------------------------------------
# products (drawn in a local canvas; printed words are part of the albedo, then shaded)
# ----------------------------------------------------------------------------------------------
def _aa_mask(draw, w, h, ss=2):
    m = np.zeros((h * ss, w * ss), np.uint8)
    draw(m, ss)
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _cyl_t(mask):
    m = mask > 0.5
    w = m.shape[1]
    has = m.any(1)
    xl = np.argmax(m, 1)
    xr = w - 1 - np.argmax(m[:, ::-1], 1)
    xs = np.arange(w, dtype=np.float32)[None]
    t = (xs - xl[:, None]) / np.maximum(xr - xl, 1)[:, None]
    t[~has] = 0.5
    return np.clip(t, 0, 1).astype(np.float32)


def _cyl_shade(t, gloss):
    shade = 0.6 + 0.46 * np.clip(np.sin(np.pi * t), 0, 1) ** 0.8 - 0.12 * t
    spec = gloss * (np.exp(-(((t - 0.27) / 0.045) ** 2)) + 0.35 * np.exp(-(((t - 0.83) / 0.03) ** 2)))
    return shade.astype(np.float32), spec.astype(np.float32)


def _poly(m, pts, ss):
    cv2.fillPoly(m, [(np.asarray(pts, np.float32) * ss).astype(np.int32)], 255, cv2.LINE_AA)


PALETTE = [
    (40, 40, 190),
    (150, 90, 30),
    (60, 140, 60),
    (40, 40, 40),
    (235, 235, 235),
    (70, 160, 230),
    (160, 80, 150),
    (110, 110, 120),
    (190, 170, 90),
    (60, 100, 170),
    (200, 210, 230),
    (90, 60, 50),
]


def _col(rng, avoid=None):
    for _ in range(10):
        c = np.array(PALETTE[int(rng.integers(len(PALETTE)))], np.float32)
        if avoid is None or np.abs(c - avoid).sum() > 120:
            return c
    return c


def _ink_for(bg):
    lum = 0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2]
    return (25, 25, 25) if lum > 140 else (245, 245, 245)


def draw_product(kind, S, rng):
    """Return dict(alpha, albedo, shade, spec, slots={'brand':(cx,cy,mw,mh), 'sub':...}, label_col)."""
    S = float(S)
    if kind == "bottle":
        bw = S * rng.uniform(0.32, 0.4)
        w, h = int(bw + 8), int(S)
        cx = w / 2
        top = 0.3 * S
        nw, cw = bw * 0.38, bw * 0.46

        def d(m, ss):
            r = int(0.07 * S * ss)
            x0, x1, y0, y1 = (
                int((cx - bw / 2) * ss),
                int((cx + bw / 2) * ss),
                int(top * ss),
                int((h - 2) * ss),
            )
            cv2.rectangle(m, (x0 + r, y0), (x1 - r, y1), 255, -1)
            cv2.rectangle(m, (x0, y0 + r), (x1, y1 - r), 255, -1)
            for xx in (x0 + r, x1 - r):
                cv2.circle(m, (xx, y1 - r), r, 255, -1)
            cv2.ellipse(
                m, (int(cx * ss), y0 + r), (int(bw / 2 * ss), int(0.1 * S * ss)), 0, 180, 360, 255, -1
            )
            cv2.rectangle(
                m, (int((cx - nw / 2) * ss), int(0.12 * S * ss)), (int((cx + nw / 2) * ss), y0 + r), 255, -1
            )
            cv2.rectangle(
                m,
                (int((cx - cw / 2) * ss), int(0.015 * S * ss)),
                (int((cx + cw / 2) * ss), int(0.14 * S * ss)),
                255,
                -1,
            )

        alpha = _aa_mask(d, w, h)
        body = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = body
        cap = _col(rng, body)
        albedo[: int(0.145 * S)] = cap
        label = np.array(
            rng.choice([[240, 244, 246], [30, 30, 30], [200, 230, 245], [235, 225, 210]]), np.float32
        )
        ly0, ly1 = int(0.47 * S), int(0.86 * S)
        albedo[ly0:ly1] = label
        albedo[ly0 : ly0 + max(2, int(0.012 * S))] = body * 0.7
        t = _cyl_t(alpha)
        shade, spec = _cyl_shade(t, rng.uniform(0.25, 0.55))
        slots = {"brand": (cx, 0.585 * S, 0.82 * bw, 0.12 * S), "sub": (cx, 0.75 * S, 0.8 * bw, 0.07 * S)}
        return dict(alpha=alpha, albedo=albedo, shade=shade, spec=spec, slots=slots, label_col=label)
    if kind == "box":
        fw, fh = S * rng.uniform(0.6, 0.78), S * 0.72
        dx, dy = 0.16 * S, 0.12 * S
        w, h = int(fw + dx + 4), int(fh + dy + 4)
        top = [(1, dy), (dx, 1), (fw + dx, 1), (fw, dy)]
        side = [(fw, dy), (fw + dx, 1), (fw + dx, fh), (fw, dy + fh)]
        front = [(1, dy), (fw, dy), (fw, dy + fh), (1, dy + fh)]
        aF = _aa_mask(lambda m, ss: _poly(m, front, ss), w, h)
        aT = _aa_mask(lambda m, ss: _poly(m, top, ss), w, h)
        aS = _aa_mask(lambda m, ss: _poly(m, side, ss), w, h)
        alpha = np.clip(aF + aT + aS, 0, 1)
        body = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = body
        acc = _col(rng, body)
        by0 = int(dy + fh * 0.84)
        albedo[by0 : int(dy + fh * 0.9), : int(fw)] = acc
        yy = np.arange(h, dtype=np.float32)[:, None] / h
        shade = aF * (1.0 - 0.12 * yy) + aT * 1.13 + aS * 0.7
        shade = shade / np.maximum(alpha, 1e-3)
        shade[alpha < 1e-3] = 1
        spec = np.zeros((h, w), np.float32)
        spec += 0.08 * cv2.GaussianBlur(aT, (0, 0), 2)
        slots = {
            "brand": (fw / 2, dy + fh * 0.36, fw * 0.8, fh * 0.17),
            "sub": (fw / 2, dy + fh * 0.6, fw * 0.75, fh * 0.09),
        }
        return dict(
            alpha=alpha, albedo=albedo, shade=shade.astype(np.float32), spec=spec, slots=slots, label_col=body
        )
    if kind == "mug":
        bw, bh = 0.62 * S, 0.74 * S
        hx = 0.2 * S
        w, h = int(bw + hx + 0.06 * S), int(bh + 0.1 * S)
        ey = 0.055 * S

        def body(m, ss):
            cv2.rectangle(m, (2 * ss, int(ey * ss)), (int(bw * ss), int((bh) * ss)), 255, -1)
            cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(bh * ss)),
                (int((bw / 2 - 1) * ss), int(ey * ss)),
                0,
                0,
                360,
                255,
                -1,
            )
            cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(ey * ss)),
                (int((bw / 2 - 1) * ss), int(ey * ss)),
                0,
                0,
                360,
                255,
                -1,
            )

        def handle(m, ss):
            cv2.ellipse(
                m,
                (int(bw * ss), int(bh * 0.45 * ss)),
                (int(hx * ss), int(0.22 * S * ss)),
                0,
                -90,
                90,
                255,
                int(0.06 * S * ss),
            )

        ab = _aa_mask(body, w, h)
        ah = _aa_mask(handle, w, h) * (1 - ab)
        alpha = np.clip(ab + ah, 0, 1)
        col = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        t = _cyl_t(ab)
        shade, spec = _cyl_shade(t, rng.uniform(0.2, 0.45))
        shade = shade * (ab > 0.01) + 0.78 * (ab <= 0.01)
        rim = _aa_mask(
            lambda m, ss: cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(ey * ss)),
                (int((bw / 2 - 0.03 * S) * ss), int(ey * 0.75 * ss)),
                0,
                0,
                360,
                255,
                -1,
            ),
            w,
            h,
        )
        shade = shade * (1 - 0.5 * rim)
        spec = spec * (1 - rim) * (ab > 0.01)
        slots = {
            "brand": (bw / 2, bh * 0.42, bw * 0.7, bh * 0.17),
            "sub": (bw / 2, bh * 0.66, bw * 0.66, bh * 0.09),
        }
        return dict(
            alpha=alpha,
            albedo=albedo,
            shade=shade.astype(np.float32),
            spec=spec.astype(np.float32),
            slots=slots,
            label_col=col,
        )
    if kind == "tshirt":
        w, h = int(0.95 * S), int(S)
        P = [
            (0.37, 0.03),
            (0.43, 0.085),
            (0.5, 0.1),
            (0.57, 0.085),
            (0.63, 0.03),
            (0.8, 0.08),
            (0.995, 0.3),
            (0.87, 0.41),
            (0.79, 0.33),
            (0.79, 0.985),
            (0.21, 0.985),
            (0.21, 0.33),
            (0.13, 0.41),
            (0.005, 0.3),
            (0.2, 0.08),
        ]
        pts = [(x * w, y * h) for x, y in P]
        alpha = _aa_mask(lambda m, ss: _poly(m, pts, ss), w, h)
        col = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        f = fbm(h, w, rng, base=3, octaves=3)
        xx = np.arange(w, dtype=np.float32)[None] / w
        folds = 0.05 * np.sin(2 * np.pi * (xx * 3.5 + 0.8 * f))
        shade = (0.83 + 0.22 * f + folds).astype(np.float32)
        collar = _aa_mask(
            lambda m, ss: cv2.ellipse(
                m,
                (int(0.5 * w * ss), int(0.03 * h * ss)),
                (int(0.135 * w * ss), int(0.075 * h * ss)),
                0,
                0,
                180,
                255,
                int(0.018 * S * ss),
            ),
            w,
            h,
        )
        shade = shade * (1 - 0.25 * collar)
        spec = np.zeros((h, w), np.float32)
        slots = {
            "sub": (0.5 * w, 0.36 * h, 0.5 * w, 0.12 * h),
            "brand": (0.5 * w, 0.5 * h, 0.32 * w, 0.055 * h),
        }
        return dict(alpha=alpha, albedo=albedo, shade=shade, spec=spec, slots=slots, label_col=col)
    if kind == "shoe":
        w, h = int(S), int(0.5 * S)
        up = [
            (0.04, 0.8),
            (0.05, 0.62),
            (0.28, 0.47),
            (0.52, 0.33),
            (0.6, 0.12),
            (0.86, 0.08),
            (0.96, 0.22),
            (0.975, 0.8),
        ]
        up = [(x * w, y * h) for x, y in up]
        sole = [
            (0.02 * w, 0.78 * h),
            (0.985 * w, 0.78 * h),
            (0.985 * w, 0.97 * h),
            (0.06 * w, 0.97 * h),
            (0.015 * w, 0.9 * h),
        ]
        au = _aa_mask(lambda m, ss: _poly(m, up, ss), w, h)
        aso = _aa_mask(lambda m, ss: _poly(m, sole, ss), w, h)
        alpha = np.clip(au + aso, 0, 1)
        col = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        solec = np.array(rng.choice([[240, 240, 240], [70, 120, 170], [30, 30, 30]]), np.float32)
        albedo[aso > 0.5] = solec
        yy = np.arange(h, dtype=np.float32)[:, None] / h
        shade = (1.08 - 0.3 * yy + 0.08 * (fbm(h, w, rng, base=4, octaves=2) - 0.5)).astype(np.float32)
        shade = np.broadcast_to(shade, (h, w)).copy()
        lace = np.zeros((h, w), np.float32)
        for i in range(5):
            x = (0.33 + 0.055 * i) * w
            y = (0.45 - 0.06 * i) * h
            cv2.line(
                lace,
                (int(x - 0.03 * w), int(y - 0.02 * h)),
                (int(x + 0.03 * w), int(y + 0.06 * h)),
                1.0,
                max(2, int(0.012 * S)),
                cv2.LINE_AA,
            )
        albedo = albedo * (1 - lace[..., None]) + np.array([235, 235, 235], np.float32) * lace[..., None]
        spec = 0.12 * np.exp(-(((yy - 0.3) / 0.08) ** 2)) * au
        slots = {"brand": (0.7 * w, 0.55 * h, 0.36 * w, 0.15 * h)}
        return dict(
            alpha=alpha, albedo=albedo, shade=shade, spec=spec.astype(np.float32), slots=slots, label_col=col
        )
    if kind == "bag":
        bw = 0.8 * S
        w, h = int(bw + 4), int(S)
        bt = 0.36 * S
        body = [(0.06 * bw, bt), (0.94 * bw, bt), (bw, S - 2), (2, S - 2)]
        ab = _aa_mask(lambda m, ss: _poly(m, body, ss), w, h)
        ah = _aa_mask(
            lambda m, ss: cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(bt * ss)),
                (int(0.24 * S * ss), int(0.3 * S * ss)),
                0,
                180,
                360,
                255,
                int(0.045 * S * ss),
            ),
            w,
            h,
        )
        alpha = np.clip(ab + ah, 0, 1)
        col = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        f = fbm(h, w, rng, base=3, octaves=3)
        xx = np.arange(w, dtype=np.float32)[None] / w
        shade = (0.82 + 0.2 * np.sin(np.pi * xx) + 0.1 * (f - 0.5)).astype(np.float32)
        shade = shade * (1 - 0.25 * (ah > 0.3) * (ab < 0.3))
        spec = np.zeros((h, w), np.float32)
        slots = {
            "brand": (bw / 2, 0.58 * S, 0.62 * bw, 0.13 * S),
            "sub": (bw / 2, 0.76 * S, 0.58 * bw, 0.07 * S),
        }
        return dict(
            alpha=alpha, albedo=albedo, shade=shade.astype(np.float32), spec=spec, slots=slots, label_col=col
        )
    if kind == "jar":
        bw, hh = 0.9 * S, 0.62 * S
        w, h = int(bw + 4), int(hh + 0.06 * S)
        ey = 0.05 * S
        lid_h = 0.22 * hh

        def body(m, ss):
            cv2.rectangle(m, (2 * ss, int(ey * ss)), (int(bw * ss), int(hh * ss)), 255, -1)
            cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(hh * ss)),
                (int((bw / 2 - 1) * ss), int(ey * ss)),
                0,
                0,
                360,
                255,
                -1,
            )
            cv2.ellipse(
                m,
                (int(bw / 2 * ss), int(ey * ss)),
                (int((bw / 2 - 1) * ss), int(ey * ss)),
                0,
                0,
                360,
                255,
                -1,
            )

        alpha = _aa_mask(body, w, h)
        col = _col(rng)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        lid = np.array(rng.choice([[190, 190, 195], [90, 170, 210], [40, 40, 40]]), np.float32)
        albedo[: int(ey + lid_h)] = lid
        t = _cyl_t(alpha)
        shade, spec = _cyl_shade(t, rng.uniform(0.3, 0.6))
        xx = np.arange(w)[None]
        ridges = 0.06 * np.sin(2 * np.pi * xx / max(4, 0.012 * S))
        shade[: int(ey + lid_h)] += ridges[:, :].astype(np.float32)
        slots = {
            "brand": (bw / 2, ey + lid_h + 0.3 * hh, 0.75 * bw, 0.2 * hh),
            "sub": (bw / 2, ey + lid_h + 0.56 * hh, 0.7 * bw, 0.11 * hh),
        }
        return dict(
            alpha=alpha,
            albedo=albedo,
            shade=shade.astype(np.float32),
            spec=spec.astype(np.float32),
            slots=slots,
            label_col=col,
        )
    if kind == "watch":
        w, h = int(0.56 * S), int(S)
        cx, cy = w / 2, h / 2
        R = 0.46 * w
        sw = 0.5 * w

        def d(m, ss):
            cv2.rectangle(m, (int((cx - sw / 2) * ss), 0), (int((cx + sw / 2) * ss), h * ss - 1), 255, -1)
            cv2.circle(m, (int(cx * ss), int(cy * ss)), int(R * ss), 255, -1)

        alpha = _aa_mask(d, w, h)
        strap = np.array(rng.choice([[40, 60, 90], [30, 30, 30], [150, 150, 155]]), np.float32)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = strap
        case = _aa_mask(lambda m, ss: cv2.circle(m, (int(cx * ss), int(cy * ss)), int(R * ss), 255, -1), w, h)
        face = _aa_mask(
            lambda m, ss: cv2.circle(m, (int(cx * ss), int(cy * ss)), int(R * 0.84 * ss), 255, -1), w, h
        )
        casec = np.array(rng.choice([[200, 200, 205], [80, 170, 210]]), np.float32)
        facec = np.array(rng.choice([[245, 245, 245], [35, 35, 40], [110, 60, 20]]), np.float32)
        albedo = albedo * (1 - case[..., None]) + casec * case[..., None]
        albedo = albedo * (1 - face[..., None]) + facec * face[..., None]
        ink = np.array(_ink_for(facec), np.float32)
        hands = np.zeros((h, w), np.float32)
        cv2.line(
            hands,
            (int(cx), int(cy)),
            (int(cx + 0.22 * w), int(cy - 0.12 * w)),
            1.0,
            max(2, int(0.018 * w)),
            cv2.LINE_AA,
        )
        cv2.line(
            hands,
            (int(cx), int(cy)),
            (int(cx - 0.08 * w), int(cy + 0.28 * w)),
            1.0,
            max(2, int(0.012 * w)),
            cv2.LINE_AA,
        )
        for i in range(12):
            a = 2 * math.pi * i / 12
            p0 = (int(cx + 0.33 * w * math.cos(a)), int(cy + 0.33 * w * math.sin(a)))
            p1 = (int(cx + 0.37 * w * math.cos(a)), int(cy + 0.37 * w * math.sin(a)))
            cv2.line(hands, p0, p1, 1.0, max(2, int(0.012 * w)), cv2.LINE_AA)
        albedo = albedo * (1 - hands[..., None]) + ink * hands[..., None]
        t = _cyl_t(alpha)
        shade, spec = _cyl_shade(t, 0.2)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rr = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / R
        shade = np.where(case > 0.5, 1.05 - 0.25 * np.clip(rr - 0.84, 0, 1) * 4 * (1 - face), shade)
        spec = (
            spec * (case < 0.5)
            + 0.35
            * np.exp(-(((xx - cx + 0.3 * R) ** 2 + (yy - cy + 0.35 * R) ** 2) / (0.15 * R) ** 2))
            * case
        )
        slots = {"brand": (cx, cy - 0.17 * w, 0.36 * w, 0.075 * w)}
        return dict(
            alpha=alpha,
            albedo=albedo,
            shade=shade.astype(np.float32),
            spec=spec.astype(np.float32),
            slots=slots,
            label_col=facec,
        )
    if kind == "chair":
        w, h = int(0.72 * S), int(S)
        col = _col(rng)
        parts = [
            [(0.14 * w, 0.02 * h), (0.86 * w, 0.02 * h), (0.84 * w, 0.5 * h), (0.16 * w, 0.5 * h)],
            [(0.08 * w, 0.5 * h), (0.92 * w, 0.5 * h), (0.98 * w, 0.6 * h), (0.02 * w, 0.6 * h)],
        ]
        legs = [
            [(0.06, 0.6), (0.11, 0.6), (0.09, 0.995), (0.05, 0.995)],
            [(0.89, 0.6), (0.94, 0.6), (0.95, 0.995), (0.91, 0.995)],
            [(0.24, 0.58), (0.28, 0.58), (0.27, 0.9), (0.24, 0.9)],
            [(0.72, 0.58), (0.76, 0.58), (0.76, 0.9), (0.73, 0.9)],
        ]
        parts += [[(x * w, y * h) for x, y in L] for L in legs]
        a_parts = [_aa_mask(lambda m, ss, p=p: _poly(m, p, ss), w, h) for p in parts]
        alpha = np.clip(sum(a_parts), 0, 1)
        albedo = np.empty((h, w, 3), np.float32)
        albedo[:] = col
        legc = np.array(rng.choice([[60, 90, 130], [40, 40, 40], [180, 180, 185]]), np.float32)
        for ap in a_parts[2:]:
            albedo = albedo * (1 - ap[..., None]) + legc * ap[..., None]
        shade = a_parts[0] * 0.95 + a_parts[1] * 1.1 + sum(a_parts[2:]) * 0.8
        shade = shade / np.maximum(alpha, 1e-3)
        shade[alpha < 1e-3] = 1
        shade *= 0.9 + 0.15 * fbm(h, w, rng, base=3, octaves=2)
        return dict(
            alpha=alpha,
            albedo=albedo,
            shade=shade.astype(np.float32),
            spec=np.zeros((h, w), np.float32),
            slots={},
            label_col=col,
        )
    raise ValueError(kind)


# ----------------------------------------------------------------------------------------------
# vocabularies
# ----------------------------------------------------------------------------------------------
PRODUCT_NAMES = {
    "bottle": ("bottle", "瓶身"),
    "box": ("box", "包装盒"),
    "mug": ("mug", "杯子"),
    "tshirt": ("T-shirt", "T恤"),
    "shoe": ("sneaker", "鞋子"),
    "bag": ("tote bag", "包"),
    "jar": ("jar", "罐子"),
    "watch": ("watch", "表盘"),
    "chair": ("chair", "椅子"),
}
BRANDS_EN = [
    "NORDA",
    "AQUALIS",
    "KAIRO",
    "LUMEN",
    "VELORA",
    "BREWHAUS",
    "TERRA",
    "OMBRA",
    "SOLACE",
    "MIRAE",
    "ALPINE",
]
BRANDS_ZH = ["清泉", "山茶花", "悦木", "初雪", "森屿", "青禾"]
SUB_PAIRS_EN = [
    ("300 ml", "500 ml"),
    ("Green Tea", "Black Tea"),
    ("Daily Cream", "Night Cream"),
    ("Cold Brew", "Espresso"),
    ("ORGANIC", "VEGAN"),
    ("Original", "Extra Strong"),
    ("Classic", "Limited Edition"),
    ("Unscented", "Lavender"),
]
SUB_PAIRS_ZH = [
    ("清爽型", "滋润型"),
    ("保湿精华", "美白精华"),
    ("经典款", "限量款"),
    ("原味", "抹茶味"),
    ("净含量300ml", "净含量500ml"),
]
SLOGAN_PAIRS = [
    ("SUMMER VIBES", "WINTER VIBES"),
    ("GOOD DAY", "GOOD NIGHT"),
    ("STAY WILD", "STAY CALM"),
    ("HELLO", "HELLO WORLD"),
    ("夏天", "冬天"),
    ("加油", "你好"),
]
EN_REPLACE = [
    ("SALE", "NEW ARRIVAL"),
    ("NEW", "BEST SELLER"),
    ("SUMMER SALE", "WINTER SALE"),
    ("50% OFF", "BUY 1 GET 1"),
    ("LIMITED EDITION", "NEW IN"),
    ("HOT DEAL", "FREE SHIPPING"),
    ("CLEARANCE", "JUST LANDED"),
    ("Spring Collection", "Autumn Collection"),
    ("Free Gift", "Free Shipping"),
    ("BLACK FRIDAY", "CYBER MONDAY"),
    ("Top Rated", "Best Price"),
    ("PRE-ORDER", "IN STOCK"),
]
ZH_REPLACE = [
    ("新品上市", "限时特惠"),
    ("限时折扣", "买一送一"),
    ("夏季新品", "秋冬上新"),
    ("热卖", "爆款推荐"),
    ("清仓特价", "新品首发"),
    ("今日特惠", "会员专享"),
    ("全场包邮", "满199减30"),
    ("春季促销", "夏日清凉"),
    ("人气推荐", "店长推荐"),
    ("双11 大促", "618 狂欢"),
    ("新年大促", "年货节"),
]
MIX_REPLACE = [
    ("SALE", "特价"),
    ("新品上市", "NEW ARRIVAL"),
    ("HOT", "热卖"),
    ("限时特惠", "FLASH SALE"),
    ("NEW", "新品"),
    ("包邮", "FREE SHIPPING"),
    ("BEST SELLER", "销量冠军"),
]
PRICES = [
    ("¥199", "¥149"),
    ("¥99", "¥79"),
    ("$29.99", "$19.99"),
    ("¥1299", "¥999"),
    ("$49", "$39"),
    ("€25", "€19"),
    ("¥59.9", "¥39.9"),
    ("$120", "$89"),
    ("¥368", "¥298"),
]
PRICE_HEAD = ["SALE", "NOW", "特价", "到手价", "ONLY", "限时价", ""]
ADD_EN = [
    "FREE SHIPPING",
    "New Season",
    "Limited Edition",
    "BEST SELLER",
    "Handmade",
    "Eco Friendly",
    "100% Cotton",
    "SALE -30%",
]
ADD_ZH = ["包邮", "新品", "限时特价", "正品保证", "人气爆款", "顺丰包邮", "现货速发", "官方旗舰店"]
TRANSLATE = [
    ("新品上市", "NEW ARRIVAL"),
    ("限时特惠", "LIMITED OFFER"),
    ("包邮", "FREE SHIPPING"),
    ("热卖", "HOT SALE"),
    ("买一送一", "BUY ONE GET ONE"),
    ("清仓特价", "CLEARANCE SALE"),
    ("会员专享", "MEMBERS ONLY"),
    ("手工制作", "HANDMADE"),
    ("纯棉", "100% COTTON"),
    ("防水", "WATERPROOF"),
    ("有机", "ORGANIC"),
    ("夏季新品", "SUMMER COLLECTION"),
]
WRONG_LANG = {  # fr, es, de, ja, ko
    "NEW ARRIVAL": ["NOUVEAUTÉ", "NOVEDAD", "NEUHEIT", "ニューアイテム", "신상품"],
    "LIMITED OFFER": ["OFFRE LIMITÉE", "OFERTA LIMITADA", "SONDERANGEBOT", "期間限定セール", "한정 특가"],
    "FREE SHIPPING": ["LIVRAISON GRATUITE", "ENVÍO GRATIS", "GRATISVERSAND", "送料無料", "무료 배송"],
    "HOT SALE": ["PROMO", "OFERTA", "ANGEBOT", "セール", "인기 상품"],
    "BUY ONE GET ONE": [
        "UN ACHETÉ UN OFFERT",
        "COMPRA UNO LLEVA DOS",
        "EINS GRATIS",
        "1つ買うと1つ無料",
        "1+1 행사",
    ],
    "CLEARANCE SALE": ["SOLDES", "LIQUIDACIÓN", "RÄUMUNGSVERKAUF", "クリアランスセール", "재고 정리"],
    "MEMBERS ONLY": ["RÉSERVÉ AUX MEMBRES", "SOLO SOCIOS", "NUR FÜR MITGLIEDER", "メンバー限定", "회원 전용"],
    "HANDMADE": ["FAIT MAIN", "HECHO A MANO", "HANDGEMACHT", "ハンドメイド", "수제"],
    "100% COTTON": ["100% COTON", "100% ALGODÓN", "100% BAUMWOLLE", "コットン100%", "면 100%"],
    "WATERPROOF": ["IMPERMÉABLE", "IMPERMEABLE", "WASSERDICHT", "ウォータープルーフ", "방수"],
    "ORGANIC": ["BIOLOGIQUE", "ORGÁNICO", "BIOLOGISCH", "オーガニック", "유기농"],
    "SUMMER COLLECTION": [
        "COLLECTION ÉTÉ",
        "COLECCIÓN DE VERANO",
        "SOMMERKOLLEKTION",
        "サマーコレクション",
        "여름 컬렉션",
    ],
}
WM_TEXTS = [
    "SAMPLE",
    "PREVIEW",
    "© PhotoStock",
    "DEMO",
    "样品图",
    "版权所有",
    "盗图必究",
    "COPYRIGHT",
    "悦木旗舰店",
    "shop.lumen.com",
    "禁止转载",
    "© NORDA STUDIO",
]
CORNER_WM = [
    "@lumen_store",
    "© KAIRO Studio",
    "@悦木旗舰店",
    "photo by ALPINE",
    "www.terra-shop.com",
    "森屿官方店",
    "© 2024 VELORA",
]
STICKER_TEXTS = ["SALE", "HOT", "NEW", "-30%", "特价", "新品", "包邮", "50% OFF", "爆款"]
INVENT = [
    "SALE",
    "NEW",
    "HOT",
    "BEST",
    "限时",
    "特价",
    "Premium Quality",
    "100% 正品",
    "LIMITED",
    "爆款",
    "GIFT",
    "赠品",
    "TOP 1",
    "Made in Italy",
]
SIMILAR = {
    "L": "I",
    "I": "L",
    "O": "Q",
    "E": "F",
    "F": "E",
    "R": "P",
    "P": "R",
    "C": "G",
    "G": "C",
    "B": "8",
    "S": "5",
    "A": "4",
    "N": "M",
    "M": "N",
    "W": "V",
    "V": "W",
    "T": "Y",
    "H": "N",
    "U": "V",
    "D": "O",
    "Y": "V",
    "K": "X",
    "a": "o",
    "e": "c",
    "o": "a",
    "i": "l",
    "l": "i",
    "n": "m",
    "m": "n",
    "r": "n",
    "s": "z",
    "t": "f",
    "u": "v",
    "c": "e",
    "d": "b",
    "h": "b",
    "g": "q",
    "p": "q",
    "w": "v",
    "y": "v",
    "1": "7",
    "9": "8",
    "4": "1",
    "0": "6",
    "3": "8",
    "5": "6",
    "2": "7",
    "8": "3",
    "6": "5",
    "7": "1",
    "新": "薪",
    "品": "晶",
    "上": "土",
    "市": "币",
    "限": "很",
    "时": "吋",
    "特": "持",
    "惠": "慧",
    "买": "实",
    "送": "迭",
    "一": "二",
    "折": "拆",
    "扣": "叩",
    "季": "李",
    "秋": "秒",
    "冬": "东",
    "热": "熟",
    "卖": "实",
    "款": "欸",
    "荐": "存",
    "清": "请",
    "仓": "仑",
    "价": "份",
    "首": "苜",
    "发": "友",
    "今": "令",
    "日": "曰",
    "会": "合",
    "员": "贝",
    "专": "传",
    "享": "亨",
    "包": "句",
    "邮": "油",
    "爆": "煤",
    "推": "椎",
    "夏": "复",
    "大": "太",
    "促": "捉",
    "满": "瞒",
    "减": "咸",
    "全": "金",
    "场": "汤",
    "年": "午",
    "节": "苄",
    "人": "入",
    "气": "乞",
    "店": "庙",
    "长": "卡",
    "春": "眷",
    "销": "铺",
    "凉": "谅",
    "上新": "上心",
    "狂": "汪",
    "欢": "观",
    "手": "毛",
    "工": "土",
    "制": "刺",
    "作": "昨",
    "纯": "钝",
    "棉": "绵",
    "防": "访",
    "水": "永",
    "有": "存",
    "机": "肌",
    "天": "夭",
    "加": "如",
    "油": "抽",
    "你": "尔",
    "好": "奵",
    "滋": "磁",
    "润": "闰",
    "型": "形",
    "保": "堡",
    "湿": "显",
    "精": "睛",
    "华": "哗",
    "美": "羡",
    "白": "百",
    "经": "轻",
    "典": "曲",
    "量": "最",
    "原": "源",
    "味": "昧",
    "抹": "沫",
    "茶": "荼",
    "冠": "寇",
    "军": "车",
    "首发": "首友",
    "到": "倒",
    "手价": "毛价",
}
RANDOM_ZH = "东南西北风花雪月山水火土金木日月星辰光明福禄寿喜财安康乐和平吉祥如意美好"


# ----------------------------------------------------------------------------------------------
# scenes
# ----------------------------------------------------------------------------------------------
HERE = pathlib.Path(__file__).resolve().parent
PHOTO_DIR = pathlib.Path("/work/shared/eval/images")
SIZES = [
    (640, 480),
    (480, 640),
    (800, 800),
    (960, 720),
    (720, 960),
    (1024, 768),
    (1080, 1080),
    (1280, 720),
    (900, 1200),
    (1200, 900),
    (1200, 1200),
    (1366, 768),
    (1600, 1200),
    (1920, 1080),
    (1500, 2000),
    (2000, 1500),
    (600, 600),
    (768, 1024),
    (1440, 1080),
    (2000, 2000),
]
BG_KINDS = [
    "studio_white",
    "wood",
    "near_white",
    "marble",
    "grey",
    "fabric",
    "pastel",
    "concrete",
    "gradient",
    "outdoor",
]
PRODUCTS = ["bottle", "box", "mug", "tshirt", "shoe", "bag", "jar", "watch", "chair"]
PHOTOS = ["coffee", "rocket", "chelsea", "astronaut"]


def _load_photo(name):
    img = None
    p = {
        "coffee": PHOTO_DIR / "coffee.png",
        "rocket": PHOTO_DIR / "rocket.jpg",
        "chelsea": PHOTO_DIR / "chelsea.png",
    }.get(name)
    if p is not None and p.exists():
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        try:
            import skimage.data as sd

            img = cv2.cvtColor(getattr(sd, name)(), cv2.COLOR_RGB2BGR)
        except Exception:
            return None
    return img


def base_specs(seed, n):
    """Cheap metadata for the base pool (decides everything random about each base)."""
    photos = [p for p in PHOTOS if _photo_available(p)]
    specs = []
    rng = np.random.default_rng([seed, 424242])
    sizes = list(rng.permutation(len(SIZES)))
    for k in range(n):
        r = np.random.default_rng([seed, 7, k])
        if photos and k % 7 == 3:
            name = photos[(k // 7) % len(photos)]
            scale = float(r.uniform(1.0, 1.7)) if (k // 7) >= len(photos) else 1.0
            specs.append(
                dict(
                    k=k,
                    photo=name,
                    scale=scale,
                    name=f"photo_{name}" + (f"_x{scale:.2f}" if scale != 1 else ""),
                )
            )
            continue
        W, H = SIZES[int(sizes[k % len(SIZES)])]
        bg = BG_KINDS[(k * 3 + k // 10) % len(BG_KINDS)]
        prod = PRODUCTS[(k + k // 9) % len(PRODUCTS)]
        has_print = prod != "chair" and r.random() < 0.9
        specs.append(
            dict(
                k=k,
                photo=None,
                W=W,
                H=H,
                bg=bg,
                product=prod,
                has_print=has_print,
                has_sub=has_print and prod not in ("shoe", "watch"),
                name=f"syn{k:02d}_{prod}_{bg}_{W}x{H}",
            )
        )
    return specs


@cache
def _photo_available(name):
    return _load_photo(name) is not None


class Scene:
    def __init__(self, spec, seed):
        self.spec = spec
        self.name = spec["name"]
        r = np.random.default_rng([seed, 11, spec["k"]])
        self.rng_seed = [seed, 12, spec["k"]]
        self.product = None
        self.prints = []
        if spec["photo"]:
            img = _load_photo(spec["photo"])
            s = spec["scale"]
            long_side = max(img.shape[:2])
            if long_side * s < 480:
                s = 480 * 1.3 / long_side
            if s != 1.0:
                img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_CUBIC)
            self.kind = "photo"
            self.H, self.W = img.shape[:2]
            self.bg = img.astype(np.float32)
            H, W = self.H, self.W
            self.pbbox = None
            self.free = [(0, 0, W, int(0.22 * H)), (0, int(0.78 * H), W, H)]
            self.base = self.bg.copy()
            return
        self.kind = "synthetic"
        W, H = spec["W"], spec["H"]
        self.W, self.H = W, H
        bg = backdrop(spec["bg"], H, W, r)
        prod = spec["product"]
        # product size and placement
        free_side = "top" if r.random() < 0.65 else "bottom"
        if W > 1.5 * H:
            free_side = "side"
        aspect = {
            "bottle": 0.42,
            "box": 1.05,
            "mug": 1.15,
            "tshirt": 0.95,
            "shoe": 2.0,
            "bag": 0.8,
            "jar": 1.3,
            "watch": 0.56,
            "chair": 0.72,
        }[prod]
        if free_side == "side":
            S = min(0.78 * H, 0.5 * W / aspect)
        else:
            S = min(r.uniform(0.56, 0.66) * H, 0.78 * W / aspect)
        if prod in ("shoe",):
            S = min(0.85 * W, 1.3 * H) if free_side == "side" else min(0.8 * W, 1.2 * H * 0.66)
            S = min(S, (0.5 if free_side == "side" else 0.8) * W)
        P = draw_product(prod, S, r)
        ph, pw = P["alpha"].shape
        if free_side == "top":
            py = int(H * r.uniform(0.91, 0.95)) - ph
            px = int((W - pw) / 2 + r.uniform(-0.12, 0.12) * (W - pw))
        elif free_side == "bottom":
            py = int(H * r.uniform(0.05, 0.09))
            px = int((W - pw) / 2 + r.uniform(-0.12, 0.12) * (W - pw))
        else:
            py = int(H * 0.93) - ph
            px = int(W * r.choice([0.06, 0.54]) + r.uniform(0, 0.4 * W - pw) if pw < 0.4 * W else W * 0.05)
            px = int(min(max(px, 2), W - pw - 2))
        px = int(min(max(px, 2), max(2, W - pw - 2)))
        py = int(min(max(py, 2), max(2, H - ph - 2)))
        # contact + cast shadow on the backdrop
        sh = np.zeros((H, W), np.float32)
        cv2.ellipse(
            sh,
            (int(px + pw / 2), int(py + ph * 0.985)),
            (int(pw * 0.55), max(3, int(ph * 0.05))),
            0,
            0,
            360,
            1.0,
            -1,
            cv2.LINE_AA,
        )
        sh = cv2.GaussianBlur(sh, (0, 0), max(2.0, 0.03 * S))
        cast = np.zeros((H, W), np.float32)
        x0, y0, x1, y1 = (
            px + int(0.03 * S),
            py + int(0.02 * S),
            px + int(0.03 * S) + pw,
            py + int(0.02 * S) + ph,
        )
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        cast[cy0:cy1, cx0:cx1] = P["alpha"][cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        cast = cv2.GaussianBlur(cast, (0, 0), max(2.0, 0.035 * S))
        bg = bg * (1 - (r.uniform(0.3, 0.45) * sh + 0.18 * cast))[..., None]
        self.bg = np.clip(bg, 0, 255).astype(np.float32)
        self.product = dict(P, x=px, y=py, kind=prod)
        self.pbbox = (px, py, px + pw, py + ph)
        # printed words
        if spec["has_print"]:
            slots = P["slots"]
            ink = _ink_for(P["label_col"])
            accent = [(30, 30, 180), (140, 80, 20), (40, 110, 40)]
            if r.random() < 0.4 and np.abs(np.array(P["label_col"]) - 240).max() < 40:
                ink = accent[int(r.integers(3))]
            zh_brand = HAVE_CJK and r.random() < 0.3
            brand = (BRANDS_ZH if zh_brand else BRANDS_EN)[
                int(r.integers(len(BRANDS_ZH if zh_brand else BRANDS_EN)))
            ]
            bx, by, bmw, bmh = slots["brand"]
            self.prints.append(
                dict(
                    role="brand",
                    text=brand,
                    font=pick_font(r, brand),
                    colour=ink,
                    cx=bx,
                    cy=by,
                    mw=bmw,
                    mh=bmh,
                )
            )
            if spec["has_sub"] and "sub" in slots:
                if prod == "tshirt":
                    pool = SLOGAN_PAIRS if HAVE_CJK else SLOGAN_PAIRS[:4]
                else:
                    pool = SUB_PAIRS_EN + (SUB_PAIRS_ZH if HAVE_CJK else [])
                old, new = pool[int(r.integers(len(pool)))]
                sx, sy, smw, smh = slots["sub"]
                self.prints.append(
                    dict(
                        role="sub",
                        text=old,
                        alt=new,
                        font=pick_font(r, old, "reg" if r.random() < 0.5 else "bold"),
                        colour=ink,
                        cx=sx,
                        cy=sy,
                        mw=smw,
                        mh=smh,
                    )
                )
        self.base = self.render_prints(self.prints)
        pb = self.pbbox
        fr = [(0, 0, W, pb[1]), (0, pb[3], W, H), (0, 0, pb[0], H), (pb[2], 0, W, H)]
        self.free = [f for f in fr if (f[2] - f[0]) > 0.25 * W and (f[3] - f[1]) > 0.12 * H]

    def render_prints(self, prints):
        img = self.bg.copy()
        if self.product is None:
            return img
        P = self.product
        alb = P["albedo"].copy()
        for it in prints:
            draw_item(alb, it)
        col = alb * P["shade"][..., None] + 255.0 * P["spec"][..., None]
        a = P["alpha"][..., None]
        H, W = self.H, self.W
        x0, y0 = P["x"], P["y"]
        h, w = a.shape[:2]
        bx0, by0, bx1, by1 = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
        ls = (slice(by0 - y0, by1 - y0), slice(bx0 - x0, bx1 - x0))
        reg = img[by0:by1, bx0:bx1]
        img[by0:by1, bx0:bx1] = reg * (1 - a[ls]) + col[ls] * a[ls]
        return img

    def render(self, prints=None):
        if prints is None or prints is self.prints:
            return self.base.copy()
        return self.render_prints(prints)

    def print_bbox(self, it):
        """Image-space bbox of a printed item."""
        P = self.product
        m = np.zeros(P["albedo"].shape, np.float32)
        b = draw_item(m, it, mask=True)
        return (b[0] + P["x"], b[1] + P["y"], b[2] + P["x"], b[3] + P["y"])

    def lum(self, rect, img=None):
        img = self.base if img is None else img
        x0, y0, x1, y1 = [int(v) for v in rect]
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.W, max(x0 + 1, x1)), min(self.H, max(y0 + 1, y1))
        reg = img[y0:y1, x0:x1]
        return float((reg * np.array([0.114, 0.587, 0.299], np.float32)).sum(-1).mean())


# ----------------------------------------------------------------------------------------------
# finishing: what the editor's output looks like
# ----------------------------------------------------------------------------------------------
def feather_rect(H, W, rect, pad, sigma):
    m = np.zeros((H, W), np.float32)
    x0, y0, x1, y1 = [int(v) for v in rect]
    cv2.rectangle(m, (x0 - pad, y0 - pad), (x1 + pad, y1 + pad), 1.0, -1)
    return cv2.GaussianBlur(m, (0, 0), sigma)


def regen(img, rects, rng):
    """The re-generated region carries a tiny tone change of its own (soft edges)."""
    H, W = img.shape[:2]
    for rc in rects:
        if rc is None:
            continue
        pad = int(0.02 * max(H, W)) + 4
        m = feather_rect(H, W, rc, pad, pad / 2)
        img += m[..., None] * rng.uniform(-1.6, 1.6, 3).astype(np.float32)
    return img


def vae(img, rng):
    """Soft, slightly noisy, sometimes a 1-2 level tone drift. JPEG/PNG is chosen when saved."""
    out = cv2.GaussianBlur(img.astype(np.float32), (0, 0), float(rng.uniform(0.4, 0.9)))
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(0.8, 2.0))
    if rng.random() < 0.4:
        out += rng.uniform(-2.0, 2.0, 3).astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def u8(img):
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# overlays: banners, stickers, captions, watermarks
# ----------------------------------------------------------------------------------------------
BANNER_STYLES = [
    ((40, 40, 210), (255, 255, 255)),
    ((30, 30, 30), (255, 255, 255)),
    ((30, 30, 30), (70, 215, 255)),
    ((250, 250, 250), (30, 30, 200)),
    ((248, 248, 248), (25, 25, 25)),
    ((60, 210, 250), (20, 20, 20)),
    ((110, 50, 20), (255, 255, 255)),
    ((60, 130, 40), (255, 255, 255)),
    ((30, 120, 240), (255, 255, 255)),
    ((150, 60, 200), (255, 255, 255)),
]
STICKER_STYLES = [
    ((40, 40, 215), (255, 255, 255)),
    ((40, 215, 250), (20, 20, 20)),
    ((25, 25, 25), (255, 255, 255)),
    ((20, 130, 245), (255, 255, 255)),
]


def _fill_lum(c):
    return 0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2]


def banner_rect(scene, rng, hfrac=None):
    """A rect for a banner in free space (top/bottom band, or side column)."""
    H, W = scene.H, scene.W
    bands = [f for f in scene.free if f[2] - f[0] > 0.6 * W]
    free = bands or scene.free
    f = free[int(rng.integers(len(free)))] if free else (0, 0, W, int(0.2 * H))
    fw, fh = f[2] - f[0], f[3] - f[1]
    bh = int(min(fh * 0.78, H * (hfrac or rng.uniform(0.11, 0.16)), fw * 0.45))
    bh = max(bh, int(0.08 * min(H, W)))
    u = rng.random()
    if u < 0.35 and fw > 0.8 * W:  # full-width strip
        bw, bx = fw, f[0]
        shape = "rect"
    else:
        bw = int(min(fw * rng.uniform(0.62, 0.9), W * 0.9))
        margin = fw - bw
        bx = f[0] + int(margin * rng.choice([0.08, 0.5, 0.92]))
        shape = ["round", "soft", "ribbon", "rect"][int(rng.integers(4))]
    by = f[1] + int((fh - bh) * rng.uniform(0.3, 0.7))
    return (bx, by, bx + bw, by + bh), shape


def make_banner(scene, rng, text, sub=None, style=None, rect=None, shape=None):
    r, sh = banner_rect(scene, rng) if rect is None else (rect, shape or "rect")
    fill, ink = style or BANNER_STYLES[int(rng.integers(len(BANNER_STYLES)))]
    x0, y0, x1, y1 = r
    w, h = x1 - x0, y1 - y0
    padx = {"round": 0.14, "ribbon": 0.2, "soft": 0.09}.get(sh, 0.08)
    font = pick_font(rng, text, "bold")
    if sub:
        items = [
            dict(
                text=text,
                font=font,
                colour=ink,
                cx=x0 + w / 2,
                cy=y0 + h * 0.34,
                mw=w * (1 - 2 * padx),
                mh=h * 0.4,
            ),
            dict(
                text=sub,
                font=pick_font(rng, sub, "reg"),
                colour=ink,
                cx=x0 + w / 2,
                cy=y0 + h * 0.74,
                mw=w * (1 - 2 * padx) * 0.8,
                mh=h * 0.25,
            ),
        ]
    else:
        items = [
            dict(
                text=text,
                font=font,
                colour=ink,
                cx=x0 + w / 2,
                cy=y0 + h / 2,
                mw=w * (1 - 2 * padx),
                mh=h * 0.56,
            )
        ]
    op = 1.0 if scene.kind == "synthetic" else float(rng.uniform(0.9, 1.0))
    return dict(
        type="box",
        shape=sh,
        rect=r,
        fill=fill,
        grad=float(rng.uniform(0, 0.12)),
        texts=items,
        opacity=op,
        drop=bool(rng.random() < 0.3),
    )


def make_caption(scene, rng, text, rect=None, colour=None):
    """Plain words on the picture (no box); colour from the local backdrop."""
    r, _ = banner_rect(scene, rng, hfrac=rng.uniform(0.09, 0.13)) if rect is None else (rect, None)
    x0, y0, x1, y1 = r
    w, h = x1 - x0, y1 - y0
    lum = scene.lum(r)
    ink = colour or ((25, 25, 25) if lum > 150 else (255, 255, 255))
    it = dict(
        text=text,
        font=pick_font(rng, text, "bold"),
        colour=ink,
        cx=x0 + w / 2,
        cy=y0 + h / 2,
        mw=w * 0.9,
        mh=h * 0.62,
    )
    if scene.kind == "photo" or scene.spec.get("bg") in ("wood", "marble", "concrete", "outdoor", "fabric"):
        it["shadow"] = _fill_lum(ink) > 128
        if _fill_lum(ink) <= 128:
            it["stroke"] = (0.06, (250, 250, 250))
        else:
            it["stroke"] = (0.05, (30, 30, 30))
    return dict(type="box", shape="none", rect=r, texts=[it])


def make_sticker(scene, rng, lines, where="any", r_frac=None):
    H, W = scene.H, scene.W
    m = min(H, W)
    R = max(int(m * (r_frac or rng.uniform(0.085, 0.12))), 62)
    cands = []
    if scene.pbbox is not None:
        px0, py0, px1, py1 = scene.pbbox
        cands += [(px1 - R * 0.6, py0 + R * 1.2), (px0 + R * 0.6, py0 + R * 1.2)]
    cands += [(W - R * 1.5, R * 1.5), (R * 1.5, R * 1.5), (W - R * 1.5, H - R * 1.5), (R * 1.5, H - R * 1.5)]
    if where == "corner":
        cands = cands[-4:]
    cx, cy = cands[int(rng.integers(len(cands)))]
    cx = float(np.clip(cx, R + 2, W - R - 2))
    cy = float(np.clip(cy, R + 2, H - R - 2))
    fill, ink = STICKER_STYLES[int(rng.integers(len(STICKER_STYLES)))]
    shape = "circle" if rng.random() < 0.6 else "burst"
    rect = (int(cx - R), int(cy - R), int(cx + R), int(cy + R))
    items = []
    lines = [ln for ln in lines if ln]
    if len(lines) == 1:
        items.append(
            dict(
                text=lines[0],
                font=pick_font(rng, lines[0]),
                colour=ink,
                cx=cx,
                cy=cy,
                mw=1.35 * R,
                mh=0.62 * R,
            )
        )
    else:
        items.append(
            dict(
                text=lines[0],
                font=pick_font(rng, lines[0]),
                colour=ink,
                cx=cx,
                cy=cy - 0.33 * R,
                mw=1.15 * R,
                mh=0.36 * R,
            )
        )
        items.append(
            dict(
                text=lines[1],
                font=pick_font(rng, lines[1]),
                colour=ink,
                cx=cx,
                cy=cy + 0.2 * R,
                mw=1.4 * R,
                mh=0.5 * R,
            )
        )
    return dict(
        type="box",
        shape=shape,
        rect=rect,
        fill=fill,
        ring=(250, 250, 250) if rng.random() < 0.6 else None,
        texts=items,
        drop=True,
        grad=0.1,
    )


def _wm_colour(scene, rng, light_bias=0.0):
    lum = scene.lum((0, 0, scene.W, scene.H))
    if lum > 150 - light_bias:
        return tuple(float(v) for v in [rng.uniform(50, 90)] * 3)
    return (255.0, 255.0, 255.0)


def make_watermark(scene, rng, style, text=None, opacity=None, centre=None, min_c=30.0):
    H, W = scene.H, scene.W
    m = min(H, W)
    alpha = np.zeros((H, W), np.float32)
    if style == "diag":
        text = text or WM_TEXTS[int(rng.integers(len(WM_TEXTS)))]
        font = pick_font(rng, text, "thin" if rng.random() < 0.6 else "reg")
        ang = float(rng.choice([-1, 1]) * rng.uniform(20, 38))
        diag = math.hypot(H, W)
        size = fit_size(text, font, 0.62 * diag, 0.15 * m)
        a0 = text_alpha(text, font, size)
        a = rotate_alpha(a0, ang)
        lines = 1 if rng.random() < 0.6 else 2
        if centre is None:
            cx, cy = W / 2 + rng.uniform(-0.05, 0.05) * W, H / 2 + rng.uniform(-0.05, 0.05) * H
        else:
            cx, cy = centre
        d, ra = 0.75 * a0.shape[0] / max(abs(math.cos(math.radians(ang))), 0.5) + 0.04 * m, math.radians(ang)
        d = min(d, 0.2 * m)
        offs = (
            [(0, 0)]
            if lines == 1
            else [(-d * math.sin(ra), -d * math.cos(ra)), (d * math.sin(ra), d * math.cos(ra))]
        )
        for dx, dy in offs:
            x0, y0 = int(cx + dx - a.shape[1] / 2), int(cy + dy - a.shape[0] / 2)
            tmp = np.zeros((H, W, 3), np.float32)
            paste(tmp, a, x0, y0, (1, 1, 1))
            alpha = np.maximum(alpha, tmp[..., 0])
        op = opacity or float(rng.uniform(0.22, 0.4))
        col = _wm_colour(scene, rng)
    elif style == "tiled":
        text = text or WM_TEXTS[int(rng.integers(len(WM_TEXTS)))]
        font = pick_font(rng, text, "reg")
        size = max(16, int(m * rng.uniform(0.035, 0.05)))
        size = min(size, fit_size(text, font, 0.3 * m, 0.2 * m))
        t = text_alpha(text, font, size)
        th, tw = t.shape
        D = int(math.hypot(H, W)) + 4
        canvas = np.zeros((D, D), np.float32)
        sx, sy = int(tw * rng.uniform(1.5, 1.9)), int(th * rng.uniform(3.2, 4.5))
        for j, y in enumerate(range(0, D - th, sy)):
            off = (sx // 2) * (j % 2)
            for x in range(off, D - tw, sx):
                canvas[y : y + th, x : x + tw] = np.maximum(canvas[y : y + th, x : x + tw], t)
        ang = float(rng.uniform(20, 35))
        M = cv2.getRotationMatrix2D((D / 2, D / 2), ang, 1.0)
        rot = cv2.warpAffine(canvas, M, (D, D))
        oy, ox = (D - H) // 2, (D - W) // 2
        alpha = rot[oy : oy + H, ox : ox + W].copy()
        op = opacity or float(rng.uniform(0.2, 0.33))
        col = _wm_colour(scene, rng)
    elif style == "centre":
        text = text or WM_TEXTS[int(rng.integers(len(WM_TEXTS)))]
        font = pick_font(rng, text, "bold")
        size = fit_size(text, font, 0.55 * W, 0.12 * m)
        a = text_alpha(text, font, size)
        ring = np.zeros((H, W), np.float32)
        R = int(max(a.shape[1] * 0.62, 0.2 * m))
        cx, cy = (W // 2, H // 2) if centre is None else (int(centre[0]), int(centre[1]))
        cv2.circle(ring, (cx, cy), R, 1.0, max(2, int(0.012 * m)), cv2.LINE_AA)
        tmp = np.zeros((H, W, 3), np.float32)
        paste(tmp, a, cx - a.shape[1] // 2, cy - a.shape[0] // 2, (1, 1, 1))
        alpha = np.maximum(tmp[..., 0], ring)
        op = opacity or float(rng.uniform(0.3, 0.45))
        col = _wm_colour(scene, rng)
    else:
        raise ValueError(style)
    # keep the mark visible: at least `min_c` grey levels between marked and unmarked pixels
    sel = alpha > 0.5
    if sel.any():
        lum = float((scene.base[sel] * np.array([0.114, 0.587, 0.299], np.float32)).sum(-1).mean())
        diff = abs(lum - _fill_lum(col))
        if diff < 60 and _fill_lum(col) < 128:  # dark mark on a darkish area: go white instead
            col = (255.0, 255.0, 255.0)
            diff = abs(lum - 255)
        op = float(min(0.85, max(op, min_c / max(diff, 1.0))))
    ys, xs = np.where(alpha > 0.05)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else (0, 0, 1, 1)
    return dict(type="wm", style=style, alpha=alpha, colour=col, opacity=op, bbox=bbox, text=text)


def make_corner_mark(scene, rng, text=None, corner=None):
    """Opaque shop/photographer mark in a corner (icon + handle)."""
    H, W = scene.H, scene.W
    m = min(H, W)
    text = text or CORNER_WM[int(rng.integers(len(CORNER_WM)))]
    corner = corner or ["tl", "tr", "bl", "br"][int(rng.integers(4))]
    glyph = "©"
    if text[0] in "©@":
        glyph, text = text[0], text[1:].strip()
    font = pick_font(rng, text, "bold")
    size = max(18, int(m * rng.uniform(0.045, 0.06)))
    size = min(size, fit_size(text, font, 0.45 * W, 0.1 * m))
    tw, th = _measure(text, font)
    tw, th = tw * size / 100, th * size / 100
    mg = 0.035 * m
    icon = th * 1.5
    total = icon + 0.3 * th + tw
    x_left = mg if corner[1] == "l" else W - mg - total
    cy = mg + icon / 2 if corner[0] == "t" else H - mg - icon / 2
    lum = scene.lum((x_left, cy - icon, x_left + total, cy + icon))
    ink = (255, 255, 255) if lum < 170 else (40, 40, 40)
    stroke = (0.06, (40, 40, 40)) if _fill_lum(ink) > 128 else (0.06, (245, 245, 245))
    items = [
        dict(
            text=text,
            font=font,
            colour=ink,
            cx=x_left + icon + 0.3 * th + tw / 2,
            cy=cy,
            size=size,
            stroke=stroke,
            opacity=float(rng.uniform(0.85, 1.0)),
        )
    ]
    items.append(
        dict(
            text=glyph,
            font=pick_font(rng, glyph, "bold"),
            colour=ink,
            cx=x_left + icon / 2,
            cy=cy,
            size=int(size * 1.4),
            stroke=stroke,
            opacity=items[0]["opacity"],
        )
    )
    return dict(
        type="box",
        shape="none",
        rect=(int(x_left), int(cy - icon / 2), int(x_left + total), int(cy + icon / 2)),
        texts=items,
        corner=corner,
        text=text,
    )


# ----------------------------------------------------------------------------------------------
# instruction phrasing
# ----------------------------------------------------------------------------------------------
def _q(rng):
    return [("'", "'"), ('"', '"'), ("“", "”"), ("「", "」")][int(rng.integers(4))]


def ph_replace(rng, o, n, where=None):
    a, b = _q(rng)
    wen, wzh = where or ("banner", "横幅")
    opts = [
        f"Replace {a}{o}{b} with {a}{n}{b}",
        f"Change the text {a}{o}{b} to {a}{n}{b}.",
        f"Could you change the {wen} text from {a}{o}{b} to {a}{n}{b}? Keep everything else as is.",
        f"please swap the words {a}{o}{b} for {a}{n}{b}, same style",
        f"Update the {wen}: {o} -> {n}",
        f"Edit the {wen} so it reads {a}{n}{b} instead of {a}{o}{b}",
        f"把{a}{o}{b}改成{a}{n}{b}",
        f"请将图中的文字{a}{o}{b}替换为{a}{n}{b}，其他保持不变",
        f"{wzh}上的{a}{o}{b}换成{a}{n}{b}",
        f"文字{a}{o}{b}改为{a}{n}{b}，字体和颜色不变",
        f"麻烦把{wzh}上的 {a}{o}{b} 改成 {a}{n}{b}，谢谢",
        f"把 {wen} 上的 {a}{o}{b} 改为 {a}{n}{b}",
        f"replace 文字 {a}{o}{b} → {a}{n}{b}",
        f"text 换一下：{a}{o}{b} 改成 {a}{n}{b}",
    ]
    return opts[int(rng.integers(len(opts)))]


def ph_price(rng, o, n):
    opts = [
        f"把价格 {o} 改成 {n}",
        f"change the price tag from {o} to {n}",
        f"价签改为{n}",
        f"Update the price: {o} → {n}",
        f"please make the sticker say {n} instead of {o}",
        f"价格标签上的「{o}」换成「{n}」",
        f"price 改一下，{o} 改成 {n}",
        f"Could you change the price to {n}?",
    ]
    return opts[int(rng.integers(len(opts)))]


CORNERS = {
    "tl": ("top-left", "左上角"),
    "tr": ("top-right", "右上角"),
    "bl": ("bottom-left", "左下角"),
    "br": ("bottom-right", "右下角"),
}
COLOUR_NAMES = {
    (255, 255, 255): ("white", "白色"),
    (25, 25, 25): ("black", "黑色"),
    (30, 30, 210): ("red", "红色"),
}


def ph_add(rng, t, corner, colour=None):
    a, b = _q(rng)
    en, zh = CORNERS[corner]
    cn = COLOUR_NAMES.get(tuple(colour)) if colour is not None else None
    opts = [
        f"Add the text {a}{t}{b} in the {en} corner",
        f"在{zh}加上文字{a}{t}{b}",
        f"Please put {a}{t}{b} in the {en}, small and clean",
        f"请在图片{zh}添加{a}{t}{b}字样",
        f"{zh}加一行字：{t}",
        f"add {a}{t}{b} at the {en.replace('-', ' ')} corner, keep the rest unchanged",
    ]
    s = opts[int(rng.integers(len(opts)))]
    if cn:
        s += [f" ({cn[0]})", f"，{cn[1]}字", f", in {cn[0]}", f"，用{cn[1]}"][int(rng.integers(4))]
    return s


def ph_translate(rng, src, to_en, show_target=None):
    a, b = _q(rng)
    if to_en:
        opts = [
            "把标签上的中文翻译成英文",
            f"Translate the Chinese text {a}{src}{b} into English",
            f"请把{a}{src}{b}翻译成英文",
            "translate the banner to English please",
            f"把图中文字改成英文：{src}",
            "change the label to English, same style",
            "label 翻译成 English",
        ]
    else:
        opts = [
            f"把{a}{src}{b}翻译成中文",
            "Translate the text into Chinese",
            f"请将英文标语{a}{src}{b}换成中文",
            "make the banner Chinese (简体中文)",
            "label 翻成中文，样式不变",
            f"translate {a}{src}{b} to Chinese",
        ]
    s = opts[int(rng.integers(len(opts)))]
    if show_target and rng.random() < 0.35:
        s += f"（{show_target}）" if not to_en else f" ({show_target})"
    return s


def ph_wm(rng, style, text):
    a, b = _q(rng)
    common = [
        "去掉水印",
        "请去除图片上的水印，其他不要动",
        "remove the watermark",
        "watermark 去掉",
        "Please remove the watermark and keep the product untouched",
        "把水印去干净",
    ]
    spec = {
        "diag": [
            f"Could you get rid of the diagonal {a}{text}{b} watermark?",
            f"把斜着的{a}{text}{b}水印去掉",
            "remove the semi-transparent watermark across the image",
        ],
        "tiled": [
            "remove all the repeated watermark text",
            "清除平铺的水印",
            f"去掉满屏的{a}{text}{b}水印",
            "please clean off the tiled watermark pattern",
        ],
        "centre": [
            f"remove the {a}{text}{b} logo watermark in the middle",
            "去掉中间的水印logo",
            "delete the stamp watermark in the centre",
        ],
        "corner": [
            "删除{c}的店铺水印",
            f"remove the {a}{text}{b} mark in the {{ce}} corner",
            "去掉角落里的logo水印",
            "please remove the shop handle watermark",
        ],
    }[style]
    opts = common + spec + spec
    return opts[int(rng.integers(len(opts)))]


def ph_sticker(rng, text):
    a, b = _q(rng)
    opts = [
        "去掉价格标签",
        "remove the price sticker",
        f"把{a}{text}{b}贴纸删掉",
        f"please remove the {a}{text}{b} badge",
        "删除促销贴纸，保留商品",
        "Remove the promo sticker, keep everything else",
        "sticker 去掉",
    ]
    return opts[int(rng.integers(len(opts)))]


def ph_clear(rng, text):
    a, b = _q(rng)
    opts = [
        "删除横幅上的文字，保留横幅",
        f"remove the text {a}{text}{b} but keep the banner",
        f"把{a}{text}{b}这几个字去掉，底色条保留",
        "clear the words on the banner, keep the banner itself",
        "请去掉标语文字（保留色块）",
        f"erase {a}{text}{b} from the label, leave the empty label",
    ]
    return opts[int(rng.integers(len(opts)))]


def ph_print(rng, o, n, prod):
    a, b = _q(rng)
    en, zh = PRODUCT_NAMES[prod]
    opts = [
        f"把{zh}上的{a}{o}{b}改成{a}{n}{b}，品牌名不要动",
        f"Change the printed {a}{o}{b} on the {en} to {a}{n}{b}",
        f"on the {en}, replace {a}{o}{b} with {a}{n}{b} and keep the logo",
        f"请把{zh}印的字{a}{o}{b}换成{a}{n}{b}",
        f"{en} 上的 {a}{o}{b} 改为 {a}{n}{b}",
        f"Could you update the {en} print to say {a}{n}{b}?",
    ]
    return opts[int(rng.integers(len(opts)))]


# ----------------------------------------------------------------------------------------------
# tasks: (before spec, good after spec, instruction, where the new text lives)
# ----------------------------------------------------------------------------------------------
class Task(dict):
    pass


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def task_replace(scene, rng, lang):
    if lang == "zh" and not HAVE_CJK:
        lang = "en"
    pool = {"en": EN_REPLACE, "zh": ZH_REPLACE, "mix": MIX_REPLACE if HAVE_CJK else EN_REPLACE}[lang]
    old, new = _pick(rng, pool)
    if rng.random() < 0.3:
        old, new = new, old
    sub = None
    if rng.random() < 0.3:
        sub = _pick(
            rng,
            ["UP TO 50% OFF", "www.lumen-shop.com", "限时三天", "全场满减", "Only this week"]
            if HAVE_CJK
            else ["UP TO 50% OFF", "Only this week"],
        )
    if rng.random() < 0.2 and not sub:
        ov = make_caption(scene, rng, old)
    else:
        ov = make_banner(scene, rng, old, sub=sub)
    after = clone([ov])
    after[0]["texts"][0]["text"] = new
    where = ("banner", "横幅") if ov["shape"] != "none" else ("caption", "图")
    return Task(
        before=[ov],
        after=after,
        prints_b=None,
        prints_a=None,
        instr=ph_replace(rng, old, new, where),
        tgt=("ov", 0, 0),
        old=old,
        new=new,
        rects=[ov["rect"]],
        kind="replace",
    )


def task_price(scene, rng):
    old, new = _pick(rng, PRICES)
    head = _pick(rng, PRICE_HEAD if HAVE_CJK else [h for h in PRICE_HEAD if is_ascii(h)])
    if rng.random() < 0.55:
        ov = make_sticker(scene, rng, [head, old], r_frac=rng.uniform(0.1, 0.13))
        ti = len(ov["texts"]) - 1
    else:
        ov = make_banner(scene, rng, old if not head else head, sub=None)
        if head:  # two items: head small on the left, price big
            x0, y0, x1, y1 = ov["rect"]
            w, h = x1 - x0, y1 - y0
            it = ov["texts"][0]
            ov["texts"] = [
                dict(it, text=head, cx=x0 + w * 0.3, mw=w * 0.3, mh=h * 0.42),
                dict(
                    it, text=old, cx=x0 + w * 0.66, mw=w * 0.38, mh=h * 0.6, font=pick_font(rng, old, "bold")
                ),
            ]
        ti = len(ov["texts"]) - 1
    after = clone([ov])
    after[0]["texts"][ti]["text"] = new
    return Task(
        before=[ov],
        after=after,
        prints_b=None,
        prints_a=None,
        instr=ph_price(rng, old, new),
        tgt=("ov", 0, ti),
        old=old,
        new=new,
        rects=[ov["rect"]],
        kind="price",
    )


def task_add(scene, rng):
    zh = HAVE_CJK and rng.random() < 0.5
    text = _pick(rng, ADD_ZH if zh else ADD_EN)
    H, W = scene.H, scene.W
    m = min(H, W)
    mg = 0.04 * m
    bw, bh = 0.42 * W, rng.uniform(0.07, 0.1) * m

    def corner_rect(c):
        x0 = mg if c[1] == "l" else W - mg - bw
        y0 = mg if c[0] == "t" else H - mg - bh
        return (int(x0), int(y0), int(x0 + bw), int(y0 + bh))

    def clear_of_product(r):
        if scene.pbbox is None:
            return True
        a = scene.pbbox
        return r[2] < a[0] or r[0] > a[2] or r[3] < a[1] or r[1] > a[3]

    corners = [c for c in ["tl", "tr", "bl", "br"] if clear_of_product(corner_rect(c))] or [
        "tl",
        "tr",
        "bl",
        "br",
    ]
    corner = _pick(rng, corners)
    rect = corner_rect(corner)
    x0 = rect[0]
    ov = make_caption(scene, rng, text, rect=rect)
    it = ov["texts"][0]
    tw, th = _measure(text, it["font"])
    size = fit_size(text, it["font"], it["mw"], it["mh"])
    # align to the corner
    real_w = tw * size / 100
    it["cx"] = x0 + real_w / 2 + 2 if corner[1] == "l" else x0 + bw - real_w / 2 - 2
    it["size"] = size
    col = tuple(it["colour"])
    say_colour = col in COLOUR_NAMES and rng.random() < 0.4
    before = []
    if rng.random() < 0.3:  # an existing element elsewhere which must stay
        others = [c for c in ["tl", "tr", "bl", "br"] if c[0] != corner[0]]
        before = [make_corner_mark(scene, rng, corner=_pick(rng, others))]
    after = clone(before) + [ov]
    return Task(
        before=before,
        after=after,
        prints_b=None,
        prints_a=None,
        instr=ph_add(rng, text, corner, col if say_colour else None),
        tgt=("ov", len(after) - 1, 0),
        old=None,
        new=text,
        rects=[rect],
        kind="add",
    )


def task_translate(scene, rng, to_en=None):
    if not HAVE_CJK:
        return None
    zh, en = _pick(rng, TRANSLATE)
    to_en = bool(rng.random() < 0.6) if to_en is None else to_en
    src, dst = (zh, en) if to_en else (en, zh)
    if rng.random() < 0.75:
        ov = make_banner(scene, rng, src)
    else:
        ov = make_caption(scene, rng, src)
    after = clone([ov])
    it = after[0]["texts"][0]
    it["text"] = dst
    it["font"] = _sans_bold(rng, dst) if needs_cjk_font(src) else pick_font(rng, dst, "bold")
    return Task(
        before=[ov],
        after=after,
        prints_b=None,
        prints_a=None,
        instr=ph_translate(rng, src, to_en, dst),
        tgt=("ov", 0, 0),
        old=src,
        new=dst,
        zh=zh,
        en=en,
        to_en=to_en,
        rects=[ov["rect"]],
        kind="translate",
    )


def _sans_bold(rng, text):
    pool = [f for f in LATIN_BOLD if "Sans" in f and "Italic" not in f and "Mono" not in f] or LATIN_BOLD
    return pick_font(rng, text) if needs_cjk_font(text) else _pick(rng, pool)


def task_print(scene, rng):
    subs = [i for i, p in enumerate(scene.prints) if p["role"] == "sub"]
    if not subs:
        return None
    i = subs[0]
    p = scene.prints[i]
    size = fit_size(p["alt"], p["font"], p["mw"], p["mh"])
    if (
        ink_height(p["alt"], p["font"], size) < 16
        or ink_height(p["text"], p["font"], fit_size(p["text"], p["font"], p["mw"], p["mh"])) < 16
    ):
        return None
    pa = [dict(q) for q in scene.prints]
    pa[i]["text"] = p["alt"]
    rect = scene.print_bbox(p)
    return Task(
        before=[],
        after=[],
        prints_b=None,
        prints_a=pa,
        instr=ph_print(rng, p["text"], p["alt"], scene.product["kind"]),
        tgt=("print", i),
        old=p["text"],
        new=p["alt"],
        rects=[rect],
        kind="print",
    )


def task_any_text(
    scene,
    rng,
    kinds=("replace_en", "replace_zh", "mix", "price", "add", "translate", "print"),
    need_old=False,
):
    kinds = [k for k in kinds if not (need_old and k == "add")]
    for _ in range(6):
        k = _pick(rng, kinds)
        if k == "replace_en":
            t = task_replace(scene, rng, "en")
        elif k == "replace_zh":
            t = task_replace(scene, rng, "zh")
        elif k == "mix":
            t = task_replace(scene, rng, "mix")
        elif k == "price":
            t = task_price(scene, rng)
        elif k == "add":
            t = task_add(scene, rng)
        elif k == "translate":
            t = task_translate(scene, rng)
        else:
            t = task_print(scene, rng)
        if t is not None:
            return t
    return task_replace(scene, rng, "en")


def task_wm(scene, rng, style, opacity=None, over_print=False, min_c=30.0):
    if style == "corner":
        ov = make_corner_mark(scene, rng)
        text = ov["text"]
        instr = (
            ph_wm(rng, "corner", text)
            .replace("{c}", CORNERS[ov["corner"]][1])
            .replace("{ce}", CORNERS[ov["corner"]][0])
        )
    else:
        centre = None
        if over_print and scene.prints:
            b = scene.print_bbox(scene.prints[0])
            centre = ((b[0] + b[2]) / 2 + rng.uniform(-0.02, 0.02) * scene.W, (b[1] + b[3]) / 2)
        ov = make_watermark(scene, rng, style, opacity=opacity, centre=centre, min_c=min_c)
        text = ov["text"]
        instr = ph_wm(rng, style, text)
    return Task(
        before=[ov],
        after=[],
        prints_b=None,
        prints_a=None,
        instr=instr,
        removed=ov,
        rects=[ov["bbox"] if ov["type"] == "wm" else ov["rect"]],
        kind="wm_" + style,
        text=text,
    )


def task_sticker(scene, rng):
    text = _pick(rng, STICKER_TEXTS if HAVE_CJK else [s for s in STICKER_TEXTS if is_ascii(s)])
    lines = [text] if rng.random() < 0.6 else [text, _pick(rng, ["¥99", "$19", "¥59", "€15"])]
    ov = make_sticker(scene, rng, lines)
    return Task(
        before=[ov],
        after=[],
        prints_b=None,
        prints_a=None,
        instr=ph_sticker(rng, text),
        removed=ov,
        rects=[ov["rect"]],
        kind="sticker",
        text=text,
    )


def task_clear(scene, rng):
    pool = [o for o, _ in EN_REPLACE] + ([o for o, _ in ZH_REPLACE] if HAVE_CJK else [])
    text = _pick(rng, pool)
    ov = make_banner(scene, rng, text)
    after = clone([ov])
    after[0]["texts"] = []
    return Task(
        before=[ov],
        after=after,
        prints_b=None,
        prints_a=None,
        instr=ph_clear(rng, text),
        removed=dict(ov, body=False),
        rects=[ov["rect"]],
        kind="clear",
        text=text,
    )


def task_any_removal(scene, rng, kinds=("diag", "tiled", "centre", "corner", "sticker", "clear"), min_c=40.0):
    k = _pick(rng, kinds)
    if k == "sticker":
        return task_sticker(scene, rng)
    if k == "clear":
        return task_clear(scene, rng)
    return task_wm(scene, rng, k, min_c=min_c)


# ----------------------------------------------------------------------------------------------
# producing the pair
# ----------------------------------------------------------------------------------------------
def compose(scene, prints, ovs):
    img = scene.render(prints)
    for o in ovs:
        draw_overlay(img, o)
    return img


def produce(scene, t, rng, after_ovs=None, prints_a="task", post=None):
    before = u8(compose(scene, t["prints_b"], t["before"]))
    ovs = t["after"] if after_ovs is None else after_ovs
    pa = t["prints_a"] if prints_a == "task" else prints_a
    img = compose(scene, pa, ovs)
    if post is not None:
        img = post(img)
    img = regen(img, t["rects"], rng)
    return before, vae(img, rng), t["instr"]


def target_item(t, ovs=None, prints=None):
    tg = t["tgt"]
    if tg[0] == "ov":
        return (ovs if ovs is not None else t["after"])[tg[1]]["texts"][tg[2]]
    return (prints if prints is not None else t["prints_a"])[tg[1]]


def _after_copies(t):
    ovs = clone(t["after"])
    pa = [dict(p) for p in t["prints_a"]] if t["prints_a"] is not None else None
    return ovs, pa


# --- text mutations -----------------------------------------------------------------------
def one_char_wrong(text, rng):
    idx = [i for i, c in enumerate(text) if c in SIMILAR]
    if not idx:
        return None
    # prefer letters that are not the first (mistakes are mid-word), Latin: prefer letters over digits
    letters = [i for i in idx if not text[i].isdigit()]
    if letters and rng.random() < 0.8:
        idx = letters
    i = _pick(rng, idx)
    return text[:i] + SIMILAR[text[i]] + text[i + 1 :]


def wrong_length(text, rng):
    opts = []
    words = text.split(" ")
    if len(words) > 1:
        opts.append(" ".join(words[:-1]))  # NEW ARRIVAL -> NEW
        opts.append(" ".join(words[1:]))
        opts.append(" ".join(words + [words[-1]]))  # ... ARRIVAL ARRIVAL
    if is_ascii(text):
        if text[-1].isalpha():
            opts.append(text + ("S" if text[-1].isupper() else "s"))  # SALE -> SALES
        if len(text.replace(" ", "")) > 4:
            opts.append(text[:-2])
        if text.startswith(("$", "€")) or any(ch.isdigit() for ch in text):
            opts.append(text + "9")
    else:
        core = text.replace(" ", "")
        if len(core) >= 3:
            opts.append(text[:-1])  # 限时特惠 -> 限时特
        opts.append(text + text[-1])  # 限时特惠惠
        if len(core) >= 4:
            opts.append(text[:2])
    opts = [o for o in opts if o.strip() and o != text]
    return _pick(rng, opts) if opts else None


def garble_text(text, rng):
    chars = list(text)
    pos = [i for i, c in enumerate(chars) if not c.isspace()]
    if len(pos) < 2:
        return text + text
    for _ in range(max(2, len(pos) // 3)):
        i = _pick(rng, pos)
        c = chars[i]
        if needs_cjk_font(c):
            chars[i] = RANDOM_ZH[int(rng.integers(len(RANDOM_ZH)))]
        elif c.isalpha():
            chars[i] = chr(ord("A" if c.isupper() else "a") + int(rng.integers(26)))
        elif c.isdigit():
            chars[i] = str(int(rng.integers(10)))
    i, j = sorted(rng.choice(pos, 2, replace=False))
    chars[i], chars[j] = chars[j], chars[i]
    out = "".join(chars)
    return out if out != text else out[::-1]


def fam_text_good(kind):
    def fn(rng, scene):
        if kind == "replace_en":
            t = task_replace(scene, rng, "en")
        elif kind == "replace_zh":
            t = task_replace(scene, rng, "zh" if rng.random() < 0.65 else "mix")
        elif kind == "price":
            t = task_price(scene, rng)
        elif kind == "add":
            t = task_add(scene, rng)
        elif kind == "translate":
            t = task_translate(scene, rng)
        elif kind == "print":
            t = task_print(scene, rng)
        else:
            raise ValueError(kind)
        if t is None:
            return None
        return produce(scene, t, rng)

    return fn


def fam_one_char(rng, scene):
    for _ in range(8):
        t = task_any_text(scene, rng)
        ovs, pa = _after_copies(t)
        it = target_item(t, ovs, pa)
        bad = one_char_wrong(it["text"], rng)
        if bad:
            it["size"] = it.get("size") or fit_size(it["text"], it["font"], it["mw"], it["mh"])
            it["text"] = bad
            return produce(scene, t, rng, ovs, pa)
    return None


def fam_length(rng, scene):
    for _ in range(8):
        t = task_any_text(scene, rng, kinds=("replace_en", "replace_zh", "mix", "add", "translate", "print"))
        ovs, pa = _after_copies(t)
        it = target_item(t, ovs, pa)
        bad = wrong_length(it["text"], rng)
        if bad and bad != t.get("old"):
            it["text"] = bad
            return produce(scene, t, rng, ovs, pa)
    return None


def fam_garbled(rng, scene):
    t = task_any_text(scene, rng)
    ovs, pa = _after_copies(t)
    it = target_item(t, ovs, pa)
    it["text"] = garble_text(it["text"], rng)
    it["garble"] = int(rng.integers(1 << 30))
    return produce(scene, t, rng, ovs, pa)


def fam_old_kept(rng, scene):
    t = task_any_text(
        scene, rng, kinds=("replace_en", "replace_zh", "mix", "price", "translate", "print"), need_old=True
    )
    ovs, pa = _after_copies(t)
    tg = t["tgt"]
    if tg[0] == "ov":
        container = ovs[tg[1]]["texts"]
        old = dict(t["before"][tg[1]]["texts"][tg[2]])
    else:
        container = pa
        old = dict(scene.prints[tg[1]])
    new = container[tg[2] if tg[0] == "ov" else tg[1]]
    mode = rng.random()
    if mode < 0.5:  # stacked: new on top, old below (both readable)
        h = new["mh"]
        up = rng.random() < 0.7
        new["cy"], old["cy"] = (new["cy"] - 0.36 * h, new["cy"] + 0.36 * h)[:: 1 if up else -1]
        new["mh"] = old["mh"] = h * 0.66
        new.pop("size", None)
        old.pop("size", None)
    else:  # side by side on one line
        c, w = new["cx"], new["mw"]
        left, right = (new, old) if rng.random() < 0.5 else (old, new)
        left["cx"], right["cx"] = c - 0.25 * w, c + 0.25 * w
        left["cy"] = right["cy"] = new["cy"]
        left["mw"] = right["mw"] = w * 0.46
        new.pop("size", None)
        old.pop("size", None)
    old.pop("role", None)
    container.append(old)
    return produce(scene, t, rng, ovs, pa)


def fam_ghost(rng, scene):
    t = task_any_text(
        scene, rng, kinds=("replace_en", "replace_zh", "mix", "price", "translate", "print"), need_old=True
    )
    ovs, pa = _after_copies(t)
    tg = t["tgt"]
    if tg[0] == "ov":
        container = ovs[tg[1]]["texts"]
        old = dict(t["before"][tg[1]]["texts"][tg[2]])
        idx = tg[2]
    else:
        container = pa
        old = dict(scene.prints[tg[1]])
        idx = tg[1]
    old["size"] = fit_size(old["text"], old["font"], old["mw"], old["mh"])
    old["opacity"] = float(rng.uniform(0.3, 0.42))
    new = container[idx]
    if rng.random() < 0.6:  # the new words moved a little, the ghost sits where the old ones were
        new["cy"] = new["cy"] + rng.choice([-1, 1]) * 0.3 * new["mh"]
        new["mh"] = new["mh"] * 0.75
    old.pop("role", None)
    container.insert(idx, old)
    return produce(scene, t, rng, ovs, pa)


def fam_other_changed(rng, scene):
    t = task_any_text(
        scene, rng, kinds=("replace_en", "replace_zh", "mix", "price", "add", "translate", "print")
    )
    ovs, pa = _after_copies(t)
    tg = t["tgt"]
    brand_i = [i for i, p in enumerate(scene.prints) if p["role"] == "brand"]
    choices = []
    if brand_i:
        choices.append("brand")
    if tg[0] == "ov" and len(ovs[tg[1]]["texts"]) > 1:
        choices.append("sibling")
    choices.append("extra")
    c = _pick(rng, choices)
    if c == "brand":
        pa = pa if pa is not None else [dict(p) for p in scene.prints]
        i = brand_i[0]
        b = pa[i]["text"]
        alts = [x for x in (BRANDS_EN + (BRANDS_ZH if HAVE_CJK else [])) if x != b]
        u = rng.random()
        if u < 0.35:
            pa[i] = dict(pa[i], text="")  # brand print lost
        elif u < 0.7:
            pa[i] = dict(pa[i], text=_pick(rng, alts))  # a different brand
        else:
            pa[i] = dict(pa[i], text=garble_text(b, rng))  # brand letters scrambled
        t = Task(t, rects=t["rects"] + [scene.print_bbox(scene.prints[i])])
    elif c == "sibling":
        sib = [j for j in range(len(ovs[tg[1]]["texts"])) if j != tg[2]][0]
        s = ovs[tg[1]]["texts"][sib]
        swap = {
            "UP TO 50% OFF": "UP TO 70% OFF",
            "www.lumen-shop.com": "www.nordashop.cn",
            "限时三天": "仅限今天",
            "全场满减": "全场五折",
            "Only this week": "Only today",
        }
        s["text"] = swap.get(s["text"]) or (
            garble_text(s["text"], rng)
            if rng.random() < 0.4
            else _pick(
                rng, ["SALE", "NOW", "ONLY", "爆款", "HOT"] if HAVE_CJK else ["SALE", "NOW", "ONLY", "HOT"]
            )
        )
        if s["text"] == t["before"][tg[1]]["texts"][sib]["text"]:
            s["text"] = s["text"] + "!!"
    else:
        # a second element (price sticker / corner mark / caption) present before, changed after
        u = rng.random()
        if u < 0.4:
            old_p, new_p = _pick(rng, PRICES)
            ex = make_sticker(scene, rng, [old_p], where="corner")
            exa = dict(
                ex, texts=[dict(ex["texts"][0], text=_pick(rng, ["¥19", "$5", "¥0.99", "FREE", "¥888"]))]
            )
        elif u < 0.75:
            ex = make_corner_mark(scene, rng)
            alt = _pick(rng, [c2 for c2 in CORNER_WM if c2 != ex["text"]])
            exa = dict(ex, texts=[dict(ex["texts"][0], text=alt), dict(ex["texts"][1])])
        else:
            o, n = _pick(rng, EN_REPLACE)
            ex = make_caption(scene, rng, o)
            exa = dict(ex, texts=[dict(ex["texts"][0], text=n)])
        t = Task(t, before=t["before"] + [ex], rects=t["rects"] + [ex["rect"]])
        ovs = ovs + [exa]
    return produce(scene, t, rng, ovs, pa)


def _invent_overlay(scene, rng, avoid_rects, exclude=()):
    text = _pick(rng, [w for w in INVENT if w not in exclude and (HAVE_CJK or is_ascii(w))])
    H, W = scene.H, scene.W
    m = min(H, W)
    for _ in range(20):
        u = rng.random()
        if u < 0.35 and scene.product is not None:
            px0, py0, px1, py1 = scene.pbbox
            pw, ph = px1 - px0, py1 - py0
            cx, cy = px0 + pw * rng.uniform(0.3, 0.7), py0 + ph * rng.uniform(0.15, 0.85)
            bw, bh = pw * 0.7, min(ph * 0.14, 0.1 * m)
        else:
            bw, bh = W * rng.uniform(0.3, 0.45), m * rng.uniform(0.07, 0.1)
            cx = rng.uniform(bw / 2 + 0.03 * W, W - bw / 2 - 0.03 * W)
            cy = rng.uniform(bh / 2 + 0.03 * H, H - bh / 2 - 0.03 * H)
        rect = (int(cx - bw / 2), int(cy - bh / 2), int(cx + bw / 2), int(cy + bh / 2))
        if all(
            rect[2] < a[0] - 8 or rect[0] > a[2] + 8 or rect[3] < a[1] - 8 or rect[1] > a[3] + 8
            for a in avoid_rects
        ):
            break
    if rng.random() < 0.5:
        ov = make_caption(scene, rng, text, rect=rect)
        if rng.random() < 0.4:
            ov["texts"][0]["colour"] = (30, 30, 210) if scene.lum(rect) > 110 else (60, 220, 255)
    else:
        fill, ink = _pick(rng, BANNER_STYLES)
        ov = make_banner(
            scene, rng, text, style=(fill, ink), rect=rect, shape=_pick(rng, ["round", "soft", "rect"])
        )
    return ov, rect


def fam_invented_text(rng, scene):
    t = task_any_text(
        scene, rng, kinds=("replace_en", "replace_zh", "mix", "price", "add", "translate", "print")
    )
    ovs, pa = _after_copies(t)
    avoid = list(t["rects"]) + [o["rect"] for o in t["before"] if "rect" in o]
    ov, rect = _invent_overlay(scene, rng, avoid, exclude={t.get("new"), t.get("old")})
    t = Task(t, rects=t["rects"] + [rect])
    return produce(scene, t, rng, ovs + [ov], pa)


def fam_wrong_language(rng, scene):
    t = task_translate(scene, rng)
    if t is None:
        return None
    ovs, pa = _after_copies(t)
    it = target_item(t, ovs, pa)
    fr, es, de, ja, ko = WRONG_LANG[t["en"]]
    if t["to_en"]:
        wrong = _pick(rng, [fr, es, de, ja, ko, ja, ko])
    else:
        wrong = _pick(rng, [ja, ko, fr, es, ja, ko, t["en"].title()])
        if wrong == t["en"].title():
            wrong = t["en"] if t["old"] != t["en"] else ja
    it["text"] = wrong
    it["font"] = _sans_bold(rng, wrong) if needs_cjk_font(t["old"]) else pick_font(rng, wrong, "bold")
    return produce(scene, t, rng, ovs, pa)


# --- removal families -----------------------------------------------------------------------
def fam_remove_good(kind):
    def fn(rng, scene):
        if kind == "sticker":
            t = task_sticker(scene, rng)
        elif kind == "clear":
            t = task_clear(scene, rng)
        elif kind == "over_print":
            if not scene.prints:
                return None
            t = task_wm(scene, rng, _pick(rng, ["diag", "centre", "tiled"]), over_print=True)
        else:
            t = task_wm(scene, rng, kind)
        return produce(scene, t, rng)

    return fn


def fam_wm_kept(rng, scene):
    t = task_any_removal(scene, rng, kinds=("diag", "tiled", "centre", "corner", "sticker"))
    return produce(scene, t, rng, clone(t["before"]))


def fam_wm_faded(rng, scene):
    t = task_any_removal(scene, rng, kinds=("diag", "tiled", "centre", "corner"))
    if t["kind"].startswith("wm_") and t["kind"] != "wm_corner":
        t = task_wm(scene, rng, t["kind"][3:], opacity=float(rng.uniform(0.45, 0.62)), min_c=80.0)
        ovs = clone(t["before"])
        ovs[0]["fade"] = float(rng.uniform(0.45, 0.6))
    else:
        ovs = clone(t["before"])
        for it in ovs[0]["texts"]:
            it["opacity"] = it.get("opacity", 1.0) * float(rng.uniform(0.3, 0.42))
            it.pop("stroke", None)
    return produce(scene, t, rng, ovs)


def fam_wm_took_print(rng, scene):
    if not scene.prints:
        return None
    t = task_wm(scene, rng, _pick(rng, ["diag", "centre", "tiled", "diag"]), over_print=True)
    pa = [dict(p) for p in scene.prints]
    u = rng.random()
    if u < 0.6:
        for p in pa:
            p["text"] = ""  # label wiped blank
    else:
        pa[0]["text"] = ""  # the brand erased, the rest kept
    rects = t["rects"] + [scene.print_bbox(p) for p in scene.prints]
    t = Task(t, rects=rects)
    return produce(scene, t, rng, [], pa)


def _blotch_post(scene, t, rng):
    H, W = scene.H, scene.W
    fp = footprint(H, W, [t["removed"]])
    m = min(H, W)
    k = max(5, int(m * rng.uniform(0.012, 0.02)))
    mask = cv2.dilate(
        (fp > 0.08).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    )
    mask = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), k * 0.6)
    before = compose(scene, t["prints_b"], t["before"])
    smear = cv2.GaussianBlur(before, (0, 0), k * 1.6)
    # the smudge drifts in tone and loses saturation: it does not match what was around it
    off = float(rng.choice([-1, 1]) * rng.uniform(12, 20))
    grey = smear.mean(-1, keepdims=True)
    smear = 0.6 * smear + 0.4 * grey + off + np.array(rng.uniform(-4, 4, 3), np.float32)

    def post(img):
        return img * (1 - mask[..., None]) + smear * mask[..., None]

    return post


def fam_blotch(rng, scene):
    t = task_any_removal(
        scene, rng, kinds=("diag", "centre", "corner", "sticker", "clear", "diag", "sticker")
    )
    return produce(scene, t, rng, post=_blotch_post(scene, t, rng))


def fam_incomplete(rng, scene):
    t = task_any_removal(scene, rng, kinds=("diag", "tiled", "centre", "corner", "sticker", "clear"))
    ovs = clone(t["after"])
    rem = t["removed"]
    if t["kind"] == "sticker":
        if rng.random() < 0.5:  # disc gone, its words still floating there
            ovs.append(dict(rem, body=False, texts=[dict(x) for x in rem["texts"]]))
        else:  # words gone, the empty disc still there
            ovs.append(dict(rem, texts=[]))
    elif t["kind"] == "clear":  # only part of the words removed
        ov = ovs[0]
        x0, y0, x1, y1 = ov["rect"]
        it = dict(t["before"][0]["texts"][0])
        size = fit_size(it["text"], it["font"], it["mw"], it["mh"])
        w = _measure(it["text"], it["font"])[0] * size / 100
        frac = rng.uniform(0.4, 0.6)
        cut = it["cx"] - w / 2 + w * frac
        it["keep"] = (-1.0, 0.0, -cut) if rng.random() < 0.5 else (1.0, 0.0, cut)
        ov["texts"] = [it]
    elif t["kind"] == "wm_corner":
        ov = dict(rem, texts=[dict(rem["texts"][0])])  # the icon gone, the handle left
        ovs.append(ov)
    else:
        bx0, by0, bx1, by1 = rem["bbox"]
        if t["kind"] == "wm_tiled":
            cut = rng.uniform(0.4, 0.6) * scene.W
            keep = (1.0, 0.0, cut) if rng.random() < 0.5 else (-1.0, 0.0, -cut)
        else:
            cut = bx0 + rng.uniform(0.4, 0.55) * (bx1 - bx0)
            keep = (1.0, 0.0, cut) if rng.random() < 0.5 else (-1.0, 0.0, -cut)
        ovs.append(dict(rem, keep=keep))
    return produce(scene, t, rng, ovs)


def fam_removal_invented(rng, scene):
    t = task_any_removal(scene, rng, kinds=("diag", "tiled", "centre", "corner", "sticker"))
    avoid = [scene.pbbox] if (scene.pbbox is not None and rng.random() < 0.5) else []
    if t["kind"] in ("sticker", "wm_corner") and rng.random() < 0.5:
        # the removed mark is "replaced" by another one in the same spot
        rect = t["rects"][0]
        text = _pick(rng, [w for w in INVENT if w != t.get("text") and (HAVE_CJK or is_ascii(w))])
        fill, ink = _pick(rng, BANNER_STYLES)
        x0, y0, x1, y1 = rect
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        bw = max(x1 - x0, 0.3 * scene.W)
        bh = max(y1 - y0, 0.07 * min(scene.H, scene.W)) * 0.7
        r2 = (
            int(max(2, cx - bw / 2)),
            int(cy - bh / 2),
            int(min(scene.W - 2, cx + bw / 2)),
            int(cy + bh / 2),
        )
        ov = make_banner(scene, rng, text, style=(fill, ink), rect=r2, shape="round")
        rect = r2
    else:
        ov, rect = _invent_overlay(
            scene, rng, avoid + ([t["rects"][0]] if t["kind"] == "sticker" else []), exclude={t.get("text")}
        )
    t = Task(t, rects=t["rects"] + [rect])
    return produce(scene, t, rng, clone(t["after"]) + [ov])


# ----------------------------------------------------------------------------------------------
# the families
# ----------------------------------------------------------------------------------------------
def _F(name, action, expect, fn, needs=None, doc=""):
    return dict(name=name, action=action, expect=expect, fn=fn, needs=needs, doc=doc)


FAMILIES = [
    # ---- good (publish) ----
    _F(
        "c_banner_replace_en",
        "text",
        "publish",
        fam_text_good("replace_en"),
        doc="Latin banner/caption words replaced in the same style (fonts, sizes, colours vary)",
    ),
    _F(
        "c_banner_replace_zh",
        "text",
        "publish",
        fam_text_good("replace_zh"),
        doc="CJK or mixed CJK/Latin banner words replaced (把'新品上市'改成'限时特惠', SALE->特价)",
    ),
    _F(
        "c_price_replace",
        "text",
        "publish",
        fam_text_good("price"),
        doc="price on a sticker or price banner changed (¥199 -> ¥149), the heading word kept",
    ),
    _F(
        "c_text_add_corner",
        "text",
        "publish",
        fam_text_good("add"),
        doc="asked words added in the named corner, aligned, contrasting, sometimes a named colour",
    ),
    _F(
        "c_label_translate",
        "text",
        "publish",
        fam_text_good("translate"),
        doc="a Chinese label translated to English or an English one to Chinese, same banner",
    ),
    _F(
        "c_product_print_replace",
        "text",
        "publish",
        fam_text_good("print"),
        needs="sub",
        doc="hard good: a printed line on the product changed, shaded like the product, its brand kept",
    ),
    _F(
        "c_banner_text_clear",
        "remove",
        "publish",
        fam_remove_good("clear"),
        doc="words removed from a banner, the empty banner kept",
    ),
    _F(
        "c_sticker_remove",
        "remove",
        "publish",
        fam_remove_good("sticker"),
        doc="promo/price sticker removed, product and backdrop restored underneath",
    ),
    _F(
        "c_watermark_diag_remove",
        "remove",
        "publish",
        fam_remove_good("diag"),
        doc="hard good: thin semi-transparent diagonal watermark (1-2 lines) removed cleanly",
    ),
    _F(
        "c_watermark_tiled_remove",
        "remove",
        "publish",
        fam_remove_good("tiled"),
        doc="tiled repeated watermark removed cleanly across the whole frame",
    ),
    _F(
        "c_watermark_corner_remove",
        "remove",
        "publish",
        fam_remove_good("corner"),
        doc="opaque shop handle / photographer mark in a corner removed",
    ),
    _F(
        "c_watermark_over_print_remove",
        "remove",
        "publish",
        fam_remove_good("over_print"),
        needs="print",
        doc="hard good: watermark crossing the product's own printed words removed, the print intact",
    ),
    # ---- bad (review) ----
    _F(
        "c_text_one_char_wrong",
        "text",
        "review",
        fam_one_char,
        doc="new text has one character wrong (NEW ARRIVAI, 新品上币, ¥148)",
    ),
    _F(
        "c_text_wrong_length",
        "text",
        "review",
        fam_length,
        doc="new text longer or shorter than asked (SALES for SALE, NEW for NEW ARRIVAL, 限时特)",
    ),
    _F(
        "c_text_garbled",
        "text",
        "review",
        fam_garbled,
        doc="new text rendered as glyph soup: scrambled letters, wavy/jumbled strokes",
    ),
    _F(
        "c_text_old_kept",
        "text",
        "review",
        fam_old_kept,
        doc="old text still fully readable above/below or beside the new text",
    ),
    _F(
        "c_text_old_ghost",
        "text",
        "review",
        fam_ghost,
        doc="old text faintly visible (30-40%) under or next to the new text",
    ),
    _F(
        "c_text_other_changed",
        "text",
        "review",
        fam_other_changed,
        doc="asked edit fine but other words changed: product brand lost/altered, sub-line, other mark",
    ),
    _F(
        "c_text_invented",
        "text",
        "review",
        fam_invented_text,
        doc="asked edit fine but extra unasked words appear on the backdrop or on the product",
    ),
    _F(
        "c_translate_wrong_language",
        "text",
        "review",
        fam_wrong_language,
        doc="translation asked, result in French/Spanish/German/Japanese/Korean (or left in English)",
    ),
    _F(
        "c_removal_not_done",
        "remove",
        "review",
        fam_wm_kept,
        doc="watermark/sticker removal asked, output is just a round trip with the mark still there",
    ),
    _F("c_watermark_faded", "remove", "review", fam_wm_faded, doc="watermark only faded, still legible"),
    _F(
        "c_watermark_took_print",
        "remove",
        "review",
        fam_wm_took_print,
        needs="print",
        doc="watermark removed but the product's own printed brand/label words erased too",
    ),
    _F(
        "c_removal_blotch",
        "remove",
        "review",
        fam_blotch,
        doc="mark removed leaving a smeared, off-tone blotch that does not match the surroundings",
    ),
    _F(
        "c_removal_incomplete",
        "remove",
        "review",
        fam_incomplete,
        doc="only part removed: half a watermark/word left, sticker words left floating, empty disc left",
    ),
    _F(
        "c_removal_invented_text",
        "remove",
        "review",
        fam_removal_invented,
        doc="mark removed but new words/badge invented (sometimes right where the old mark was)",
    ),
]


def _suits(fam, spec):
    need = fam.get("needs")
    if need is None:
        return True
    if spec["photo"]:
        return False
    if need == "print":
        return spec["has_print"]
    if need == "sub":
        return spec["has_sub"]
    return True


# ----------------------------------------------------------------------------------------------
# make
# ----------------------------------------------------------------------------------------------
def make(out_dir, seed=0, per_family=10):
    """Write PNG (or JPEG) pairs into out_dir and return one row per pair (also pairs.jsonl)."""
    out_dir = pathlib.Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    n = max(32, int(per_family * 1.6) + 12)
    specs = base_specs(seed, n)
    # assign bases: family f walks the pool from its own offset, one base per pair
    plan = {}
    order = {}
    for fi, fam in enumerate(FAMILIES):
        start = (fi * 5) % n
        ks = [(start + i) % n for i in range(n)]
        ks = [k for k in ks if _suits(fam, specs[k])]
        order[fi] = ks
        for j, k in enumerate(ks[:per_family]):
            plan.setdefault(k, []).append((fi, j))
    results = {}
    used = {fi: set() for fi in range(len(FAMILIES))}
    missing = []

    def run(fi, j, scene):
        fam = FAMILIES[fi]
        rng = np.random.default_rng([seed, fi, j, scene.spec["k"]])
        res = fam["fn"](rng, scene)
        if res is None:
            return False
        before, after, instr = res
        pid = f"{fam['name']}_{j:02d}"
        bp = out_dir / f"{pid}_before.png"
        cv2.imwrite(str(bp), before, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        er = np.random.default_rng([seed, fi, j, 99])
        if er.random() < 0.7:
            ap = out_dir / f"{pid}_after.jpg"
            cv2.imwrite(str(ap), after, [cv2.IMWRITE_JPEG_QUALITY, int(er.integers(85, 96))])
        else:
            ap = out_dir / f"{pid}_after.png"
            cv2.imwrite(str(ap), after, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        results[(fi, j)] = dict(
            id=pid,
            before=str(bp),
            after=str(ap),
            instruction=instr,
            expect=fam["expect"],
            family=fam["name"],
            action=fam["action"],
            base=scene.name,
            author=AUTHOR,
        )
        used[fi].add(scene.spec["k"])
        return True

    for k in sorted(plan):
        scene = Scene(specs[k], seed)
        for fi, j in plan[k]:
            if not run(fi, j, scene):
                missing.append((fi, j))
        del scene
    # refill pairs whose base did not suit the family, from further bases
    for fi, j in missing:
        for k in order[fi][per_family:] + order[fi][:per_family]:
            if k in used[fi]:
                continue
            if run(fi, j, Scene(specs[k], seed)):
                break
    rows = [results[key] for key in sorted(results)]
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    args = ap.parse_args(argv)
    rows = make(args.out, seed=args.seed, per_family=args.per_family)
    counts = {}
    for r in rows:
        counts[r["family"]] = counts.get(r["family"], 0) + 1
    good = sum(1 for r in rows if r["expect"] == "publish")
    print(
        f"author {AUTHOR}: {len(rows)} pairs ({good} publish, {len(rows) - good} review) in "
        f"{args.out / 'pairs.jsonl'}; " + ", ".join(f"{k}={v}" for k, v in counts.items())
    )


if __name__ == "__main__":
    main()
