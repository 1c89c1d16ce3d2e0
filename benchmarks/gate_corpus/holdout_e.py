#!/usr/bin/env python3
"""Held-out before/after pairs for the image-edit quality gate (author "e").

    python benchmarks/gate_corpus/holdout_e.py OUT_DIR [--seed N] [--per-family N]

Standalone: numpy, cv2, Pillow, optional skimage. Every picture is drawn here
(shirts, bottles, shoes, mugs, bags, boxes, cosmetics, watches, chairs, props,
people) on studio / near-white / gradient / wood / fabric / marble / concrete /
outdoor / photographic backdrops, plus the real photos in /work/shared/eval/images
and skimage.data.  A family's fn(rng, base) returns (before, after, instruction)
or None.  Good pairs imitate a diffusion editor's VAE round trip outside the
edit; bad pairs show one clear failure each.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import zlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

AUTHOR = "e"
PREFIX = "e_"

FONT_CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
_LATIN_CAND = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]
LATIN_FONTS = [p for p in _LATIN_CAND if os.path.exists(p)]
HAVE_CJK = os.path.exists(FONT_CJK)
if not LATIN_FONTS and HAVE_CJK:
    LATIN_FONTS = [FONT_CJK]
PHOTO_DIR = Path("/work/shared/eval/images")

# ----------------------------------------------------------------------------------------------
# small numeric helpers
# ----------------------------------------------------------------------------------------------


def u8(x):
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def f32(x):
    return x.astype(np.float32)


def blend(a, b, m):
    """a*(1-m) + b*m; m is HxW (0..1)."""
    if m.ndim == 2:
        m = m[..., None]
    return f32(a) * (1.0 - m) + f32(b) * m


def gblur(x, sigma):
    """Gaussian blur; large sigmas are done at reduced resolution (same look, much faster)."""
    if sigma <= 0:
        return x
    if sigma < 3.0 or min(x.shape[:2]) < 64:
        return cv2.GaussianBlur(x, (0, 0), float(sigma))
    f = int(min(sigma / 1.5, min(x.shape[:2]) / 24))
    if f < 2:
        return cv2.GaussianBlur(x, (0, 0), float(sigma))
    h, w = x.shape[:2]
    small = cv2.resize(x, (max(2, w // f), max(2, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), float(sigma) / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def lowfreq(rng, h, w, cells, octaves=1, persistence=0.5):
    """Smooth noise in about [-1, 1], made at low resolution and resized up (fast)."""
    out = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    c = cells
    for _ in range(octaves):
        gh = max(2, int(round(c * h / max(h, w))) + 2)
        gw = max(2, int(round(c * w / max(h, w))) + 2)
        g = rng.standard_normal((gh, gw)).astype(np.float32)
        out += amp * cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
        tot += amp
        amp *= persistence
        c *= 2
    return out / tot


def soft_mask(mask_u8_or_f, sigma):
    m = mask_u8_or_f.astype(np.float32)
    if m.max() > 1.5:
        m = m / 255.0
    return gblur(m, sigma)


def poly_mask(h, w, pts, scale=(1.0, 1.0)):
    """Anti-aliased filled polygon; pts in unit coords (x, y) of the box."""
    m = np.zeros((h, w), np.uint8)
    p = np.array([[x * (w - 1) * scale[0], y * (h - 1) * scale[1]] for x, y in pts]) * 16
    cv2.fillPoly(m, [p.astype(np.int32)], 255, cv2.LINE_AA, 4)
    return m


def ellipse_u8(h, w, cx, cy, rx, ry, angle=0.0, val=255, m=None):
    if m is None:
        m = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        m,
        (int(cx * 16), int(cy * 16)),
        (max(1, int(rx * 16)), max(1, int(ry * 16))),
        angle,
        0,
        360,
        val,
        -1,
        cv2.LINE_AA,
        4,
    )
    return m


def seed_of(*parts):
    return zlib.crc32("|".join(str(p) for p in parts).encode()) & 0x7FFFFFFF


# ----------------------------------------------------------------------------------------------
# what a diffusion editor returns (outside the edit): the VAE round trip
# ----------------------------------------------------------------------------------------------


def vae(img, rng, soft=None, noise=None, drift=True):
    """Slightly soft, slightly noisy, tiny tone drift; never pixel-identical."""
    s = rng.uniform(0.4, 0.9) if soft is None else soft
    n = rng.uniform(0.8, 2.0) if noise is None else noise
    out = cv2.GaussianBlur(img, (0, 0), s).astype(np.float32)
    if drift:
        out += rng.uniform(-2.0, 2.0) + rng.uniform(-0.7, 0.7, 3).astype(np.float32)
    out += rng.standard_normal(out.shape, dtype=np.float32) * n
    return u8(out)


def jpeg(img, q):
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(q)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


# ----------------------------------------------------------------------------------------------
# colours (BGR) and their names in both languages
# ----------------------------------------------------------------------------------------------

COLOURS = {
    "white": ((250, 250, 250), ["白色", "纯白色"], ["white", "pure white"]),
    "black": ((28, 26, 26), ["黑色"], ["black"]),
    "red": ((38, 36, 205), ["红色", "大红色"], ["red", "bright red"]),
    "royal_blue": ((215, 100, 50), ["宝蓝色", "品蓝色"], ["royal blue"]),
    "navy": ((95, 40, 22), ["藏青色", "海军蓝"], ["navy", "navy blue"]),
    "sky_blue": ((235, 195, 125), ["天蓝色", "浅蓝色"], ["sky blue", "light blue"]),
    "green": ((60, 165, 45), ["绿色", "草绿色"], ["green", "grass green"]),
    "forest": ((45, 95, 30), ["墨绿色"], ["dark green", "forest green"]),
    "yellow": ((25, 212, 248), ["黄色", "明黄色"], ["yellow", "bright yellow"]),
    "orange": ((20, 125, 240), ["橙色", "橘色"], ["orange"]),
    "pink": ((195, 160, 248), ["粉色", "粉红色"], ["pink"]),
    "purple": ((150, 45, 120), ["紫色"], ["purple"]),
    "beige": ((175, 212, 232), ["米色", "米白色"], ["beige", "cream"]),
    "grey": ((150, 150, 150), ["灰色", "中灰色"], ["grey", "gray"]),
    "brown": ((40, 75, 125), ["棕色", "咖啡色"], ["brown", "coffee brown"]),
    "burgundy": ((55, 28, 120), ["酒红色"], ["burgundy", "wine red"]),
    "mint": ((190, 228, 165), ["薄荷绿"], ["mint green", "mint"]),
    "teal": ((140, 135, 20), ["青色", "蓝绿色"], ["teal"]),
}
# asked -> what a near-miss model returns instead (clearly another colour to a person)
NEAR_MISS = {
    "red": [(20, 112, 236), (55, 28, 120), (150, 110, 240)],
    "royal_blue": [(95, 40, 22), (235, 195, 125), (160, 120, 60)],
    "yellow": [(20, 125, 240), (40, 160, 200), (150, 235, 250)],
    "green": [(140, 135, 20), (35, 125, 110), (150, 225, 160)],
    "pink": [(150, 45, 120), (120, 150, 245), (215, 200, 250)],
    "black": [(90, 88, 88), (95, 40, 22), (40, 55, 80)],
    "orange": [(38, 36, 205), (25, 200, 248), (50, 120, 170)],
    "purple": [(180, 60, 215), (95, 40, 22), (200, 160, 230)],
    "sky_blue": [(215, 100, 50), (190, 228, 165), (210, 210, 200)],
    "grey": [(175, 212, 232), (225, 180, 120), (130, 175, 130)],
    "brown": [(55, 28, 120), (70, 135, 200), (50, 60, 70)],
    "burgundy": [(38, 36, 205), (120, 40, 130), (40, 75, 125)],
    "teal": [(60, 165, 45), (215, 100, 50), (95, 80, 20)],
    "navy": [(215, 100, 50), (28, 26, 26), (150, 110, 90)],
    "mint": [(140, 135, 20), (200, 240, 230), (90, 200, 90)],
    "forest": [(60, 165, 45), (60, 80, 60), (100, 120, 20)],
    "beige": [(250, 250, 250), (120, 170, 215), (200, 200, 200)],
}
RECOLOUR_TARGETS = [
    "red",
    "royal_blue",
    "yellow",
    "green",
    "pink",
    "black",
    "orange",
    "purple",
    "sky_blue",
    "grey",
    "brown",
    "burgundy",
    "teal",
    "navy",
    "mint",
    "forest",
]


def cname(key, rng, zh=True):
    c = COLOURS[key]
    lst = c[1] if zh else c[2]
    return lst[int(rng.integers(len(lst)))]


def colour_dist(a, b):
    return float(np.linalg.norm(np.array(a, np.float32) - np.array(b, np.float32)))


def pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def quote(rng, s):
    q = pick(rng, ["'{}'", '"{}"', "“{}”", "「{}」", "‘{}’", "'{}'"])
    return q.format(s)


# ----------------------------------------------------------------------------------------------
# text
# ----------------------------------------------------------------------------------------------


def is_cjk(s):
    return any(ord(ch) > 0x2E80 for ch in s)


@lru_cache(maxsize=256)
def get_font(path, px):
    try:
        return ImageFont.truetype(path, int(px))
    except Exception:
        try:
            return ImageFont.load_default(int(px))
        except Exception:
            return ImageFont.load_default()


def font_path(text, font_id=0):
    if is_cjk(text) and HAVE_CJK:
        return FONT_CJK
    if not LATIN_FONTS:
        return ""
    return LATIN_FONTS[font_id % len(LATIN_FONTS)]


@lru_cache(maxsize=512)
def _text_mask_cached(text, path, px, stroke):
    font = get_font(path, px)
    l, t, r, b = font.getbbox(text, stroke_width=stroke)
    w, h = max(1, r - l + 4), max(1, b - t + 4)
    im = Image.new("L", (w, h), 0)
    ImageDraw.Draw(im).text((2 - l, 2 - t), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    return np.array(im)


def text_mask(text, px, font_id=0, bold=False):
    """Tight anti-aliased mask (uint8) of one line of text at about px pixels font size."""
    px = max(6, int(px))
    stroke = max(1, px // 28) if bold else 0
    return _text_mask_cached(text, font_path(text, font_id), px, stroke)


def fit_text_mask(text, box_w, box_h, font_id=0, bold=False):
    """Largest text mask that fits box_w x box_h."""
    px = max(6, int(box_h * 0.92))
    m = text_mask(text, px, font_id, bold)
    for _ in range(6):
        if m.shape[1] <= box_w and m.shape[0] <= box_h * 1.15:
            break
        sc = min(box_w / max(1, m.shape[1]), box_h * 1.1 / max(1, m.shape[0]))
        px = max(6, int(px * sc * 0.97))
        m = text_mask(text, px, font_id, bold)
    return m


def paste_mask(canvas_m, m, cx, cy, alpha=1.0):
    """Max-merge mask m centred at (cx, cy) into float canvas_m (0..1)."""
    H, W = canvas_m.shape
    h, w = m.shape
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if xa >= xb or ya >= yb:
        return canvas_m
    sub = m[ya - y0 : yb - y0, xa - x0 : xb - x0].astype(np.float32) / 255.0 * alpha
    canvas_m[ya:yb, xa:xb] = np.maximum(canvas_m[ya:yb, xa:xb], sub)
    return canvas_m


def garble_text(text, rng, frac=0.6):
    """Pseudo-glyph text: what a diffusion model writes when it cannot spell.
    Returns a list of (char, mode) items, drawn by draw_garbled."""
    out = []
    for ch in text:
        if ch.strip() and rng.random() < frac:
            out.append((ch, int(rng.integers(4)), pick(rng, list(text.replace(" ", "")) or [ch])))
        else:
            out.append((ch, -1, ch))
    return out


def garbled_mask(text, px, rng, font_id=0, bold=False, frac=0.6):
    """Render text with melted / half-swapped / mirrored glyphs (unreadable)."""
    items = garble_text(text, rng, frac)
    glyphs = []
    for ch, mode, other in items:
        if not ch.strip():
            glyphs.append(np.zeros((max(6, int(px * 0.9)), max(3, int(px * 0.3))), np.uint8))
            continue
        g = text_mask(ch, px, font_id, bold).copy()
        if mode == 0:
            g = g[:, ::-1]
        elif mode == 1:
            g2 = text_mask(other, px, font_id, bold)
            g2 = cv2.resize(g2, (g.shape[1], g.shape[0]))
            half = g.shape[0] // 2
            g[half:] = g2[::-1][half:]
        elif mode == 2:
            g2 = text_mask(other, px, font_id, bold)
            g2 = cv2.resize(g2, (g.shape[1], g.shape[0]))
            g = np.maximum(g[:, : g.shape[1]], np.roll(g2, g.shape[1] // 3, axis=1))
            g = cv2.erode(g, np.ones((2, 2), np.uint8)) if px > 24 else g
        else:
            g = cv2.rotate(g, cv2.ROTATE_180)
            g = cv2.resize(g, (g.shape[1], g.shape[0]))
        glyphs.append(g)
    h = max(g.shape[0] for g in glyphs)
    row = []
    for g in glyphs:
        pad = np.zeros((h, g.shape[1]), np.uint8)
        oy = (h - g.shape[0]) // 2
        pad[oy : oy + g.shape[0]] = g
        row.append(pad)
    return np.hstack(row)


# ----------------------------------------------------------------------------------------------
# photos
# ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def load_photo(name):
    p = PHOTO_DIR / name
    if p.exists():
        im = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if im is not None:
            return im
    try:
        import skimage.data as skd  # optional

        key = name.split(".")[0]
        im = getattr(skd, key)()
        if im.ndim == 2:
            im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
        return cv2.cvtColor(im[..., :3], cv2.COLOR_RGB2BGR)
    except Exception:
        return None


def available_photos():
    names = []
    for n in ["coffee.png", "rocket.jpg", "chelsea.png", "astronaut"]:
        if load_photo(n) is not None:
            names.append(n)
    return names


def cover_resize(img, W, H, ox=0.5, oy=0.5):
    h, w = img.shape[:2]
    s = max(W / w, H / h)
    nw, nh = max(W, int(math.ceil(w * s))), max(H, int(math.ceil(h * s)))
    r = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    x0 = int((nw - W) * ox)
    y0 = int((nh - H) * oy)
    return r[y0 : y0 + H, x0 : x0 + W]


# ----------------------------------------------------------------------------------------------
# backdrops: spec dict -> float32 HxWx3 (0..255)
# ----------------------------------------------------------------------------------------------

BG_NAMES = {  # how people name the backdrop they ask for
    "white": (["纯白", "白色", "纯白色"], ["pure white", "white", "plain white"]),
    "lightgrey": (["浅灰色", "浅灰"], ["light grey", "light gray"]),
    "black": (["黑色", "纯黑"], ["black", "solid black"]),
    "pink": (["浅粉色", "粉色"], ["pastel pink", "light pink"]),
    "blue": (["浅蓝色", "淡蓝色"], ["light blue", "pale blue"]),
    "royal_blue": (["宝蓝色"], ["royal blue"]),
    "beige": (["米色", "奶油色"], ["beige", "cream"]),
    "mint": (["薄荷绿"], ["mint green"]),
    "yellow": (["淡黄色"], ["pale yellow"]),
    "wood": (["木纹桌面", "原木桌面", "木质台面"], ["wooden table", "wood tabletop", "warm wood"]),
    "marble": (["大理石台面", "白色大理石"], ["white marble", "marble countertop"]),
    "concrete": (["水泥墙", "灰色水泥质感"], ["concrete", "grey concrete wall"]),
    "fabric": (["亚麻布", "布纹背景"], ["linen fabric", "linen cloth"]),
    "outdoor": (["户外草地", "户外公园"], ["outdoor park", "grassy outdoor scene"]),
    "gradient": (["渐变色", "蓝紫渐变"], ["soft gradient", "blue-to-purple gradient"]),
}
SOLID_BG = {
    "white": (255, 255, 255),
    "lightgrey": (232, 232, 232),
    "black": (18, 18, 18),
    "pink": (222, 210, 250),
    "blue": (245, 222, 190),
    "royal_blue": (215, 100, 50),
    "beige": (200, 226, 240),
    "mint": (205, 238, 200),
    "yellow": (185, 240, 252),
}


def bg_target_spec(key, rng):
    """Backdrop spec for a requested background name."""
    if key in SOLID_BG:
        return {"type": "solid", "c": SOLID_BG[key], "flat": True, "seed": 0}
    if key == "gradient":
        return {
            "type": "gradient",
            "c1": (240, 200, 170),
            "c2": (220, 170, 215),
            "radial": False,
            "seed": int(rng.integers(1 << 30)),
        }
    return {"type": key, "seed": int(rng.integers(1 << 30))}


def bg_key_spec(spec):
    return json.dumps(spec, sort_keys=True, default=str)


_BG_CACHE = {}


def bg_render(spec, W, H):
    key = (bg_key_spec(spec), W, H)
    if key in _BG_CACHE:
        return _BG_CACHE[key]
    if spec.get("post_blur"):
        sp = dict(spec)
        sp.pop("post_blur")
        out = gblur(bg_render(sp, W, H), spec["post_blur"] * max(W, H) / 1000.0)
    else:
        out = _bg_render(spec, W, H)
    if len(_BG_CACHE) > 10:
        _BG_CACHE.pop(next(iter(_BG_CACHE)))
    _BG_CACHE[key] = out
    return out


def _bg_render(spec, W, H):
    t = spec["type"]
    rng = np.random.default_rng(spec.get("seed", 0))
    yy = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, W, dtype=np.float32)[None, :]
    if t == "solid":
        c = np.array(spec["c"], np.float32)
        if spec.get("flat"):
            return np.broadcast_to(c, (H, W, 3)).astype(np.float32).copy()
        # studio sweep: a little falloff to the corners and a slightly darker floor
        fall = 1.0 - spec.get("fall", 0.06) * ((xx - 0.5) ** 2 * 2 + (yy - 0.35) ** 2 * 1.5)
        img = c[None, None, :] * fall[..., None]
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "nearwhite":
        c = np.array(spec.get("c", (241, 243, 245)), np.float32)
        g = 1.0 - 0.025 * yy - 0.015 * (xx - 0.5) ** 2
        img = c[None, None, :] * g[..., None] + 1.5 * lowfreq(rng, H, W, 3)[..., None]
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "gradient":
        c1, c2 = np.array(spec["c1"], np.float32), np.array(spec["c2"], np.float32)
        if spec.get("radial"):
            r = np.sqrt((xx - 0.5) ** 2 + (yy - 0.45) ** 2) / 0.75
            a = np.clip(r, 0, 1)[..., None]
        else:
            a = np.broadcast_to(yy, (H, W))[..., None]
        return (c1 * (1 - a) + c2 * a).astype(np.float32)
    if t == "wood":
        base = np.array(spec.get("c", (70, 120, 170)), np.float32)
        warp = lowfreq(rng, H, W, 6, 2) * 0.03
        n_planks = spec.get("planks", int(rng.integers(3, 6)))
        v = yy * n_planks + warp
        plank = np.floor(v)
        frac = v - plank
        grain = np.sin((yy * 22 + lowfreq(rng, H, W, 7, 2) * 0.9 + plank * 3.1) * 2 * np.pi)
        grain = 0.6 * grain + 0.4 * np.sin((yy * 61 + lowfreq(rng, H, W, 9, 1) * 1.2) * 2 * np.pi)
        fine = lowfreq(rng, H, W, 60) * 0.5
        tone = 1.0 + 0.10 * np.sin(plank * 2.3 + 1.0)
        lum = tone * (0.86 + 0.09 * grain + 0.05 * fine)
        seam = np.exp(-(((np.minimum(frac, 1 - frac)) / (0.012)) ** 2))
        lum = lum * (1 - 0.35 * seam)
        img = base[None, None, :] * lum[..., None]
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "fabric":
        base = np.array(spec.get("c", (190, 205, 215)), np.float32)
        p = max(3.0, min(W, H) / 160.0)
        X = np.arange(W, dtype=np.float32)[None, :]
        Y = np.arange(H, dtype=np.float32)[:, None]
        weave = 0.5 * np.sin(X * 2 * np.pi / p) * np.sign(np.sin(Y * np.pi / p)) + 0.5 * np.sin(
            Y * 2 * np.pi / p
        ) * np.sign(np.sin(X * np.pi / p))
        heather = lowfreq(rng, H, W, 40, 2)
        folds = lowfreq(rng, H, W, 3, 1)
        lum = 1.0 + 0.045 * weave + 0.04 * heather + 0.05 * folds
        img = base[None, None, :] * lum[..., None]
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "marble":
        base = np.array(spec.get("c", (232, 234, 236)), np.float32)
        turb = lowfreq(rng, H, W, 5, 4, 0.55)
        ang = rng.uniform(0, np.pi)
        X = np.arange(W, dtype=np.float32)[None, :] / max(W, H)
        Y = np.arange(H, dtype=np.float32)[:, None] / max(W, H)
        s = np.sin((X * np.cos(ang) + Y * np.sin(ang)) * 7 + turb * 2.2)
        vein = np.power(np.abs(s), 0.18)
        lum = 0.78 + 0.22 * vein + 0.02 * lowfreq(rng, H, W, 20)
        img = base[None, None, :] * lum[..., None]
        img[..., 0] += 6 * (1 - vein)
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "concrete":
        base = np.array(spec.get("c", (160, 162, 165)), np.float32)
        n = lowfreq(rng, H, W, 8, 5, 0.6)
        grain = rng.standard_normal((H, W)).astype(np.float32)
        grain = gblur(grain, 0.8)
        pores = (lowfreq(rng, H, W, 120) > 1.6).astype(np.float32)
        lum = 1.0 + 0.12 * n + 0.04 * grain - 0.15 * gblur(pores, 1.0)
        img = base[None, None, :] * lum[..., None]
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "outdoor":
        hz = spec.get("horizon", rng.uniform(0.5, 0.62))
        sky_top = np.array((215, 160, 100), np.float32)
        sky_bot = np.array((245, 225, 205), np.float32)
        a = np.clip(yy / hz, 0, 1)[..., None]
        sky = sky_top * (1 - a) + sky_bot * a
        grass = np.array((60, 140, 90), np.float32) * (0.85 + 0.25 * (yy - hz))[..., None]
        gn = lowfreq(rng, H, W, 30, 2)[..., None]
        grass = grass * (1 + 0.12 * gn)
        ground = (yy > hz + 0.01 * lowfreq(rng, 1, W, 8)).astype(np.float32)
        img = sky * (1 - ground[..., None]) + grass * ground[..., None]
        trees = np.zeros((H, W), np.uint8)
        for _ in range(int(rng.integers(5, 10))):
            cx = rng.uniform(0, W)
            r = rng.uniform(0.05, 0.12) * W
            ellipse_u8(H, W, cx, hz * H - r * 0.3, r, r * rng.uniform(0.6, 1.0), m=trees)
        tm = gblur(trees.astype(np.float32) / 255.0, max(W, H) * 0.004)[..., None]
        tc = np.array((50, 100, 55), np.float32) * (1 + 0.25 * lowfreq(rng, H, W, 25)[..., None])
        img = img * (1 - tm) + tc * tm
        img = gblur(img, max(W, H) * 0.003)
        return np.clip(img, 0, 255).astype(np.float32)
    if t == "photo":
        ph = load_photo(spec["name"])
        if spec.get("crop"):
            x0, y0, x1, y1 = spec["crop"]
            hh, ww = ph.shape[:2]
            ph = ph[int(y0 * hh) : int(y1 * hh), int(x0 * ww) : int(x1 * ww)]
        img = cover_resize(ph, W, H, spec.get("ox", 0.5), spec.get("oy", 0.5)).astype(np.float32)
        if spec.get("blur", 0) > 0:
            img = gblur(img, spec["blur"] * max(W, H) / 1000.0)
        if spec.get("dim", 0):
            img = img * (1 - spec["dim"]) + 235 * spec["dim"]
        return img
    raise ValueError(t)


# ----------------------------------------------------------------------------------------------
# products: each drawer returns (albedo HxWx3 0..255, alpha HxW 0..1, shade HxW, spec HxW, parts)
# in the item's own box; coordinates in unit box space.
# ----------------------------------------------------------------------------------------------

LIGHT = np.array([-0.45, -0.55, 0.70], np.float32)
LIGHT /= np.linalg.norm(LIGHT)

ASPECT = {  # box width / height
    "tee": 1.02,
    "longsleeve": 1.18,
    "shirt": 1.18,
    "bottle": 0.34,
    "pump": 0.36,
    "shoe": 2.1,
    "mug": 1.12,
    "bag": 0.92,
    "box": 0.95,
    "jar": 1.25,
    "tube": 0.33,
    "watch": 0.52,
    "chair": 0.62,
    "plant": 0.62,
    "apple": 0.92,
    "orange": 1.0,
    "ball": 1.0,
    "vase": 0.55,
    "candle": 0.42,
    "giftbox": 1.0,
    "cup": 1.25,
    "lemon": 1.3,
    "person": 0.82,
}
NAMES = {  # zh, en
    "tee": (["T恤", "短袖T恤"], ["T-shirt", "tee"]),
    "longsleeve": (["长袖T恤", "长袖上衣"], ["long-sleeve top", "long-sleeve T-shirt"]),
    "shirt": (["衬衫"], ["shirt", "button-down shirt"]),
    "bottle": (["瓶子", "饮料瓶"], ["bottle"]),
    "pump": (["按压瓶", "乳液瓶"], ["pump bottle", "lotion bottle"]),
    "shoe": (["鞋子", "运动鞋"], ["sneaker", "shoe"]),
    "mug": (["马克杯", "杯子"], ["mug", "coffee mug"]),
    "bag": (["帆布包", "手提袋"], ["tote bag", "bag"]),
    "box": (["包装盒", "盒子"], ["box", "package"]),
    "jar": (["面霜罐", "罐子"], ["cream jar", "jar"]),
    "tube": (["软管", "洗面奶"], ["tube", "cosmetic tube"]),
    "watch": (["手表"], ["watch", "wristwatch"]),
    "chair": (["椅子"], ["chair"]),
    "plant": (["盆栽", "绿植"], ["potted plant", "plant"]),
    "apple": (["苹果"], ["apple"]),
    "orange": (["橙子"], ["orange"]),
    "ball": (["小球", "球"], ["ball"]),
    "vase": (["花瓶"], ["vase"]),
    "candle": (["蜡烛", "香薰蜡烛"], ["candle", "scented candle"]),
    "giftbox": (["礼盒", "礼品盒"], ["gift box"]),
    "cup": (["咖啡杯", "小杯子"], ["cup", "coffee cup"]),
    "lemon": (["柠檬"], ["lemon"]),
    "person": (["模特", "人物"], ["model", "person"]),
}
APPAREL = ("tee", "longsleeve", "shirt")
BOTTLES = ("bottle", "pump")
PROPS = ("plant", "apple", "orange", "ball", "vase", "candle", "giftbox", "cup", "lemon")


def iname(t, rng, zh=True):
    lst = NAMES[t][0 if zh else 1]
    return pick(rng, lst)


def _normals_shade(height, spacing=1.0):
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3) / (8.0 * spacing)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3) / (8.0 * spacing)
    nz = 1.0 / np.sqrt(1.0 + gx * gx + gy * gy)
    lam = (-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) * nz
    lam = np.clip(lam, 0, 1)
    return 0.30 + 0.70 * lam / LIGHT[2]


def dome(alpha_u8, size, soft=0.10, fold=None):
    """Pillow-like shading of a flat shape (+ optional fabric folds), computed at low resolution
    and resized up smoothly. fold = (seed, n, amp as a fraction of the box height, width)."""
    h, w = alpha_u8.shape
    f = max(1, int(math.ceil(max(h, w) / 360)))
    small = (
        alpha_u8
        if f == 1
        else cv2.resize(alpha_u8, (max(4, w // f), max(4, h // f)), interpolation=cv2.INTER_AREA)
    )
    m = (small > 127).astype(np.uint8)
    d = cv2.distanceTransform(m, cv2.DIST_L2, 5) * f
    k = max(2.0, soft * size)
    hgt = k * (1.0 - np.exp(-d / k))
    if fold is not None:
        seed, n, amp, width = fold
        hs, ws = small.shape
        hgt = hgt + folds(np.random.default_rng(seed), hs, ws, n, amp * h, width)
    hgt = cv2.GaussianBlur(hgt, (0, 0), max(0.8, k * 0.45 / f))
    sh = _normals_shade(hgt, f)
    if f > 1:
        sh = cv2.resize(sh, (w, h), interpolation=cv2.INTER_CUBIC)
    return sh


def folds(rng, h, w, n, amp, width):
    """Random soft ridges (fabric folds) as a height field."""
    X = np.arange(w, dtype=np.float32)[None, :] / w
    Y = np.arange(h, dtype=np.float32)[:, None] / h
    out = np.zeros((h, w), np.float32)
    for _ in range(n):
        ang = rng.uniform(-1.2, 1.2) + (np.pi / 2 if rng.random() < 0.5 else 0)
        c = rng.uniform(0.2, 0.8)
        proj = X * math.cos(ang) + Y * math.sin(ang)
        cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.9)
        win = np.exp(-(((X - cx) ** 2 + (Y - cy) ** 2) / 0.08))
        out += amp * rng.uniform(0.5, 1.0) * np.exp(-(((proj - c * 1.2) / width) ** 2)) * win
    return out


def apply_pattern(alb, item, w, h, region=None):
    pat = item.get("pattern")
    if not pat:
        return alb
    pc = np.array(item.get("pcolor", (245, 245, 245)), np.float32)
    X = np.arange(w, dtype=np.float32)[None, :]
    Y = np.arange(h, dtype=np.float32)[:, None]
    p = max(6.0, item.get("period", 0.07) * h)
    if pat == "hstripes":
        m = (np.sin(Y * 2 * np.pi / p) > 0.15).astype(np.float32) * np.ones((1, w), np.float32)
    elif pat == "vstripes":
        m = (np.sin(X * 2 * np.pi / p) > 0.15).astype(np.float32) * np.ones((h, 1), np.float32)
    elif pat == "check":
        a = (np.sin(Y * 2 * np.pi / p) > 0.3).astype(np.float32)
        b = (np.sin(X * 2 * np.pi / p) > 0.3).astype(np.float32)
        m = np.clip(0.55 * a + 0.55 * b, 0, 1)
    elif pat == "dots":
        r = p * 0.22
        fx = (X % p) - p / 2
        fy = (Y % p) - p / 2
        m = np.clip(r - np.sqrt(fx * fx + fy * fy) + 0.5, 0, 1)
    else:
        return alb
    m = gblur(m.astype(np.float32), 0.6)
    if region is not None:
        m = m * region
    return alb * (1 - m[..., None]) + pc * m[..., None]


def draw_prints(alb, item, w, h, region=None):
    """Printed words / logos on the product (they are shaded with it)."""
    parts = {}
    pm_all = np.zeros((h, w), np.float32)
    for k, pr in enumerate(item.get("prints", [])):
        pm = np.zeros((h, w), np.float32)
        if pr.get("logo"):
            cx, cy, r = pr["x"] * w, pr["y"] * h, pr["r"] * w
            lm = np.zeros((h, w), np.uint8)
            shape = pr["logo"]
            if shape == "circle":
                cv2.circle(lm, (int(cx * 16), int(cy * 16)), int(r * 16), 255, -1, cv2.LINE_AA, 4)
                cv2.circle(lm, (int(cx * 16), int(cy * 16)), int(r * 0.62 * 16), 0, -1, cv2.LINE_AA, 4)
                cv2.circle(lm, (int(cx * 16), int(cy * 16)), int(r * 0.35 * 16), 255, -1, cv2.LINE_AA, 4)
            elif shape == "tri":
                pts = (
                    np.array([[cx, cy - r], [cx + r * 0.9, cy + r * 0.7], [cx - r * 0.9, cy + r * 0.7]]) * 16
                )
                cv2.fillPoly(lm, [pts.astype(np.int32)], 255, cv2.LINE_AA, 4)
            else:  # star
                pts = []
                for i in range(10):
                    rr = r if i % 2 == 0 else r * 0.45
                    a = -np.pi / 2 + i * np.pi / 5
                    pts.append([cx + rr * math.cos(a), cy + rr * math.sin(a)])
                cv2.fillPoly(lm, [(np.array(pts) * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
            pm = lm.astype(np.float32) / 255.0
        else:
            txt = pr["text"]
            bw, bh = pr.get("w", 0.5) * w, pr.get("h", 0.08) * h
            if pr.get("garble") is not None:
                tm = garbled_mask(
                    txt,
                    bh * 0.9,
                    np.random.default_rng(pr["garble"]),
                    pr.get("font", 0),
                    pr.get("bold", False),
                )
                if tm.shape[1] > bw:
                    s = bw / tm.shape[1]
                    tm = cv2.resize(tm, (max(1, int(tm.shape[1] * s)), max(1, int(tm.shape[0] * s))))
            else:
                tm = fit_text_mask(txt, bw, bh, pr.get("font", 0), pr.get("bold", False))
            paste_mask(pm, tm, pr.get("x", 0.5) * w, pr["y"] * h, pr.get("alpha", 1.0))
        if region is not None:
            pm = pm * region
        col = np.array(pr.get("color", (30, 30, 30)), np.float32)
        alb = alb * (1 - pm[..., None]) + col * pm[..., None]
        parts[f"print{k}"] = pm
        pm_all = np.maximum(pm_all, pm)
    parts["prints"] = pm_all
    return alb, parts


def _flat(h, w, c):
    return np.broadcast_to(np.array(c, np.float32), (h, w, 3)).copy()


def draw_apparel(item, w, h, rng):
    t = item["type"]
    if t == "tee":
        pts = [
            (0.40, 0.03),
            (0.45, 0.075),
            (0.5, 0.09),
            (0.55, 0.075),
            (0.60, 0.03),
            (0.78, 0.07),
            (0.985, 0.30),
            (0.875, 0.41),
            (0.77, 0.31),
            (0.79, 0.99),
            (0.21, 0.99),
            (0.23, 0.31),
            (0.125, 0.41),
            (0.015, 0.30),
            (0.22, 0.07),
        ]
    else:  # long sleeves
        pts = [
            (0.41, 0.03),
            (0.45, 0.07),
            (0.5, 0.085),
            (0.55, 0.07),
            (0.59, 0.03),
            (0.75, 0.06),
            (0.86, 0.20),
            (0.985, 0.80),
            (0.88, 0.83),
            (0.775, 0.36),
            (0.785, 0.99),
            (0.215, 0.99),
            (0.225, 0.36),
            (0.12, 0.83),
            (0.015, 0.80),
            (0.14, 0.20),
            (0.25, 0.06),
        ]
    body = poly_mask(h, w, pts)
    back = ellipse_u8(h, w, 0.5 * w, 0.045 * h, 0.095 * w, 0.04 * h)
    alpha_u8 = np.maximum(body, back)
    alpha = alpha_u8.astype(np.float32) / 255.0
    alb = _flat(h, w, item["color"])
    alb = apply_pattern(alb, item, w, h)
    alb, parts = draw_prints(alb, item, w, h, region=body.astype(np.float32) / 255.0)
    shade = dome(alpha_u8, min(w, h), 0.07, (item.get("seed", 1), item.get("nfolds", 7), 0.022, 0.035))
    inner = np.clip(back.astype(np.float32) / 255.0 - body.astype(np.float32) / 255.0, 0, 1)
    shade = shade * (1 - 0.45 * inner)
    # collar rib / seams
    seam = np.zeros((h, w), np.uint8)
    neck = np.array([[0.40, 0.03], [0.45, 0.075], [0.5, 0.09], [0.55, 0.075], [0.60, 0.03]])
    cv2.polylines(
        seam, [(neck * [w, h] * 16).astype(np.int32)], False, 255, max(1, int(0.012 * h)), cv2.LINE_AA, 4
    )
    if t == "tee":
        for sx in (1, -1):
            a = np.array([[0.5 + sx * 0.375, 0.41], [0.5 + sx * 0.485, 0.30]])
            a2 = a + [[-sx * 0.02, -0.03], [-sx * 0.02, -0.03]]
            cv2.polylines(
                seam,
                [(a2 * [w, h] * 16).astype(np.int32)],
                False,
                160,
                max(1, int(0.004 * h)),
                cv2.LINE_AA,
                4,
            )
    shade = shade * (1 - 0.22 * seam.astype(np.float32) / 255.0)
    if t == "shirt":
        # collar and placket with buttons
        col = np.zeros((h, w), np.uint8)
        cv2.fillPoly(
            col,
            [
                (np.array([[0.40, 0.03], [0.5, 0.10], [0.44, 0.17], [0.37, 0.05]]) * [w, h] * 16).astype(
                    np.int32
                )
            ],
            255,
            cv2.LINE_AA,
            4,
        )
        cv2.fillPoly(
            col,
            [
                (np.array([[0.60, 0.03], [0.5, 0.10], [0.56, 0.17], [0.63, 0.05]]) * [w, h] * 16).astype(
                    np.int32
                )
            ],
            255,
            cv2.LINE_AA,
            4,
        )
        cm = col.astype(np.float32) / 255.0
        shade = shade * (1 + 0.12 * cm)
        alpha = np.maximum(alpha, cm)
        pl = np.zeros((h, w), np.uint8)
        cv2.line(
            pl,
            (int(0.5 * w * 16), int(0.10 * h * 16)),
            (int(0.5 * w * 16), int(0.99 * h * 16)),
            255,
            max(1, int(0.004 * w)),
            cv2.LINE_AA,
            4,
        )
        for by in np.linspace(0.2, 0.9, 6):
            cv2.circle(
                pl, (int(0.5 * w * 16), int(by * h * 16)), int(0.011 * w * 16), 255, -1, cv2.LINE_AA, 4
            )
        plm = pl.astype(np.float32) / 255.0
        shade = shade * (1 - 0.25 * plm)
        parts["collar"] = cm
    spec = np.zeros((h, w), np.float32)
    parts["body"] = body.astype(np.float32) / 255.0
    return alb, alpha, shade, spec, parts


def _profile_alpha(w, h, hw_px, cx):
    X = np.arange(w, dtype=np.float32)[None, :]
    a = np.clip(hw_px[:, None] - np.abs(X - cx) + 0.5, 0, 1)
    u = np.clip((X - cx) / np.maximum(hw_px[:, None], 1e-3), -1, 1)
    return a, u


def _cyl_shade(u, gloss, h, w):
    nz = np.sqrt(np.clip(1 - u * u, 0, 1))
    lam = np.clip(-0.55 * u + 0.835 * nz, 0, 1)
    shade = 0.25 + 0.85 * lam
    spec = (
        gloss * 255 * (0.9 * np.exp(-(((u + 0.48) / 0.085) ** 2)) + 0.3 * np.exp(-(((u - 0.74) / 0.05) ** 2)))
    )
    return shade.astype(np.float32), spec.astype(np.float32)


def smoothstep(a, b, x):
    t = np.clip((x - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


def draw_bottle(item, w, h, rng):
    t = item["type"]
    Y = (np.arange(h, dtype=np.float32) + 0.5) / h
    body = 0.49 * w
    if t == "pump":
        hw = np.where(Y < 0.06, 0.05, np.where(Y < 0.10, 0.16, np.where(Y < 0.17, 0.22, 0.30))) * w
        hw = np.where(Y >= 0.17, 0.30 * w + (body - 0.30 * w) * smoothstep(0.17, 0.25, Y), hw)
        hw[(Y < 0.06)] = 0.05 * w
        cap_y = 0.17
    else:
        cap = item.get("cap_h", 0.09)
        neck = item.get("neck_h", 0.12)
        nw = item.get("neck_w", 0.34) * body
        cw = nw * 1.12
        sh = item.get("shoulder_h", 0.14)
        hw = np.where(Y < cap, cw, nw)
        hw = np.where(Y >= cap + neck, nw + (body - nw) * smoothstep(cap + neck, cap + neck + sh, Y), hw)
        cap_y = cap
    bot = np.clip((Y - 0.975) / 0.025, 0, 1)
    hw = hw * np.sqrt(np.clip(1 - bot * bot * 0.75, 0, 1))
    cx = w / 2
    alpha, u = _profile_alpha(w, h, hw, cx)
    alb = _flat(h, w, item["color"])
    capm = (Y < cap_y)[:, None].astype(np.float32) * np.ones((1, w), np.float32)
    alb = (
        alb * (1 - capm[..., None])
        + np.array(item.get("cap_color", (40, 40, 40)), np.float32) * capm[..., None]
    )
    parts = {}
    lab = item.get("label")
    if lab:
        lm = ((Y >= lab["y0"]) & (Y <= lab["y1"]))[:, None].astype(np.float32) * np.ones((1, w), np.float32)
        lm = gblur(lm, 0.7) * (alpha > 0.5)
        alb = alb * (1 - lm[..., None]) + np.array(lab["color"], np.float32) * lm[..., None]
        parts["label"] = lm
    alb, p2 = draw_prints(alb, item, w, h)
    parts.update(p2)
    shade, spec = _cyl_shade(u, item.get("gloss", 0.5), h, w)
    # shoulder catches more light, cap edge line
    spec = spec * (1 - 0.6 * (parts.get("label", 0) if lab and not item.get("glossy_label") else 0))
    if t != "pump":
        ring = np.exp(-(((Y - cap_y) / 0.004) ** 2))[:, None]
        shade = shade * (1 - 0.35 * ring)
    return alb, alpha, shade, spec, parts


def draw_vase(item, w, h, rng):
    Y = (np.arange(h, dtype=np.float32) + 0.5) / h
    prof = 0.22 + 0.27 * np.sin(np.clip((Y - 0.1) / 0.9, 0, 1) * np.pi) ** 0.8
    prof = np.where(Y < 0.1, 0.24, prof)
    hw = prof * w
    alpha, u = _profile_alpha(w, h, hw, w / 2)
    alb = _flat(h, w, item["color"])
    alb = apply_pattern(alb, item, w, h)
    alb, parts = draw_prints(alb, item, w, h)
    shade, spec = _cyl_shade(u, item.get("gloss", 0.7), h, w)
    top = ellipse_u8(h, w, w / 2, 0.012 * h, 0.23 * w, 0.012 * h).astype(np.float32) / 255
    shade = shade * (1 - 0.6 * top)
    return alb, alpha, shade, spec, parts


def draw_cylinder_obj(item, w, h, rng):
    """mug, cup, jar, candle, tube."""
    t = item["type"]
    Y = (np.arange(h, dtype=np.float32) + 0.5) / h
    parts = {}
    if t in ("mug", "cup"):
        bwid = 0.76 * w
        cx = bwid / 2 + 0.01 * w
        top = 0.05
        hw = np.full(h, bwid / 2, np.float32)
        if t == "cup":
            hw = hw * (0.82 + 0.18 * (1 - Y))
        hw = hw * np.where(Y > 0.97, np.sqrt(np.clip(1 - ((Y - 0.97) / 0.03) ** 2 * 0.6, 0, 1)), 1)
        alpha, u = _profile_alpha(w, h, hw, cx)
        rim = ellipse_u8(h, w, cx, top * h, bwid / 2, top * h).astype(np.float32) / 255
        alpha = np.maximum(alpha, rim)
        # handle
        hm = np.zeros((h, w), np.uint8)
        hx, hy = cx + bwid * 0.48, 0.47 * h
        ellipse_u8(h, w, hx, hy, 0.23 * w, 0.28 * h, m=hm)
        ellipse_u8(h, w, hx, hy, 0.13 * w, 0.17 * h, val=0, m=hm)
        hm[:, : int(cx + bwid * 0.35)] = 0
        hmf = hm.astype(np.float32) / 255
        alpha = np.maximum(alpha, hmf)
        alb = _flat(h, w, item["color"])
        alb = apply_pattern(alb, item, w, h)
        alb, parts = draw_prints(alb, item, w, h, region=(alpha > 0.5).astype(np.float32) * (1 - hmf))
        shade, spec = _cyl_shade(u, item.get("gloss", 0.55), h, w)
        hshade = dome(hm, min(w, h) * 0.3, 0.1)
        shade = shade * (1 - hmf) + hshade * hmf
        spec = spec * (1 - hmf)
        inner = ellipse_u8(h, w, cx, top * h, bwid / 2 * 0.93, top * h * 0.8).astype(np.float32) / 255
        shade = shade * (1 - inner) + inner * 0.45
        liquid = item.get("fill")
        if liquid is not None:
            alb = alb * (1 - inner[..., None]) + np.array(liquid, np.float32) * inner[..., None]
        spec = spec * (1 - inner)
        parts["handle"] = hmf
        return alb, alpha, shade, spec, parts
    if t == "jar":
        cx = w / 2
        hw = np.full(h, 0.49 * w, np.float32)
        hw = np.where(Y < 0.33, 0.47 * w, hw)
        alpha, u = _profile_alpha(w, h, hw, cx)
        alb = _flat(h, w, item["color"])
        lid = (Y < 0.33)[:, None].astype(np.float32) * np.ones((1, w), np.float32)
        alb = (
            alb * (1 - lid[..., None])
            + np.array(item.get("cap_color", (200, 200, 205)), np.float32) * lid[..., None]
        )
        alb, parts = draw_prints(alb, item, w, h)
        shade, spec = _cyl_shade(u, item.get("gloss", 0.6), h, w)
        ring = np.exp(-(((Y - 0.33) / 0.01) ** 2))[:, None]
        shade = shade * (1 - 0.4 * ring)
        parts["lid"] = lid
        return alb, alpha, shade, spec, parts
    if t == "candle":
        cx = w / 2
        hw = np.where(Y < 0.28, 0.0, 0.46 * w).astype(np.float32)
        alpha, u = _profile_alpha(w, h, hw, cx)
        flame = ellipse_u8(h, w, cx, 0.16 * h, 0.07 * w, 0.1 * h).astype(np.float32) / 255
        wick = np.zeros((h, w), np.uint8)
        cv2.line(wick, (int(cx), int(0.22 * h)), (int(cx), int(0.29 * h)), 255, max(1, int(0.02 * w)))
        wk = wick.astype(np.float32) / 255
        alpha = np.maximum(np.maximum(alpha, flame), wk)
        alb = _flat(h, w, item["color"])
        alb = alb * (1 - flame[..., None]) + np.array((120, 220, 255), np.float32) * flame[..., None]
        alb = alb * (1 - wk[..., None]) + 30 * wk[..., None]
        alb, parts = draw_prints(alb, item, w, h)
        shade, spec = _cyl_shade(u, 0.2, h, w)
        shade = shade * (1 - flame) + 1.15 * flame
        spec = spec * (1 - flame)
        return alb, alpha, shade, spec, parts
    # tube: crimp on top, cap at the bottom
    cx = w / 2
    hw = (0.49 - 0.16 * smoothstep(0.05, 0.8, Y)) * w
    hw = np.where(Y > 0.8, 0.27 * w, hw).astype(np.float32)
    alpha, u = _profile_alpha(w, h, hw, cx)
    alb = _flat(h, w, item["color"])
    capm = (Y > 0.8)[:, None].astype(np.float32) * np.ones((1, w), np.float32)
    alb = (
        alb * (1 - capm[..., None])
        + np.array(item.get("cap_color", (235, 235, 235)), np.float32) * capm[..., None]
    )
    alb, parts = draw_prints(alb, item, w, h)
    shade, spec = _cyl_shade(u, item.get("gloss", 0.45), h, w)
    crimp = (Y < 0.05)[:, None] * (0.9 + 0.1 * np.sin(np.arange(w)[None, :] * 0.8))
    shade = shade * (1 - 0.15 * crimp.astype(np.float32))
    return alb, alpha, shade, spec, parts


def draw_sphere(item, w, h, rng):
    t = item["type"]
    cx, cy = w / 2, h * 0.55
    r = min(w, h) * 0.44
    ry = r * (0.82 if t == "lemon" else 1.0)
    rx = r * (1.12 if t == "lemon" else 1.0)
    X = np.arange(w, dtype=np.float32)[None, :]
    Y = np.arange(h, dtype=np.float32)[:, None]
    nx, ny = (X - cx) / rx, (Y - cy) / ry
    rr = np.sqrt(nx * nx + ny * ny)
    alpha = np.clip((1 - rr) * min(rx, ry) + 0.5, 0, 1).astype(np.float32)
    nz = np.sqrt(np.clip(1 - rr * rr, 0, 1))
    lam = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0, 1)
    shade = (0.25 + 0.85 * lam).astype(np.float32)
    gloss = item.get("gloss", 0.4)
    spec = (gloss * 255 * np.exp(-(((nx + 0.38) ** 2 + (ny + 0.42) ** 2) / 0.018))).astype(np.float32)
    alb = _flat(h, w, item["color"])
    if t == "orange" or t == "lemon":
        d = lowfreq(np.random.default_rng(item.get("seed", 3)), h, w, 40)
        shade = shade * (1 + 0.05 * d)
    if t == "ball":
        band = (np.abs(ny + 0.15 * nx) < 0.15).astype(np.float32)
        band = gblur(band, 1.0)
        alb = alb * (1 - band[..., None]) + 245 * band[..., None]
    parts = {}
    if t == "apple":
        st = np.zeros((h, w), np.uint8)
        cv2.line(
            st,
            (int(cx), int(cy - ry * 0.85)),
            (int(cx + 0.06 * w), int(cy - ry * 1.2)),
            255,
            max(2, int(0.035 * w)),
            cv2.LINE_AA,
        )
        leaf = ellipse_u8(h, w, cx + 0.16 * w, cy - ry * 1.1, 0.12 * w, 0.05 * h, angle=-25)
        stf, lf = st.astype(np.float32) / 255, leaf.astype(np.float32) / 255
        alpha = np.maximum(np.maximum(alpha, stf), lf)
        alb = alb * (1 - stf[..., None]) + np.array((30, 60, 90), np.float32) * stf[..., None]
        alb = alb * (1 - lf[..., None]) + np.array((40, 150, 60), np.float32) * lf[..., None]
        shade = np.where((stf + lf) > 0.3, 0.9, shade)
    return alb, alpha, shade, spec, parts


def draw_plant(item, w, h, rng):
    prng = np.random.default_rng(item.get("seed", 5))
    pot = poly_mask(h, w, [(0.24, 0.62), (0.76, 0.62), (0.69, 0.995), (0.31, 0.995)])
    rim = poly_mask(h, w, [(0.21, 0.58), (0.79, 0.58), (0.79, 0.66), (0.21, 0.66)])
    potm = np.maximum(pot, rim)
    leaves = np.zeros((h, w), np.uint8)
    shade_l = np.ones((h, w), np.float32)
    for i in range(int(prng.integers(7, 11))):
        ang = prng.uniform(-160, -20)
        L = prng.uniform(0.22, 0.36) * h
        a = math.radians(ang)
        cx, cy = 0.5 * w + math.cos(a) * L * 0.55, 0.6 * h + math.sin(a) * L * 0.55
        lm = ellipse_u8(h, w, cx, cy, L * 0.5, L * 0.16, angle=ang)
        leaves = np.maximum(leaves, lm)
        shade_l = np.where(lm > 127, prng.uniform(0.7, 1.1), shade_l)
    leaves[potm > 127] = 0
    alpha_u8 = np.maximum(potm, leaves)
    lf = leaves.astype(np.float32) / 255
    alb = _flat(h, w, item.get("pot_color", (70, 110, 190)))
    alb = alb * (1 - lf[..., None]) + np.array(item["color"], np.float32) * lf[..., None]
    shade = dome(alpha_u8, min(w, h), 0.08) * (1 - lf + lf * shade_l)
    spec = np.zeros((h, w), np.float32)
    return alb, alpha_u8.astype(np.float32) / 255, shade, spec, {"leaves": lf}


def draw_box(item, w, h, rng):
    gift = item["type"] == "giftbox"
    front = poly_mask(h, w, [(0.02, 0.28), (0.70, 0.28), (0.70, 0.995), (0.02, 0.995)])
    top = poly_mask(h, w, [(0.02, 0.28), (0.30, 0.01), (0.98, 0.01), (0.70, 0.28)])
    side = poly_mask(h, w, [(0.70, 0.28), (0.98, 0.01), (0.98, 0.72), (0.70, 0.995)])
    fm, tm, sm = (x.astype(np.float32) / 255 for x in (front, top, side))
    alpha = np.clip(fm + tm + sm, 0, 1)
    alb = _flat(h, w, item["color"])
    Y = np.arange(h, dtype=np.float32)[:, None] / h
    shade = fm * (0.93 - 0.08 * Y) + tm * 1.08 + sm * (0.66 - 0.05 * Y)
    shade = np.where(alpha > 0, shade / np.maximum(alpha, 1e-3), 1.0).astype(np.float32)
    parts = {"front": fm}
    if gift:
        rib = np.zeros((h, w), np.uint8)
        t = max(2, int(0.05 * w))
        cv2.line(rib, (int(0.36 * w), int(0.28 * h)), (int(0.36 * w), h), 255, t)
        cv2.line(rib, (int(0.36 * w), int(0.28 * h)), (int(0.64 * w), int(0.01 * h)), 255, t)
        cv2.line(rib, (int(0.16 * w), int(0.145 * h)), (int(0.84 * w), int(0.145 * h)), 255, t // 2 + 1)
        cv2.line(rib, (int(0.84 * w), int(0.145 * h)), (int(0.84 * w), int(0.86 * h)), 255, t)
        rf = rib.astype(np.float32) / 255 * alpha
        alb = (
            alb * (1 - rf[..., None])
            + np.array(item.get("pcolor", (40, 200, 240)), np.float32) * rf[..., None]
        )
    alb, p2 = draw_prints(alb, item, w, h, region=fm)
    parts.update(p2)
    edge = np.zeros((h, w), np.uint8)
    for a, b in [((0.02, 0.28), (0.70, 0.28)), ((0.70, 0.28), (0.70, 0.995)), ((0.70, 0.28), (0.98, 0.01))]:
        cv2.line(edge, (int(a[0] * w), int(a[1] * h)), (int(b[0] * w), int(b[1] * h)), 255, 1, cv2.LINE_AA)
    shade = shade * (1 + 0.15 * edge.astype(np.float32) / 255)
    spec = np.zeros((h, w), np.float32) + tm * 255 * item.get("gloss", 0.0) * 0.2
    return alb, alpha, shade, spec, parts


def draw_bag(item, w, h, rng):
    body = poly_mask(h, w, [(0.08, 0.36), (0.92, 0.36), (0.985, 0.995), (0.015, 0.995)])
    hm = np.zeros((h, w), np.uint8)
    th = max(2, int(0.045 * w))
    for hx in (0.33, 0.67):
        cv2.ellipse(
            hm,
            (int(hx * w * 16), int(0.38 * h * 16)),
            (int(0.12 * w * 16), int(0.33 * h * 16)),
            0,
            180,
            360,
            255,
            th,
            cv2.LINE_AA,
            4,
        )
    hm[body > 0] = 0
    alpha_u8 = np.maximum(body, hm)
    alb = _flat(h, w, item["color"])
    alb = apply_pattern(alb, item, w, h, region=body.astype(np.float32) / 255)
    alb, parts = draw_prints(alb, item, w, h, region=body.astype(np.float32) / 255)
    shade = dome(alpha_u8, min(w, h), 0.06, (item.get("seed", 2), 4, 0.015, 0.05))
    hmf = hm.astype(np.float32) / 255
    shade = shade * (1 - 0.15 * hmf)
    parts["handle"] = hmf
    return alb, alpha_u8.astype(np.float32) / 255, shade, np.zeros((h, w), np.float32), parts


def draw_shoe(item, w, h, rng):
    upper = poly_mask(
        h,
        w,
        [
            (0.03, 0.26),
            (0.12, 0.17),
            (0.24, 0.22),
            (0.36, 0.20),
            (0.46, 0.10),
            (0.55, 0.12),
            (0.66, 0.30),
            (0.82, 0.44),
            (0.95, 0.56),
            (0.985, 0.70),
            (0.985, 0.80),
            (0.02, 0.80),
            (0.0, 0.55),
        ],
    )
    sole = poly_mask(
        h, w, [(0.0, 0.76), (0.985, 0.70), (0.999, 0.84), (0.96, 0.97), (0.04, 0.97), (0.0, 0.90)]
    )
    collar = ellipse_u8(h, w, 0.2 * w, 0.22 * h, 0.12 * w, 0.05 * h, angle=5)
    alpha_u8 = np.maximum(upper, sole)
    um, sm, cm = (x.astype(np.float32) / 255 for x in (upper, sole, collar))
    um = np.clip(um - sm, 0, 1)
    alb = _flat(h, w, item["color"])
    alb = (
        alb * (1 - sm[..., None])
        + np.array(item.get("sole_color", (238, 240, 242)), np.float32) * sm[..., None]
    )
    lg = np.zeros((h, w), np.uint8)
    pts = np.array([[0.28, 0.66], [0.45, 0.60], [0.62, 0.50], [0.72, 0.45]]) * [w, h]
    cv2.polylines(lg, [(pts * 16).astype(np.int32)], False, 255, max(2, int(0.035 * h)), cv2.LINE_AA, 4)
    lgf = lg.astype(np.float32) / 255 * um
    alb = (
        alb * (1 - lgf[..., None])
        + np.array(item.get("logo_color", (245, 245, 245)), np.float32) * lgf[..., None]
    )
    lace = np.zeros((h, w), np.uint8)
    for k in range(5):
        t = k / 4
        x0, y0 = 0.47 + 0.22 * t, 0.16 + 0.24 * t
        cv2.line(
            lace,
            (int(x0 * w), int(y0 * h)),
            (int((x0 - 0.06) * w), int((y0 + 0.06) * h)),
            255,
            max(1, int(0.018 * h)),
            cv2.LINE_AA,
        )
    lcf = lace.astype(np.float32) / 255 * um
    alb = alb * (1 - lcf[..., None]) + 240 * lcf[..., None]
    alb, parts = draw_prints(alb, item, w, h, region=um)
    shade = dome(alpha_u8, min(w, h), 0.12) * (1 - 0.7 * cm)
    shade = shade * (1 - 0.2 * np.exp(-(((np.arange(h)[:, None] / h - 0.78) / 0.01) ** 2)))
    spec = np.zeros((h, w), np.float32)
    parts.update({"upper": um, "sole": sm, "logo": lgf})
    return alb, alpha_u8.astype(np.float32) / 255, shade, spec, parts


def draw_watch(item, w, h, rng):
    cx, cy = w / 2, h / 2
    R = 0.48 * w
    strap = np.zeros((h, w), np.uint8)
    cv2.rectangle(strap, (int(0.2 * w), 0), (int(0.8 * w), int(0.5 * h)), 255, -1)
    cv2.rectangle(strap, (int(0.2 * w), int(0.5 * h)), (int(0.8 * w), h - 1), 255, -1)
    case = ellipse_u8(h, w, cx, cy, R, R)
    dial = ellipse_u8(h, w, cx, cy, R * 0.80, R * 0.80)
    alpha_u8 = np.maximum(strap, case)
    sf, cf, df = (x.astype(np.float32) / 255 for x in (strap, case, dial))
    sf = np.clip(sf - cf, 0, 1)
    metal = np.array(item.get("metal", (200, 200, 205)), np.float32)
    alb = _flat(h, w, item["color"])  # strap colour
    alb = alb * (1 - cf[..., None]) + metal * cf[..., None]
    alb = alb * (1 - df[..., None]) + np.array(item.get("dial", (30, 30, 35)), np.float32) * df[..., None]
    X = np.arange(w, dtype=np.float32)[None, :]
    Y = np.arange(h, dtype=np.float32)[:, None]
    ang = np.arctan2(Y - cy, X - cx)
    ring = cf * (1 - df)
    u = np.clip((X - cx) / (0.3 * w), -1, 1) * np.ones((h, 1), np.float32)
    s_strap, _ = _cyl_shade(u, 0.1, h, w)
    shade = s_strap * sf + ring * (0.75 + 0.45 * np.cos(ang + 2.3)) + df * 1.0
    shade = np.where(alpha_u8 > 0, shade / np.maximum(sf + ring + df, 1e-3), 1).astype(np.float32)
    tk = np.zeros((h, w), np.uint8)
    for k in range(12):
        a = k * np.pi / 6
        r0, r1 = R * 0.66, R * 0.76
        cv2.line(
            tk,
            (int(cx + r0 * math.cos(a)), int(cy + r0 * math.sin(a))),
            (int(cx + r1 * math.cos(a)), int(cy + r1 * math.sin(a))),
            255,
            max(1, int(0.012 * w)),
            cv2.LINE_AA,
        )
    hh = item.get("time", (10, 10))
    for val, L, th in ((hh[0] / 12 * 2 * np.pi, 0.42, 0.03), (hh[1] / 60 * 2 * np.pi, 0.62, 0.018)):
        a = val - np.pi / 2
        cv2.line(
            tk,
            (int(cx), int(cy)),
            (int(cx + R * L * math.cos(a)), int(cy + R * L * math.sin(a))),
            255,
            max(1, int(th * w)),
            cv2.LINE_AA,
        )
    tkf = tk.astype(np.float32) / 255 * df
    alb = (
        alb * (1 - tkf[..., None]) + np.array(item.get("hands", (230, 230, 230)), np.float32) * tkf[..., None]
    )
    alb, parts = draw_prints(alb, item, w, h, region=df)
    spec = (
        item.get("gloss", 0.8)
        * 255
        * np.exp(-(((X - cx + 0.35 * R) / (0.25 * R)) ** 2 + ((Y - cy + 0.4 * R) / (0.12 * R)) ** 2))
        * df
    ).astype(np.float32)
    spec += (ring * 90 * np.clip(np.cos(ang + 2.3), 0, 1) ** 6).astype(np.float32)
    parts.update({"dial": df, "strap": sf, "case": cf})
    return alb, alpha_u8.astype(np.float32) / 255, shade, spec, parts


def draw_chair(item, w, h, rng):
    m = np.zeros((h, w), np.uint8)
    back_l = np.zeros((h, w), np.uint8)

    def rect(mm, x0, y0, x1, y1):
        cv2.rectangle(mm, (int(x0 * w), int(y0 * h)), (int(x1 * w), int(y1 * h)), 255, -1)

    rect(back_l, 0.20, 0.55, 0.25, 0.93)
    rect(back_l, 0.75, 0.55, 0.80, 0.93)
    rect(m, 0.12, 0.02, 0.88, 0.10)
    rect(m, 0.12, 0.02, 0.18, 0.56)
    rect(m, 0.82, 0.02, 0.88, 0.56)
    rect(m, 0.12, 0.20, 0.88, 0.25)
    seat = poly_mask(h, w, [(0.05, 0.52), (0.95, 0.52), (0.995, 0.62), (0.005, 0.62)])
    m = np.maximum(m, seat)
    rect(m, 0.03, 0.60, 0.10, 0.995)
    rect(m, 0.90, 0.60, 0.97, 0.995)
    rect(m, 0.10, 0.80, 0.90, 0.83)
    alpha_u8 = np.maximum(m, back_l)
    alb = _flat(h, w, item["color"])
    wood = lowfreq(np.random.default_rng(item.get("seed", 4)), h, w, 30)
    shade = dome(alpha_u8, min(w, h) * 0.25, 0.15) * (1 + 0.05 * wood)
    bl = np.clip(back_l.astype(np.float32) / 255 - m.astype(np.float32) / 255, 0, 1)
    shade = shade * (1 - 0.35 * bl)
    sf = seat.astype(np.float32) / 255
    cush = item.get("cushion")
    if cush is not None:
        alb = alb * (1 - sf[..., None]) + np.array(cush, np.float32) * sf[..., None]
    alb, parts = draw_prints(alb, item, w, h)
    parts["seat"] = sf
    return alb, alpha_u8.astype(np.float32) / 255, shade, np.zeros((h, w), np.float32), parts


FACE_DEFAULT = {
    "skin": (150, 180, 225),
    "hair": (30, 40, 60),
    "hair_style": "short",
    "eye_dx": 0.075,
    "eye_size": 1.0,
    "iris": (60, 70, 90),
    "mouth": "smile",
    "brow": 1.0,
    "glasses": False,
    "beard": False,
    "face_w": 1.0,
}


def draw_person(item, w, h, rng):
    f = dict(FACE_DEFAULT)
    f.update(item.get("face", {}))
    fw = f["face_w"]
    skin = np.array(f["skin"], np.float32)
    torso = poly_mask(
        h,
        w,
        [
            (0.02, 0.995),
            (0.06, 0.74),
            (0.18, 0.63),
            (0.38, 0.575),
            (0.62, 0.575),
            (0.82, 0.63),
            (0.94, 0.74),
            (0.98, 0.995),
        ],
    )
    neck = poly_mask(h, w, [(0.43, 0.40), (0.57, 0.40), (0.58, 0.60), (0.42, 0.60)])
    head = ellipse_u8(h, w, 0.5 * w, 0.30 * h, 0.15 * w * fw, 0.20 * h)
    ears = ellipse_u8(h, w, (0.5 - 0.15 * fw) * w, 0.31 * h, 0.025 * w, 0.04 * h)
    ellipse_u8(h, w, (0.5 + 0.15 * fw) * w, 0.31 * h, 0.025 * w, 0.04 * h, m=ears)
    hair = np.zeros((h, w), np.uint8)
    hs = f["hair_style"]
    ellipse_u8(h, w, 0.5 * w, 0.22 * h, 0.165 * w * fw, 0.14 * h, m=hair)
    if hs == "long":
        cv2.rectangle(
            hair,
            (int((0.5 - 0.175 * fw) * w), int(0.2 * h)),
            (int((0.5 - 0.12 * fw) * w), int(0.62 * h)),
            255,
            -1,
        )
        cv2.rectangle(
            hair,
            (int((0.5 + 0.12 * fw) * w), int(0.2 * h)),
            (int((0.5 + 0.175 * fw) * w), int(0.62 * h)),
            255,
            -1,
        )
    elif hs == "bun":
        ellipse_u8(h, w, 0.5 * w, 0.07 * h, 0.07 * w, 0.05 * h, m=hair)
    # forehead line: hair only above brow line except the sides
    face_cut = ellipse_u8(h, w, 0.5 * w, 0.35 * h, 0.13 * w * fw, 0.17 * h)
    hair[face_cut > 127] = 0
    if hs == "bald":
        hair[:] = 0
    skin_m = np.maximum(np.maximum(head, neck), ears).astype(np.float32) / 255
    tf = torso.astype(np.float32) / 255
    hf = hair.astype(np.float32) / 255
    skin_m = np.clip(skin_m - hf, 0, 1)
    alpha = np.clip(np.maximum(np.maximum(skin_m, tf), hf), 0, 1)
    alb = _flat(h, w, item["color"])
    alb = apply_pattern(alb, item, w, h, region=tf)
    alb, parts = draw_prints(alb, item, w, h, region=tf)
    alb = alb * (1 - skin_m[..., None]) + skin * skin_m[..., None]
    alb = alb * (1 - hf[..., None]) + np.array(f["hair"], np.float32) * hf[..., None]
    feat = np.zeros((h, w, 3), np.float32)
    fm = np.zeros((h, w), np.float32)

    def put(mask_u8, col):
        ys, xs = np.nonzero(mask_u8)
        if len(xs) == 0:
            return
        ya, yb, xa, xb = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        mm = mask_u8[ya:yb, xa:xb].astype(np.float32)[..., None] / 255
        alb[ya:yb, xa:xb] = alb[ya:yb, xa:xb] * (1 - mm) + np.array(col, np.float32) * mm

    es = f["eye_size"]
    for sx in (-1, 1):
        ex = (0.5 + sx * f["eye_dx"] * fw) * w
        put(ellipse_u8(h, w, ex, 0.30 * h, 0.032 * w * es, 0.016 * h * es), (240, 240, 240))
        put(ellipse_u8(h, w, ex, 0.30 * h, 0.014 * w * es, 0.014 * h * es), f["iris"])
        put(ellipse_u8(h, w, ex, 0.30 * h, 0.006 * w * es, 0.007 * h * es), (15, 15, 15))
        bm = np.zeros((h, w), np.uint8)
        by = 0.265 * h - (0.01 * h if f["brow"] > 1.2 else 0)
        cv2.line(
            bm,
            (int(ex - 0.035 * w), int(by + 0.004 * h)),
            (int(ex + 0.035 * w), int(by - 0.004 * h * sx)),
            255,
            max(2, int(0.012 * h * f["brow"])),
            cv2.LINE_AA,
        )
        put(bm, tuple(np.array(f["hair"]) * 0.8))
    nm = np.zeros((h, w), np.uint8)
    cv2.line(
        nm,
        (int(0.5 * w), int(0.32 * h)),
        (int(0.49 * w), int(0.37 * h)),
        255,
        max(1, int(0.006 * h)),
        cv2.LINE_AA,
    )
    put(nm, tuple(skin * 0.7))
    mm = np.zeros((h, w), np.uint8)
    if f["mouth"] == "smile":
        cv2.ellipse(
            mm,
            (int(0.5 * w), int(0.40 * h)),
            (int(0.05 * w), int(0.022 * h)),
            0,
            10,
            170,
            255,
            max(2, int(0.009 * h)),
            cv2.LINE_AA,
        )
    elif f["mouth"] == "open":
        ellipse_u8(h, w, 0.5 * w, 0.415 * h, 0.04 * w, 0.018 * h, m=mm)
    else:
        cv2.line(
            mm,
            (int(0.46 * w), int(0.415 * h)),
            (int(0.54 * w), int(0.415 * h)),
            255,
            max(2, int(0.009 * h)),
            cv2.LINE_AA,
        )
    put(mm, (70, 70, 170))
    if f["beard"]:
        bm = ellipse_u8(h, w, 0.5 * w, 0.44 * h, 0.12 * w * fw, 0.06 * h)
        bm[: int(0.4 * h)] = 0
        put((bm * 0.8).astype(np.uint8), f["hair"])
    if f["glasses"]:
        gm = np.zeros((h, w), np.uint8)
        for sx in (-1, 1):
            ex = (0.5 + sx * f["eye_dx"] * fw) * w
            cv2.circle(gm, (int(ex), int(0.30 * h)), int(0.045 * w), 255, max(2, int(0.007 * w)), cv2.LINE_AA)
        cv2.line(
            gm,
            (int((0.5 - 0.03) * w), int(0.30 * h)),
            (int((0.5 + 0.03) * w), int(0.30 * h)),
            255,
            max(2, int(0.006 * w)),
            cv2.LINE_AA,
        )
        put(gm, (20, 20, 20))
    shade_t = dome(torso, min(w, h), 0.06, (item.get("seed", 9), 5, 0.015, 0.04))
    X = np.arange(w, dtype=np.float32)[None, :]
    Y = np.arange(h, dtype=np.float32)[:, None]
    nx, ny = (X - 0.5 * w) / (0.19 * w * fw), (Y - 0.28 * h) / (0.26 * h)
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.05, 1))
    lam = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0, 1)
    shade_h = (0.45 + 0.6 * lam).astype(np.float32)
    nf = neck.astype(np.float32) / 255
    headm = np.maximum(np.maximum(head, hair), ears).astype(np.float32) / 255
    shade = shade_t * tf + (1 - tf) * (headm * shade_h + (1 - headm) * 0.78)
    parts.update(
        {
            "clothes": tf,
            "face": np.clip(np.maximum(np.maximum(head, hair), ears).astype(np.float32) / 255, 0, 1),
            "neck": nf,
        }
    )
    return alb, alpha, shade.astype(np.float32), np.zeros((h, w), np.float32), parts


DRAWERS = {
    "tee": draw_apparel,
    "longsleeve": draw_apparel,
    "shirt": draw_apparel,
    "bottle": draw_bottle,
    "pump": draw_bottle,
    "vase": draw_vase,
    "mug": draw_cylinder_obj,
    "cup": draw_cylinder_obj,
    "jar": draw_cylinder_obj,
    "candle": draw_cylinder_obj,
    "tube": draw_cylinder_obj,
    "apple": draw_sphere,
    "orange": draw_sphere,
    "ball": draw_sphere,
    "lemon": draw_sphere,
    "plant": draw_plant,
    "box": draw_box,
    "giftbox": draw_box,
    "bag": draw_bag,
    "shoe": draw_shoe,
    "watch": draw_watch,
    "chair": draw_chair,
    "person": draw_person,
}


# ----------------------------------------------------------------------------------------------
# scene = backdrop + items + overlays; render(scene) -> (uint8 BGR, info with full-frame masks)
# ----------------------------------------------------------------------------------------------


def item_box(it, W, H):
    bh = max(8, int(round(it["h"] * H)))
    bw = max(8, int(round(bh * ASPECT[it["type"]] * it.get("stretch", 1.0))))
    x0 = int(round(it["x"] * W - bw / 2))
    y0 = int(round(it["y"] * H - bh))
    return x0, y0, bw, bh


_ITEM_CACHE = {}


def render_item(it, W, H):
    key = (json.dumps(it, sort_keys=True, default=str), W, H)
    if key in _ITEM_CACHE:
        return _ITEM_CACHE[key]
    x0, y0, bw, bh = item_box(it, W, H)
    alb, alpha, shade, spec, parts = DRAWERS[it["type"]](it, bw, bh, None)
    rgb = alb * shade[..., None] + spec[..., None]
    if it.get("fade") is not None:
        alpha = alpha * it["fade"]
    r = {
        "x0": x0,
        "y0": y0,
        "bw": bw,
        "bh": bh,
        "rgb": rgb.astype(np.float32),
        "alpha": alpha.astype(np.float32),
        "parts": parts,
    }
    if len(_ITEM_CACHE) > 24:
        _ITEM_CACHE.pop(next(iter(_ITEM_CACHE)))
    _ITEM_CACHE[key] = r
    return r


def _clip_box(x0, y0, w, h, W, H):
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    return xa, ya, xb, yb


def to_full(local, r, W, H):
    """A box-local mask -> full-frame float mask."""
    full = np.zeros((H, W), np.float32)
    xa, ya, xb, yb = _clip_box(r["x0"], r["y0"], r["bw"], r["bh"], W, H)
    if xa < xb and ya < yb:
        full[ya:yb, xa:xb] = local[ya - r["y0"] : yb - r["y0"], xa - r["x0"] : xb - r["x0"]]
    return full


def shadow_map(it, r, W, H):
    s = it.get("shadow", 0.45)
    if s <= 0 or it["type"] == "person":
        return None
    pad = int(r["bh"] * 0.15) + 4
    X0, Y0 = max(0, r["x0"] - pad), max(0, r["y0"] - pad)
    X1, Y1 = min(W, r["x0"] + r["bw"] + pad), min(H, r["y0"] + r["bh"] + pad)
    if X0 >= X1 or Y0 >= Y1:
        return None
    w, h = X1 - X0, Y1 - Y0
    sh = np.zeros((h, w), np.uint8)
    cx = r["x0"] + r["bw"] * (0.40 if it["type"] in ("mug", "cup") else 0.5) - X0
    rx = r["bw"] * (0.42 if it["type"] not in ("tee", "longsleeve", "shirt") else 0.35)
    cy = r["y0"] + r["bh"] * (0.985 if it["type"] not in APPAREL else 0.99) - Y0
    ellipse_u8(h, w, cx, cy, rx, max(2, r["bh"] * 0.03), m=sh)
    m = gblur(sh.astype(np.float32) / 255, max(1.5, r["bh"] * 0.02)) * s
    # soft drop shadow to the lower right
    a = to_full(r["alpha"], r, W, H)[Y0:Y1, X0:X1]
    d = max(2, int(r["bh"] * 0.025))
    M = np.float32([[1, 0, d], [0, 1, d]])
    ds = cv2.warpAffine(a, M, (w, h))
    m = np.maximum(m, gblur(ds, max(2.0, r["bh"] * 0.03)) * s * 0.5)
    full = np.zeros((H, W), np.float32)
    full[Y0:Y1, X0:X1] = m
    return full


def draw_caption(img, cap, W, H, masks=None):
    """Overlay text line (promo copy, price, headline), optional plate behind it."""
    bw_px, bh_px = cap.get("w", 0.6) * W, cap["h"] * H
    if cap.get("garble") is not None:
        tm = garbled_mask(
            cap["text"],
            bh_px * 0.9,
            np.random.default_rng(cap["garble"]),
            cap.get("font", 0),
            cap.get("bold", True),
        )
        if tm.shape[1] > bw_px:
            s = bw_px / tm.shape[1]
            tm = cv2.resize(tm, (max(1, int(tm.shape[1] * s)), max(1, int(tm.shape[0] * s))))
    else:
        tm = fit_text_mask(cap["text"], bw_px, bh_px, cap.get("font", 0), cap.get("bold", True))
    cx, cy = cap["x"] * W, cap["y"] * H
    if cap.get("align") == "left":
        cx = cap["x"] * W + tm.shape[1] / 2
    plate = cap.get("plate")
    if plate is not None:
        pad = 0.35 * bh_px
        pm = np.zeros((H, W), np.uint8)
        x0, y0 = int(cx - tm.shape[1] / 2 - pad), int(cy - tm.shape[0] / 2 - pad * 0.6)
        x1, y1 = int(cx + tm.shape[1] / 2 + pad), int(cy + tm.shape[0] / 2 + pad * 0.6)
        cv2.rectangle(pm, (x0, y0), (x1, y1), 255, -1)
        pmf = gblur(pm.astype(np.float32) / 255, 0.8) * cap.get("alpha", 1.0)
        img[:] = blend(img, np.broadcast_to(np.array(plate, np.float32), img.shape), pmf)
    cm = np.zeros((H, W), np.float32)
    paste_mask(cm, tm, cx, cy, cap.get("alpha", 1.0))
    img[:] = blend(img, np.broadcast_to(np.array(cap.get("color", (20, 20, 20)), np.float32), img.shape), cm)
    if masks is not None:
        masks.append(cm)
    return cm


def draw_sticker(img, st, W, H):
    """A price tag / sticker stuck on the product (rounded plate + text)."""
    w, h = st["w"] * W, st["h"] * H
    cx, cy = st["x"] * W, st["y"] * H
    m = np.zeros((H, W), np.uint8)
    r = int(min(w, h) * 0.25)
    x0, y0, x1, y1 = int(cx - w / 2), int(cy - h / 2), int(cx + w / 2), int(cy + h / 2)
    cv2.rectangle(m, (x0 + r, y0), (x1 - r, y1), 255, -1)
    cv2.rectangle(m, (x0, y0 + r), (x1, y1 - r), 255, -1)
    for px, py in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(m, (px, py), r, 255, -1, cv2.LINE_AA)
    mf = gblur(m.astype(np.float32) / 255, 0.7)
    img[:] = blend(img, np.broadcast_to(np.array(st.get("color", (40, 40, 220)), np.float32), img.shape), mf)
    tm = fit_text_mask(st["text"], w * 0.8, h * 0.6, st.get("font", 1), True)
    cm = np.zeros((H, W), np.float32)
    paste_mask(cm, tm, cx, cy)
    img[:] = blend(
        img, np.broadcast_to(np.array(st.get("tcolor", (255, 255, 255)), np.float32), img.shape), cm
    )
    return mf


def draw_stamp(img, sp, W, H):
    """A shop logo stamp (ring + initials), usually in a corner, semi-opaque."""
    r = sp["r"] * min(W, H)
    cx, cy = sp["x"] * W, sp["y"] * H
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (int(cx * 16), int(cy * 16)), int(r * 16), 255, max(2, int(r * 0.12)), cv2.LINE_AA, 4)
    mf = m.astype(np.float32) / 255
    tm = fit_text_mask(sp["text"], r * 1.3, r * 0.8, sp.get("font", 0), True)
    paste_mask(mf, tm, cx, cy)
    mf = mf * sp.get("alpha", 0.85)
    img[:] = blend(
        img, np.broadcast_to(np.array(sp.get("color", (255, 255, 255)), np.float32), img.shape), mf
    )
    return mf


def watermark_mask(wm, W, H):
    """Semi-transparent watermark: tiled diagonal text, one big centred line, or a corner line."""
    px = max(10, int(wm["h"] * H))
    tm = text_mask(wm["text"], px, wm.get("font", 0), wm.get("bold", False))
    if wm.get("thin"):
        tm = cv2.erode(tm, np.ones((2, 2), np.uint8)) if px > 30 else tm
    mode = wm.get("mode", "tile")
    full = np.zeros((H, W), np.float32)
    if mode == "tile":
        big = np.zeros((int(H * 1.6), int(W * 1.6)), np.float32)
        BH, BW = big.shape
        sx = tm.shape[1] + wm.get("gap", 1.2) * px * 2
        sy = px * wm.get("vgap", 4.0)
        row = 0
        y = sy / 2
        while y < BH:
            x = (row % 2) * sx / 2 + sx / 2
            while x < BW + sx:
                paste_mask(big, tm, x, y)
                x += sx
            y += sy
            row += 1
        M = cv2.getRotationMatrix2D((BW / 2, BH / 2), wm.get("angle", 30), 1.0)
        M[0, 2] -= (BW - W) / 2
        M[1, 2] -= (BH - H) / 2
        full = cv2.warpAffine(big, M, (W, H))
    elif mode == "center":
        big = np.zeros((H, W), np.float32)
        paste_mask(big, tm, W / 2, H / 2)
        M = cv2.getRotationMatrix2D((W / 2, H / 2), wm.get("angle", 25), 1.0)
        full = cv2.warpAffine(big, M, (W, H))
    else:  # corner
        paste_mask(full, tm, W * wm.get("x", 0.8), H * wm.get("y", 0.92))
    return np.clip(full, 0, 1) * wm.get("alpha", 0.3)


def render(sc):
    W, H = sc["W"], sc["H"]
    img = bg_render(sc["bg"], W, H).copy()
    rs = [render_item(it, W, H) for it in sc["items"]]
    sh_total = np.zeros((H, W), np.float32)
    for it, r in zip(sc["items"], rs):
        if it.get("fade") is not None and it["fade"] <= 0:
            continue
        m = shadow_map(it, r, W, H)
        if m is not None:
            if it.get("fade") is not None:
                m = m * it["fade"]
            sh_total = np.maximum(sh_total, m)
    if sh_total.max() > 0:
        img *= (1 - sh_total * sc.get("shadow_k", 1.0))[..., None]
    alphas = []
    for it, r in zip(sc["items"], rs):
        xa, ya, xb, yb = _clip_box(r["x0"], r["y0"], r["bw"], r["bh"], W, H)
        if xa < xb and ya < yb:
            a = r["alpha"][ya - r["y0"] : yb - r["y0"], xa - r["x0"] : xb - r["x0"]][..., None]
            src = r["rgb"][ya - r["y0"] : yb - r["y0"], xa - r["x0"] : xb - r["x0"]]
            img[ya:yb, xa:xb] = img[ya:yb, xa:xb] * (1 - a) + src * a
        alphas.append(to_full(r["alpha"], r, W, H))
    stick = []
    for st in sc.get("stickers", []):
        stick.append(draw_sticker(img, st, W, H))
    caps = []
    for cap in sc.get("captions", []):
        draw_caption(img, cap, W, H, caps)
    stamps = []
    for sp in sc.get("stamps", []):
        stamps.append(draw_stamp(img, sp, W, H))
    wmm = None
    if sc.get("watermark"):
        wm = sc["watermark"]
        wmm = watermark_mask(wm, W, H)
        img = blend(
            img, np.broadcast_to(np.array(wm.get("color", (255, 255, 255)), np.float32), img.shape), wmm
        )
    info = {
        "alphas": alphas,
        "rs": rs,
        "captions": caps,
        "stickers": stick,
        "stamps": stamps,
        "watermark": wmm,
        "shadow": sh_total,
    }
    return u8(img), info


def part_full(sc, info, idx, name):
    r = info["rs"][idx]
    p = r["parts"].get(name)
    if p is None:
        return np.zeros((sc["H"], sc["W"]), np.float32)
    return to_full(p, r, sc["W"], sc["H"])


def holes_mask(alpha_full):
    """Backdrop pixels enclosed by the product (inside a handle, between chair legs...)."""
    H, W = alpha_full.shape
    ys, xs = np.where(alpha_full > 0.5)
    if len(xs) == 0:
        return np.zeros_like(alpha_full)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    sub = (alpha_full[y0:y1, x0:x1] > 0.5).astype(np.uint8)
    pad = np.pad(sub, 1)
    ff = pad.copy()
    mask = np.zeros((pad.shape[0] + 2, pad.shape[1] + 2), np.uint8)
    cv2.floodFill(ff, mask, (0, 0), 1)
    inside = (ff == 0).astype(np.float32)[1:-1, 1:-1]
    # chair legs are open at the bottom: also count the bottom-open pockets between supports
    out = np.zeros_like(alpha_full)
    out[y0:y1, x0:x1] = inside
    return out


def pockets_mask(alpha_full):
    """Concave backdrop pockets: inside the product's convex hull, not on the product."""
    m = (alpha_full > 0.5).astype(np.uint8)
    cnts, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not cnts:
        return np.zeros_like(alpha_full)
    hull = cv2.convexHull(np.vstack(cnts))
    hm = np.zeros_like(m)
    cv2.fillPoly(hm, [hull], 1)
    pk = (hm.astype(np.float32) - (alpha_full > 0.05)).clip(0, 1)
    return cv2.erode(pk, np.ones((3, 3), np.uint8))


# ----------------------------------------------------------------------------------------------
# base pool: synthetic product shots, drawn people and real photos
# ----------------------------------------------------------------------------------------------

LATIN_WORDS = [
    "SUMMER",
    "AQUA",
    "FRESH",
    "NOVA",
    "PURE",
    "URBAN",
    "ORGANIC",
    "BREW",
    "LUNA",
    "CITRUS",
    "DAILY",
    "BLOOM",
    "NORTH",
    "VELVET",
    "OCEAN",
    "MINT",
    "SOLAR",
    "MAPLE",
    "RIVER",
    "ZEN",
]
CJK_WORDS = [
    "夏日",
    "清泉",
    "有机",
    "晨光",
    "森林",
    "海洋",
    "早安",
    "花漾",
    "纯净",
    "暖阳",
    "茶语",
    "自然",
    "轻氧",
    "山泉",
    "初雪",
]
SUB_LINES = [
    "500ml",
    "SPF 50",
    "100% COTTON",
    "NET WT 200g",
    "天然矿泉水",
    "保湿乳液",
    "350 ml",
    "EST. 2019",
    "冷萃咖啡",
    "无糖 0kcal",
    "HAND MADE",
    "限量版",
]
PROMO_PAIRS = [  # (old, new) headline / banner replacements
    ("SALE", "NEW"),
    ("新品上市", "限时特惠"),
    ("SUMMER SALE", "WINTER SALE"),
    ("买一送一", "第二件半价"),
    ("50% OFF", "30% OFF"),
    ("包邮", "现货"),
    ("HOT", "NEW"),
    ("热卖", "爆款"),
    ("FREE SHIPPING", "IN STOCK"),
    ("¥199", "¥159"),
    ("$49.99", "$39.99"),
    ("BEST SELLER", "LIMITED"),
    ("春季新款", "夏季新款"),
    ("GIFT SET", "TRAVEL SET"),
    ("清仓", "上新"),
    ("ORGANIC", "NATURAL"),
    ("FRESH", "CLEAN"),
]
TRANSLATIONS = [
    ("新品上市", "NEW ARRIVAL"),
    ("限时特惠", "LIMITED OFFER"),
    ("包邮", "FREE SHIPPING"),
    ("热卖", "HOT SALE"),
    ("天然", "NATURAL"),
    ("夏季新款", "SUMMER STYLE"),
    ("买一送一", "BUY 1 GET 1"),
    ("SALE", "促销"),
    ("NEW", "新品"),
    ("ORGANIC", "有机"),
    ("GIFT", "礼品"),
    ("FRESH", "新鲜"),
]
ADD_TEXTS = [
    "限时特惠",
    "新品上市",
    "NEW ARRIVAL",
    "SALE 30%",
    "包邮到家",
    "BEST SELLER",
    "官方正品",
    "HOT",
    "满199减30",
    "LIMITED EDITION",
    "今日特价",
    "Free Gift",
]
WM_TEXTS = ["SAMPLE", "© STUDIO", "水印", "样图", "PREVIEW", "版权所有", "shop.example", "DRAFT", "示例图片"]


def _sizes(rng):
    asp = pick(rng, [(1, 1), (1, 1), (4, 3), (3, 4), (16, 9), (3, 2), (2, 3), (4, 5)])
    long_side = int(
        rng.choice(
            [480, 560, 640, 720, 768, 800, 900, 1024, 1080, 1200, 1400, 1600, 2000],
            p=[0.08, 0.08, 0.1, 0.1, 0.1, 0.1, 0.09, 0.1, 0.07, 0.07, 0.05, 0.04, 0.02],
        )
    )
    if asp[0] >= asp[1]:
        W, H = long_side, int(round(long_side * asp[1] / asp[0]))
    else:
        H, W = long_side, int(round(long_side * asp[0] / asp[1]))
    return W - W % 2, H - H % 2


BACKDROP_KINDS = [
    "studio_white",
    "studio_grey",
    "studio_colour",
    "nearwhite",
    "gradient",
    "wood",
    "fabric",
    "marble",
    "concrete",
    "outdoor",
    "photo",
]


def random_backdrop(rng, kind):
    s = int(rng.integers(1 << 30))
    if kind == "studio_white":
        v = int(rng.integers(246, 253))
        return {"type": "solid", "c": (v, v, v), "fall": 0.04, "seed": s}
    if kind == "studio_grey":
        v = int(rng.integers(180, 226))
        return {"type": "solid", "c": (v, v, v + 2), "fall": 0.08, "seed": s}
    if kind == "studio_colour":
        c = pick(
            rng,
            [
                (200, 220, 245),
                (232, 212, 188),
                (200, 235, 210),
                (215, 200, 240),
                (190, 230, 240),
                (120, 120, 125),
                (70, 66, 62),
                (160, 200, 225),
                (210, 180, 150),
            ],
        )
        return {"type": "solid", "c": c, "fall": 0.07, "seed": s}
    if kind == "nearwhite":
        b = int(rng.integers(236, 246))
        c = pick(rng, [(b, b + 2, b + 5), (b + 3, b + 1, b), (b, b, b), (b - 3, b + 1, b + 4)])
        return {"type": "nearwhite", "c": tuple(int(min(250, x)) for x in c), "seed": s}
    if kind == "gradient":
        c1, c2 = pick(
            rng,
            [
                ((240, 200, 170), (220, 170, 215)),
                ((250, 240, 230), (200, 190, 185)),
                ((180, 220, 250), (120, 160, 230)),
                ((230, 230, 210), (160, 140, 110)),
                ((60, 60, 60), (20, 20, 25)),
            ],
        )
        return {"type": "gradient", "c1": c1, "c2": c2, "radial": bool(rng.random() < 0.4), "seed": s}
    if kind == "wood":
        return {
            "type": "wood",
            "c": pick(rng, [(70, 120, 170), (50, 90, 140), (110, 160, 205), (40, 70, 110)]),
            "seed": s,
        }
    if kind == "fabric":
        return {
            "type": "fabric",
            "c": pick(
                rng, [(190, 205, 215), (180, 180, 185), (150, 170, 200), (200, 190, 170), (120, 140, 160)]
            ),
            "seed": s,
        }
    if kind == "marble":
        return {"type": "marble", "seed": s}
    if kind == "concrete":
        v = int(rng.integers(130, 180))
        return {"type": "concrete", "c": (v, v + 2, v + 4), "seed": s}
    if kind == "outdoor":
        return {"type": "outdoor", "seed": s}
    names = [n for n in ("coffee.png", "rocket.jpg", "chelsea.png") if load_photo(n) is not None]
    if not names:
        return {"type": "concrete", "seed": s}
    return {
        "type": "photo",
        "name": pick(rng, names),
        "blur": float(rng.uniform(2.5, 6)),
        "dim": float(rng.uniform(0.0, 0.25)),
        "ox": float(rng.uniform(0.3, 0.7)),
        "seed": s,
    }


def bg_mean(spec):
    small = bg_render(spec, 64, 48)
    return small.reshape(-1, 3).mean(0)


def make_prints(rng, t):
    pr = []
    r = rng.random()
    if t in APPAREL:
        if r < 0.35:
            word = pick(rng, LATIN_WORDS) if rng.random() < 0.6 or not HAVE_CJK else pick(rng, CJK_WORDS)
            pr.append(
                {
                    "text": word,
                    "y": 0.30,
                    "w": 0.36,
                    "h": 0.09 if not is_cjk(word) else 0.12,
                    "font": int(rng.integers(5)),
                    "bold": True,
                }
            )
        elif r < 0.55:
            pr.append({"logo": pick(rng, ["circle", "star", "tri"]), "x": 0.5, "y": 0.33, "r": 0.09})
        elif r < 0.65:
            pr.append({"logo": pick(rng, ["circle", "star"]), "x": 0.64, "y": 0.24, "r": 0.035})
    elif t in BOTTLES or t in ("jar", "tube"):
        word = pick(rng, LATIN_WORDS) if rng.random() < 0.6 or not HAVE_CJK else pick(rng, CJK_WORDS)
        sub = pick(rng, SUB_LINES)
        if not HAVE_CJK:
            sub = pick(rng, [s for s in SUB_LINES if not is_cjk(s)])
        if t in BOTTLES:
            pr += [
                {"text": word, "y": 0.62, "w": 0.78, "h": 0.075, "font": int(rng.integers(5)), "bold": True},
                {"text": sub, "y": 0.72, "w": 0.6, "h": 0.04, "font": int(rng.integers(5))},
            ]
        elif t == "jar":
            pr += [
                {"text": word, "y": 0.62, "w": 0.55, "h": 0.16, "font": int(rng.integers(5)), "bold": True},
                {"text": sub, "y": 0.82, "w": 0.4, "h": 0.09, "font": int(rng.integers(5))},
            ]
        else:
            pr += [
                {"text": word, "y": 0.35, "w": 0.8, "h": 0.06, "font": int(rng.integers(5)), "bold": True},
                {"text": sub, "y": 0.45, "w": 0.6, "h": 0.035, "font": int(rng.integers(5))},
            ]
    elif t in ("mug", "bag", "box"):
        if r < 0.7:
            word = pick(rng, LATIN_WORDS) if rng.random() < 0.6 or not HAVE_CJK else pick(rng, CJK_WORDS)
            if t == "mug":
                pr.append(
                    {
                        "text": word,
                        "x": 0.39,
                        "y": 0.52,
                        "w": 0.5,
                        "h": 0.16,
                        "font": int(rng.integers(5)),
                        "bold": True,
                    }
                )
            elif t == "bag":
                pr.append(
                    {"text": word, "y": 0.70, "w": 0.6, "h": 0.11, "font": int(rng.integers(5)), "bold": True}
                )
            else:
                pr.append(
                    {
                        "text": word,
                        "x": 0.36,
                        "y": 0.58,
                        "w": 0.58,
                        "h": 0.12,
                        "font": int(rng.integers(5)),
                        "bold": True,
                    }
                )
        if t == "bag" and rng.random() < 0.5:
            pr.append({"logo": pick(rng, ["circle", "star", "tri"]), "x": 0.5, "y": 0.52, "r": 0.08})
    return pr


def _ink_for(color):
    lum = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    return (245, 245, 245) if lum < 140 else (35, 35, 40)


def make_item(rng, t):
    it = {"type": t, "seed": int(rng.integers(1 << 30)), "shadow": float(rng.uniform(0.3, 0.55))}
    palette = [k for k in COLOURS if k not in ("white",)] + ["white", "white"]
    ck = pick(rng, palette)
    it["ckey"] = ck
    it["color"] = COLOURS[ck][0]
    if t in APPAREL and rng.random() < 0.3:
        it["pattern"] = pick(rng, ["hstripes", "vstripes", "check", "dots"])
        it["pcolor"] = (
            (245, 245, 245) if ck not in ("white", "beige", "mint", "yellow", "sky_blue") else (95, 40, 22)
        )
        it["period"] = float(rng.uniform(0.045, 0.09))
    if t in BOTTLES:
        it["cap_color"] = pick(rng, [(40, 40, 40), (230, 230, 230), (30, 160, 200), (180, 180, 185)])
        it["gloss"] = float(rng.uniform(0.3, 0.95))
        it["label"] = {
            "y0": 0.53,
            "y1": 0.79,
            "color": pick(rng, [(245, 245, 245), (235, 225, 205), (40, 40, 40), (120, 200, 240)]),
        }
        if t == "bottle":
            it["neck_h"] = float(rng.uniform(0.06, 0.2))
            it["neck_w"] = float(rng.uniform(0.28, 0.5))
            it["shoulder_h"] = float(rng.uniform(0.06, 0.18))
    if t in ("jar", "tube"):
        it["cap_color"] = pick(rng, [(200, 200, 205), (60, 60, 60), (120, 160, 200), (180, 200, 220)])
    if t == "mug":
        it["fill"] = pick(rng, [None, (30, 60, 110), (40, 90, 150)])
    if t == "watch":
        it["dial"] = pick(rng, [(240, 240, 240), (30, 30, 35), (120, 70, 20)])
        it["hands"] = _ink_for(it["dial"])
        it["metal"] = pick(rng, [(200, 200, 205), (90, 170, 210), (60, 60, 65)])
        it["time"] = (int(rng.integers(1, 12)), int(rng.integers(0, 60)))
    if t == "chair":
        it["cushion"] = pick(rng, [None, (60, 60, 200), (150, 150, 150), (60, 130, 60)])
    if t == "shoe":
        it["logo_color"] = pick(rng, [(245, 245, 245), (30, 30, 30), (30, 160, 240)])
    it["prints"] = make_prints(rng, t)
    if it.get("pattern"):
        it["prints"] = [p for p in it["prints"] if p.get("logo")]
    if t in BOTTLES:
        ink = _ink_for(it["label"]["color"])
        for p in it["prints"]:
            p["color"] = ink
    else:
        lab = it["color"]
        if t == "jar" or t == "tube":
            pass
        for p in it["prints"]:
            p["color"] = (
                _ink_for(lab)
                if not p.get("logo")
                else pick(rng, [_ink_for(lab), (40, 40, 210), (40, 190, 240)])
            )
            if it.get("pattern") and not p.get("logo"):
                p["color"] = (40, 40, 40) if _ink_for(lab)[0] > 128 else (250, 250, 250)
    return it


def fit_item(it, W, H, hfrac, wfrac=0.62):
    a = ASPECT[it["type"]]
    it["h"] = float(min(hfrac, wfrac * W / (a * H)))
    return it


PROP_COLOURS = {
    "plant": (60, 150, 50),
    "apple": (40, 40, 200),
    "orange": (20, 125, 240),
    "ball": (215, 100, 50),
    "vase": (180, 120, 60),
    "candle": (200, 225, 240),
    "giftbox": (40, 40, 200),
    "cup": (250, 250, 250),
    "lemon": (25, 212, 248),
}


def make_bases(seed):
    rng = np.random.default_rng(seed_of(seed, "bases"))
    bases = []
    mains = (
        ["tee", "shirt", "longsleeve", "tee"] * 4
        + ["bottle", "pump", "bottle"] * 5
        + ["shoe", "mug", "bag", "box", "jar", "tube", "watch", "chair"] * 3
        + ["shoe", "mug", "bag"]
    )
    bk = list(BACKDROP_KINDS)
    for i, t in enumerate(mains):
        W, H = _sizes(rng)
        kind = bk[(i * 7 + int(rng.integers(3))) % len(bk)]
        for _ in range(10):
            bg = random_backdrop(rng, kind)
            it = make_item(rng, t)
            if colour_dist(it["color"], bg_mean(bg)) > 80:
                break
        variant = "plain"
        r = rng.random()
        if r < 0.12:
            variant = "edge"
        elif r < 0.22:
            variant = "small"
        if variant == "small":
            fit_item(it, W, H, float(rng.uniform(0.25, 0.36)), 0.35)
        elif variant == "edge":
            fit_item(it, W, H, float(rng.uniform(0.85, 1.05)), 0.85)
        else:
            fit_item(it, W, H, float(rng.uniform(0.55, 0.8)))
        it["x"] = float(0.5 + rng.uniform(-0.05, 0.05))
        it["y"] = float(rng.uniform(0.88, 0.95))
        if variant == "edge":
            side = pick(rng, ["bottom", "left", "right", "bottom"])
            if side == "bottom":
                it["y"] = float(1.0 + it["h"] * rng.uniform(0.03, 0.12))
            else:
                bw = it["h"] * ASPECT[t] * H / W
                it["x"] = float(
                    (bw / 2 - bw * rng.uniform(0.04, 0.12))
                    if side == "left"
                    else 1 - bw / 2 + bw * rng.uniform(0.04, 0.12)
                )
        sc = {"W": W, "H": H, "bg": bg, "items": [it]}
        bases.append(
            {
                "name": f"b{i:02d}_{t}_{bg['type']}_{W}x{H}",
                "kind": "product",
                "main": t,
                "variant": variant,
                "bgkind": kind,
                "scene": sc,
            }
        )
    # drawn people (for clothes / face families)
    skins = [(150, 180, 225), (120, 150, 200), (90, 120, 170), (170, 195, 235), (70, 95, 140)]
    hairs = [(30, 40, 60), (20, 20, 25), (40, 90, 150), (90, 140, 190), (60, 60, 70)]
    for j in range(11):
        W, H = _sizes(rng)
        if W > H * 1.4:
            W = int(H * 1.33) // 2 * 2
        kind = pick(
            rng, ["studio_grey", "studio_colour", "gradient", "outdoor", "concrete", "nearwhite", "fabric"]
        )
        bg = random_backdrop(rng, kind)
        it = make_item(rng, "tee")
        it["type"] = "person"
        it["prints"] = [] if rng.random() < 0.6 else it["prints"]
        it["face"] = {
            "skin": pick(rng, skins),
            "hair": pick(rng, hairs),
            "hair_style": pick(rng, ["short", "long", "bun", "short", "long"]),
            "eye_dx": float(rng.uniform(0.065, 0.08)),
            "eye_size": float(rng.uniform(0.9, 1.1)),
            "iris": pick(rng, [(60, 70, 90), (120, 90, 40), (40, 50, 60)]),
            "mouth": pick(rng, ["smile", "flat", "smile"]),
            "brow": float(rng.uniform(0.8, 1.1)),
            "glasses": bool(rng.random() < 0.25),
            "beard": bool(rng.random() < 0.15),
            "face_w": float(rng.uniform(0.95, 1.05)),
        }
        it["h"] = float(min(0.98, 0.9 * W / (ASPECT["person"] * H)))
        it["x"], it["y"] = 0.5 + float(rng.uniform(-0.04, 0.04)), 1.0
        sc = {"W": W, "H": H, "bg": bg, "items": [it]}
        bases.append(
            {
                "name": f"p{j:02d}_person_{bg['type']}_{W}x{H}",
                "kind": "person",
                "main": "person",
                "variant": "plain",
                "bgkind": kind,
                "scene": sc,
            }
        )
    # real photos, each at two sizes
    for k, name in enumerate(available_photos()):
        ph = load_photo(name)
        h0, w0 = ph.shape[:2]
        sizes = (
            (512, 1024, 800)
            if name == "astronaut"
            else (int(rng.integers(560, 760)), int(rng.integers(900, 1300)), 720)
        )
        for v, long_side in enumerate(sizes):
            crop = None
            if v == 2:
                crop = [0.0, 0.0, 0.86, 0.92] if name == "astronaut" else [0.08, 0.06, 0.92, 0.94]
            cw, ch = (w0, h0) if crop is None else (w0 * (crop[2] - crop[0]), h0 * (crop[3] - crop[1]))
            s = long_side / max(ch, cw)
            W, H = int(round(cw * s)) // 2 * 2, int(round(ch * s)) // 2 * 2
            sc = {
                "W": W,
                "H": H,
                "bg": {"type": "photo", "name": name, "blur": 0, "seed": 0, "crop": crop},
                "items": [],
            }
            bases.append(
                {
                    "name": f"ph_{name.split('.')[0]}_{v}_{W}x{H}",
                    "kind": "photo",
                    "main": name.split(".")[0],
                    "variant": "photo",
                    "bgkind": "photo",
                    "scene": sc,
                }
            )
    return bases


# ----------------------------------------------------------------------------------------------
# instructions
# ----------------------------------------------------------------------------------------------


def say(rng, zh, en, mixed=(), **kw):
    """Pick a phrasing: zh templates get kw[k][0], en templates kw[k][1]; mixed gets the pair."""
    r = rng.random()
    if mixed and r < 0.16:
        t = pick(rng, list(mixed))
        return t.format(
            **{k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()},
            **{k + "_en": (v[1] if isinstance(v, tuple) else v) for k, v in kw.items()},
        )
    if r < 0.58:
        t = pick(rng, list(zh))
        return t.format(**{k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()})
    t = pick(rng, list(en))
    return t.format(**{k: (v[1] if isinstance(v, tuple) else v) for k, v in kw.items()})


def nm(rng, t):
    return (iname(t, rng, True), iname(t, rng, False))


def cn(rng, key):
    return (cname(key, rng, True), cname(key, rng, False))


def bgn(rng, key):
    z, e = BG_NAMES[key]
    return (pick(rng, z), pick(rng, e))


# ----------------------------------------------------------------------------------------------
# builders: a correct edit, rendered before/after (clean, before the VAE), with what was done
# ----------------------------------------------------------------------------------------------


class Edit(dict):
    __getattr__ = dict.__getitem__


def _main(base):
    return base["scene"]["items"][0] if base["scene"]["items"] else None


def _free_bands(sc):
    """Free horizontal bands (top / bottom) and side room, as fractions, from the item boxes."""
    W, H = sc["W"], sc["H"]
    top, bot, left, right = 1.0, 0.0, 1.0, 0.0
    for it in sc["items"]:
        x0, y0, bw, bh = item_box(it, W, H)
        top = min(top, y0 / H)
        bot = max(bot, (y0 + bh) / H)
        left = min(left, x0 / W)
        right = max(right, (x0 + bw) / W)
    return top, 1 - bot, left, 1 - right


def _contrast_ink(bgc):
    lum = 0.114 * bgc[0] + 0.587 * bgc[1] + 0.299 * bgc[2]
    return (25, 25, 30) if lum > 150 else (250, 250, 250)


def caption_spec(rng, sc, text, place=None, plate=None, hmax=0.1):
    """Where a catalog designer would put one line of copy; None if there is no room."""
    W, H = sc["W"], sc["H"]
    top, bot, left, right = _free_bands(sc) if sc["items"] else (1, 1, 1, 1)
    cands = []
    if top >= 0.14:
        cands.append(("top", top))
    if bot >= 0.12:
        cands.append(("bottom", bot))
    if not sc["items"]:
        cands = [("top", 0.3), ("bottom", 0.3)]
    side = None
    if not cands:
        if max(left, right) >= 0.24:
            side = "left" if left >= right else "right"
        else:
            return None
    if place is None and cands:
        place = pick(rng, cands)[0]
    elif place is not None and cands and place not in [c[0] for c in cands]:
        place = cands[0][0]
    band = dict(cands).get(place, 0.3) if cands else 0.3
    h = float(min(hmax, band * 0.55, rng.uniform(0.055, hmax)))
    if h * H < 16:
        h = 16.0 / H
        if h > band * 0.8 and cands:
            return None
    cap = {"text": text, "h": h, "w": 0.8, "font": int(rng.integers(5)), "bold": bool(rng.random() < 0.7)}
    if side:
        fr = left if side == "left" else right
        cap.update(
            {
                "x": fr / 2 if side == "left" else 1 - fr / 2,
                "y": float(rng.uniform(0.15, 0.3)),
                "w": fr * 0.85,
                "h": min(h, 0.07),
            }
        )
    else:
        cap["x"] = float(rng.uniform(0.42, 0.58))
        cap["y"] = band / 2 if place == "top" else 1 - band / 2
        if not sc["items"]:
            cap["y"] = float(rng.uniform(0.08, 0.14)) if place == "top" else float(rng.uniform(0.86, 0.92))
    # colour: against the local backdrop
    yy = int(cap["y"] * H)
    x_c = int(cap["x"] * W)
    loc = (
        bg_render(sc["bg"], W, H)[max(0, yy - 5) : yy + 5, max(0, x_c - 40) : x_c + 40].reshape(-1, 3).mean(0)
    )
    if plate is None:
        plate = rng.random() < 0.45 or sc["bg"]["type"] in ("photo", "wood", "outdoor", "concrete")
    if plate:
        pc = pick(rng, [(40, 40, 210), (25, 25, 25), (250, 250, 250), (30, 200, 250), (120, 60, 20)])
        cap["plate"] = pc
        cap["color"] = _contrast_ink(pc) if pc != (30, 200, 250) else (20, 20, 20)
        cap["h"] = min(cap["h"], 0.08)
    else:
        cap["color"] = _contrast_ink(loc) if rng.random() < 0.7 else pick(rng, [(40, 40, 200), (120, 60, 20)])
        if colour_dist(cap["color"], loc) < 120:
            cap["color"] = _contrast_ink(loc)
    return cap


def _two_scenes(base):
    sc0 = copy.deepcopy(base["scene"])
    return sc0, copy.deepcopy(sc0)


def _done(sc0, sc1, instr, **kw):
    b, i0 = render(sc0)
    a, i1 = render(sc1)
    e = Edit(before=b, after=a, instr=instr, sc0=sc0, sc1=sc1, info0=i0, info1=i1)
    e.update(kw)
    return e


BG_CHOICES = [
    "white",
    "white",
    "white",
    "lightgrey",
    "black",
    "pink",
    "blue",
    "beige",
    "mint",
    "yellow",
    "wood",
    "marble",
    "concrete",
    "outdoor",
    "gradient",
    "royal_blue",
]
BG_ZH = [
    "把背景换成{bg}",
    "背景改为{bg}",
    "请将背景替换为{bg}，商品保持不变",
    "换成{bg}背景",
    "帮我把这张图的背景换成{bg}，其他别动",
    "去掉原来的背景，换成{bg}",
    "背景换{bg}的",
    "麻烦把{item}的背景改成{bg}",
]
BG_EN = [
    "Replace the background with {bg}.",
    "change the background to {bg}",
    "Could you swap the backdrop for {bg}? Keep the {item} exactly as it is.",
    "Put the {item} on a {bg} background",
    "make the background {bg}",
    "Please remove the current background and use {bg} instead.",
    "bg -> {bg}, don't touch the product",
]
BG_MIX = [
    "背景换成 {bg_en}",
    "change 背景 to {bg}",
    "把 background 改成{bg}",
    "{item}的背景 change to {bg_en}",
]


def bld_background(rng, base, target=None, choices=BG_CHOICES, min_change=45.0):
    if base["kind"] not in ("product", "person"):
        return None
    sc0, sc1 = _two_scenes(base)
    it = sc0["items"][0]
    cur = bg_mean(sc0["bg"])
    for _ in range(20):
        key = target or pick(rng, choices)
        spec = bg_target_spec(key, rng)
        m = bg_mean(spec)
        if colour_dist(m, cur) > min_change and colour_dist(m, it["color"]) > 70:
            break
        if target:
            return None
    else:
        return None
    sc1["bg"] = spec
    sc1["shadow_k"] = float(pick(rng, [0.0, 0.5, 0.8, 1.0]))
    instr = say(rng, BG_ZH, BG_EN, BG_MIX, bg=bgn(rng, key), item=nm(rng, it["type"]))
    return _done(sc0, sc1, instr, target=key)


RC_ZH = [
    "把{item}改成{c}",
    "{item}换成{c}",
    "请把{item}的颜色改为{c}，其他保持不变",
    "将{item}的颜色调成{c}",
    "{item}改{c}",
    "帮忙把图里的{item}换个颜色，{c}",
]
RC_EN = [
    "Change the {item} to {c}.",
    "recolor the {item} {c}",
    "Could you make the {item} {c}?",
    "Please change the colour of the {item} to {c}, nothing else.",
    "make the {item} {c} instead",
    "{c} {item} please",
]
RC_MIX = ["把{item} recolor 成 {c_en}", "{item}改成 {c_en}", "change the {item_en} to {c}"]
RECOLOURABLE = APPAREL + BOTTLES + ("mug", "bag", "shoe", "box", "jar", "tube", "watch", "chair", "person")


def recolour_name(rng, t):
    if t in BOTTLES:
        return pick(rng, [("瓶身", "bottle body"), ("瓶子", "bottle"), (iname(t, rng), iname(t, rng, False))])
    if t == "watch":
        return ("表带", pick(rng, ["watch strap", "strap"]))
    if t == "person":
        return pick(rng, [("模特的上衣", "model's top"), ("衣服", "top"), ("人物的T恤", "person's T-shirt")])
    if t == "jar":
        return ("罐身", "jar")
    if t == "shoe":
        return pick(rng, [("鞋面", "shoe upper"), ("鞋子", "sneaker")])
    return nm(rng, t)


def _lum(c):
    return 0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2]


def pick_colour(rng, avoid, bgc, min_d=110.0, pool=RECOLOUR_TARGETS, keep_contrast=()):
    """A clearly different colour that still contrasts with the backdrop and with the item's own
    prints / pattern colour (so printed words stay legible after the recolour)."""
    for _ in range(40):
        k = pick(rng, pool)
        c = COLOURS[k][0]
        if (
            colour_dist(c, avoid) > min_d
            and colour_dist(c, bgc) > 70
            and all(abs(_lum(c) - _lum(q)) > 70 or colour_dist(c, q) > 150 for q in keep_contrast)
        ):
            return k
    return None


def print_inks(it):
    """Colours printed directly on the item's body (not on a separate label)."""
    if it["type"] in BOTTLES:
        return ()
    inks = [tuple(p["color"]) for p in it.get("prints", []) if "color" in p]
    if it.get("pattern"):
        inks.append(tuple(it.get("pcolor", (245, 245, 245))))
    return tuple(inks)


def bld_recolour(rng, base, types=RECOLOURABLE, target=None, pool=RECOLOUR_TARGETS):
    it0 = _main(base)
    if it0 is None or it0["type"] not in types:
        return None
    sc0, sc1 = _two_scenes(base)
    it = sc1["items"][0]
    key = target or pick_colour(rng, it["color"], bg_mean(sc0["bg"]), pool=pool, keep_contrast=print_inks(it))
    if key is None:
        return None
    if target and colour_dist(COLOURS[key][0], it["color"]) < 100:
        return None
    it["color"] = COLOURS[key][0]
    it["ckey"] = key
    instr = say(rng, RC_ZH, RC_EN, RC_MIX, item=recolour_name(rng, it["type"]), c=cn(rng, key))
    return _done(sc0, sc1, instr, target=key)


TX_ZH = [
    "把文字{old}改成{new}",
    "将{old}替换为{new}",
    "请把图上的{old}换成{new}，字体和位置不变",
    "文案改成{new}",
    "把{where}的字改为{new}",
    "{old}→{new}",
]
TX_EN = [
    "Change the text {old} to {new}.",
    "replace {old} with {new}",
    "Could you update the wording to {new}?",
    "Please swap the {where} text for {new}, same font and position.",
    "edit the text: {old} -> {new}",
    "make it say {new} instead of {old}",
]
TX_MIX = ["把 text {old} 改成 {new}", "文字 change to {new}", "replace {old} 为 {new}"]


def _text_slots(sc):
    """Readable words on the picture: ("cap", i) captions and ("print", j) product prints."""
    slots = []
    for i, c in enumerate(sc.get("captions", [])):
        slots.append(("cap", i))
    if sc["items"]:
        it = sc["items"][0]
        _, _, bw, bh = item_box(it, sc["W"], sc["H"])
        for j, p in enumerate(it.get("prints", [])):
            if "text" in p and p.get("h", 0.08) * bh >= 20 and len(p["text"]) >= 2 and not it.get("pattern"):
                slots.append(("print", j))
    return slots


def get_slot(sc, slot):
    return sc["captions"][slot[1]] if slot[0] == "cap" else sc["items"][0]["prints"][slot[1]]


def _new_word(rng, old):
    if is_cjk(old) and HAVE_CJK:
        pool = [w for w in CJK_WORDS + ["新品", "特惠", "热卖", "优选", "臻选", "经典"] if w != old]
    else:
        pool = [w for w in LATIN_WORDS + ["NEW", "BEST", "CLASSIC", "FRESH", "PRIME", "GOLD"] if w != old]
        if old.isupper() is False and not old.isupper():
            pool = [w.title() for w in pool]
    return pick(rng, pool)


def ensure_caption(rng, sc, text=None, **kw):
    if text is None:
        text = pick(rng, [o for o, n in PROMO_PAIRS if HAVE_CJK or not is_cjk(o)])
    cap = caption_spec(rng, sc, text, **kw)
    if cap is None:
        return None
    sc.setdefault("captions", []).append(cap)
    return ("cap", len(sc["captions"]) - 1)


def bld_text_replace(rng, base, prefer=None):
    if base["kind"] == "person":
        return None
    sc0 = copy.deepcopy(base["scene"])
    slots = _text_slots(sc0)
    use_print = slots and (prefer == "print" or (prefer is None and rng.random() < 0.5))
    if use_print:
        slot = pick(rng, [s for s in slots if s[0] == "print"] or slots)
        old = get_slot(sc0, slot)["text"]
        new = _new_word(rng, old)
        if len(new) > len(old) + 3:
            new = new[: len(old) + 2]
    else:
        pair = pick(rng, [p for p in PROMO_PAIRS if HAVE_CJK or not is_cjk(p[0] + p[1])])
        slot = ensure_caption(rng, sc0, pair[0])
        if slot is None:
            return None
        old, new = pair
        if rng.random() < 0.5:
            old, new = pair[0], pair[1]
    sc1 = copy.deepcopy(sc0)
    get_slot(sc1, slot)["text"] = new
    where = "标签上" if slot[0] == "print" else pick(rng, ["顶部", "图上", "横幅上"])
    instr = say(
        rng,
        TX_ZH,
        TX_EN,
        TX_MIX,
        old=quote(rng, old),
        new=quote(rng, new),
        where=(where, "label" if slot[0] == "print" else "banner"),
    )
    return _done(sc0, sc1, instr, slot=slot, old=old, new=new)


ADD_ZH = [
    "在{pos}加上文字{t}",
    "加一行字{t}，放在{pos}",
    "请在图片{pos}添加{t}字样",
    "{pos}写上{t}",
    "给图片加上文案{t}",
]
ADD_EN = [
    "Add the text {t} at the {pos}.",
    "put {t} on the {pos} of the image",
    "Could you add a caption {t}?",
    "please write {t} in the {pos} area",
    "add text: {t}",
]
ADD_MIX = ["在{pos}加 text {t}", "add 文字 {t} 在{pos}"]


def bld_text_add(rng, base, text=None):
    if base["kind"] == "person":
        return None
    sc0 = copy.deepcopy(base["scene"])
    sc1 = copy.deepcopy(sc0)
    text = text or pick(rng, [t for t in ADD_TEXTS if HAVE_CJK or not is_cjk(t)])
    slot = ensure_caption(rng, sc1, text)
    if slot is None:
        return None
    cap = get_slot(sc1, slot)
    pos = ("顶部", "top") if cap["y"] < 0.5 else ("底部", "bottom")
    instr = say(rng, ADD_ZH, ADD_EN, ADD_MIX, t=quote(rng, text), pos=pos)
    return _done(sc0, sc1, instr, slot=slot, new=text)


TR_ZH = [
    "把{old}翻译成英文",
    "将图中的{old}改成英文",
    "文字翻译成中文",
    "把标语翻译成{lang}",
    "请把{old}译成{lang}，样式不变",
]
TR_EN = [
    "Translate {old} into {lang_en}.",
    "translate the text on the image to {lang_en}",
    "Could you change the Chinese copy to English?",
    "please make the banner {lang_en}, same style",
    "translate the caption ({old}) to {lang_en}",
]


def bld_translate(rng, base):
    if base["kind"] == "person" or not HAVE_CJK:
        return None
    sc0 = copy.deepcopy(base["scene"])
    src, dst = pick(rng, TRANSLATIONS)
    slot = ensure_caption(rng, sc0, src)
    if slot is None:
        return None
    sc1 = copy.deepcopy(sc0)
    get_slot(sc1, slot)["text"] = dst
    to_en = not is_cjk(dst)
    lang = ("英文", "English") if to_en else ("中文", "Chinese")
    zh = [t for t in TR_ZH if ("英文" in t) == to_en or "{lang}" in t]
    en = [t for t in TR_EN if ("English" in t and "Chinese copy" in t) == False or to_en]
    if not to_en:
        zh = [t for t in zh if "英文" not in t]
        en = [t for t in en if "Chinese copy" not in t]
    instr = say(rng, zh, en, (), old=quote(rng, src), lang=lang, lang_en=lang[1])
    return _done(sc0, sc1, instr, slot=slot, old=src, new=dst)


WM_ZH = [
    "去掉水印",
    "请移除图片上的水印",
    "把{wm}水印去掉",
    "去除图片中的半透明水印，画面其他部分不要变",
    "帮我清除水印",
]
WM_EN = [
    "Remove the watermark.",
    "please get rid of the {wm} watermark",
    "Could you clean off the watermark?",
    "remove the semi-transparent text overlay ({wm})",
    "erase watermark, keep everything else",
]
WM_MIX = ["去掉 watermark", "remove 水印 please", "把 watermark {wm} 去掉"]


def add_watermark(rng, sc, thin=None):
    text = pick(rng, [t for t in WM_TEXTS if HAVE_CJK or not is_cjk(t)])
    mode = pick(rng, ["tile", "tile", "center", "corner"])
    wm = {
        "text": text,
        "mode": mode,
        "alpha": float(rng.uniform(0.22, 0.38)),
        "angle": float(rng.uniform(20, 40)) * pick(rng, [1, -1]),
        "color": pick(rng, [(255, 255, 255), (255, 255, 255), (128, 128, 128), (30, 30, 30)]),
        "h": float(rng.uniform(0.04, 0.07)) if mode != "center" else float(rng.uniform(0.09, 0.14)),
        "font": int(rng.integers(5)),
        "thin": bool(rng.random() < 0.5 if thin is None else thin),
        "x": float(rng.uniform(0.7, 0.85)),
        "y": float(rng.uniform(0.9, 0.95)),
    }
    bgc = bg_mean(sc["bg"])
    if colour_dist(wm["color"], bgc) < 60:
        wm["color"] = (30, 30, 30) if bgc.mean() > 128 else (255, 255, 255)
    sc["watermark"] = wm
    return wm


def bld_watermark(rng, base):
    sc0 = copy.deepcopy(base["scene"])
    wm = add_watermark(rng, sc0)
    sc1 = copy.deepcopy(sc0)
    sc1["watermark"] = None
    instr = say(rng, WM_ZH, WM_EN, WM_MIX, wm=quote(rng, wm["text"]))
    return _done(sc0, sc1, instr, wm=wm)


def layout_prop(rng, sc, side, ptype, hfrac=None, color=None):
    """Move / shrink the main item so a prop fits on `side`; append the prop. False if impossible."""
    W, H = sc["W"], sc["H"]
    it = sc["items"][0]
    a = ASPECT[it["type"]]
    it["y"] = float(min(it["y"], 0.95))
    it["h"] = float(min(it["h"], it["y"] - 0.04))
    main_w = it["h"] * H * a / W
    ph = float(hfrac or rng.uniform(0.22, 0.34))
    ph = min(ph, it["h"] * 0.8, 0.8)
    pw = ph * H * ASPECT[ptype] / W
    if pw > 0.32:
        ph *= 0.32 / pw
        pw = 0.32
    gap = 0.05
    if main_w + pw + gap > 0.9:
        s = (0.9 - pw - gap) / main_w
        if s < 0.45:
            return False
        it["h"] *= s
        main_w *= s
    total = main_w + gap + pw
    left0 = 0.5 - total / 2
    if side == "left":
        px = left0 + pw / 2
        it["x"] = float(left0 + pw + gap + main_w / 2)
    else:
        it["x"] = float(left0 + main_w / 2)
        px = left0 + main_w + gap + pw / 2
    prop = {
        "type": ptype,
        "x": float(px),
        "y": it["y"] - float(rng.uniform(0, 0.02)),
        "h": float(ph),
        "color": color or PROP_COLOURS[ptype],
        "seed": int(rng.integers(1 << 30)),
        "shadow": it.get("shadow", 0.4),
        "prints": [],
    }
    if ptype == "plant":
        prop["pot_color"] = pick(rng, [(70, 110, 190), (230, 230, 230), (60, 60, 60)])
    sc["items"].append(prop)
    return True


SIDE = {"left": ("左边", "left"), "right": ("右边", "right")}
RM_ZH = [
    "把{side}的{obj}去掉",
    "删除{side}的{obj}",
    "请移除画面{side}的{obj}，只保留{item}",
    "去掉{obj}",
    "不要{side}那个{obj}",
]
RM_EN = [
    "Remove the {obj} on the {side}.",
    "delete the {obj}",
    "Could you take out the {obj} next to the {item}?",
    "please erase the {obj} on the {side} side, keep the {item}",
    "get rid of the {obj}",
]
RM_MIX = ["把{side}的 {obj_en} 去掉", "remove {side_en}边的{obj}"]


def prop_choice(rng, sc, avoid=()):
    bgc = bg_mean(sc["bg"])
    for _ in range(20):
        p = pick(rng, [x for x in PROPS if x not in avoid])
        if (
            colour_dist(PROP_COLOURS[p], bgc) > 80
            and colour_dist(PROP_COLOURS[p], sc["items"][0]["color"]) > 60
        ):
            return p
    return None


def bld_remove_prop(rng, base):
    if base["kind"] != "product":
        return None
    sc0 = copy.deepcopy(base["scene"])
    p = prop_choice(rng, sc0)
    side = pick(rng, ["left", "right"])
    if p is None or not layout_prop(rng, sc0, side, p):
        return None
    sc1 = copy.deepcopy(sc0)
    sc1["items"] = sc1["items"][:1]
    instr = say(
        rng, RM_ZH, RM_EN, RM_MIX, side=SIDE[side], obj=nm(rng, p), item=nm(rng, sc0["items"][0]["type"])
    )
    return _done(sc0, sc1, instr, prop=p, side=side)


AD_ZH = [
    "在{item}{side}加一个{obj}",
    "{side}放一个{obj}做点缀",
    "请在画面{side}添加一个{obj}，不要遮挡{item}",
    "加个{obj}在旁边（{side}）",
]
AD_EN = [
    "Add a {obj} to the {side} of the {item}.",
    "put a small {obj} on the {side}",
    "Could you place a {obj} next to the {item}, on the {side}?",
    "add {obj} as a prop, {side} side",
]
AD_MIX = ["在{side}加一个 {obj_en}", "add 一个{obj} on the {side_en}"]


def bld_add_prop(rng, base):
    if base["kind"] != "product":
        return None
    sc0 = copy.deepcopy(base["scene"])
    p = prop_choice(rng, sc0)
    side = pick(rng, ["left", "right"])
    if p is None or not layout_prop(rng, sc0, side, p):
        return None
    sc1 = copy.deepcopy(sc0)
    sc0["items"] = sc0["items"][:1]
    instr = say(
        rng, AD_ZH, AD_EN, AD_MIX, side=SIDE[side], obj=nm(rng, p), item=nm(rng, sc0["items"][0]["type"])
    )
    return _done(sc0, sc1, instr, prop=p, side=side)


RP_ZH = [
    "把{old}换成{new}",
    "将{side}的{old}替换成{new}",
    "请把旁边的{old}改成一个{new}",
    "{old}换成{new}，其他不变",
]
RP_EN = [
    "Replace the {old} with a {new}.",
    "swap the {old} on the {side} for a {new}",
    "Could you change the {old} into a {new}?",
    "replace {old} -> {new}, keep the rest",
]
RP_MIX = ["把{old} replace 成 {new_en}", "swap 左右的 {old_en} for {new}"]


def bld_replace_prop(rng, base):
    if base["kind"] != "product":
        return None
    sc0 = copy.deepcopy(base["scene"])
    p = prop_choice(rng, sc0)
    side = pick(rng, ["left", "right"])
    if p is None or not layout_prop(rng, sc0, side, p):
        return None
    q = prop_choice(rng, sc0, avoid=(p,))
    if q is None:
        return None
    sc1 = copy.deepcopy(sc0)
    pr = sc1["items"][1]
    pr["type"] = q
    pr["color"] = PROP_COLOURS[q]
    # keep the footprint similar
    pr["h"] = float(min(pr["h"] * ASPECT[p] / ASPECT[q], pr["h"] * 1.3)) if ASPECT[q] > ASPECT[p] else pr["h"]
    instr = say(rng, RP_ZH, RP_EN, RP_MIX, side=SIDE[side], old=nm(rng, p), new=nm(rng, q))
    return _done(sc0, sc1, instr, prop=p, new_prop=q, side=side)


STYLES = {
    "warm": (
        ["调成暖色调", "整体色调改暖一点", "加一点暖色滤镜"],
        ["give it a warm tone", "make the colours warmer", "apply a warm golden-hour grade"],
    ),
    "cool": (
        ["调成冷色调", "整体偏冷一点，清爽的感觉"],
        ["apply a cool, crisp colour grade", "make it cooler in tone"],
    ),
    "bw": (["改成黑白照片", "转成黑白风格"], ["make it black and white", "convert to monochrome"]),
    "vintage": (
        ["做成复古胶片风格", "加复古滤镜"],
        ["apply a vintage film look", "give it a retro film style"],
    ),
    "contrast": (
        ["提高对比度，让画面更通透", "加强对比"],
        ["boost the contrast, punchier look", "increase contrast"],
    ),
    "soft": (
        ["做成柔和的淡雅风格", "降低饱和度，淡雅一点"],
        ["make it soft and pastel", "desaturate it a bit, airy look"],
    ),
}


def apply_style(img, kind, rng, k=1.0):
    x = img.astype(np.float32)
    if kind == "warm":
        x = x * np.array([0.86, 0.98, 1.10], np.float32) + np.array([0, 4, 10], np.float32)
    elif kind == "cool":
        x = x * np.array([1.10, 1.0, 0.88], np.float32) + np.array([8, 2, 0], np.float32)
    elif kind == "bw":
        g = x @ np.array([0.114, 0.587, 0.299], np.float32)
        x = np.repeat(g[..., None], 3, axis=2)
    elif kind == "vintage":
        kern = np.array([[0.131, 0.534, 0.272], [0.168, 0.686, 0.349], [0.189, 0.769, 0.393]], np.float32)
        x = x @ kern.T
        x = x * 0.85 + 25
        H, W = x.shape[:2]
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        v = 1 - 0.35 * (((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2) / 0.5)
        x = x * v[..., None]
    elif kind == "contrast":
        x = (x - 128) * 1.35 + 128
    elif kind == "soft":
        g = x.mean(axis=2, keepdims=True)
        x = g + (x - g) * 0.45
        x = x * 0.85 + 40
    if k != 1.0:
        x = img.astype(np.float32) * (1 - k) + x * k
    return u8(x)


def bld_style(rng, base):
    sc0 = copy.deepcopy(base["scene"])
    kind = pick(rng, list(STYLES))
    b, i0 = render(sc0)
    a = apply_style(b, kind, rng)
    z, e = STYLES[kind]
    instr = say(rng, z, e, ("整体 " + e[0], "请" + z[0] + ", keep the product as is"))
    return Edit(
        before=b,
        after=a,
        instr=instr,
        sc0=sc0,
        sc1=sc0,
        info0=i0,
        info1=i0,
        style=kind,
        post=lambda img: apply_style(img, kind, rng),
    )


BL_ZH = ["把背景虚化", "背景模糊一点，突出{item}", "请做背景虚化效果，{item}保持清晰", "给背景加景深虚化"]
BL_EN = [
    "Blur the background.",
    "add a shallow depth-of-field blur behind the {item}",
    "Could you blur the backdrop so the {item} pops? Keep it sharp.",
    "soften the background, bokeh style",
]
BL_MIX = ["背景 blur 一下", "blur 背景，{item}保持清晰"]


def bld_blur(rng, base, textured_only=False):
    if base["kind"] not in ("product", "person"):
        return None
    if base["scene"]["bg"]["type"] not in ("wood", "fabric", "marble", "concrete", "outdoor", "photo"):
        return None
    if textured_only and base["scene"]["bg"]["type"] == "outdoor":
        return None
    sc0, sc1 = _two_scenes(base)
    sc1["bg"]["post_blur"] = float(rng.uniform(5, 10))
    instr = say(rng, BL_ZH, BL_EN, BL_MIX, item=nm(rng, sc0["items"][0]["type"]))
    return _done(sc0, sc1, instr)


CL_ZH = [
    "给模特换一件{c}的{g}",
    "把模特的衣服换成{c}{g}",
    "衣服改成{c}的{g}，人脸不要变",
    "请帮模特换成{c}{g}",
]
CL_EN = [
    "Change the model's top to a {c} {g}.",
    "dress the person in a {c} {g}",
    "Could you swap her/his clothes for a {c} {g}? Keep the face the same.",
    "put the model in a {c} {g}",
]
CL_MIX = ["给模特换 {c_en} {g_en}", "change 衣服 to {c}{g}"]


def bld_clothes(rng, base):
    if base["kind"] != "person":
        return None
    sc0, sc1 = _two_scenes(base)
    it = sc1["items"][0]
    key = pick_colour(
        rng, it["color"], bg_mean(sc0["bg"]), keep_contrast=[p["color"] for p in it.get("prints", [])]
    )
    if key is None:
        return None
    it["color"] = COLOURS[key][0]
    g = ("T恤", "T-shirt")
    r = rng.random()
    if r < 0.3:
        it["pattern"] = pick(rng, ["hstripes", "vstripes"])
        it["pcolor"] = (245, 245, 245) if key not in ("yellow", "mint", "sky_blue") else (60, 40, 30)
        it["period"] = float(rng.uniform(0.04, 0.07))
        g = ("条纹T恤", "striped tee")
    else:
        it["pattern"] = None
        it["prints"] = []
        if r < 0.55:
            g = ("卫衣", "sweatshirt")
    instr = say(rng, CL_ZH, CL_EN, CL_MIX, c=cn(rng, key), g=g)
    return _done(sc0, sc1, instr, target=key)


# ----------------------------------------------------------------------------------------------
# family helpers
# ----------------------------------------------------------------------------------------------

FAMILIES = []


def family(name, action, expect):
    def deco(fn):
        FAMILIES.append({"name": PREFIX + name, "action": action, "expect": expect, "fn": fn})
        return fn

    return deco


def good(e, rng):
    if e is None:
        return None
    return e.before, vae(e.after, rng), e.instr


def is_type(base, types):
    it = _main(base)
    return it is not None and it["type"] in types


def near_white(spec):
    return float(bg_mean(spec).min()) > 232


def main_alpha(e, which=0, idx=0):
    info = e.info0 if which == 0 else e.info1
    return info["alphas"][idx]


def feather(m, sigma):
    return np.clip(gblur(m.astype(np.float32), sigma), 0, 1)


def dilate(m, r):
    r = max(1, int(r))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(m.astype(np.float32), k)


def corner_region(rng, W, H):
    m = np.zeros((H, W), np.uint8)
    n = int(rng.integers(1, 3))
    corners = [(0, 0), (W, 0), (0, H), (W, H)]
    order = rng.permutation(4)[:n]
    for k in order:
        cx, cy = corners[k]
        r = rng.uniform(0.28, 0.42) * min(W, H)
        ellipse_u8(H, W, cx, cy, r * rng.uniform(1.0, 1.4), r, m=m)
    return m.astype(np.float32) / 255


def strip_region(rng, W, H):
    m = np.zeros((H, W), np.float32)
    side = pick(rng, ["left", "right", "top", "bottom"])
    f = rng.uniform(0.12, 0.22)
    wob = lowfreq(rng, H, W, 4) * 0.03
    X = np.linspace(0, 1, W, dtype=np.float32)[None, :] + wob
    Y = np.linspace(0, 1, H, dtype=np.float32)[:, None] + wob
    if side == "left":
        m = (X < f).astype(np.float32)
    elif side == "right":
        m = (X > 1 - f).astype(np.float32)
    elif side == "top":
        m = (Y < f).astype(np.float32)
    else:
        m = (Y > 1 - f).astype(np.float32)
    return m


def blob_region(rng, W, H, avoid):
    n = lowfreq(rng, H, W, 3)
    thr = np.quantile(n[avoid < 0.05], 0.7) if (avoid < 0.05).any() else 0.5
    m = (n > thr).astype(np.float32) * (avoid < 0.05)
    return m


# ----------------------------------------------------------------------------------------------
# group 1: shirts and bottles, request-matched edits (good and bad)
# ----------------------------------------------------------------------------------------------

AB = APPAREL + BOTTLES


@family("bg_white_shirt_bottle_good", "background", "publish")
def f_bg_white_ab(rng, base):
    if not is_type(base, AB) or near_white(base["scene"]["bg"]):
        return None
    return good(bld_background(rng, base, target="white"), rng)


@family("bg_nearwhite_to_white_good", "background", "publish")
def f_bg_nearwhite(rng, base):
    if base["kind"] != "product":
        return None
    base = copy.deepcopy(base)
    base["scene"]["bg"] = random_backdrop(rng, "nearwhite")
    if colour_dist(_main(base)["color"], (250, 250, 250)) < 90:
        return None
    return good(bld_background(rng, base, target="white", min_change=0.0), rng)


@family("bg_partial_old_backdrop_bad", "background", "review")
def f_bg_partial(rng, base):
    if not is_type(base, AB):
        return None
    e = bld_background(
        rng, base, choices=["white", "white", "black", "pink", "blue", "mint", "lightgrey"], min_change=70.0
    )
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    mode = pick(rng, ["corners", "strip", "blob"])
    prod = e.info0["alphas"][0]
    reg = (
        corner_region(rng, W, H)
        if mode == "corners"
        else strip_region(rng, W, H)
        if mode == "strip"
        else blob_region(rng, W, H, dilate(prod, 0.03 * min(W, H)))
    )
    reg = feather(reg, 0.012 * min(W, H)) * (1 - prod)
    if (reg > 0.5).mean() < 0.04:
        reg = np.maximum(reg, feather(strip_region(rng, W, H), 0.01 * min(W, H)) * (1 - prod))
    after = u8(blend(e.after, e.before, reg))
    return e.before, vae(after, rng), e.instr


BG_NEAR = {
    "white": [(205, 225, 240), (212, 212, 212), (238, 222, 205), (198, 232, 244), (222, 222, 228)],
    "black": [(72, 72, 72), (62, 38, 22), (55, 60, 75)],
    "royal_blue": [(95, 40, 22), (235, 195, 125), (200, 140, 90)],
    "pink": [(190, 215, 250), (235, 200, 215), (170, 150, 245)],
    "lightgrey": [(200, 222, 238), (178, 178, 178), (240, 225, 210)],
    "blue": [(205, 238, 200), (240, 205, 215), (200, 170, 120)],
    "mint": [(230, 230, 185), (170, 225, 215), (150, 210, 120)],
    "beige": [(245, 245, 245), (160, 190, 215), (205, 205, 200)],
}


@family("bg_nearmiss_colour_bad", "background", "review")
def f_bg_nearmiss(rng, base):
    if base["kind"] != "product":
        return None
    key = pick(
        rng, ["white", "white", "white", "black", "royal_blue", "pink", "lightgrey", "blue", "mint", "beige"]
    )
    e = bld_background(rng, base, target=key, min_change=0.0)
    if e is None:
        return None
    wrong = pick(rng, BG_NEAR[key])
    if colour_dist(wrong, _main(base)["color"]) < 60 or colour_dist(wrong, bg_mean(e.sc0["bg"])) < 25:
        return None
    sc2 = copy.deepcopy(e.sc1)
    sc2["bg"] = {"type": "solid", "c": wrong, "flat": True, "seed": 0}
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


def _ensure_print(rng, sc):
    it = sc["items"][0]
    if any("text" in p for p in it.get("prints", [])):
        return
    it["prints"] = make_prints(np.random.default_rng(int(rng.integers(1 << 30))), it["type"])
    tries = 0
    while not any("text" in p for p in it["prints"]) and tries < 10:
        it["prints"] = make_prints(np.random.default_rng(int(rng.integers(1 << 30))), it["type"])
        tries += 1
    ink = _ink_for(it["label"]["color"]) if it.get("label") else _ink_for(it["color"])
    for p in it["prints"]:
        p["color"] = ink


@family("bg_product_print_changed_bad", "background", "review")
def f_bg_print_changed(rng, base):
    if not is_type(base, AB + ("mug", "bag", "box", "jar", "tube")):
        return None
    base = copy.deepcopy(base)
    _ensure_print(rng, base["scene"])
    e = bld_background(rng, base, min_change=50.0)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    prs = sc2["items"][0]["prints"]
    txt = [p for p in prs if "text" in p]
    if not txt:
        return None
    mode = pick(rng, ["garble", "garble", "word", "drop"])
    tgt = max(txt, key=lambda p: p.get("h", 0))
    if mode == "garble":
        tgt["garble"] = int(rng.integers(1 << 30))
    elif mode == "word":
        tgt["text"] = _new_word(rng, tgt["text"])
    else:
        prs.remove(tgt)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("bg_product_altered_bad", "background", "review")
def f_bg_product_altered(rng, base):
    if base["kind"] != "product":
        return None
    e = bld_background(rng, base, min_change=50.0)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    it = sc2["items"][0]
    mode = pick(rng, ["shrink", "grow", "shift", "stretch", "colour", "shape"])
    if mode == "shrink":
        it["h"] *= float(rng.uniform(0.74, 0.86))
    elif mode == "grow":
        it["h"] *= float(rng.uniform(1.12, 1.2))
    elif mode == "shift":
        it["x"] += float(rng.uniform(0.07, 0.12)) * pick(rng, [-1, 1])
    elif mode == "stretch":
        it["stretch"] = float(pick(rng, [rng.uniform(0.75, 0.85), rng.uniform(1.18, 1.3)]))
    elif mode == "colour":
        nmiss = NEAR_MISS.get(it.get("ckey"), [(40, 40, 200)])
        it["color"] = pick(rng, nmiss)
        if colour_dist(it["color"], e.sc0["items"][0]["color"]) < 70:
            it["color"] = tuple(int(255 - c) for c in it["color"])
    else:
        t = it["type"]
        if t == "tee":
            it["type"] = "longsleeve"
        elif t in ("longsleeve", "shirt"):
            it["type"] = "tee"
        elif t == "bottle":
            it["neck_h"] = float(it.get("neck_h", 0.12) + 0.12)
            it["neck_w"] = 0.6 if it.get("neck_w", 0.34) < 0.4 else 0.25
        elif t == "pump":
            it["type"] = "bottle"
        elif t == "mug":
            it["stretch"] = 1.3
        elif t == "box":
            it["stretch"] = 1.35
        else:
            it["h"] *= 0.8
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("recolour_shirt_bottle_good", "recolour", "publish")
def f_recolour_ab(rng, base):
    if not is_type(base, AB):
        return None
    return good(bld_recolour(rng, base), rng)


def _ensure_pattern(rng, it):
    if not it.get("pattern"):
        it["pattern"] = pick(rng, ["hstripes", "vstripes", "check", "dots"])
        it["period"] = float(rng.uniform(0.045, 0.09))
        it["pcolor"] = (245, 245, 245)
    if colour_dist(it["pcolor"], it["color"]) < 90:
        it["color"] = COLOURS[pick(rng, ["navy", "red", "green", "black", "burgundy"])][0]


PAT_ZH = [
    "把{item}的底色改成{c}，条纹保留",
    "{item}换成{c}，图案不要变",
    "请将{item}改为{c}",
    "条纹{item}改成{c}的",
]
PAT_EN = [
    "Change the {item} to {c} but keep the stripes.",
    "recolor the {item} {c}, keep the pattern",
    "Could you make the {item} {c}? The print should stay.",
    "make the base colour of the {item} {c}",
]


@family("recolour_pattern_kept_good", "recolour", "publish")
def f_recolour_pattern(rng, base):
    if not is_type(base, APPAREL + ("bag", "mug", "person")):
        return None
    base = copy.deepcopy(base)
    it = base["scene"]["items"][0]
    _ensure_pattern(rng, it)
    e = bld_recolour(rng, base)
    if e is None or colour_dist(e.sc1["items"][0]["color"], it["pcolor"]) < 90:
        return None
    e["instr"] = say(rng, PAT_ZH, PAT_EN, RC_MIX, item=recolour_name(rng, it["type"]), c=cn(rng, e.target))
    return good(e, rng)


@family("recolour_nearmiss_bad", "recolour", "review")
def f_recolour_nearmiss(rng, base):
    if not is_type(base, AB + ("mug", "bag", "shoe")):
        return None
    e = bld_recolour(rng, base, pool=[k for k in RECOLOUR_TARGETS if k in NEAR_MISS])
    if e is None:
        return None
    orig = e.sc0["items"][0]["color"]
    cands = [
        c
        for c in NEAR_MISS[e.target]
        if colour_dist(c, orig) > 70 and colour_dist(c, COLOURS[e.target][0]) > 60
    ]
    if not cands:
        return None
    sc2 = copy.deepcopy(e.sc1)
    sc2["items"][0]["color"] = pick(rng, cands)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("recolour_pattern_lost_bad", "recolour", "review")
def f_recolour_pattern_lost(rng, base):
    if not is_type(base, APPAREL + ("bag", "person")):
        return None
    base = copy.deepcopy(base)
    it = base["scene"]["items"][0]
    _ensure_pattern(rng, it)
    e = bld_recolour(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    j = sc2["items"][0]
    if rng.random() < 0.75:
        j["pattern"] = None
    else:
        j["period"] = j.get("period", 0.06) * 2.6
        j["pattern"] = "vstripes" if j["pattern"] == "hstripes" else "hstripes"
    if rng.random() < 0.4:
        j["prints"] = []
    e["instr"] = say(
        rng,
        PAT_ZH + RC_ZH[:2],
        PAT_EN + RC_EN[:2],
        RC_MIX,
        item=recolour_name(rng, it["type"]),
        c=cn(rng, e.target),
    )
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("recolour_spill_bad", "recolour", "review")
def f_recolour_spill(rng, base):
    if not is_type(base, AB + ("shoe", "bag", "mug")):
        return None
    e = bld_recolour(rng, base)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    a = e.info1["alphas"][0]
    _, _, bw, bh = item_box(e.sc1["items"][0], W, H)
    col = np.array(e.sc1["items"][0]["color"], np.float32)
    sat = float(np.ptp(np.array(e.sc1["items"][0]["color"], np.float32)))
    mode = pick(rng, ["glow", "glow", "wash", "blob"] if sat > 90 else ["glow", "blob"])
    if mode == "glow":
        m = np.clip(gblur(dilate(a, 0.04 * min(bw, bh)), 0.05 * min(bw, bh)) * 1.3, 0, 1) * (1 - a)
        k = rng.uniform(0.55, 0.8)
    elif mode == "wash":
        m = (1 - a) * 1.0
        k = rng.uniform(0.22, 0.32)
    else:
        m = np.zeros((H, W), np.uint8)
        x0, y0, bw_, bh_ = item_box(e.sc1["items"][0], W, H)
        cx = x0 + bw_ * pick(rng, [0.0, 1.0])
        ellipse_u8(H, W, cx, y0 + bh_ * rng.uniform(0.3, 0.8), bw_ * 0.35, bh_ * 0.25, m=m)
        m = feather(m.astype(np.float32) / 255, 0.02 * min(W, H)) * (1 - a)
        k = rng.uniform(0.6, 0.85)
    # spilled colour keeps the backdrop's shading (multiply-like tint)
    bgl = e.after.astype(np.float32).mean(axis=2, keepdims=True) / 255.0
    tint = col[None, None, :] * (0.35 + 0.75 * bgl)
    after = u8(blend(e.after, tint, m * k))
    return e.before, vae(after, rng), e.instr


@family("recolour_partial_bad", "recolour", "review")
def f_recolour_partial(rng, base):
    if not is_type(base, AB + ("bag", "shoe", "box", "person")):
        return None
    e = bld_recolour(rng, base)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    ch = (np.abs(e.after.astype(np.int16) - e.before.astype(np.int16)).max(axis=2) > 25).astype(np.float32)
    ys, xs = np.nonzero(ch)
    if len(xs) < 100:
        return None
    x0, y0, bw, bh = xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    t = e.sc1["items"][0]["type"]
    X = np.arange(W, dtype=np.float32)[None, :]
    Y = np.arange(H, dtype=np.float32)[:, None]
    keep = None
    for _ in range(6):
        mode = pick(rng, ["half_v", "half_h", "sleeves", "patch"])
        if mode == "sleeves" and t in APPAREL:
            keep = ((X < x0 + 0.24 * bw) | (X > x0 + 0.76 * bw)).astype(np.float32) * np.ones(
                (H, 1), np.float32
            )
        elif mode == "half_v":
            cut = y0 + bh * rng.uniform(0.4, 0.6)
            keep = (
                ((Y > cut) * np.ones((1, W))).astype(np.float32)
                if rng.random() < 0.5
                else ((Y < cut) * np.ones((1, W))).astype(np.float32)
            )
        elif mode == "half_h":
            cut = x0 + bw * rng.uniform(0.4, 0.6)
            keep = ((X > cut) * np.ones((H, 1))).astype(np.float32)
        else:
            m = np.zeros((H, W), np.uint8)
            ellipse_u8(
                H,
                W,
                x0 + bw * rng.uniform(0.35, 0.65),
                y0 + bh * rng.uniform(0.4, 0.7),
                bw * 0.3,
                bh * 0.22,
                angle=float(rng.uniform(0, 180)),
                m=m,
            )
            keep = m.astype(np.float32) / 255
        frac = (keep * ch).sum() / ch.sum()
        if 0.2 < frac < 0.7:
            break
    else:
        return None
    keep = feather(keep, 0.01 * bh)
    after = u8(blend(e.after, e.before, keep))
    return e.before, vae(after, rng), e.instr


@family("text_replace_good", "text", "publish")
def f_text_replace(rng, base):
    return good(bld_text_replace(rng, base), rng)


CJK_POOL = "的一是不了人我在有他这中大来上个国和也子时道出而要于就下得可你年生会自着去之过家学对小多然心"


def one_char_off(rng, s):
    idx = [i for i, ch in enumerate(s) if ch.strip() and ch not in "%$¥.,!&-"]
    if not idx:
        return None
    i = pick(rng, idx)
    ch = s[i]
    if is_cjk(ch):
        new = pick(rng, [c for c in CJK_POOL if c != ch])
    elif ch.isdigit():
        new = pick(
            rng, [c for c in "0123456789" if c != ch and {c, ch} not in ({"6", "8"}, {"3", "8"}, {"1", "7"})]
        )
    elif ch.isupper():
        new = pick(rng, [c for c in "AKMWXZRVYH" if c != ch])
    else:
        new = pick(rng, [c for c in "akmwxzrvyh" if c != ch])
    return s[:i] + new + s[i + 1 :]


@family("text_one_char_wrong_bad", "text", "review")
def f_text_one_char(rng, base):
    e = bld_text_replace(rng, base)
    if e is None:
        return None
    bad = one_char_off(rng, e.new)
    if bad is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    get_slot(sc2, e.slot)["text"] = bad
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("text_old_still_visible_bad", "text", "review")
def f_text_old_visible(rng, base):
    e = bld_text_replace(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    slot = e.slot
    new_spec = get_slot(sc2, slot)
    old_spec = copy.deepcopy(new_spec)
    old_spec["text"] = e.old
    mode = pick(rng, ["ghost", "ghost", "beside"])
    if mode == "ghost":
        # old words still show through on top of / around the new ones
        old_spec["alpha"] = float(rng.uniform(0.4, 0.55))
        dy = new_spec["h"] * rng.uniform(0.2, 0.35) * pick(rng, [-1, 1])
        old_spec["y"] = new_spec["y"] + dy
        old_spec["plate"] = None
        if slot[0] == "cap" and new_spec.get("plate") is not None:
            old_spec["color"] = new_spec["color"]
        pos = slot[1] + 1
    else:
        lo = new_spec["h"] * 1.1
        if new_spec["y"] - lo < 0.02:
            new_spec["y"] = 0.02 + lo
            old_spec["y"] = new_spec["y"]
        new_spec["y"] = new_spec["y"] - new_spec["h"] * 0.62
        old_spec["y"] = old_spec["y"] + old_spec["h"] * 0.62
        new_spec["h"] *= 0.85
        old_spec["h"] *= 0.85
        pos = slot[1]
    if slot[0] == "cap":
        sc2["captions"].insert(pos, old_spec)
    else:
        sc2["items"][0]["prints"].insert(pos, old_spec)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("watermark_removed_good", "remove", "publish")
def f_watermark(rng, base):
    return good(bld_watermark(rng, base), rng)


@family("watermark_ghost_left_bad", "remove", "review")
def f_watermark_ghost(rng, base):
    e = bld_watermark(rng, base)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    wm = e.sc0["watermark"]
    mode = pick(rng, ["faded", "faded", "half", "smear"])
    sc2 = copy.deepcopy(e.sc1)
    if mode == "faded":
        sc2["watermark"] = dict(wm, alpha=max(0.14, wm["alpha"] * float(rng.uniform(0.45, 0.6))))
        after, _ = render(sc2)
    elif mode == "half":
        X = np.linspace(0, 1, W, dtype=np.float32)[None, :] * np.ones((H, 1), np.float32)
        keep = feather((X > rng.uniform(0.35, 0.6)).astype(np.float32), 0.02 * W)
        if rng.random() < 0.5:
            keep = 1 - keep
        after = u8(blend(e.after, e.before, keep * 0.9))
    else:
        wmm = e.info0["watermark"]
        reg = feather(dilate((wmm > 0.02).astype(np.float32), 0.01 * min(W, H)), 0.006 * min(W, H))
        sm = cv2.blur(e.before, (int(0.04 * min(W, H)) * 2 + 1, 3))
        sm = u8(sm.astype(np.float32) * 0.93 + 6)
        after = u8(blend(e.after, sm, reg))
    return e.before, vae(after, rng), e.instr


# ----------------------------------------------------------------------------------------------
# photos: masks of the things one would edit in them (drawn from colour, checked by eye)
# ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _photo_mask_full(name):
    ph = load_photo(name)
    if ph is None:
        return None
    hsv = cv2.cvtColor(ph, cv2.COLOR_BGR2HSV)
    h, w = ph.shape[:2]
    if name.startswith("coffee"):
        # red glaze: a* high and above b* (the wood is orange: b* > a*); dark shadows only on the saucer
        lab = cv2.cvtColor(ph, cv2.COLOR_BGR2LAB).astype(np.int16)
        A, B, L = lab[..., 1] - 128, lab[..., 2] - 128, lab[..., 0]
        loose = ellipse_u8(h, w, 0.46 * w, 0.57 * h, 0.39 * w, 0.47 * h) > 0
        tight = ellipse_u8(h, w, 0.462 * w, 0.585 * h, 0.337 * w, 0.385 * h) > 0
        m = ((A > 10) & (A > B * 1.05) & (((L > 70) & loose) | tight)).astype(np.uint8)
    elif name.startswith("astronaut"):
        m = ((hsv[..., 0] >= 2) & (hsv[..., 0] <= 18) & (hsv[..., 1] > 95) & (hsv[..., 2] > 55)).astype(
            np.uint8
        )
        m[: int(0.33 * h)] = 0
    else:
        return None
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m)
    if n > 1:
        keep = 1 + np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1][:2]
        keep = [k for k in keep if stats[k, cv2.CC_STAT_AREA] > 0.01 * h * w]
        m = np.isin(lab, keep).astype(np.uint8)
    m = cv2.dilate(m, np.ones((3, 3), np.uint8))
    return m.astype(np.float32)


def photo_geom(spec, W, H, arr):
    """Apply the same crop / cover-resize the backdrop renderer applies to the photo."""
    if spec.get("crop"):
        x0, y0, x1, y1 = spec["crop"]
        hh, ww = arr.shape[:2]
        arr = arr[int(y0 * hh) : int(y1 * hh), int(x0 * ww) : int(x1 * ww)]
    return cover_resize(arr, W, H, spec.get("ox", 0.5), spec.get("oy", 0.5))


def photo_mask(base):
    sc = base["scene"]
    m = _photo_mask_full(sc["bg"]["name"])
    if m is None:
        return None
    m = photo_geom(sc["bg"], sc["W"], sc["H"], m)
    return feather(m, max(0.8, 0.0015 * max(sc["W"], sc["H"])))


def recolour_lum(img, mask, target):
    """Recolour keeping the photo's own shading (luminance ratio)."""
    x = img.astype(np.float32)
    Y = x @ np.array([0.114, 0.587, 0.299], np.float32)
    sel = mask > 0.5
    ref = np.percentile(Y[sel], 70) if sel.any() else 128.0
    t = np.array(target, np.float32)
    new = t[None, None, :] * np.clip(Y / max(ref, 1.0), 0, 1.8)[..., None]
    new = np.clip(new, 0, 255)
    return u8(blend(x, new, mask))


def face_box_astronaut(W, H, spec):
    hh, ww = load_photo("astronaut").shape[:2]
    m = ellipse_u8(hh, ww, 0.435 * ww, 0.2 * hh, 0.12 * ww, 0.16 * hh).astype(np.float32) / 255
    return photo_geom(spec, W, H, m)


def bld_photo_recolour(rng, base):
    if base["kind"] != "photo" or base["main"] not in ("coffee", "astronaut"):
        return None
    sc = base["scene"]
    m = photo_mask(base)
    if m is None:
        return None
    before, _ = render(sc)
    if base["main"] == "coffee":
        key = pick(rng, ["royal_blue", "green", "black", "yellow", "purple", "teal", "navy", "pink"])
        obj = pick(rng, [("杯子和杯碟", "cup and saucer"), ("咖啡杯", "espresso cup and saucer")])
    else:
        key = pick(rng, ["royal_blue", "green", "black", "purple", "teal", "navy", "grey", "yellow"])
        obj = pick(rng, [("宇航服", "spacesuit"), ("她的橙色宇航服", "orange flight suit")])
    after = recolour_lum(before, m, COLOURS[key][0])
    instr = say(rng, RC_ZH, RC_EN, RC_MIX, item=obj, c=cn(rng, key))
    return Edit(
        before=before, after=after, instr=instr, sc0=sc, sc1=sc, info0=None, info1=None, target=key, mask=m
    )


def rerender(e, sc2):
    img, info = render(sc2)
    if e.get("post") is not None:
        img = e.post(img)
    return img, info


# ----------------------------------------------------------------------------------------------
# more builders: logo stamps, stickers, prices, prints
# ----------------------------------------------------------------------------------------------

ST_ZH = ["去掉{pos}的logo", "把{pos}角落的店铺标志删掉", "请移除{pos}的水印logo", "{pos}的圆形标志不要了"]
ST_EN = [
    "Remove the logo in the {pos} corner.",
    "delete the shop badge at the {pos}",
    "Could you erase the round logo stamp ({pos})?",
    "get rid of the corner logo",
]
ST_MIX = ["去掉{pos}的 logo", "remove {pos}角的标志"]
CORNERS = {
    (0.1, 0.1): ("左上角", "top-left"),
    (0.9, 0.1): ("右上角", "top-right"),
    (0.1, 0.9): ("左下角", "bottom-left"),
    (0.9, 0.9): ("右下角", "bottom-right"),
}


def bld_stamp(rng, base):
    sc0 = copy.deepcopy(base["scene"])
    W, H = sc0["W"], sc0["H"]
    occ = np.zeros((H, W), np.float32)
    if sc0["items"]:
        _, info = render(sc0)
        occ = np.max(info["alphas"], axis=0)
    cands = []
    r = float(rng.uniform(0.06, 0.09))
    for (cx, cy), nmz in CORNERS.items():
        px = cx + (-1 if cx > 0.5 else 1) * (r * min(W, H) / W - 0.1 + 0.04)
        py = cy + (-1 if cy > 0.5 else 1) * (r * min(W, H) / H - 0.1 + 0.04)
        x0, x1 = int((px * W) - r * min(W, H)), int((px * W) + r * min(W, H))
        y0, y1 = int((py * H) - r * min(W, H)), int((py * H) + r * min(W, H))
        if occ[max(0, y0) : y1, max(0, x0) : x1].mean() < 0.02 if occ.size else True:
            cands.append((px, py, nmz))
    if not cands:
        return None
    px, py, nmz = pick(rng, cands)
    txt = pick(
        rng, ["LOGO", "SHOP", "R&D", "旗舰店", "TM", "ÉCO", "好物"] if HAVE_CJK else ["LOGO", "SHOP", "TM"]
    )
    bgc = bg_mean(sc0["bg"])
    col = (255, 255, 255) if bgc.mean() < 170 else pick(rng, [(40, 40, 200), (60, 60, 60), (150, 90, 20)])
    sc0["stamps"] = [
        {
            "x": px,
            "y": py,
            "r": r,
            "text": txt,
            "color": col,
            "alpha": float(rng.uniform(0.7, 0.95)),
            "font": int(rng.integers(5)),
        }
    ]
    sc1 = copy.deepcopy(sc0)
    sc1["stamps"] = []
    instr = say(rng, ST_ZH, ST_EN, ST_MIX, pos=nmz)
    return _done(sc0, sc1, instr)


SK_ZH = ["撕掉{item}上的价格标签", "去掉商品上的标签贴纸", "请把{item}上贴的{t}标签去掉", "去除价签"]
SK_EN = [
    "Remove the price sticker from the {item}.",
    "take off the {t} tag on the {item}",
    "Could you remove the sticker? Keep the {item} as is.",
    "peel off the label sticker",
]


def bld_sticker(rng, base):
    if base["kind"] != "product" or _main(base)["type"] in ("chair", "watch"):
        return None
    sc0 = copy.deepcopy(base["scene"])
    W, H = sc0["W"], sc0["H"]
    it = sc0["items"][0]
    x0, y0, bw, bh = item_box(it, W, H)
    _, info = render(sc0)
    a = info["alphas"][0]
    prm = part_full(sc0, info, 0, "prints") + part_full(sc0, info, 0, "label")
    text = pick(
        rng,
        ["¥99", "$19.99", "SALE", "特价", "-30%", "NEW", "¥129"] if HAVE_CJK else ["$19.99", "SALE", "NEW"],
    )
    for _ in range(12):
        cx = x0 + bw * rng.uniform(0.3, 0.7)
        cy = y0 + bh * rng.uniform(0.45, 0.85)
        w = max(40, min(bw * 0.32, W * 0.16))
        h = w * 0.5
        ya, yb, xa, xb = int(cy - h / 2), int(cy + h / 2), int(cx - w / 2), int(cx + w / 2)
        if (
            ya > 0
            and xa > 0
            and yb < H
            and xb < W
            and a[ya:yb, xa:xb].min() > 0.9
            and prm[max(0, ya - 4) : yb + 4, max(0, xa - 4) : xb + 4].max() < 0.05
        ):
            break
    else:
        return None
    sc0["stickers"] = [
        {
            "x": cx / W,
            "y": cy / H,
            "w": w / W,
            "h": h / H,
            "text": text,
            "color": pick(rng, [(40, 40, 210), (30, 200, 250), (250, 250, 250), (40, 160, 40)]),
            "tcolor": (255, 255, 255),
        }
    ]
    if sc0["stickers"][0]["color"] in ((30, 200, 250), (250, 250, 250)):
        sc0["stickers"][0]["tcolor"] = (20, 20, 20)
    sc1 = copy.deepcopy(sc0)
    sc1["stickers"] = []
    instr = say(rng, SK_ZH, SK_EN, (), item=nm(rng, it["type"]), t=quote(rng, text))
    return _done(sc0, sc1, instr, sticker=sc0["stickers"][0])


PR_ZH = ["把价格改成{new}", "价格{old}改为{new}", "请将图中的价格更新为{new}", "现价改成{new}，其他不动"]
PR_EN = [
    "Change the price to {new}.",
    "update the price from {old} to {new}",
    "could you make the price {new}?",
    "price should read {new}, nothing else changes",
]
PRICES = [
    ("¥199", "¥159"),
    ("¥89", "¥69"),
    ("$49.99", "$39.99"),
    ("$120", "$95"),
    ("¥1299", "¥999"),
    ("€35", "€29"),
    ("¥59.9", "¥49.9"),
    ("$8.50", "$7.25"),
]


def bld_price(rng, base):
    if base["kind"] == "person":
        return None
    sc0 = copy.deepcopy(base["scene"])
    old, new = pick(rng, PRICES)
    if not HAVE_CJK:
        old, new = old.replace("¥", "$"), new.replace("¥", "$")
    slot = ensure_caption(rng, sc0, old)
    if slot is None:
        return None
    sc1 = copy.deepcopy(sc0)
    get_slot(sc1, slot)["text"] = new
    instr = say(rng, PR_ZH, PR_EN, (), old=quote(rng, old), new=quote(rng, new))
    return _done(sc0, sc1, instr, slot=slot, old=old, new=new)


PA_ZH = ["在{item}上印上{t}", "{item}胸前加上文字{t}", "请在{item}正面印{t}字样", "给{item}加个印花文字{t}"]
PA_EN = [
    "Print {t} on the {item}.",
    "add the word {t} to the front of the {item}",
    "Could you put {t} on the {item} as a print?",
    "put a {t} print on the {item}",
]


def bld_print_add(rng, base):
    if not is_type(base, ("tee", "longsleeve", "mug", "bag", "box")):
        return None
    sc0 = copy.deepcopy(base["scene"])
    it = sc0["items"][0]
    it["pattern"] = None
    it["prints"] = [p for p in it.get("prints", []) if p.get("logo") and p["r"] < 0.05]
    sc1 = copy.deepcopy(sc0)
    word = pick(rng, LATIN_WORDS + (CJK_WORDS if HAVE_CJK else []))
    ink = _ink_for(it["color"])
    t = it["type"]
    if t in APPAREL:
        pr = {"text": word, "y": 0.36, "w": 0.36, "h": 0.1 if not is_cjk(word) else 0.13}
    elif t == "mug":
        pr = {"text": word, "x": 0.39, "y": 0.52, "w": 0.5, "h": 0.16}
    elif t == "bag":
        pr = {"text": word, "y": 0.68, "w": 0.6, "h": 0.12}
    else:
        pr = {"text": word, "x": 0.36, "y": 0.6, "w": 0.58, "h": 0.12}
    pr.update(
        {
            "color": ink if rng.random() < 0.7 else pick(rng, [(40, 40, 210), (30, 180, 240), (200, 90, 30)]),
            "font": int(rng.integers(5)),
            "bold": True,
        }
    )

    def lum(c):
        return 0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2]

    if colour_dist(pr["color"], it["color"]) < 110 or abs(lum(pr["color"]) - lum(it["color"])) < 70:
        pr["color"] = ink
    sc1["items"][0]["prints"] = sc1["items"][0].get("prints", []) + [pr]
    instr = say(rng, PA_ZH, PA_EN, (), item=nm(rng, t), t=quote(rng, word))
    return _done(sc0, sc1, instr, new=word)


# ----------------------------------------------------------------------------------------------
# group 2, good: many products, people, photos
# ----------------------------------------------------------------------------------------------

OTHER = ("shoe", "mug", "bag", "box", "jar", "tube", "watch", "chair")


@family("bg_swap_other_products_good", "background", "publish")
def f_bg_other(rng, base):
    if not is_type(base, OTHER):
        return None
    return good(bld_background(rng, base), rng)


@family("bg_edge_or_small_product_good", "background", "publish")
def f_bg_edge_small(rng, base):
    if base["kind"] != "product":
        return None
    base = copy.deepcopy(base)
    sc = base["scene"]
    it = sc["items"][0]
    W, H = sc["W"], sc["H"]
    if base["variant"] == "plain":
        if rng.random() < 0.55:  # push it against / over a frame edge
            side = pick(rng, ["bottom", "left", "right"])
            fit_item(it, W, H, float(rng.uniform(0.8, 1.0)), 0.8)
            if side == "bottom":
                it["y"] = float(1.0 + it["h"] * rng.uniform(0.04, 0.12))
            else:
                bw = it["h"] * ASPECT[it["type"]] * H / W
                it["x"] = float(bw / 2 - bw * 0.08) if side == "left" else float(1 - bw / 2 + bw * 0.08)
        else:
            fit_item(it, W, H, float(rng.uniform(0.2, 0.3)), 0.3)
            it["x"] = float(rng.uniform(0.3, 0.7))
    return good(bld_background(rng, base), rng)


@family("bg_glossy_product_good", "background", "publish")
def f_bg_glossy(rng, base):
    if not is_type(base, BOTTLES + ("jar", "mug", "watch", "tube")):
        return None
    base = copy.deepcopy(base)
    it = base["scene"]["items"][0]
    it["gloss"] = float(rng.uniform(0.85, 1.2))
    return good(
        bld_background(
            rng,
            base,
            choices=["white", "black", "gradient", "marble", "royal_blue", "pink", "lightgrey", "blue"],
        ),
        rng,
    )


@family("bg_person_good", "background", "publish")
def f_bg_person(rng, base):
    if base["kind"] != "person":
        return None
    return good(
        bld_background(
            rng,
            base,
            choices=["white", "lightgrey", "blue", "outdoor", "concrete", "gradient", "beige", "pink"],
        ),
        rng,
    )


@family("recolour_other_objects_good", "recolour", "publish")
def f_recolour_other(rng, base):
    if base["kind"] == "photo":
        return good(bld_photo_recolour(rng, base), rng)
    if not is_type(base, OTHER):
        return None
    return good(bld_recolour(rng, base), rng)


@family("text_add_caption_good", "text", "publish")
def f_text_add(rng, base):
    return good(bld_text_add(rng, base), rng)


@family("text_translate_good", "text", "publish")
def f_translate(rng, base):
    return good(bld_translate(rng, base), rng)


@family("text_price_change_good", "text", "publish")
def f_price(rng, base):
    return good(bld_price(rng, base), rng)


@family("text_print_on_product_good", "text", "publish")
def f_print_add(rng, base):
    return good(bld_print_add(rng, base), rng)


@family("logo_stamp_removed_good", "remove", "publish")
def f_stamp(rng, base):
    return good(bld_stamp(rng, base), rng)


@family("sticker_removed_good", "remove", "publish")
def f_sticker(rng, base):
    return good(bld_sticker(rng, base), rng)


@family("remove_prop_good", "remove", "publish")
def f_remove(rng, base):
    return good(bld_remove_prop(rng, base), rng)


@family("add_prop_good", "add", "publish")
def f_add(rng, base):
    return good(bld_add_prop(rng, base), rng)


@family("replace_prop_good", "replace", "publish")
def f_replace(rng, base):
    return good(bld_replace_prop(rng, base), rng)


@family("style_grade_good", "style", "publish")
def f_style(rng, base):
    e = bld_style(rng, base)
    # the grade is applied to the model's output, i.e. after the VAE round trip
    return e.before, apply_style(vae(e.before, rng), e.style, rng), e.instr


@family("blur_background_good", "blur", "publish")
def f_blur(rng, base):
    return good(bld_blur(rng, base), rng)


@family("clothes_change_good", "edit", "publish")
def f_clothes(rng, base):
    if base["kind"] == "photo" and base["main"] == "astronaut":
        e = bld_photo_recolour(rng, base)
        if e is None:
            return None
        key = e.target
        e["instr"] = say(rng, CL_ZH, CL_EN, CL_MIX, c=cn(rng, key), g=("宇航服", "flight suit"))
        return good(e, rng)
    return good(bld_clothes(rng, base), rng)


# ----------------------------------------------------------------------------------------------
# group 2, bad: typical diffusion failures
# ----------------------------------------------------------------------------------------------


@family("bg_leftover_holes_or_rim_bad", "background", "review")
def f_bg_holes(rng, base):
    if base["kind"] != "product":
        return None
    e = bld_background(
        rng, base, choices=["white", "white", "black", "pink", "blue", "mint", "yellow"], min_change=80.0
    )
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    a = e.info0["alphas"][0]
    reg = np.maximum(holes_mask(a), pockets_mask(a))
    if reg.sum() < 0.004 * W * H or rng.random() < 0.3:
        _, _, bw, bh = item_box(e.sc0["items"][0], W, H)
        rim = dilate((a > 0.5).astype(np.float32), max(4, 0.035 * min(bw, bh))) - (a > 0.5)
        reg = np.maximum(reg * (rng.random() < 0.5), np.clip(rim, 0, 1))
    reg = feather(reg, 1.2) * (1 - a)
    after = u8(blend(e.after, e.before, reg))
    return e.before, vae(after, rng), e.instr


GARBLE_MODES = ["garble", "garble", "truncate", "extra", "swap"]


@family("text_garbled_or_wrong_length_bad", "text", "review")
def f_text_garbled(rng, base):
    e = (bld_text_replace if rng.random() < 0.6 else bld_text_add)(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    spec = get_slot(sc2, e.slot)
    t = e.new
    mode = pick(rng, GARBLE_MODES)
    if mode == "truncate" and len(t.replace(" ", "")) >= 3:
        spec["text"] = t[:-1] if rng.random() < 0.5 or len(t) < 5 else t[: len(t) // 2 + 1]
    elif mode == "extra":
        k = int(rng.integers(1, len(t)))
        spec["text"] = t[:k] + t[k - 1] + t[k:] if not is_cjk(t) else t + t[-1]
    elif mode == "swap" and len(t) >= 3:
        k = int(rng.integers(0, len(t) - 1))
        sw = t[:k] + t[k + 1] + t[k] + t[k + 2 :]
        spec["text"] = sw if sw != t else t[::-1]
    else:
        spec["garble"] = int(rng.integers(1 << 30))
    if spec["text"] == t and spec.get("garble") is None:
        spec["garble"] = int(rng.integers(1 << 30))
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


INVENTED = [
    "SALE",
    "Lorem ipsum",
    "BRAND",
    "正品保障",
    "新品",
    "HOT",
    "BEST",
    "品质之选",
    "ORIGINAL",
    "爆款",
    "NEW IN",
    "Qualtiy Goods",
    "限量",
    "FREE",
]


@family("text_invented_bad", "edit", "review")
def f_text_invented(rng, base):
    kinds = [
        bld_background,
        bld_recolour,
        bld_remove_prop,
        bld_add_prop,
        bld_blur,
        bld_watermark,
        bld_clothes,
    ]
    b = pick(rng, kinds)
    e = b(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    word = pick(rng, [w for w in INVENTED if HAVE_CJK or not is_cjk(w)])
    r = rng.random()
    it = sc2["items"][0] if sc2["items"] else None
    if (
        r < 0.4
        and it is not None
        and it["type"] in APPAREL + BOTTLES + ("mug", "bag", "box", "person")
        and not any("text" in p for p in it.get("prints", []))
    ):
        ys = {"person": 0.78, "mug": 0.5, "bag": 0.7, "box": 0.6}.get(
            it["type"], 0.35 if it["type"] in APPAREL else 0.66
        )
        col = _ink_for(it["color"] if it["type"] not in BOTTLES else it["label"]["color"])
        it.setdefault("prints", []).append(
            {
                "text": word,
                "y": ys,
                "x": 0.5 if it["type"] != "mug" else 0.39,
                "w": 0.5,
                "h": 0.09,
                "color": col,
                "bold": True,
                "garble": int(rng.integers(1 << 30)) if rng.random() < 0.3 else None,
            }
        )
    else:
        cap = caption_spec(rng, sc2, word, hmax=0.08)
        if cap is None:
            return None
        if rng.random() < 0.3:
            cap["garble"] = int(rng.integers(1 << 30))
        sc2.setdefault("captions", []).append(cap)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


WRONG_LANG = {
    "新品上市": ["新着アイテム", "신상품 출시", "XIN PIN SHANG SHI"],
    "限时特惠": ["期間限定セール", "XIAN SHI TE HUI"],
    "包邮": ["送料無料", "BAO YOU"],
    "热卖": ["人気商品", "인기 상품"],
    "天然": ["ナチュラル", "TIAN RAN"],
    "夏季新款": ["夏の新作", "XIA JI XIN KUAN"],
    "买一送一": ["1つ買うと1つ無料", "MAI YI SONG YI"],
    "SALE": ["セール", "SALE"],
    "NEW": ["新着", "NEW"],
    "ORGANIC": ["オーガニック", "ORGANIC"],
    "GIFT": ["ギフト", "GIFT"],
    "FRESH": ["フレッシュ", "FRESH"],
}


@family("text_wrong_language_bad", "text", "review")
def f_wrong_lang(rng, base):
    e = bld_translate(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    spec = get_slot(sc2, e.slot)
    mode = pick(rng, ["lang", "lang", "untranslated", "other_changed"])
    if mode == "lang":
        spec["text"] = pick(rng, [w for w in WRONG_LANG[e.old] if w != e.old] or [e.old[::-1]])
    elif mode == "untranslated":
        spec["text"] = e.old if len(e.old) < 3 else e.old[1:] + e.old[0]
        if rng.random() < 0.5:
            spec["text"] = e.old
            spec["font"] = (spec.get("font", 0) + 1) % 5
            spec["color"] = (40, 40, 200) if spec.get("plate") is None else spec["color"]
    else:
        it = sc2["items"][0] if sc2["items"] else None
        txt = [p for p in (it.get("prints", []) if it else []) if "text" in p]
        if txt:
            txt[0]["text"] = _new_word(rng, txt[0]["text"])
        else:
            cap = caption_spec(rng, sc2, pick(rng, ["¥99", "NEW", "热卖"]), hmax=0.06)
            if cap is None:
                return None
            sc2["captions"].append(cap)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("remove_faded_ghost_bad", "remove", "review")
def f_remove_ghost(rng, base):
    use_sticker = rng.random() < 0.3
    e = (bld_sticker if use_sticker else bld_remove_prop)(rng, base)
    if e is None:
        return None
    if use_sticker:
        a = e.info0["stickers"][0]
        after = u8(blend(e.after, e.before, a * float(rng.uniform(0.35, 0.5))))
    else:
        sc2 = copy.deepcopy(e.sc0)
        sc2["items"][1]["fade"] = float(rng.uniform(0.3, 0.45))
        after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("remove_replaced_by_new_object_bad", "remove", "review")
def f_remove_replaced(rng, base):
    e = bld_remove_prop(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc0)
    pr = sc2["items"][1]
    q = prop_choice(rng, sc2, avoid=(pr["type"],))
    if q is None:
        return None
    pr["type"] = q
    pr["color"] = PROP_COLOURS[q]
    pr["h"] *= float(rng.uniform(0.7, 1.0))
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("remove_smeared_blotch_bad", "remove", "review")
def f_remove_blotch(rng, base):
    e = bld_remove_prop(rng, base)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    a = e.info0["alphas"][1]
    reg = dilate((a > 0.3).astype(np.float32), 0.02 * min(W, H))
    hard = (reg > 0.5).astype(np.uint8) * 255
    small = 4 if max(W, H) > 900 else 2
    inp = cv2.inpaint(
        cv2.resize(e.before, (W // small, H // small)),
        cv2.resize(hard, (W // small, H // small)),
        5,
        cv2.INPAINT_TELEA,
    )
    inp = cv2.resize(inp, (W, H), interpolation=cv2.INTER_LINEAR)
    inp = gblur(inp.astype(np.float32), 0.02 * min(W, H))
    off = float(rng.uniform(16, 30)) * pick(rng, [-1, 1])
    tint = np.array(rng.uniform(-8, 8, 3), np.float32)
    smear = inp + off + tint
    reg_f = feather(reg * (0.85 + 0.15 * lowfreq(rng, H, W, 12)), 0.01 * min(W, H))
    after = u8(blend(e.after, smear, np.clip(reg_f, 0, 1) * (1 - e.info0["alphas"][0])))
    return e.before, vae(after, rng), e.instr


@family("remove_product_damaged_bad", "remove", "review")
def f_remove_damaged(rng, base):
    e = bld_remove_prop(rng, base)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    main = e.sc1["items"][0]
    x0, y0, bw, bh = item_box(main, W, H)
    side = e.side
    cx = x0 if side == "left" else x0 + bw
    m = np.zeros((H, W), np.uint8)
    ellipse_u8(
        H,
        W,
        cx,
        y0 + bh * rng.uniform(0.35, 0.7),
        bw * rng.uniform(0.22, 0.32),
        bh * rng.uniform(0.18, 0.3),
        m=m,
    )
    reg = feather(m.astype(np.float32) / 255, 0.006 * min(W, H)) * e.info1["alphas"][0]
    sc_bg = copy.deepcopy(e.sc1)
    sc_bg["items"] = []
    bgimg, _ = render(sc_bg)
    mode = pick(rng, ["erase", "erase", "smudge"])
    if mode == "erase":
        fill = bgimg.astype(np.float32)
    else:
        fill = gblur(e.after.astype(np.float32), 0.03 * min(W, H)) * 0.9 + 15
    after = u8(blend(e.after, fill, reg))
    return e.before, vae(after, rng), e.instr


@family("add_wrong_object_or_place_bad", "add", "review")
def f_add_wrong(rng, base):
    e = bld_add_prop(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    pr = sc2["items"][1]
    mode = pick(rng, ["object", "object", "side", "two"])
    if mode == "object":
        q = prop_choice(rng, sc2, avoid=(pr["type"],))
        if q is None:
            return None
        pr["type"], pr["color"] = q, PROP_COLOURS[q]
    elif mode == "side":
        # the product stays where it is; the prop lands on the other side of it
        main = sc2["items"][0]
        _, _, bw, _ = item_box(main, sc2["W"], sc2["H"])
        pw = pr["h"] * sc2["H"] * ASPECT[pr["type"]] / sc2["W"]
        mw = bw / sc2["W"]
        pr["x"] = float(main["x"] + (mw / 2 + 0.04 + pw / 2) * (1 if e.side == "left" else -1))
        if not (pw / 2 < pr["x"] < 1 - pw / 2):
            return None
    else:
        extra = copy.deepcopy(pr)
        extra["h"] *= 0.8
        extra["x"] = float(
            pr["x"]
            + (pr["h"] * sc2["H"] * ASPECT[pr["type"]] / sc2["W"])
            * 0.6
            * (1 if e.side == "left" else -1)
            * -1
        )
        extra["seed"] += 1
        sc2["items"].insert(1, extra)
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("replace_wrong_target_bad", "replace", "review")
def f_replace_wrong(rng, base):
    e = bld_replace_prop(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc0)
    mode = pick(rng, ["main", "main", "recolour_only", "removed"])
    if mode == "main":
        main = sc2["items"][0]
        q = e.new_prop
        x0, y0, bw, bh = item_box(main, sc2["W"], sc2["H"])
        main["type"] = q
        main["color"] = PROP_COLOURS[q]
        main["prints"] = []
        main["pattern"] = None
        main["h"] = float(min(main["h"], bw / (ASPECT[q] * sc2["H"])))
    elif mode == "recolour_only":
        pr = sc2["items"][1]
        pr["color"] = pick(rng, [(200, 60, 160), (40, 200, 220), (90, 90, 90)])
    else:
        sc2["items"] = sc2["items"][:1]
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


def changed_face(rng, face):
    f = dict(FACE_DEFAULT)
    f.update(face)
    keys = ["skin", "hair", "hair_style", "eye_dx", "eye_size", "mouth", "glasses", "beard", "face_w", "iris"]
    for k in rng.permutation(keys)[: int(rng.integers(3, 6))]:
        if k == "skin":
            f["skin"] = pick(
                rng,
                [
                    c
                    for c in [(150, 180, 225), (90, 120, 170), (170, 195, 235), (70, 95, 140)]
                    if colour_dist(c, f["skin"]) > 40
                ],
            )
        elif k == "hair":
            f["hair"] = pick(
                rng,
                [
                    c
                    for c in [(30, 40, 60), (90, 140, 190), (40, 90, 150), (200, 200, 205)]
                    if colour_dist(c, f["hair"]) > 60
                ],
            )
        elif k == "hair_style":
            f["hair_style"] = pick(rng, [s for s in ("short", "long", "bun", "bald") if s != f["hair_style"]])
        elif k == "eye_dx":
            f["eye_dx"] = 0.055 if f["eye_dx"] > 0.07 else 0.088
        elif k == "eye_size":
            f["eye_size"] = 1.35 if f["eye_size"] < 1.1 else 0.75
        elif k == "mouth":
            f["mouth"] = pick(rng, [m for m in ("smile", "flat", "open") if m != f["mouth"]])
        elif k in ("glasses", "beard"):
            f[k] = not f[k]
        elif k == "face_w":
            f["face_w"] = 1.15 if f["face_w"] < 1.05 else 0.88
        else:
            f["iris"] = (160, 120, 40) if f["iris"][0] < 100 else (30, 60, 40)
    return f


def warp_face_photo(img, fm, rng):
    """Identity drift on a photographed face: reshaped and re-toned inside the face region."""
    H, W = img.shape[:2]
    ys, xs = np.nonzero(fm > 0.5)
    cy, cx = ys.mean(), xs.mean()
    ry, rx = (ys.max() - ys.min()) / 2, (xs.max() - xs.min()) / 2
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    sx, sy = float(rng.uniform(1.18, 1.3)), float(rng.uniform(0.82, 0.9))
    mapx = (cx + (xx - cx) / sx).astype(np.float32)
    mapy = (cy + (yy - cy) / sy).astype(np.float32)
    war = cv2.remap(img, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    tone = war.astype(np.float32) * np.array(
        pick(rng, [(0.8, 0.9, 1.12), (1.1, 1.0, 0.85), (0.75, 0.8, 0.85)]), np.float32
    )
    m = feather(fm, 0.06 * min(rx, ry))
    return u8(blend(img, tone, m))


@family("clothes_face_changed_bad", "edit", "review")
def f_face_changed(rng, base):
    if base["kind"] == "photo" and base["main"] == "astronaut":
        e = bld_photo_recolour(rng, base)
        if e is None:
            return None
        e["instr"] = say(rng, CL_ZH, CL_EN, CL_MIX, c=cn(rng, e.target), g=("宇航服", "flight suit"))
        fm = face_box_astronaut(base["scene"]["W"], base["scene"]["H"], base["scene"]["bg"])
        after = warp_face_photo(e.after, fm, rng)
        return e.before, vae(after, rng), e.instr
    e = bld_clothes(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc1)
    sc2["items"][0]["face"] = changed_face(rng, sc2["items"][0].get("face", {}))
    after, _ = render(sc2)
    return e.before, vae(after, rng), e.instr


@family("blur_product_also_blurred_bad", "blur", "review")
def f_blur_bad(rng, base):
    e = bld_blur(rng, base, textured_only=True)
    if e is None:
        return None
    W, H = e.sc0["W"], e.sc0["H"]
    mode = pick(rng, ["all", "all", "inverse", "half"])
    sig = float(rng.uniform(4, 8)) * max(W, H) / 1000
    if mode == "inverse":
        sig *= 1.6
    if mode == "all":
        after = u8(gblur(e.after.astype(np.float32), sig))
    elif mode == "inverse":
        a = e.info0["alphas"][0]
        after = u8(blend(e.before, gblur(e.before.astype(np.float32), sig), feather(a, 2)))
    else:
        X = np.linspace(0, 1, W, dtype=np.float32)[None, :] * np.ones((H, 1), np.float32)
        keep = feather(
            (X > 0.5).astype(np.float32) if rng.random() < 0.5 else (X < 0.5).astype(np.float32), 0.02 * W
        )
        keep = keep * (1 - e.info0["alphas"][0])
        after = u8(blend(e.after, e.before, keep))
    return e.before, vae(after, rng), e.instr


@family("recolour_wrong_object_bad", "recolour", "review")
def f_recolour_wrong(rng, base):
    if base["kind"] != "product" or not is_type(base, RECOLOURABLE):
        return None
    base = copy.deepcopy(base)
    sc = base["scene"]
    p = prop_choice(rng, sc)
    if p is None or not layout_prop(rng, sc, pick(rng, ["left", "right"]), p):
        return None
    e = bld_recolour(rng, base)
    if e is None:
        return None
    sc2 = copy.deepcopy(e.sc0)
    mode = pick(rng, ["prop", "prop", "background"])
    col = COLOURS[e.target][0]
    if mode == "prop":
        sc2["items"][1]["color"] = col
        if sc2["items"][1]["type"] == "plant":
            sc2["items"][1]["pot_color"] = col
        after, _ = render(sc2)
    else:
        b, info = render(sc2)
        a = np.clip(np.sum(info["alphas"], axis=0), 0, 1)
        lum = b.astype(np.float32).mean(axis=2, keepdims=True) / 255.0
        tint = np.array(col, np.float32)[None, None, :] * (0.45 + 0.6 * lum)
        after = u8(blend(b, tint, (1 - a) * 0.85))
    return e.before, vae(after, rng), e.instr


@family("style_content_changed_bad", "style", "review")
def f_style_bad(rng, base):
    if base["kind"] == "photo":
        return None
    e = bld_style(rng, base)
    sc2 = copy.deepcopy(e.sc0)
    it = sc2["items"][0]
    txt = [p for p in it.get("prints", []) if "text" in p]
    modes = (
        ["partial"]
        + (["reshape"] if base["variant"] != "edge" and it["type"] != "person" else [])
        + (["garble"] if txt else [])
        + (["face"] if it["type"] == "person" else [])
    )
    mode = pick(rng, modes)
    if mode == "partial":
        # the grade was applied to the backdrop only (or the product only): clear in B&W / sepia
        kind = pick(rng, ["bw", "bw", "vintage"])
        z, en = STYLES[kind]
        instr = say(rng, z, en, ())
        b = vae(e.before, rng)
        g = apply_style(b, kind, rng)
        a = e.info0["alphas"][0]
        keep = feather(a, 1.5) if rng.random() < 0.65 else (1 - feather(a, 1.5))
        return e.before, u8(blend(g, b, keep)), instr
    if mode == "garble":
        max(txt, key=lambda p: p.get("h", 0))["garble"] = int(rng.integers(1 << 30))
    elif mode == "face":
        it["face"] = changed_face(rng, it.get("face", {}))
    else:
        it["stretch"] = float(pick(rng, [0.68, 1.35]))
        it["h"] *= float(rng.uniform(0.8, 0.9))
    img, _ = render(sc2)
    return e.before, apply_style(vae(img, rng), e.style, rng), e.instr


# ----------------------------------------------------------------------------------------------
# compound request (hard good) and group 3: artifacts on otherwise correct edits
# ----------------------------------------------------------------------------------------------

CMB_ZH = ["{a}，并且{b}", "{a}；{b}", "请{a}，同时{b}"]
CMB_EN = ["{a}, and {b}", "{a}; also {b}", "Please {a} and then {b}"]


@family("compound_two_edits_good", "edit", "publish")
def f_compound(rng, base):
    """Background + watermark, or recolour + caption, both done correctly in one request."""
    if base["kind"] not in ("product", "person"):
        return None
    sc0 = copy.deepcopy(base["scene"])
    sc1 = copy.deepcopy(sc0)
    mode = pick(rng, ["bg_wm", "rc_cap", "bg_rc"])
    it = sc1["items"][0]
    zh = rng.random() < 0.55
    if mode == "bg_wm":
        wm = add_watermark(rng, sc0)
        key = pick(rng, ["white", "lightgrey", "beige", "blue", "pink"])
        sp = bg_target_spec(key, rng)
        if colour_dist(bg_mean(sp), it["color"]) < 70:
            return None
        sc1["bg"] = sp
        sc1["shadow_k"] = 0.7
        a = (
            ("把背景换成" + pick(rng, BG_NAMES[key][0]))
            if zh
            else ("change the background to " + pick(rng, BG_NAMES[key][1]))
        )
        b = "去掉水印" if zh else "remove the watermark"
    elif mode == "rc_cap":
        if it["type"] not in RECOLOURABLE:
            return None
        key = pick_colour(rng, it["color"], bg_mean(sc0["bg"]), keep_contrast=print_inks(it))
        if key is None:
            return None
        it["color"] = COLOURS[key][0]
        text = pick(rng, [t for t in ADD_TEXTS if HAVE_CJK or not is_cjk(t)])
        if ensure_caption(rng, sc1, text) is None:
            return None
        rn = recolour_name(rng, it["type"])
        a = (f"把{rn[0]}改成{cname(key, rng)}") if zh else (f"make the {rn[1]} {cname(key, rng, False)}")
        b = (f"加上文字{quote(rng, text)}") if zh else (f"add the text {quote(rng, text)}")
    else:
        if it["type"] not in RECOLOURABLE:
            return None
        key = pick_colour(rng, it["color"], (255, 255, 255), keep_contrast=print_inks(it))
        if key is None:
            return None
        it["color"] = COLOURS[key][0]
        sc1["bg"] = bg_target_spec("white", rng)
        sc1["shadow_k"] = 0.6
        rn = recolour_name(rng, it["type"])
        a = (f"{rn[0]}换成{cname(key, rng)}") if zh else (f"recolor the {rn[1]} {cname(key, rng, False)}")
        b = "背景改成纯白" if zh else "put it on a pure white background"
        if colour_dist(bg_mean(sc0["bg"]), (255, 255, 255)) < 30:
            return None
    instr = pick(rng, CMB_ZH if zh else CMB_EN).format(a=a, b=b)
    return good(_done(sc0, sc1, instr), rng)


GOOD_BUILDERS = [
    bld_background,
    bld_recolour,
    bld_text_add,
    bld_text_replace,
    bld_remove_prop,
    bld_add_prop,
    bld_watermark,
    bld_stamp,
    bld_clothes,
    bld_blur,
    bld_photo_recolour,
    bld_sticker,
    bld_price,
    bld_replace_prop,
    bld_translate,
]


def any_edit(rng, base, avoid=()):
    """A correct edit of some kind on this base, as the model would return it (VAE applied)."""
    for k in rng.permutation(len(GOOD_BUILDERS)):
        b = GOOD_BUILDERS[int(k)]
        if b in avoid:
            continue
        e = b(rng, base)
        if e is not None:
            return e, vae(e.after, rng)
    e = bld_style(rng, base)
    return e, apply_style(vae(e.before, rng), e.style, rng)


def _warp(img, M, rng):
    H, W = img.shape[:2]
    border = pick(rng, [cv2.BORDER_REFLECT, cv2.BORDER_REPLICATE, cv2.BORDER_CONSTANT])
    val = tuple(int(v) for v in img.reshape(-1, 3).mean(0)) if rng.random() < 0.5 else (0, 0, 0)
    return cv2.warpAffine(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=val)


@family("art_whole_frame_shift_bad", "edit", "review")
def f_art_shift(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    mag = max(6.0, float(rng.uniform(0.008, 0.025)) * W)
    ang = rng.uniform(0, 2 * np.pi)
    dx, dy = mag * math.cos(ang), mag * math.sin(ang) * 0.6
    return e.before, _warp(a, np.float32([[1, 0, dx], [0, 1, dy]]), rng), e.instr


@family("art_zoom_or_rotation_bad", "edit", "review")
def f_art_zoom_rot(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    mode = pick(rng, ["zoom", "rot", "both"])
    sc = float(rng.uniform(1.03, 1.08)) if mode != "rot" else 1.0
    if mode == "zoom" and rng.random() < 0.3:
        sc = float(rng.uniform(0.92, 0.96))
    ang = float(rng.uniform(1.5, 4.0)) * pick(rng, [-1, 1]) if mode != "zoom" else 0.0
    M = cv2.getRotationMatrix2D((W / 2 + rng.uniform(-0.05, 0.05) * W, H / 2), ang, sc)
    return e.before, _warp(a, M, rng), e.instr


@family("art_colour_cast_bad", "edit", "review")
def f_art_cast(rng, base):
    e, a = any_edit(rng, base)
    x = a.astype(np.float32)
    mode = pick(rng, ["offset", "gain", "tone"])
    if mode == "offset":
        off = np.zeros(3, np.float32)
        ch = rng.permutation(3)
        off[ch[0]] = rng.uniform(18, 32) * pick(rng, [1, -1])
        off[ch[1]] = rng.uniform(-8, 8)
        x = x + off
    elif mode == "gain":
        g = np.array(
            pick(rng, [(0.82, 0.95, 1.12), (1.15, 1.0, 0.85), (0.88, 1.12, 0.88), (1.12, 0.86, 1.1)]),
            np.float32,
        )
        x = x * g
    else:
        x = x * float(rng.uniform(0.78, 0.86)) if rng.random() < 0.5 else x * 0.85 + 45
        x = x + np.array(rng.uniform(-10, 10, 3), np.float32)
    return e.before, u8(x), e.instr


@family("art_heavy_noise_bad", "edit", "review")
def f_art_noise(rng, base):
    e, a = any_edit(rng, base)
    x = a.astype(np.float32)
    mode = pick(rng, ["gauss", "gauss", "chroma", "grain"])
    if mode == "gauss":
        x = x + rng.standard_normal(x.shape, dtype=np.float32) * float(rng.uniform(10, 22))
    elif mode == "chroma":
        n = rng.standard_normal(x.shape[:2] + (3,), dtype=np.float32) * float(rng.uniform(14, 24))
        x = x + gblur(n, 0.8)
    else:
        n = rng.standard_normal(x.shape[:2], dtype=np.float32)
        n = cv2.resize(
            cv2.resize(n, (x.shape[1] // 3, x.shape[0] // 3)),
            (x.shape[1], x.shape[0]),
            interpolation=cv2.INTER_NEAREST,
        )
        x = x + n[..., None] * float(rng.uniform(14, 24))
    return e.before, u8(x), e.instr


@family("art_blank_or_empty_frame_bad", "edit", "review")
def f_art_blank(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    mode = pick(rng, ["const", "const", "mean", "mush", "ghost"])
    if mode == "const":
        out = np.full_like(a, int(pick(rng, [0, 127, 128, 255, 250])))
    elif mode == "mean":
        out = np.broadcast_to(a.reshape(-1, 3).mean(0), a.shape).astype(np.float32)
        out = u8(out + rng.standard_normal(a.shape, dtype=np.float32) * 1.2)
    elif mode == "mush":
        out = u8(gblur(a.astype(np.float32), 0.08 * max(W, H)))
    else:
        out = u8(a.astype(np.float32) * 0.1 + 128 * 0.9)
    return e.before, out, e.instr


@family("art_jpeg_blocking_or_banding_bad", "edit", "review")
def f_art_blocking(rng, base):
    e, a = any_edit(rng, base)
    if rng.random() < 0.6:
        out = jpeg(a, int(rng.integers(3, 9)))
    else:
        lv = int(rng.integers(6, 12))
        step = 256.0 / lv
        out = u8(np.floor(a.astype(np.float32) / step) * step + step / 2)
    return e.before, out, e.instr


@family("art_tile_seams_offsets_bad", "edit", "review")
def f_art_tiles(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    ny, nx = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    ys = np.linspace(0, H, ny + 1).astype(int)
    xs = np.linspace(0, W, nx + 1).astype(int)
    out = a.astype(np.float32).copy()
    mode = pick(rng, ["tone", "tone", "misalign", "seam"])
    for i in range(ny):
        for j in range(nx):
            y0, y1, x0, x1 = ys[i], ys[i + 1], xs[j], xs[j + 1]
            if mode == "tone":
                d = rng.uniform(8, 18, 3) * rng.choice([-1, 1], 3)
                out[y0:y1, x0:x1] += np.array(d, np.float32) + float(rng.uniform(-6, 6))
            elif mode == "misalign":
                dx, dy = int(rng.integers(-6, 7)), int(rng.integers(-6, 7))
                src = np.roll(np.roll(a, dy, axis=0), dx, axis=1)
                out[y0:y1, x0:x1] = src[y0:y1, x0:x1]
    if mode == "seam":
        t = max(2, int(0.004 * max(W, H)))
        for y in ys[1:-1]:
            out[y - t : y + t] = out[y - t : y + t] * 0.75 + 40
        for x in xs[1:-1]:
            out[:, x - t : x + t] = out[:, x - t : x + t] * 0.75 + 40
    elif mode == "tone" and rng.random() < 0.5:
        for y in ys[1:-1]:
            out[y - 1 : y + 1] = out[y - 1 : y + 1] * 0.85
        for x in xs[1:-1]:
            out[:, x - 1 : x + 1] = out[:, x - 1 : x + 1] * 0.85
    return e.before, u8(out), e.instr


@family("art_lowres_upscaled_bad", "edit", "review")
def f_art_lowres(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    f = float(rng.uniform(0.28, 0.5)) if max(W, H) > 700 else float(rng.uniform(0.35, 0.55))
    small = cv2.resize(a, (max(8, int(W * f)), max(8, int(H * f))), interpolation=cv2.INTER_AREA)
    interp = pick(rng, [cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST, cv2.INTER_LINEAR])
    return e.before, cv2.resize(small, (W, H), interpolation=interp), e.instr


def _textured(base):
    """Bases with fine detail (fur, grain, weave, pores) where lost detail is plain to see."""
    sc = base["scene"]
    if base["kind"] == "photo":
        return True
    return sc["bg"]["type"] in ("wood", "fabric", "concrete", "photo")


@family("art_oversmoothed_waxy_bad", "edit", "review")
def f_art_smooth(rng, base):
    if not _textured(base):
        return None
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    f = 2 if max(W, H) > 900 else 1
    x = cv2.resize(a, (W // f, H // f), interpolation=cv2.INTER_AREA) if f > 1 else a.copy()
    for _ in range(4):
        x = cv2.bilateralFilter(x, 9, float(rng.uniform(60, 90)), 7)
    x = cv2.medianBlur(x, 7)
    if f > 1:
        x = cv2.resize(x, (W, H), interpolation=cv2.INTER_CUBIC)
    return e.before, x, e.instr


@family("art_halo_around_product_bad", "edit", "review")
def f_art_halo(rng, base):
    if base["kind"] == "photo":
        e, a = any_edit(rng, base)
        x = a.astype(np.float32)
        bl = gblur(x, 0.012 * max(a.shape[:2]))
        return e.before, u8(x + (x - bl) * float(rng.uniform(2.2, 3.5))), e.instr
    e = bld_background(rng, base) or bld_recolour(rng, base)
    if e is None:
        return None
    a = vae(e.after, rng)
    H, W = a.shape[:2]
    al = e.info1["alphas"][0]
    _, _, bw, bh = item_box(e.sc1["items"][0], W, H)
    wdt = max(4.0, float(rng.uniform(0.018, 0.032)) * min(bw, bh))
    ring = np.clip(gblur(dilate((al > 0.5).astype(np.float32), wdt), wdt * 0.5) - al, 0, 1)
    mode = pick(rng, ["light", "light", "dark", "colour"])
    x = a.astype(np.float32)
    if mode == "light":
        tgt = np.full_like(x, 255.0) if x.mean() < 200 else x * 0.55
    elif mode == "dark":
        tgt = x * 0.35
    else:
        tgt = np.broadcast_to(np.array(bg_mean(e.sc0["bg"]), np.float32), x.shape)
        if colour_dist(bg_mean(e.sc0["bg"]), bg_mean(e.sc1["bg"])) < 50:
            tgt = np.full_like(x, 255.0) if x.mean() < 200 else x * 0.5
    return e.before, u8(blend(x, tgt, ring * float(rng.uniform(0.75, 0.95)))), e.instr


@family("art_nothing_changed_bad", "edit", "review")
def f_art_noop(rng, base):
    e, _ = any_edit(rng, base, avoid=(bld_style,))
    return e.before, vae(e.before, rng), e.instr


@family("art_unasked_resize_bad", "edit", "review")
def f_art_resize(rng, base):
    e, a = any_edit(rng, base)
    H, W = a.shape[:2]
    mode = pick(rng, ["aspect", "square", "scale", "pad", "mp"])
    if mode == "aspect":
        fx = float(pick(rng, [rng.uniform(0.72, 0.88), rng.uniform(1.12, 1.3)]))
        out = cv2.resize(a, (int(W * fx) // 2 * 2, H), interpolation=cv2.INTER_AREA)
    elif mode == "square" and abs(W - H) > 0.1 * max(W, H):
        s = min(W, H)
        out = a[(H - s) // 2 : (H - s) // 2 + s, (W - s) // 2 : (W - s) // 2 + s]
    elif mode == "pad" and abs(W - H) > 0.1 * max(W, H):
        s = max(W, H)
        out = np.full((s, s, 3), 255, np.uint8)
        out[(s - H) // 2 : (s - H) // 2 + H, (s - W) // 2 : (s - W) // 2 + W] = a
    elif mode == "mp":
        # what the pipeline returns when nobody resizes it back: ~1 MP at multiples of 32
        r = math.sqrt(1024 * 1024 / (W * H))
        nw, nh = int(round(W * r / 32)) * 32, int(round(H * r / 32)) * 32
        if abs(nw - W) < 40 and abs(nh - H) < 40:
            nw, nh = int(W * 0.75) // 32 * 32, int(H * 0.75) // 32 * 32
        out = cv2.resize(a, (nw, nh), interpolation=cv2.INTER_AREA)
    else:
        f = (
            float(pick(rng, [rng.uniform(0.45, 0.7), rng.uniform(1.3, 1.6)]))
            if max(W, H) < 1300
            else float(rng.uniform(0.45, 0.7))
        )
        out = cv2.resize(a, (int(W * f), int(H * f)), interpolation=cv2.INTER_AREA)
    if out.shape[:2] == a.shape[:2]:
        out = cv2.resize(a, (int(W * 0.8), int(H * 0.8)), interpolation=cv2.INTER_AREA)
    return e.before, out, e.instr


# ----------------------------------------------------------------------------------------------
# make(): cycle over bases, one pair per (family, base), write files and pairs.jsonl
# ----------------------------------------------------------------------------------------------


def _write_png(path, img):
    cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 3])


def make(out_dir, seed=0, per_family=10, families=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bases = make_bases(seed)
    N = len(bases)
    rows = []
    saved_before = {}
    fams = FAMILIES if families is None else [f for f in FAMILIES if f["name"] in families]
    counts = {}
    for fam in fams:
        order = np.random.default_rng(seed_of(seed, fam["name"], "order")).permutation(N)
        n = 0
        for k in order:
            if n >= per_family:
                break
            base = bases[int(k)]
            rng = np.random.default_rng(seed_of(seed, fam["name"], base["name"]))
            res = fam["fn"](rng, copy.deepcopy(base))
            if res is None:
                continue
            before, after, instr = res
            pid = f"{fam['name']}_{n:02d}"
            hsh = hashlib.md5(before.tobytes() + str(before.shape).encode()).hexdigest()[:16]
            if hsh not in saved_before:
                bp = out_dir / f"before_{base['name']}_{hsh[:8]}.png"
                _write_png(bp, before)
                saved_before[hsh] = str(bp.resolve())
            frng = np.random.default_rng(seed_of(seed, pid, "fmt"))
            # the editor's output is re-encoded as JPEG (q 85-95) or PNG, whatever the verdict
            if frng.random() < 0.75:
                ap = out_dir / f"{pid}_after.jpg"
                cv2.imwrite(str(ap), after, [cv2.IMWRITE_JPEG_QUALITY, int(frng.integers(85, 96))])
            else:
                ap = out_dir / f"{pid}_after.png"
                cv2.imwrite(str(ap), after, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            rows.append(
                {
                    "id": pid,
                    "before": saved_before[hsh],
                    "after": str(ap.resolve()),
                    "instruction": instr,
                    "expect": fam["expect"],
                    "family": fam["name"],
                    "action": fam["action"],
                    "base": base["name"],
                    "author": AUTHOR,
                }
            )
            n += 1
        counts[fam["name"]] = n
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def _main_cli(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    ap.add_argument("--families", nargs="*", default=None, help="only these family names (debugging)")
    args = ap.parse_args(argv)
    rows = make(args.out, seed=args.seed, per_family=args.per_family, families=args.families)
    per = {}
    for r in rows:
        per[r["family"]] = per.get(r["family"], 0) + 1
    good_n = sum(1 for r in rows if r["expect"] == "publish")
    fams = FAMILIES if args.families is None else [f for f in FAMILIES if f["name"] in args.families]
    print(
        f"{len(rows)} pairs ({good_n} publish / {len(rows) - good_n} review) in {len(fams)} families -> "
        f"{args.out / 'pairs.jsonl'}"
    )
    print("pairs per family: " + ", ".join(f"{f['name']}={per.get(f['name'], 0)}" for f in fams))


if __name__ == "__main__":
    _main_cli()
