#!/usr/bin/env python3
"""Before/after pair families (author "b") for the image-edit gate corpus.

Area: recolouring an object, removing objects, adding objects, replacing an object, and
clothes / hair edits on a person whose face must stay.

Scenes are drawn here (products shaded from a height map, so an object can be re-rendered in
another colour with the very same folds, highlights and print), plus a few real photos
(shared eval images and skimage.data.astronaut()).  A good "after" is the requested change
passed through a VAE-like round trip (slight blur, noise, tone drift, JPEG); a bad "after" shows
one failure a catalog team must not publish.

    python families_b.py OUT_DIR [--seed N] [--per-family N]
"""

import argparse
import hashlib
import json
import math
import pathlib
import zlib

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

try:  # optional
    import skimage.data as _skdata
except Exception:  # pragma: no cover
    _skdata = None

AUTHOR = "b"
PHOTO_DIR = pathlib.Path("/work/shared/eval/images")
FONT_PATHS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/work/shared/notes/wqy-microhei.ttc"]
LIGHT = np.array([-0.42, -0.55, 0.72], np.float32)
LIGHT /= np.linalg.norm(LIGHT)
HALF = LIGHT + np.array([0, 0, 1], np.float32)
HALF /= np.linalg.norm(HALF)

# ----------------------------------------------------------------------------------------------
# colours: key -> (BGR albedo, English names, Chinese names)
COLOURS = {
    "red": ((42, 38, 212), ["red", "bright red"], ["红色", "正红色", "大红色"]),
    "maroon": ((48, 28, 104), ["maroon", "burgundy"], ["酒红色", "枣红色"]),
    "royal_blue": ((222, 98, 42), ["royal blue", "cobalt blue"], ["宝蓝色", "钴蓝色"]),
    "navy": ((98, 40, 24), ["navy", "navy blue"], ["藏青色", "海军蓝"]),
    "green": ((62, 170, 40), ["green", "grass green", "kelly green"], ["绿色", "草绿色"]),
    "olive": ((40, 108, 104), ["olive", "olive green"], ["橄榄绿", "军绿色"]),
    "yellow": ((28, 212, 246), ["yellow", "lemon yellow"], ["黄色", "柠檬黄"]),
    "mustard": ((26, 128, 172), ["mustard", "mustard yellow"], ["芥末黄", "土黄色"]),
    "orange": ((30, 122, 242), ["orange", "bright orange"], ["橙色", "橘色"]),
    "brown": ((38, 68, 118), ["brown", "chocolate brown"], ["棕色", "咖啡色"]),
    "pink": ((184, 140, 246), ["pink", "baby pink"], ["粉色", "粉红色"]),
    "purple": ((150, 52, 118), ["purple", "violet"], ["紫色", "紫罗兰色"]),
    "black": ((34, 33, 35), ["black", "jet black"], ["黑色", "纯黑色"]),
    "charcoal": ((104, 104, 108), ["charcoal grey", "dark grey"], ["深灰色", "炭灰色"]),
    "white": ((238, 239, 240), ["white", "pure white"], ["白色", "纯白色"]),
    "beige": ((150, 196, 224), ["beige", "cream"], ["米色", "米黄色"]),
    "sky_blue": ((238, 196, 120), ["sky blue", "light blue"], ["天蓝色", "浅蓝色"]),
    "teal": ((132, 132, 22), ["teal", "dark teal"], ["青绿色", "蓝绿色"]),
    "mint": ((196, 228, 160), ["mint", "mint green"], ["薄荷绿"]),
    "lavender": ((226, 160, 184), ["lavender", "lilac"], ["薰衣草紫", "浅紫色"]),
    "grey": ((168, 168, 170), ["grey", "light grey"], ["灰色", "浅灰色"]),
}
# what was asked -> what a diffusion model returns when it misses by a little
NEAR_MISS = {
    "red": "maroon",
    "royal_blue": "navy",
    "green": "olive",
    "yellow": "mustard",
    "orange": "brown",
    "white": "beige",
    "black": "charcoal",
    "sky_blue": "teal",
    "pink": "purple",
}
HUE_GROUP = {
    "red": "red",
    "maroon": "red",
    "royal_blue": "blue",
    "navy": "blue",
    "green": "green",
    "olive": "green",
    "yellow": "yellow",
    "mustard": "yellow",
    "orange": "orange",
    "brown": "orange",
    "pink": "pink",
    "purple": "purple",
    "black": "dark",
    "charcoal": "dark",
    "white": "light",
    "beige": "light",
    "sky_blue": "blue",
    "teal": "green",
    "mint": "green",
    "lavender": "purple",
    "grey": "light",
}
TARGETS = [
    "red",
    "royal_blue",
    "green",
    "yellow",
    "orange",
    "pink",
    "black",
    "white",
    "navy",
    "sky_blue",
    "purple",
    "brown",
    "mint",
    "lavender",
    "teal",
    "beige",
    "maroon",
]
PRODUCT_COLOURS = [
    "red",
    "royal_blue",
    "navy",
    "green",
    "yellow",
    "orange",
    "pink",
    "black",
    "white",
    "grey",
    "beige",
    "teal",
    "purple",
    "brown",
    "sky_blue",
    "mint",
]
HAIR = {
    "black": ((22, 22, 26), ["black", "jet black"], ["黑色", "乌黑色"]),
    "blonde": ((96, 176, 214), ["blonde", "golden blonde"], ["金色", "亚麻金色"]),
    "auburn": ((30, 58, 132), ["auburn", "copper red"], ["红棕色", "铜红色"]),
    "brown": ((34, 56, 92), ["brown", "chestnut brown"], ["棕色", "栗棕色"]),
    "pink": ((170, 120, 236), ["pastel pink", "pink"], ["粉色", "樱花粉"]),
    "silver": ((186, 186, 190), ["silver", "silver grey"], ["银灰色", "奶奶灰"]),
    "blue": ((190, 110, 40), ["blue", "electric blue"], ["蓝色", "宝蓝色"]),
}


def cname(key, rng, lang):
    bgr, en, zh = COLOURS[key] if key in COLOURS else HAIR[key]
    return str(rng.choice(en if lang == "en" else zh))


def bgr_of(key):
    return np.array((COLOURS[key] if key in COLOURS else HAIR[key])[0], np.float32)


def pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def append(ins, extra):
    """Join an extra clause onto an instruction without doubled punctuation."""
    ins = ins.rstrip(" .。")
    if extra[0] in "，,;；(（ ":
        return ins + extra
    return ins + ("，" if any("\u4e00" <= ch <= "\u9fff" for ch in extra) else ", ") + extra


# ----------------------------------------------------------------------------------------------
# small image helpers
def fbm(h, w, rng, cells=4, octaves=4, persistence=0.55, aniso=(1.0, 1.0)):
    out = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    long_side = max(h, w)
    for o in range(octaves):
        c = cells * 2**o
        gy = max(2, int(c * h / long_side * aniso[0]) + 2)
        gx = max(2, int(c * w / long_side * aniso[1]) + 2)
        small = rng.random((gy, gx)).astype(np.float32)
        out += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        tot += amp
        amp *= persistence
    return out / tot


def feather(mask, sigma):
    if sigma <= 0:
        return mask.astype(np.float32)
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def blend(a, b, m):
    m = m.astype(np.float32)
    if m.ndim == 2:
        m = m[..., None]
    return a.astype(np.float32) * (1 - m) + b.astype(np.float32) * m


def u8(a):
    return np.clip(a + 0.5, 0, 255).astype(np.uint8) if a.dtype != np.uint8 else a


def m_poly(h, w, pts):
    m = np.zeros((h, w), np.uint8)
    p = np.round(np.asarray(pts, np.float64) * 16).astype(np.int32)
    cv2.fillPoly(m, [p], 255, cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255


def m_ellipse(h, w, cx, cy, rx, ry, ang=0.0):
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        m,
        (int(cx * 16), int(cy * 16)),
        (max(1, int(rx * 16)), max(1, int(ry * 16))),
        ang,
        0,
        360,
        255,
        -1,
        cv2.LINE_AA,
        4,
    )
    return m.astype(np.float32) / 255


def m_rrect(h, w, x0, y0, x1, y1, r):
    r = max(0.5, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    pts = []
    for cx, cy, a0 in (
        (x1 - r, y0 + r, -90),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    ):
        for a in np.linspace(a0, a0 + 90, 8):
            pts.append((cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))))
    return m_poly(h, w, pts)


def m_thick_line(h, w, p0, p1, th):
    m = np.zeros((h, w), np.uint8)
    cv2.line(
        m,
        (int(p0[0] * 16), int(p0[1] * 16)),
        (int(p1[0] * 16), int(p1[1] * 16)),
        255,
        max(1, int(th)),
        cv2.LINE_AA,
        4,
    )
    return m.astype(np.float32) / 255


def bevel(mask, r):
    d = cv2.distanceTransform((mask > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    t = np.clip(d / max(r, 1.0), 0, 1)
    return (max(r, 1.0) * np.sqrt(1 - (1 - t) ** 2)).astype(np.float32)


def cyl(h, w, cx, r):
    x = np.arange(w, dtype=np.float32)
    v = np.sqrt(np.clip(r * r - (x - cx) ** 2, 0, None))
    return np.repeat(v[None, :], h, 0)


def sphere(h, w, cx, cy, r):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.sqrt(np.clip(r * r - (x - cx) ** 2 - (y - cy) ** 2, 0, None))


def shade(height, amb=0.40, kd=0.70, shin=50):
    hgt = cv2.GaussianBlur(height.astype(np.float32), (0, 0), 1.0)
    gy, gx = np.gradient(hgt)
    nz = 1.0 / np.sqrt(gx * gx + gy * gy + 1)
    nx, ny = -gx * nz, -gy * nz
    ndl = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0, 1)
    ndh = np.clip(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0, 1)
    return (amb + kd * ndl).astype(np.float32), (ndh**shin).astype(np.float32)


_FONTS = {}


def font(size):
    size = max(8, int(size))
    if size not in _FONTS:
        f = None
        for p in FONT_PATHS:
            try:
                f = ImageFont.truetype(p, size)
                break
            except Exception:
                continue
        _FONTS[size] = f
    return _FONTS[size]


def has_cjk_font():
    return font(20) is not None


def text_layer(h, w, text, colour, size, cx, cy, bold=False):
    """Anti-aliased text (CJK if the font exists) as (rgb float, alpha float) of size h x w."""
    f = font(size)
    if f is None:
        text = "".join(c for c in text if ord(c) < 128) or "LOGO"
        a = np.zeros((h, w), np.uint8)
        sc = size / 30.0
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, sc, 2)
        cv2.putText(
            a,
            text,
            (int(cx - tw / 2), int(cy + th / 2)),
            cv2.FONT_HERSHEY_DUPLEX,
            sc,
            255,
            2 if bold else 1,
            cv2.LINE_AA,
        )
    else:
        im = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(im)
        bb = d.textbbox((0, 0), text, font=f)
        tw, th = bb[2] - bb[0], bb[3] - bb[1]
        d.text(
            (cx - tw / 2 - bb[0], cy - th / 2 - bb[1]),
            text,
            font=f,
            fill=255,
            stroke_width=1 if bold else 0,
            stroke_fill=255,
        )
        a = np.asarray(im)
    alpha = a.astype(np.float32) / 255
    rgb = np.empty((h, w, 3), np.float32)
    rgb[:] = np.asarray(colour, np.float32)
    return rgb, alpha


def text_fits(text, size):
    f = font(size)
    if f is None:
        return len(text) * size * 0.6
    bb = ImageDraw.Draw(Image.new("L", (4, 4))).textbbox((0, 0), text, font=f)
    return bb[2] - bb[0]


def vae(img, rng):
    """What a diffusion editor returns outside its edit: soft, a little noisy, tone-drifted."""
    out = cv2.GaussianBlur(u8(img), (0, 0), float(rng.uniform(0.4, 0.9))).astype(np.float32)
    out += rng.standard_normal(out.shape, dtype=np.float32) * float(rng.uniform(0.8, 2.0))
    out += rng.uniform(-2.0, 2.0, 3).astype(np.float32)
    return u8(out)


# ----------------------------------------------------------------------------------------------
# backdrops (float32 BGR)
PASTELS = [
    (232, 214, 196),
    (214, 226, 240),
    (200, 230, 210),
    (226, 208, 236),
    (190, 216, 238),
    (236, 226, 214),
    (210, 232, 238),
]


def backdrop(kind, h, w, rng):
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    if kind in ("white", "nearwhite", "grey", "colour", "gradient"):
        if kind == "white":
            c0 = np.array([250, 250, 250], np.float32) + rng.uniform(-2, 2, 3)
            c1 = c0 - rng.uniform(4, 10)
        elif kind == "nearwhite":
            c0 = np.array([240, 242, 244], np.float32) + rng.uniform(-4, 4, 3)
            c1 = c0 - rng.uniform(6, 14)
        elif kind == "grey":
            g = rng.uniform(150, 205)
            c0 = np.array([g, g, g + 2], np.float32) + 12
            c1 = c0 - rng.uniform(25, 45)
        elif kind == "colour":
            c0 = np.array(pick(rng, PASTELS), np.float32)
            c1 = c0 * rng.uniform(0.78, 0.9)
        else:
            c0 = np.array(pick(rng, PASTELS), np.float32)
            c1 = np.array(pick(rng, PASTELS), np.float32) * 0.85
        bg = c0 * (1 - y) + c1 * y
        r2 = (x - 0.5) ** 2 + (y - 0.45) ** 2
        bg = bg * (1 - 0.10 * r2)
        bg += (fbm(h, w, rng, 3, 2)[..., None] - 0.5) * 4
        return bg.astype(np.float32)
    if kind == "wood":
        base = np.array(pick(rng, [(70, 120, 170), (52, 92, 138), (96, 150, 196), (40, 66, 100)]), np.float32)
        n = fbm(h, w, rng, 3, 3, aniso=(6.0, 0.4))
        period = rng.uniform(0.012, 0.03) * h
        yy = np.arange(h, dtype=np.float32)[:, None]
        rings = np.sin((yy / period + n * 9) * 2 * np.pi)
        fine = fbm(h, w, rng, 20, 2, aniso=(6.0, 0.3))
        tone = 0.86 + 0.07 * rings + 0.18 * (fine - 0.5) + 0.15 * (n - 0.5)
        planks = int(rng.integers(3, 6))
        seam = np.ones((h, 1), np.float32)
        for k in range(1, planks):
            yc = int(h * k / planks)
            seam[max(0, yc - 2) : yc + 2] = 0.55
        seam = cv2.GaussianBlur(seam, (0, 0), 1.2)
        return (base * (tone * seam)[..., None]).astype(np.float32)
    if kind == "fabric":
        base = np.array(
            pick(rng, [(200, 208, 214), (176, 188, 196), (150, 170, 190), (196, 196, 178)]), np.float32
        )
        p = rng.uniform(3.0, 5.0)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        weave = np.sin(xx * 2 * np.pi / p) * np.sin(yy * 2 * np.pi / p)
        tone = 0.94 + 0.035 * weave + 0.10 * (fbm(h, w, rng, 4, 3) - 0.5)
        return (base * tone[..., None]).astype(np.float32)
    if kind == "marble":
        base = np.array(pick(rng, [(236, 236, 234), (226, 230, 232), (222, 226, 230)]), np.float32)
        n = fbm(h, w, rng, 3, 5)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx * rng.uniform(0.6, 1.4) + yy) / max(h, w) * rng.uniform(3, 6) + n * 6
        veins = np.abs(np.sin(t * np.pi)) ** 0.3
        tone = 0.80 + 0.2 * veins - 0.06 * (fbm(h, w, rng, 6, 3) - 0.5)
        return (base * tone[..., None]).astype(np.float32)
    if kind == "concrete":
        g = rng.uniform(140, 185)
        base = np.array([g, g + 2, g + 4], np.float32)
        tone = 0.9 + 0.25 * (fbm(h, w, rng, 4, 5, 0.6) - 0.5)
        speck = (rng.random((h, w)) > 0.995).astype(np.float32)
        tone -= 0.12 * cv2.GaussianBlur(speck, (0, 0), 0.8) * 4
        return (base * tone[..., None]).astype(np.float32)
    if kind == "outdoor":
        hz = rng.uniform(0.45, 0.6)
        sky = np.array([236, 200, 150], np.float32) * (1 - y / hz) + np.array([246, 232, 214], np.float32) * (
            y / hz
        )
        trees = np.array([70, 120, 80], np.float32) * (0.75 + 0.5 * fbm(h, w, rng, 8, 3)[..., None])
        ground = np.array([150, 170, 186], np.float32) * (0.85 + 0.3 * fbm(h, w, rng, 10, 3)[..., None])
        tree_top = hz - 0.12 - 0.08 * fbm(1, w, rng, 6, 2)[0][None, :, None]
        bg = np.where(y < tree_top, sky, np.where(y < hz, trees, ground))
        bg = cv2.GaussianBlur(bg.astype(np.float32), (0, 0), max(h, w) / 300)
        return bg.astype(np.float32)
    raise ValueError(kind)


# ----------------------------------------------------------------------------------------------
# objects: local patches with parts (mask, albedo, group), shading (diffuse, spec) and a decal
def new_obj(name, zh, h, w, kind):
    return dict(
        name=name,
        zh=zh,
        kind=kind,
        x=0,
        y=0,
        h=int(h),
        w=int(w),
        parts=[],
        diffuse=None,
        spec=None,
        gloss=0.25,
        decal=None,
        shadow=1.0,
        flat=False,
    )


def add_part(o, mask, albedo, group="main", pattern=None, colour2=None, tex=None):
    o["parts"].append(
        dict(
            mask=mask.astype(np.float32),
            albedo=np.asarray(albedo, np.float32),
            group=group,
            pattern=pattern,
            colour2=None if colour2 is None else np.asarray(colour2, np.float32),
            tex=tex,
        )
    )


def union_mask(o, groups=None):
    m = np.zeros((o["h"], o["w"]), np.float32)
    for p in o["parts"]:
        if groups is None or p["group"] in groups:
            m = np.maximum(m, p["mask"])
    return m


def add_decal(o, rgb, alpha):
    if o["decal"] is None:
        o["decal"] = (rgb, alpha)
    else:
        r0, a0 = o["decal"]
        a = alpha + a0 * (1 - alpha)
        r = (rgb * alpha[..., None] + r0 * (a0 * (1 - alpha))[..., None]) / np.maximum(a, 1e-4)[..., None]
        o["decal"] = (r, a)


def finish(o, height, amb=0.40, kd=0.70, shin=50, gloss=0.25):
    o["diffuse"], o["spec"] = shade(height, amb, kd, shin)
    o["gloss"] = gloss
    return o


def fold_height(h, w, s, rng, n=4, amp=0.02):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f = np.zeros((h, w), np.float32)
    for _ in range(n):
        th = rng.uniform(0, np.pi)
        lam = rng.uniform(0.22, 0.5) * s
        f += (
            rng.uniform(0.5, 1.0)
            * amp
            * s
            * np.sin((xx * math.cos(th) + yy * math.sin(th)) / lam * 2 * np.pi + rng.uniform(0, 6.28))
        )
    f += (fbm(h, w, rng, 3, 3) - 0.5) * amp * s * 1.5
    return f


def stripes(h, w, s, rng, warp=None, vertical=False):
    period = rng.uniform(0.045, 0.09) * s
    duty = rng.uniform(0.3, 0.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c = xx if vertical else yy
    if warp is not None:
        c = c + warp * 0.6
    ph = (c / period) % 1.0
    edge = 1.2 / period
    p = np.clip((duty / 2 - np.abs(ph - 0.5)) / edge + 0.5, 0, 1)
    return p.astype(np.float32)


def checks(h, w, s, rng):
    period = rng.uniform(0.08, 0.14) * s
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = (np.sin(xx / period * 2 * np.pi) > 0.3).astype(np.float32)
    b = (np.sin(yy / period * 2 * np.pi) > 0.3).astype(np.float32)
    return feather(np.clip(0.55 * a + 0.55 * b, 0, 1), 0.7)


def logo_decal(o, text, colour, size, cx, cy, region=None, max_w=None, ink=False):
    if max_w is not None:
        tw = text_fits(text, size)
        if tw > max_w:
            size = size * max_w / tw
    if ink:
        o["ink"] = tuple(colour)
    rgb, a = text_layer(o["h"], o["w"], text, colour, size, cx, cy, bold=True)
    if region is not None:
        a = a * region
    add_decal(o, rgb, a)


def contrast_ink(albedo):
    return (245, 245, 245) if float(np.mean(albedo)) < 140 else (30, 30, 34)


BRANDS = [
    "LUNA",
    "NORD",
    "BREW",
    "AURA",
    "MOSS",
    "KIRA",
    "OLIO",
    "ZEN",
    "TERRA",
    "悦己",
    "山茶",
    "早安",
    "森林",
    "拾光",
    "初雪",
]


def printable(words):
    """Without the CJK font only Latin print can be drawn."""
    return words if has_cjk_font() else [w for w in words if w.isascii()]


BRANDS = printable(BRANDS)


# ---------------- product builders: (s = main size in px, rng, colour key, **options) ---------
def build_mug(s, rng, colour, print_text=None, **_):
    H, W = int(1.02 * s), int(1.14 * s)
    o = new_obj("mug", "马克杯", H, W, "mug")
    bx0, bx1 = 0.04 * s, 0.78 * s
    cx, r = (bx0 + bx1) / 2, (bx1 - bx0) / 2
    top, bot, ery = 0.1 * s, 0.94 * s, 0.07 * s
    body = np.maximum.reduce(
        [
            m_poly(H, W, [(bx0, top), (bx1, top), (bx1, bot), (bx0, bot)]),
            m_ellipse(H, W, cx, bot, r, ery),
            m_ellipse(H, W, cx, top, r, ery),
        ]
    )
    inner = m_ellipse(H, W, cx, top, r * 0.9, ery * 0.82)
    hx, hy = bx1 - 0.02 * s, 0.5 * s
    ring = np.clip(
        m_ellipse(H, W, hx, hy, 0.22 * s, 0.26 * s) - m_ellipse(H, W, hx, hy, 0.13 * s, 0.16 * s), 0, 1
    )
    handle = ring * (1 - body)
    handle[:, : int(bx1 - 0.03 * s)] = 0
    c = bgr_of(colour)
    add_part(o, body * (1 - inner), c, "main")
    add_part(o, inner, c, "main")
    add_part(o, handle, c, "handle")
    height = cyl(H, W, cx, r) * body + bevel(handle, 0.045 * s) * handle
    finish(o, height, shin=60, gloss=rng.uniform(0.35, 0.6))
    yy = np.arange(H, dtype=np.float32)[:, None]
    o["diffuse"] = o["diffuse"] * (1 - inner * (0.55 - 0.3 * np.clip((yy - top + ery) / (2 * ery), 0, 1)))
    o["spec"] = o["spec"] * (1 - inner)
    if print_text:
        sz = 0.16 * s if len(print_text) <= 3 else 0.55 * s / max(3, len(print_text))
        logo_decal(
            o, print_text, contrast_ink(c), sz, cx, 0.52 * s, body * (1 - inner), max_w=0.6 * s, ink=True
        )
    return o


def build_bottle(s, rng, colour, print_text=None, **_):
    H, W = int(s), int(0.4 * s)
    o = new_obj("bottle", "瓶子", H, W, "bottle")
    cx = W / 2
    body = np.maximum(
        m_rrect(H, W, cx - 0.17 * s, 0.36 * s, cx + 0.17 * s, 0.985 * s, 0.04 * s),
        m_ellipse(H, W, cx, 0.37 * s, 0.17 * s, 0.11 * s),
    )
    neck = m_poly(
        H,
        W,
        [
            (cx - 0.06 * s, 0.1 * s),
            (cx + 0.06 * s, 0.1 * s),
            (cx + 0.06 * s, 0.3 * s),
            (cx - 0.06 * s, 0.3 * s),
        ],
    )
    cap = m_rrect(H, W, cx - 0.078 * s, 0.005 * s, cx + 0.078 * s, 0.15 * s, 0.012 * s)
    main = np.clip(np.maximum(body, neck) - cap, 0, 1)
    c = bgr_of(colour)
    add_part(o, main, c, "main")
    capc = pick(rng, [(30, 30, 32), (60, 160, 205), (200, 200, 204), (240, 240, 240)])
    add_part(o, cap, capc, "cap")
    yy = np.arange(H, dtype=np.float32)[:, None]
    height = np.where(yy > 0.3 * s, cyl(H, W, cx, 0.17 * s), cyl(H, W, cx, 0.075 * s)) * np.maximum(main, cap)
    finish(o, height, shin=70, gloss=rng.uniform(0.55, 0.9))
    lab = m_rrect(H, W, cx - 0.18 * s, 0.52 * s, cx + 0.18 * s, 0.82 * s, 0.005 * s) * body
    lc = pick(rng, [(232, 240, 246), (250, 250, 250), (40, 40, 44)])
    rgb = np.empty((H, W, 3), np.float32)
    rgb[:] = lc
    add_decal(o, rgb, lab * 0.97)
    text = print_text or pick(rng, BRANDS)
    logo_decal(o, text, contrast_ink(np.array(lc)), 0.1 * s, cx, 0.64 * s, lab, max_w=0.28 * s)
    logo_decal(
        o,
        pick(rng, printable(["100 ml", "250ml", "ORGANIC", "天然", "NATURAL"])),
        contrast_ink(np.array(lc)),
        0.045 * s,
        cx,
        0.75 * s,
        lab,
    )
    return o


def build_tshirt(s, rng, colour, pattern=None, print_text=None, **_):
    H, W = int(s), int(1.0 * s)
    o = new_obj("T-shirt", "T恤", H, W, "tshirt")
    P = [
        (0.36, 0.02),
        (0.44, 0.06),
        (0.56, 0.06),
        (0.64, 0.02),
        (0.86, 0.1),
        (1.0, 0.34),
        (0.84, 0.43),
        (0.78, 0.35),
        (0.79, 0.98),
        (0.21, 0.98),
        (0.22, 0.35),
        (0.16, 0.43),
        (0.0, 0.34),
        (0.14, 0.1),
    ]
    sh = m_poly(H, W, [(x * W * 0.98 + 0.01 * W, y * H) for x, y in P])
    neck = m_ellipse(H, W, 0.5 * W, 0.035 * s, 0.12 * s, 0.07 * s) * sh
    folds = fold_height(H, W, s, rng, 5, 0.012)
    height = (bevel(sh, 0.07 * s) + folds) * sh
    c = bgr_of(colour)
    pat = None
    c2 = None
    if pattern == "stripes":
        pat = stripes(H, W, s, rng, warp=folds)
        c2 = pick(rng, [(244, 244, 244), (236, 240, 242)])
    elif pattern == "checks":
        pat = checks(H, W, s, rng)
        c2 = (240, 240, 240)
    tex = 1 + 0.035 * (fbm(H, W, rng, 60, 1) - 0.5)
    add_part(o, sh * (1 - neck), c, "main", pat, c2, tex)
    add_part(o, neck, c, "main", pat, c2, tex)
    finish(o, height, amb=0.45, kd=0.62, shin=20, gloss=0.03)
    o["diffuse"] = o["diffuse"] * (1 - 0.45 * neck)
    if print_text:
        sz = min(0.2 * s, 0.5 * s / max(2, len(print_text)) * 1.6)
        logo_decal(
            o,
            print_text,
            contrast_ink(c) if pattern is None else (30, 30, 34),
            sz,
            0.5 * W,
            0.36 * s,
            sh * (1 - neck),
            max_w=0.45 * s,
            ink=pattern is None,
        )
    return o


def build_sneaker(s, rng, colour, print_text=None, **_):
    H, W = int(0.5 * s), int(s)
    o = new_obj("sneaker", "运动鞋", H, W, "sneaker")
    up = m_poly(
        H,
        W,
        [
            (x * s, y * s)
            for x, y in [
                (0.03, 0.07),
                (0.2, 0.04),
                (0.33, 0.14),
                (0.55, 0.19),
                (0.8, 0.24),
                (0.95, 0.31),
                (0.98, 0.39),
                (0.03, 0.39),
            ]
        ],
    )
    sole = m_rrect(H, W, 0.01 * s, 0.37 * s, 0.995 * s, 0.47 * s, 0.03 * s)
    up = up * (1 - sole)
    c = bgr_of(colour)
    add_part(o, up, c, "main", tex=1 + 0.03 * (fbm(H, W, rng, 40, 1) - 0.5))
    solec = pick(rng, [(242, 242, 242), (236, 244, 248), (40, 40, 42)])
    add_part(o, sole, solec, "sole")
    height = bevel(up, 0.09 * s) + bevel(sole, 0.025 * s)
    finish(o, height, shin=30, gloss=0.08)
    lace = np.zeros((H, W), np.float32)
    for k in range(5):
        x = (0.36 + 0.06 * k) * s
        y = (0.15 + 0.012 * k) * s
        lace = np.maximum(
            lace, m_thick_line(H, W, (x - 0.02 * s, y - 0.015 * s), (x + 0.025 * s, y + 0.01 * s), 0.012 * s)
        )
    rgb = np.empty((H, W, 3), np.float32)
    rgb[:] = (240, 240, 240)
    add_decal(o, rgb, lace * up)
    sw = np.zeros((H, W), np.uint8)
    pts = np.array([(0.3, 0.31), (0.5, 0.27), (0.7, 0.24), (0.52, 0.33)]) * s * 16
    cv2.fillPoly(sw, [pts.astype(np.int32)], 255, cv2.LINE_AA, 4)
    rgb2 = np.empty((H, W, 3), np.float32)
    rgb2[:] = contrast_ink(c)
    o["ink"] = contrast_ink(c)
    add_decal(o, rgb2, sw.astype(np.float32) / 255 * up)
    return o


def build_bag(s, rng, colour, print_text=None, **_):
    H, W = int(s), int(0.9 * s)
    o = new_obj("tote bag", "托特包", H, W, "bag")
    body = m_rrect(H, W, 0.04 * W, 0.36 * s, 0.96 * W, 0.99 * s, 0.03 * s)
    body = np.minimum(body, m_poly(H, W, [(0.12 * W, 0.35 * s), (0.88 * W, 0.35 * s), (1.0 * W, s), (0, s)]))
    hand = np.zeros((H, W), np.float32)
    for hx in (0.33, 0.67):
        r = np.clip(
            m_ellipse(H, W, hx * W, 0.37 * s, 0.12 * W, 0.28 * s)
            - m_ellipse(H, W, hx * W, 0.37 * s, 0.12 * W - 0.035 * s, 0.28 * s - 0.035 * s),
            0,
            1,
        )
        hand = np.maximum(hand, r)
    hand[int(0.37 * s) :] = 0
    hand = hand * (1 - body)
    c = bgr_of(colour)
    tex = 1 + 0.04 * (fbm(H, W, rng, 50, 1) - 0.5)
    add_part(o, hand, c, "handle", tex=tex)
    add_part(o, body, c, "main", tex=tex)
    height = bevel(body, 0.12 * s) + fold_height(H, W, s, rng, 3, 0.01) * body + bevel(hand, 0.018 * s)
    finish(o, height, shin=25, gloss=0.06)
    text = print_text or pick(rng, BRANDS)
    logo_decal(o, text, contrast_ink(c), 0.16 * s, 0.5 * W, 0.66 * s, body, max_w=0.6 * W, ink=True)
    return o


def build_box(s, rng, colour, print_text=None, **_):
    H, W = int(s), int(1.1 * s)
    o = new_obj("box", "包装盒", H, W, "box")
    fx1 = 0.75 * W
    front = m_poly(H, W, [(0, 0.25 * s), (fx1, 0.25 * s), (fx1, s), (0, s)])
    top = m_poly(H, W, [(0, 0.25 * s), (fx1, 0.25 * s), (W, 0), (0.25 * W, 0)])
    side = m_poly(H, W, [(fx1, 0.25 * s), (W, 0), (W, 0.75 * s), (fx1, s)])
    top = top * (1 - front)
    side = side * (1 - front) * (1 - top)
    c = bgr_of(colour)
    for m in (front, top, side):
        add_part(o, m, c, "main")
    yy = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    o["diffuse"] = (front * (0.93 - 0.08 * yy) + top * 1.08 + side * (0.66 - 0.05 * yy)).astype(np.float32)
    o["diffuse"] += (1 - np.clip(front + top + side, 0, 1)) * 0.9
    o["spec"] = np.zeros((H, W), np.float32)
    o["gloss"] = 0.0
    text = print_text or pick(rng, BRANDS)
    ink = contrast_ink(c)
    logo_decal(o, text, ink, 0.2 * s, fx1 / 2, 0.55 * s, front, max_w=0.7 * fx1, ink=True)
    logo_decal(
        o,
        pick(rng, printable(["PREMIUM", "GIFT SET", "限量版", "新品"])),
        ink,
        0.06 * s,
        fx1 / 2,
        0.8 * s,
        front,
    )
    return o


def build_jar(s, rng, colour, print_text=None, **_):
    H, W = int(0.72 * s), int(s)
    o = new_obj("cream jar", "面霜罐", H, W, "jar")
    cx, r = W / 2, 0.45 * s
    lid = np.maximum.reduce(
        [
            m_poly(H, W, [(cx - r, 0.08 * s), (cx + r, 0.08 * s), (cx + r, 0.3 * s), (cx - r, 0.3 * s)]),
            m_ellipse(H, W, cx, 0.08 * s, r, 0.07 * s),
            m_ellipse(H, W, cx, 0.3 * s, r, 0.07 * s),
        ]
    )
    base = np.maximum(
        m_poly(
            H,
            W,
            [
                (cx - r * 0.95, 0.3 * s),
                (cx + r * 0.95, 0.3 * s),
                (cx + r * 0.95, 0.64 * s),
                (cx - r * 0.95, 0.64 * s),
            ],
        ),
        m_ellipse(H, W, cx, 0.64 * s, r * 0.95, 0.06 * s),
    )
    base = base * (1 - lid)
    add_part(o, lid, bgr_of(colour), "main")
    bc = pick(rng, [(240, 240, 240), (226, 232, 236), (236, 238, 246)])
    add_part(o, base, bc, "base")
    finish(o, cyl(H, W, cx, r) * np.maximum(lid, base), shin=80, gloss=rng.uniform(0.5, 0.85))
    text = print_text or pick(rng, printable(["HYDRA", "GLOW", "水润", "AQUA", "SILK"]))
    logo_decal(o, text, (60, 60, 64), 0.12 * s, cx, 0.48 * s, base, max_w=0.6 * s)
    return o


def build_watch(s, rng, colour, print_text=None, **_):
    H, W = int(s), int(0.58 * s)
    o = new_obj("watch", "手表", H, W, "watch")
    cx, cy = W / 2, 0.5 * s
    strap = m_rrect(H, W, cx - 0.14 * s, 0.0, cx + 0.14 * s, s, 0.03 * s)
    case = m_ellipse(H, W, cx, cy, 0.27 * s, 0.27 * s)
    dial = m_ellipse(H, W, cx, cy, 0.22 * s, 0.22 * s)
    add_part(o, strap * (1 - case), bgr_of(colour), "main", tex=1 + 0.05 * (fbm(H, W, rng, 40, 1) - 0.5))
    add_part(o, case * (1 - dial), pick(rng, [(200, 200, 204), (80, 170, 210), (180, 180, 186)]), "case")
    add_part(o, dial, pick(rng, [(246, 246, 244), (34, 34, 36), (140, 80, 30)]), "dial")
    height = bevel(strap, 0.03 * s) * (1 - case) + (sphere(H, W, cx, cy, 0.3 * s) * 0.5 + 0.05 * s) * case
    height = height * (1 - dial) + (0.05 * s + 0.5 * sphere(H, W, cx, cy, 0.3 * s).max() - 0.02 * s) * dial
    finish(o, height, shin=60, gloss=0.45)
    o["spec"] *= np.clip(case + 0.2, 0, 1)
    ink = np.zeros((H, W), np.float32)
    for k in range(12):
        a = k / 12 * 2 * np.pi
        ink = np.maximum(
            ink,
            m_thick_line(
                H,
                W,
                (cx + 0.17 * s * math.cos(a), cy + 0.17 * s * math.sin(a)),
                (cx + 0.2 * s * math.cos(a), cy + 0.2 * s * math.sin(a)),
                0.012 * s,
            ),
        )
    ink = np.maximum(ink, m_thick_line(H, W, (cx, cy), (cx + 0.09 * s, cy - 0.06 * s), 0.02 * s))
    ink = np.maximum(ink, m_thick_line(H, W, (cx, cy), (cx - 0.03 * s, cy - 0.16 * s), 0.013 * s))
    dcol = o["parts"][2]["albedo"]
    rgb = np.empty((H, W, 3), np.float32)
    rgb[:] = contrast_ink(dcol)
    add_decal(o, rgb, ink * dial)
    return o


def build_chair(s, rng, colour, print_text=None, **_):
    H, W = int(s), int(0.82 * s)
    o = new_obj("armless chair", "椅子", H, W, "chair")
    back = m_rrect(H, W, 0.12 * W, 0.0, 0.88 * W, 0.5 * s, 0.07 * s)
    seat = m_rrect(H, W, 0.04 * W, 0.46 * s, 0.96 * W, 0.66 * s, 0.06 * s)
    legs = np.zeros((H, W), np.float32)
    for x0, x1, yb in ((0.12, 0.06, 0.99), (0.88, 0.94, 0.99), (0.25, 0.22, 0.9), (0.75, 0.78, 0.9)):
        legs = np.maximum(legs, m_thick_line(H, W, (x0 * W, 0.6 * s), (x1 * W, yb * s), 0.035 * s))
    legs = legs * (1 - seat)
    back = back * (1 - seat)
    c = bgr_of(colour)
    tex = 1 + 0.05 * (fbm(H, W, rng, 50, 1) - 0.5)
    add_part(o, legs, pick(rng, [(40, 62, 92), (30, 30, 32), (150, 150, 156)]), "legs")
    add_part(o, back, c, "main", tex=tex)
    add_part(o, seat, c, "main", tex=tex)
    height = bevel(back, 0.1 * s) + bevel(seat, 0.08 * s) + bevel(legs, 0.015 * s)
    finish(o, height, shin=25, gloss=0.05)
    return o


def build_cushion(s, rng, colour, pattern=None, print_text=None, **_):
    H, W = int(s), int(s)
    o = new_obj("cushion", "抱枕", H, W, "cushion")
    m = m_rrect(H, W, 0.03 * s, 0.03 * s, 0.97 * s, 0.97 * s, 0.16 * s)
    height = bevel(m, 0.35 * s) + fold_height(H, W, s, rng, 3, 0.008) * m
    c = bgr_of(colour)
    pat, c2 = None, None
    if pattern == "stripes":
        pat, c2 = stripes(H, W, s, rng, vertical=bool(rng.integers(2))), (240, 240, 238)
    elif pattern == "checks":
        pat, c2 = checks(H, W, s, rng), (240, 240, 238)
    add_part(o, m, c, "main", pat, c2, 1 + 0.05 * (fbm(H, W, rng, 50, 1) - 0.5))
    finish(o, height, amb=0.45, kd=0.6, shin=20, gloss=0.03)
    if print_text:
        logo_decal(
            o, print_text, contrast_ink(c), 0.2 * s, 0.5 * s, 0.5 * s, m, max_w=0.7 * s, ink=pattern is None
        )
    return o


PRODUCTS = {
    "mug": build_mug,
    "bottle": build_bottle,
    "tshirt": build_tshirt,
    "sneaker": build_sneaker,
    "bag": build_bag,
    "box": build_box,
    "jar": build_jar,
    "watch": build_watch,
    "chair": build_chair,
    "cushion": build_cushion,
}
# size of the local patch relative to s: (h, w)
ASPECT = {
    "mug": (1.02, 1.14),
    "bottle": (1.0, 0.4),
    "tshirt": (1.0, 1.0),
    "sneaker": (0.5, 1.0),
    "bag": (1.0, 0.9),
    "box": (1.0, 1.1),
    "jar": (0.72, 1.0),
    "watch": (1.0, 0.58),
    "chair": (1.0, 0.82),
    "cushion": (1.0, 1.0),
}
PATTERNABLE = {"tshirt", "cushion"}
PART_NAMES = {  # product kind -> (group, en, zh)
    "bottle": ("cap", "cap", "瓶盖"),
    "sneaker": ("sole", "sole", "鞋底"),
    "mug": ("handle", "handle", "把手"),
    "bag": ("handle", "handles", "提手"),
    "chair": ("legs", "legs", "椅子腿"),
    "jar": ("main", "lid", "盖子"),
    "watch": ("main", "strap", "表带"),
}


# ---------------- props ------------------------------------------------------------------------
def prop_ball(s, rng, colour=None):
    o = new_obj("ball", "球", s, s, "ball")
    key = colour or pick(rng, ["red", "yellow", "royal_blue", "orange", "green"])
    m = m_ellipse(s, s, s / 2, s / 2, s * 0.48, s * 0.48)
    pat = None
    if rng.random() < 0.4:
        yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
        pat = feather((np.abs(xx - s / 2 - 0.25 * (yy - s / 2)) < 0.08 * s).astype(np.float32), 0.8)
    add_part(o, m, bgr_of(key), "main", pat, (240, 240, 240))
    o["colour"] = key
    return finish(o, sphere(s, s, s / 2, s / 2, s * 0.48), shin=40, gloss=0.35)


def prop_plant(s, rng, colour=None):
    W = int(0.8 * s)
    o = new_obj("potted plant", "盆栽", s, W, "plant")
    cx = W / 2
    pot = m_poly(
        s,
        W,
        [
            (cx - 0.2 * s, 0.62 * s),
            (cx + 0.2 * s, 0.62 * s),
            (cx + 0.15 * s, 0.99 * s),
            (cx - 0.15 * s, 0.99 * s),
        ],
    )
    leaves = np.zeros((s, W), np.float32)
    lh = np.zeros((s, W), np.float32)
    tone = np.zeros((s, W), np.float32)
    for k in range(9):
        a = rng.uniform(-70, 70)
        L = rng.uniform(0.2, 0.3) * s
        bx = cx + math.sin(math.radians(a)) * L * 0.9
        by = 0.6 * s - math.cos(math.radians(a)) * L * 0.9
        lm = m_ellipse(s, W, bx, by, L * 0.55, L * 0.2, a + 90)
        leaves = np.maximum(leaves, lm)
        lh = np.maximum(lh, bevel(lm, 0.06 * s) * lm)
        tone = np.where(lm > 0.5, rng.uniform(0.8, 1.15), tone)
    leaves = leaves * (1 - pot)
    add_part(o, pot, pick(rng, [(70, 110, 190), (236, 236, 236), (60, 60, 64)]), "pot")
    add_part(o, leaves, (60, 150, 50), "leaves", tex=np.where(tone > 0, tone, 1.0).astype(np.float32))
    h = lh * leaves + cyl(s, W, cx, 0.2 * s) * pot
    return finish(o, h, shin=30, gloss=0.12)


def prop_cup(s, rng, colour=None):
    W = int(1.2 * s)
    H = int(0.8 * s)
    o = new_obj("coffee cup", "咖啡杯", H, W, "cup")
    cx = W / 2
    saucer = m_ellipse(H, W, cx, 0.68 * s, 0.58 * s, 0.11 * s)
    body = np.maximum(
        m_poly(
            H,
            W,
            [
                (cx - 0.33 * s, 0.2 * s),
                (cx + 0.33 * s, 0.2 * s),
                (cx + 0.25 * s, 0.64 * s),
                (cx - 0.25 * s, 0.64 * s),
            ],
        ),
        m_ellipse(H, W, cx, 0.64 * s, 0.25 * s, 0.06 * s),
    )
    rim = m_ellipse(H, W, cx, 0.2 * s, 0.33 * s, 0.08 * s)
    coffee = m_ellipse(H, W, cx, 0.2 * s, 0.29 * s, 0.065 * s)
    handle = np.clip(
        m_ellipse(H, W, cx + 0.33 * s, 0.36 * s, 0.12 * s, 0.1 * s)
        - m_ellipse(H, W, cx + 0.33 * s, 0.36 * s, 0.06 * s, 0.05 * s),
        0,
        1,
    )
    cupm = np.maximum.reduce([body, rim, handle])
    cc = pick(rng, [(240, 240, 240), (40, 40, 44), (200, 170, 120)])
    add_part(o, saucer * (1 - cupm), cc, "saucer")
    add_part(o, cupm * (1 - coffee), cc, "main")
    add_part(o, coffee, (30, 60, 100), "coffee")
    h = cyl(H, W, cx, 0.33 * s) * cupm + bevel(saucer, 0.08 * s) * 0.5 * saucer * (1 - cupm)
    return finish(o, h, shin=60, gloss=0.4)


def prop_apple(s, rng, colour=None):
    o = new_obj("apple", "苹果", s, s, "apple")
    m = np.maximum(
        m_ellipse(s, s, 0.36 * s, 0.55 * s, 0.33 * s, 0.4 * s),
        m_ellipse(s, s, 0.64 * s, 0.55 * s, 0.33 * s, 0.4 * s),
    )
    stem = m_thick_line(s, s, (0.5 * s, 0.2 * s), (0.56 * s, 0.04 * s), 0.04 * s)
    add_part(o, m, pick(rng, [(40, 40, 200), (60, 190, 120)]), "main")
    add_part(o, stem * (1 - m), (30, 60, 90), "stem")
    return finish(o, sphere(s, s, 0.5 * s, 0.55 * s, 0.5 * s) * m, shin=50, gloss=0.4)


def prop_candle(s, rng, colour=None):
    W = int(0.45 * s)
    o = new_obj("candle", "蜡烛", s, W, "candle")
    cx = W / 2
    body = np.maximum(
        m_poly(
            s,
            W,
            [
                (cx - 0.2 * s, 0.25 * s),
                (cx + 0.2 * s, 0.25 * s),
                (cx + 0.2 * s, 0.98 * s),
                (cx - 0.2 * s, 0.98 * s),
            ],
        ),
        m_ellipse(s, W, cx, 0.25 * s, 0.2 * s, 0.04 * s),
    )
    flame = m_ellipse(s, W, cx, 0.14 * s, 0.035 * s, 0.08 * s)
    add_part(o, body, pick(rng, [(200, 230, 244), (240, 240, 240), (150, 150, 230)]), "main")
    add_part(o, flame, (90, 200, 255), "flame")
    finish(o, cyl(s, W, cx, 0.2 * s) * body, shin=30, gloss=0.15)
    o["diffuse"] = np.where(flame > 0, 1.0, o["diffuse"]).astype(np.float32)
    return o


def prop_book(s, rng, colour=None):
    W, H = int(s), int(0.42 * s)
    o = new_obj("book", "书", H, W, "book")
    cover = m_rrect(H, W, 0.0, 0.0, W, 0.28 * s, 0.01 * s)
    pages = m_poly(
        H, W, [(0.02 * s, 0.28 * s), (0.98 * s, 0.28 * s), (0.98 * s, 0.4 * s), (0.02 * s, 0.4 * s)]
    )
    add_part(o, cover, pick(rng, [(60, 60, 160), (120, 80, 40), (60, 120, 60)]), "main")
    add_part(o, pages * (1 - cover), (228, 236, 240), "pages")
    h = bevel(cover, 0.04 * s) + bevel(pages, 0.02 * s)
    return finish(o, h, shin=20, gloss=0.05)


def prop_pen(s, rng, colour=None):
    W, H = int(s), int(0.3 * s)
    o = new_obj("pen", "笔", H, W, "pen")
    a = rng.uniform(-10, 10)
    m = m_ellipse(H, W, W / 2, H / 2, 0.47 * s, 0.035 * s, a)
    add_part(o, m, pick(rng, [(30, 30, 30), (160, 60, 20), (40, 40, 190)]), "main")
    return finish(o, bevel(m, 0.035 * s), shin=60, gloss=0.5)


def prop_coin(s, rng, colour=None):
    o = new_obj("coin", "硬币", int(0.8 * s), s, "coin")
    m = m_ellipse(int(0.8 * s), s, s / 2, 0.4 * s, 0.46 * s, 0.36 * s)
    add_part(o, m, pick(rng, [(120, 180, 212), (190, 190, 196)]), "main")
    return finish(o, bevel(m, 0.1 * s), shin=40, gloss=0.6)


def prop_leaf(s, rng, colour=None):
    o = new_obj("leaf", "树叶", s, s, "leaf")
    a = rng.uniform(0, 180)
    m = m_ellipse(s, s, s / 2, s / 2, 0.46 * s, 0.18 * s, a)
    add_part(o, m, pick(rng, [(50, 140, 60), (30, 110, 210), (40, 150, 170)]), "main")
    finish(o, bevel(m, 0.06 * s), shin=30, gloss=0.1)
    vein = m_thick_line(
        s,
        s,
        (s / 2 - 0.4 * s * math.cos(math.radians(a)), s / 2 - 0.4 * s * math.sin(math.radians(a))),
        (s / 2 + 0.4 * s * math.cos(math.radians(a)), s / 2 + 0.4 * s * math.sin(math.radians(a))),
        max(1, 0.015 * s),
    )
    rgb = np.empty((s, s, 3), np.float32)
    rgb[:] = (120, 200, 200)
    add_decal(o, rgb, vein * m * 0.6)
    o["shadow"] = 0.6
    return o


def prop_sticker(s, rng, colour=None):
    o = new_obj("sticker", "贴纸", s, s, "sticker")
    m = (
        m_ellipse(s, s, s / 2, s / 2, 0.47 * s, 0.47 * s)
        if rng.random() < 0.6
        else m_rrect(s, s, 0.03 * s, 0.2 * s, 0.97 * s, 0.8 * s, 0.06 * s)
    )
    col = pick(rng, [(40, 40, 220), (30, 210, 250), (40, 160, 40)])
    add_part(o, m, col, "main")
    finish(o, np.zeros((s, s), np.float32) + m * 2, amb=0.92, kd=0.1, shin=40, gloss=0.1)
    txt = pick(rng, printable(["SALE", "-30%", "NEW", "特价", "新品", "HOT"]))
    o["label"] = txt
    logo_decal(o, txt, (250, 250, 250), 0.8 * s / max(2, len(txt)) * 1.3, s / 2, s / 2, m)
    o["shadow"] = 0.25
    return o


def prop_moon(s, rng, colour=None):
    o = new_obj("moon", "月亮", s, s, "moon")
    m = m_ellipse(s, s, s / 2, s / 2, 0.46 * s, 0.46 * s)
    add_part(o, m, (214, 226, 236), "main", tex=0.85 + 0.3 * fbm(s, s, rng, 4, 3))
    o["shadow"] = 0.0
    return finish(o, sphere(s, s, s / 2, s / 2, 0.46 * s), amb=0.6, kd=0.5, shin=10, gloss=0.0)


PROPS = {
    "ball": (prop_ball, "ball", "球", ["a ball", "a small ball"], ["一个球", "一个小球"]),
    "plant": (
        prop_plant,
        "potted plant",
        "绿植",
        ["a potted plant", "a small plant"],
        ["一盆绿植", "一盆小盆栽"],
    ),
    "cup": (
        prop_cup,
        "coffee cup",
        "咖啡杯",
        ["a coffee cup", "a cup of coffee"],
        ["一杯咖啡", "一个咖啡杯"],
    ),
    "apple": (prop_apple, "apple", "苹果", ["an apple"], ["一个苹果"]),
    "candle": (prop_candle, "candle", "蜡烛", ["a candle", "a small candle"], ["一根蜡烛", "一支蜡烛"]),
    "book": (prop_book, "book", "书", ["a book"], ["一本书"]),
    "pen": (prop_pen, "pen", "笔", ["a pen"], ["一支笔"]),
    "coin": (prop_coin, "coin", "硬币", ["a coin"], ["一枚硬币"]),
    "leaf": (prop_leaf, "leaf", "树叶", ["a leaf"], ["一片树叶"]),
    "moon": (prop_moon, "moon", "月亮", ["a full moon", "a moon"], ["一轮满月", "一个月亮"]),
}
ADDABLE = ["ball", "plant", "cup", "apple", "candle", "book"]
REMOVABLE = ["ball", "pen", "coin", "leaf", "apple", "candle", "cup", "book"]
PROP_HEIGHT = {
    "ball": 0.35,
    "plant": 0.7,
    "cup": 0.35,
    "apple": 0.33,
    "candle": 0.5,
    "book": 0.2,
    "pen": 0.1,
    "coin": 0.12,
    "leaf": 0.25,
    "moon": 0.3,
}
# patch height / width of each prop relative to the builder's size argument
PROP_H_OF_S = {"book": 0.42, "cup": 0.8, "pen": 0.3, "coin": 0.8}
PROP_W_OF_S = {"plant": 0.8, "cup": 1.2, "candle": 0.45}


# ---------------- person ----------------------------------------------------------------------
SKINS = [(150, 180, 228), (120, 160, 214), (96, 132, 186), (70, 100, 150), (160, 190, 236), (84, 116, 170)]


def draw_face(H, W, cx, cy, rx, ry, p):
    """Face features as a decal: eyebrows, eyes, nose, mouth.  p = feature parameters."""
    x0, x1 = max(0, int(cx - 1.3 * rx)), min(W, int(cx + 1.3 * rx) + 1)
    y0, y1 = max(0, int(cy - 1.3 * ry)), min(H, int(cy + 1.3 * ry) + 1)
    rs, als = _draw_face(y1 - y0, x1 - x0, cx - x0, cy - y0, rx, ry, p)
    rgb = np.zeros((H, W, 3), np.float32)
    a = np.zeros((H, W), np.float32)
    rgb[y0:y1, x0:x1], a[y0:y1, x0:x1] = rs, als
    return rgb, a


def _draw_face(H, W, cx, cy, rx, ry, p):
    rgb = np.zeros((H, W, 3), np.float32)
    a = np.zeros((H, W), np.float32)

    def put(mask, col, alpha=1.0):
        nonlocal rgb, a
        m = mask * alpha
        rgb = rgb * (1 - m[..., None]) + np.asarray(col, np.float32) * m[..., None]
        a = np.maximum(a, m)

    ey = cy + p["eye_y"] * ry
    for sgn in (-1, 1):
        ex = cx + sgn * p["eye_dx"] * rx
        white = m_ellipse(H, W, ex, ey, p["eye_w"] * rx, p["eye_h"] * ry)
        put(white, (236, 240, 242))
        iris = m_ellipse(H, W, ex, ey, p["eye_h"] * ry * 0.95, p["eye_h"] * ry * 0.95) * white
        put(iris, p["iris"])
        put(m_ellipse(H, W, ex, ey, p["eye_h"] * ry * 0.45, p["eye_h"] * ry * 0.45) * white, (16, 16, 18))
        put(
            m_ellipse(
                H,
                W,
                ex - 0.2 * p["eye_h"] * ry,
                ey - 0.3 * p["eye_h"] * ry,
                0.18 * p["eye_h"] * ry,
                0.18 * p["eye_h"] * ry,
            )
            * white,
            (250, 250, 250),
        )
        lid = np.clip(m_ellipse(H, W, ex, ey, p["eye_w"] * rx * 1.08, p["eye_h"] * ry * 1.25) - white, 0, 1)
        lid[int(ey) :] = 0
        put(lid, (40, 40, 50), 0.8)
        by = ey - p["brow_y"] * ry
        put(
            m_thick_line(
                H,
                W,
                (ex - sgn * 0.85 * p["eye_w"] * rx, by + 0.02 * ry),
                (ex + sgn * 1.0 * p["eye_w"] * rx, by - sgn * 0.0 * ry - p["brow_tilt"] * ry),
                p["brow_th"] * ry,
            ),
            p["brow"],
            0.9,
        )
    ny = cy + p["nose_y"] * ry
    put(
        m_thick_line(
            H, W, (cx + 0.04 * rx, cy + p["eye_y"] * ry + 0.1 * ry), (cx + 0.08 * rx, ny), 0.03 * ry
        ),
        (0, 0, 0),
        0.12,
    )
    for sgn in (-1, 1):
        put(
            m_ellipse(H, W, cx + sgn * p["nose_w"] * rx, ny + 0.02 * ry, 0.06 * rx, 0.03 * ry),
            (40, 50, 80),
            0.55,
        )
    my = cy + p["mouth_y"] * ry
    lips = m_ellipse(H, W, cx, my, p["mouth_w"] * rx, p["mouth_h"] * ry)
    put(lips, p["lip"], 0.9)
    put(
        m_thick_line(
            H,
            W,
            (cx - p["mouth_w"] * rx * 0.95, my - p["smile"] * ry),
            (cx, my + p["smile"] * ry * 0.3),
            0.02 * ry,
        ),
        (30, 30, 70),
        0.9,
    )
    put(
        m_thick_line(
            H,
            W,
            (cx, my + p["smile"] * ry * 0.3),
            (cx + p["mouth_w"] * rx * 0.95, my - p["smile"] * ry),
            0.02 * ry,
        ),
        (30, 30, 70),
        0.9,
    )
    return rgb, a


def face_params(rng):
    return dict(
        eye_y=rng.uniform(-0.12, -0.02),
        eye_dx=rng.uniform(0.36, 0.44),
        eye_w=rng.uniform(0.17, 0.22),
        eye_h=rng.uniform(0.06, 0.085),
        iris=pick(rng, [(40, 60, 90), (30, 40, 50), (120, 110, 60), (60, 110, 80)]),
        brow_y=rng.uniform(0.13, 0.18),
        brow_th=rng.uniform(0.035, 0.06),
        brow_tilt=rng.uniform(0.0, 0.04),
        brow=(30, 40, 55),
        nose_y=rng.uniform(0.24, 0.3),
        nose_w=rng.uniform(0.09, 0.13),
        mouth_y=rng.uniform(0.5, 0.56),
        mouth_w=rng.uniform(0.22, 0.3),
        mouth_h=rng.uniform(0.05, 0.08),
        lip=pick(rng, [(90, 90, 190), (100, 110, 170), (80, 70, 160)]),
        smile=rng.uniform(0.0, 0.04),
    )


def other_face(p, rng):
    """A clearly different face (identity drift): features moved, resized and recoloured."""
    q = dict(p)
    q.update(
        eye_y=p["eye_y"] + pick(rng, [-0.1, 0.09]),
        eye_dx=p["eye_dx"] + pick(rng, [-0.1, 0.08]),
        eye_w=p["eye_w"] * pick(rng, [0.6, 1.35]),
        eye_h=p["eye_h"] * pick(rng, [0.6, 1.5]),
        brow_th=p["brow_th"] * 1.8,
        brow_tilt=0.1,
        brow_y=p["brow_y"] + 0.06,
        nose_w=p["nose_w"] * 1.6,
        mouth_y=p["mouth_y"] + pick(rng, [-0.1, 0.1]),
        mouth_w=p["mouth_w"] * pick(rng, [0.6, 1.45]),
        mouth_h=p["mouth_h"] * 1.6,
        smile=-0.05,
        iris=(160, 120, 40) if p["iris"][0] < 100 else (30, 40, 50),
    )
    return q


def build_person(s, rng, shirt, hair, skin, hair_style, pattern=None, face=None):
    H, W = int(1.1 * s), int(s)
    o = new_obj("model", "模特", H, W, "person")
    cx = W / 2
    hcx, hcy, hrx, hry = cx, 0.34 * s, 0.165 * s, 0.215 * s
    head = m_ellipse(H, W, hcx, hcy, hrx, hry)
    ears = np.maximum(
        m_ellipse(H, W, hcx - hrx * 0.98, hcy + 0.02 * s, 0.035 * s, 0.06 * s),
        m_ellipse(H, W, hcx + hrx * 0.98, hcy + 0.02 * s, 0.035 * s, 0.06 * s),
    )
    neck = m_poly(
        H,
        W,
        [
            (cx - 0.075 * s, 0.45 * s),
            (cx + 0.075 * s, 0.45 * s),
            (cx + 0.085 * s, 0.7 * s),
            (cx - 0.085 * s, 0.7 * s),
        ],
    )
    torso = np.maximum(
        m_ellipse(H, W, cx, 0.86 * s, 0.47 * s, 0.24 * s),
        m_poly(H, W, [(0.03 * W, 0.86 * s), (0.97 * W, 0.86 * s), (0.99 * W, H + 2), (0.01 * W, H + 2)]),
    )
    neckline = m_ellipse(H, W, cx, 0.62 * s, 0.11 * s, 0.08 * s)
    shirt_m = torso * (1 - neckline)
    skin_m = np.clip(np.maximum.reduce([head, ears, neck * (1 - shirt_m)]), 0, 1)
    # hair: back volume (behind head) and a fringe/cap on top
    if hair_style == "long":
        back = np.maximum(
            m_ellipse(H, W, hcx, hcy - 0.01 * s, hrx * 1.25, hry * 1.12),
            m_rrect(H, W, hcx - hrx * 1.25, hcy, hcx + hrx * 1.25, 0.72 * s, 0.06 * s),
        )
    elif hair_style == "bob":
        back = np.maximum(
            m_ellipse(H, W, hcx, hcy - 0.01 * s, hrx * 1.22, hry * 1.1),
            m_rrect(H, W, hcx - hrx * 1.22, hcy, hcx + hrx * 1.22, 0.5 * s, 0.05 * s),
        )
    else:
        back = m_ellipse(H, W, hcx, hcy - 0.04 * s, hrx * 1.1, hry * 1.02)
    cap = m_ellipse(H, W, hcx, hcy - 0.09 * s, hrx * 1.08, hry * 0.88)
    cap[int(hcy - 0.09 * s) :] = 0
    fringe = m_poly(
        H,
        W,
        [
            (hcx - hrx * 1.05, hcy - 0.09 * s),
            (hcx + hrx * 1.05, hcy - 0.09 * s),
            (hcx + hrx * 0.9, hcy - 0.06 * s),
            (hcx + 0.02 * s, hcy - 0.11 * s),
            (hcx - hrx * 0.7, hcy - 0.05 * s),
            (hcx - hrx * 0.95, hcy + 0.02 * s),
        ],
    )
    front_hair = np.maximum(cap, fringe) * head
    back_hair = back * (1 - head) * (1 - shirt_m)
    hair_m = np.maximum(back_hair, front_hair)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    strands = 1 + 0.16 * (fbm(H, W, rng, 40, 2, aniso=(0.3, 4.0)) - 0.5) * 2
    face_region = head * (1 - front_hair)
    sc = bgr_of(shirt)
    pat, c2 = None, None
    folds = fold_height(H, W, s, rng, 4, 0.008)
    if pattern == "stripes":
        pat, c2 = stripes(H, W, s, rng, warp=folds), (242, 242, 242)
    add_part(o, back_hair, bgr_of(hair), "hair", tex=strands)
    add_part(o, skin_m * (1 - front_hair), skin, "skin")
    add_part(o, shirt_m, sc, "shirt", pat, c2, 1 + 0.03 * (fbm(H, W, rng, 60, 1) - 0.5))
    add_part(o, front_hair, bgr_of(hair), "hair", tex=strands)
    headh = sphere(H, W, hcx, hcy, hry * 1.1) * 0.7
    height = np.maximum.reduce(
        [
            headh * head + (bevel(front_hair, 0.03 * s) * 0.6) * front_hair,
            bevel(neck, 0.05 * s) * neck * (1 - head),
            (bevel(torso, 0.12 * s) + folds) * shirt_m,
            bevel(back, 0.08 * s) * back_hair,
            bevel(ears, 0.02 * s) * ears * (1 - head),
        ]
    )
    finish(o, height, amb=0.45, kd=0.62, shin=25, gloss=0.06)
    fp = face or face_params(rng)
    rgb, a = draw_face(H, W, hcx, hcy, hrx, hry, fp)
    add_decal(o, rgb, a * face_region)
    o["face"] = (hcx, hcy, hrx, hry)
    o["face_params"] = fp
    o["face_region"] = face_region
    o["shadow"] = 0.5
    return o


# ----------------------------------------------------------------------------------------------
# scene = backdrop + objects; render() composites shadows and objects
class Scene:
    def __init__(self, bg):
        self.bg = bg
        self.h, self.w = bg.shape[:2]
        self.objects = []
        self.floor = None
        self.photo = None

    def copy(self):
        s = Scene(self.bg)
        s.objects = [dict(o, parts=[dict(p) for p in o["parts"]]) for o in self.objects]
        s.floor, s.photo = self.floor, self.photo
        for k in ("free", "suit", "face", "photo_name"):
            if hasattr(self, k):
                setattr(s, k, getattr(self, k))
        return s

    def _clip(self, o, pad=0):
        x0, y0 = o["x"] - pad, o["y"] - pad
        x1, y1 = o["x"] + o["w"] + pad, o["y"] + o["h"] + pad
        fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(self.w, x1), min(self.h, y1)
        if fx0 >= fx1 or fy0 >= fy1:
            return None
        return (fy0, fy1, fx0, fx1), (fy0 - y0, fy1 - y0, fx0 - x0, fx1 - x0)

    def shadow_map(self, o):
        key = (o["h"], o["w"], id(o["parts"][0]["mask"]) if o["parts"] else 0)
        if o.get("_shadow_key") == key:
            return o["_shadow"]
        res = self._shadow_map(o)
        o["_shadow_key"], o["_shadow"] = key, res
        return res

    def _shadow_map(self, o):
        """Soft drop shadow + contact shadow, computed at low resolution."""
        f = max(1, int(max(o["h"], o["w"]) / 160))
        small = dict(o, h=max(2, o["h"] // f), w=max(2, o["w"] // f))
        small["parts"] = [
            dict(p, mask=cv2.resize(p["mask"], (small["w"], small["h"]), interpolation=cv2.INTER_AREA))
            for p in o["parts"]
        ]
        m, pad = self._shadow_map_full(small)
        big = cv2.resize(m, (o["w"] + 2 * pad * f, o["h"] + 2 * pad * f), interpolation=cv2.INTER_LINEAR)
        return big, pad * f

    def _shadow_map_full(self, o):
        pad = int(0.25 * max(o["h"], o["w"])) + 4
        H, W = o["h"] + 2 * pad, o["w"] + 2 * pad
        m = np.zeros((H, W), np.float32)
        um = union_mask(o)
        dx, dy = int(0.035 * o["h"]) + 1, int(0.02 * o["h"]) + 1
        m[pad + dy : pad + dy + o["h"], pad + dx : pad + dx + o["w"]] = um * 0.35
        m = feather(m, 0.04 * max(o["h"], o["w"]) + 1)
        cols = np.where(um.max(0) > 0.5)[0]
        if len(cols) and o["kind"] not in ("person", "sticker", "moon"):
            rows = np.where(um.max(1) > 0.5)[0]
            cx = pad + (cols[0] + cols[-1]) / 2
            rx = (cols[-1] - cols[0]) / 2 * 1.05
            cy = pad + rows[-1] - 0.01 * o["h"]
            c = m_ellipse(H, W, cx, cy, rx, max(2.0, 0.05 * rx + 0.02 * o["h"]))
            m = np.maximum(m, feather(c, 0.02 * max(o["h"], o["w"]) + 1.5) * 0.55)
        return m * o["shadow"], pad

    def render(self, skip=()):
        img = self.bg.copy()
        for i, o in enumerate(self.objects):
            if i in skip or o["shadow"] <= 0:
                continue
            sm, pad = self.shadow_map(o)
            c = self._clip(o, pad)
            if c is None:
                continue
            (a, b, cc, d), (la, lb, lc, ld) = c
            img[a:b, cc:d] *= (1 - sm[la:lb, lc:ld])[..., None]
        for i, o in enumerate(self.objects):
            if i in skip:
                continue
            c = self._clip(o)
            if c is None:
                continue
            (a, b, cc, d), (la, lb, lc, ld) = c
            img[a:b, cc:d] = self.composite(o, img[a:b, cc:d], (la, lb, lc, ld))
        return img

    @staticmethod
    def composite(o, region, sl):
        la, lb, lc, ld = sl
        acc = region.copy()
        dif = o["diffuse"][la:lb, lc:ld][..., None]
        spec = o["spec"][la:lb, lc:ld][..., None] * (255 * o["gloss"])
        for p in o["parts"]:
            m = p["mask"][la:lb, lc:ld]
            if m.max() <= 0:
                continue
            col = np.broadcast_to(p["albedo"], m.shape + (3,)).astype(np.float32)
            if p["pattern"] is not None and p["colour2"] is not None:
                pt = p["pattern"][la:lb, lc:ld][..., None]
                col = col * (1 - pt) + p["colour2"] * pt
            if p["tex"] is not None:
                col = col * p["tex"][la:lb, lc:ld][..., None]
            if o.get("flat"):
                shaded = col
            else:
                shaded = col * dif + spec
            acc = acc * (1 - m[..., None]) + shaded * m[..., None]
        if o["decal"] is not None:
            rgb, al = o["decal"]
            al = al[la:lb, lc:ld][..., None]
            if al.max() > 0:
                dcol = rgb[la:lb, lc:ld] * (dif if not o.get("flat") else 1.0) + 0.5 * spec
                acc = acc * (1 - al) + dcol * al
        return acc

    def mask(self, i, groups=None):
        o = self.objects[i]
        full = np.zeros((self.h, self.w), np.float32)
        c = self._clip(o)
        if c is None:
            return full
        (a, b, cc, d), (la, lb, lc, ld) = c
        full[a:b, cc:d] = union_mask(o, groups)[la:lb, lc:ld]
        return full

    def visible_mask(self, i, groups=None):
        m = self.mask(i, groups)
        for j in range(i + 1, len(self.objects)):
            m = m * (1 - self.mask(j))
        return m

    def bbox(self, i):
        o = self.objects[i]
        um = union_mask(o)
        rows, cols = np.where(um.max(1) > 0.5)[0], np.where(um.max(0) > 0.5)[0]
        return (o["x"] + cols[0], o["y"] + rows[0], o["x"] + cols[-1] + 1, o["y"] + rows[-1] + 1)


MAIN = ("main", "handle")


def recolour_obj(o, groups, colour, keep_pattern=True):
    o = dict(o, parts=[dict(p) for p in o["parts"]])
    for p in o["parts"]:
        if p["group"] in groups:
            p["albedo"] = np.asarray(colour, np.float32)
            if not keep_pattern:
                p["pattern"] = None
    return o


# ----------------------------------------------------------------------------------------------
# bases
SIZES = [
    (480, 480),
    (640, 480),
    (600, 800),
    (800, 800),
    (960, 720),
    (1024, 768),
    (720, 960),
    (1000, 1000),
    (1280, 720),
    (1200, 900),
    (900, 1200),
    (1200, 1200),
    (1600, 900),
    (1500, 1500),
    (2000, 1500),
    (1536, 2048),
]
SIZES_CHEAP = [s for s in SIZES if s[0] * s[1] <= 1600 * 900]
BACKDROPS = [
    "white",
    "nearwhite",
    "grey",
    "colour",
    "gradient",
    "wood",
    "fabric",
    "marble",
    "concrete",
    "outdoor",
]


def build_bases(seed):
    rng = np.random.default_rng([seed, 777])
    bases = []
    kinds = list(PRODUCTS)
    for i in range(28):
        kind = kinds[i % len(kinds)]
        size = pick(rng, SIZES_CHEAP) if i % 7 else pick(rng, SIZES)
        bd = BACKDROPS[(i * 3 + int(rng.integers(3))) % len(BACKDROPS)]
        colour = pick(rng, PRODUCT_COLOURS)
        pattern = (
            pick(rng, ["stripes", "checks", None]) if kind in PATTERNABLE and rng.random() < 0.4 else None
        )
        text = pick(rng, BRANDS) if rng.random() < 0.5 else None
        bases.append(
            dict(
                id=f"prod{i:02d}_{kind}_{bd}_{size[0]}x{size[1]}",
                kind="product",
                product=kind,
                size=size,
                backdrop=bd,
                colour=colour,
                pattern=pattern,
                text=text,
                seed=int(rng.integers(1 << 30)),
            )
        )
    for i in range(12):
        a, b = pick(rng, kinds), pick(rng, kinds)
        size = pick(rng, [(1280, 720), (1200, 900), (1024, 768), (1600, 900), (960, 720), (2000, 1125)])
        bd = BACKDROPS[(i * 7 + 1) % len(BACKDROPS)]
        ca = pick(rng, PRODUCT_COLOURS)
        cb = pick(rng, [c for c in PRODUCT_COLOURS if HUE_GROUP[c] != HUE_GROUP[ca]])
        bases.append(
            dict(
                id=f"pair{i:02d}_{a}_{b}_{bd}_{size[0]}x{size[1]}",
                kind="pair",
                products=(a, b),
                colours=(ca, cb),
                size=size,
                backdrop=bd,
                seed=int(rng.integers(1 << 30)),
            )
        )
    for i in range(12):
        size = pick(
            rng,
            [
                (600, 800),
                (768, 1024),
                (900, 1200),
                (1000, 1000),
                (800, 800),
                (1200, 900),
                (1536, 2048),
                (480, 640),
            ],
        )
        bd = pick(rng, ["white", "grey", "colour", "gradient", "outdoor", "concrete", "fabric"])
        bases.append(
            dict(
                id=f"person{i:02d}_{bd}_{size[0]}x{size[1]}",
                kind="person",
                size=size,
                backdrop=bd,
                shirt=pick(rng, PRODUCT_COLOURS),
                hair=pick(rng, ["black", "brown", "blonde", "auburn"]),
                skin=SKINS[i % len(SKINS)],
                style=pick(rng, ["long", "bob", "short"]),
                pattern="stripes" if rng.random() < 0.3 else None,
                seed=int(rng.integers(1 << 30)),
            )
        )
    for name, scale in (
        ("astronaut", 1.0),
        ("coffee", 1.0),
        ("rocket", 1.0),
        ("chelsea", 1.0),
        ("astronaut", 2.0),
        ("coffee", 2.0),
        ("rocket", 1.6),
        ("chelsea", 2.4),
    ):
        bases.append(
            dict(
                id=f"photo_{name}_x{scale:g}",
                kind="photo",
                photo=name,
                scale=scale,
                seed=int(rng.integers(1 << 30)),
            )
        )
    order = rng.permutation(len(bases))
    return [bases[i] for i in order]


_PHOTO_CACHE = {}


def load_photo(name):
    if name in _PHOTO_CACHE:
        return _PHOTO_CACHE[name]
    img = None
    if name == "astronaut":
        if _skdata is not None:
            img = np.ascontiguousarray(_skdata.astronaut()[..., ::-1])
    else:
        p = PHOTO_DIR / {"coffee": "coffee.png", "rocket": "rocket.jpg", "chelsea": "chelsea.png"}[name]
        if p.exists():
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        elif _skdata is not None:
            img = np.ascontiguousarray(getattr(_skdata, name)()[..., ::-1])
    _PHOTO_CACHE[name] = img
    return img


# free rectangles (x0, y0, x1, y1) in native pixels where a prop can stand / float
PHOTO_FREE = {
    "coffee": [(4, 260, 70, 396), (486, 190, 596, 396), (440, 10, 596, 140)],
    "rocket": [(90, 40, 175, 230), (470, 40, 550, 230), (210, 260, 290, 340)],
    "chelsea": [(376, 80, 448, 250)],
    "astronaut": [(300, 10, 372, 120)],
}
PHOTO_NAMES = {
    "coffee": ("espresso cup", "咖啡杯"),
    "rocket": ("rocket", "火箭"),
    "chelsea": ("cat", "猫"),
    "astronaut": ("astronaut", "宇航员"),
}


def astronaut_masks(img, scale):
    hsv = cv2.cvtColor(
        cv2.resize(img, (512, 512), interpolation=cv2.INTER_AREA) if scale != 1 else img, cv2.COLOR_BGR2HSV
    ).astype(np.int32)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    m = ((h <= 12) & (s > 130) & (v > 60)).astype(np.uint8) * 255
    m[:200] = 0
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, st, _ = cv2.connectedComponentsWithStats(m)
    k = 1 + int(np.argmax(st[1:, 4]))
    m = (lab == k).astype(np.float32)
    if scale != 1:
        m = cv2.resize(m, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    suit = feather(m, 0.7 * scale)
    face = (224 * scale, 122 * scale, 48 * scale, 62 * scale)
    return suit, face


def build_scene(
    base, rng, product=None, colour=None, pattern="base", text="base", two=False, size_mode="normal"
):
    """A scene for a base.  Families may override the product kind, colour, pattern or print."""
    brng = np.random.default_rng(base["seed"])
    if base["kind"] == "photo":
        img = load_photo(base["photo"])
        if img is None:
            return None
        sc = base["scale"]
        if sc != 1:
            img = cv2.resize(img, None, fx=sc, fy=sc, interpolation=cv2.INTER_CUBIC)
        scn = Scene(img.astype(np.float32))
        scn.photo = base["photo"]
        scn.photo_name = PHOTO_NAMES[base["photo"]]
        scn.free = [tuple(int(v * sc) for v in r) for r in PHOTO_FREE[base["photo"]]]
        if base["photo"] == "astronaut":
            scn.suit, scn.face = astronaut_masks(load_photo("astronaut"), sc)
            if sc != 1:
                scn.suit = cv2.resize(scn.suit, (img.shape[1], img.shape[0]))
        return scn
    W, H = base["size"]
    bg = backdrop(base["backdrop"], H, W, brng)
    scn = Scene(bg)
    if base["kind"] == "person":
        s = int(min(W / 1.0, H / 1.1) * brng.uniform(0.85, 1.0))
        pat = base["pattern"] if pattern == "base" else pattern
        o = build_person(s, brng, colour or base["shirt"], base["hair"], base["skin"], base["style"], pat)
        o["x"] = int((W - o["w"]) / 2 + brng.uniform(-0.08, 0.08) * (W - o["w"] + 1))
        o["y"] = H - o["h"] + int(0.02 * s)
        scn.objects.append(o)
        return scn
    if base["kind"] == "pair" or two:
        kinds = base.get("products") or (base["product"], pick(brng, list(PRODUCTS)))
        cols = base.get("colours") or (
            base["colour"],
            pick(brng, [c for c in PRODUCT_COLOURS if HUE_GROUP[c] != HUE_GROUP[base["colour"]]]),
        )
        if product:
            kinds = (product, product)
        if colour:
            cols = (colour, cols[1] if cols[1] != colour else "grey")
        floor = H * brng.uniform(0.8, 0.9)
        for j, (k, c) in enumerate(zip(kinds, cols)):
            ah, aw = ASPECT[k]
            s = min(H * brng.uniform(0.42, 0.58) / ah, W * 0.3 / aw)
            o = PRODUCTS[k](int(s), brng, c, print_text=None)
            cxj = W * (0.3 if j == 0 else 0.7) + brng.uniform(-0.03, 0.03) * W
            o["x"], o["y"] = int(cxj - o["w"] / 2), int(floor - o["h"])
            o["colour"] = c
            scn.objects.append(o)
        scn.floor = floor
        return scn
    k = product or base["product"]
    c = colour or base["colour"]
    pat = base.get("pattern") if pattern == "base" else pattern
    if k not in PATTERNABLE:
        pat = None
    txt = base.get("text") if text == "base" else text
    ah, aw = ASPECT[k]
    if size_mode == "large":  # fills the frame and touches / crosses an edge
        s = min(H * brng.uniform(0.85, 1.02) / ah, W * brng.uniform(0.62, 0.8) / aw)
    elif size_mode == "small":
        s = min(H * brng.uniform(0.13, 0.2) / ah, W * brng.uniform(0.1, 0.16) / aw)
    else:
        s = min(H * brng.uniform(0.45, 0.68) / ah, W * brng.uniform(0.34, 0.44) / aw)
    o = PRODUCTS[k](int(s), brng, c, pattern=pat, print_text=txt)
    o["colour"] = c
    o["pattern_kind"] = pat
    floor = H * brng.uniform(0.8, 0.92)
    cx = W * brng.uniform(0.45, 0.55)
    if size_mode == "large":
        floor = H * brng.uniform(1.0, 1.07)
        edge = brng.integers(3)
        if edge == 1:
            cx = o["w"] / 2 - brng.uniform(0.0, 0.1) * o["w"]
        elif edge == 2:
            cx = W - o["w"] / 2 + brng.uniform(0.0, 0.1) * o["w"]
    elif size_mode == "small":
        cx = W * brng.uniform(0.3, 0.7)
        floor = H * brng.uniform(0.6, 0.9)
    o["x"], o["y"] = int(cx - o["w"] / 2), int(floor - o["h"])
    scn.objects.append(o)
    scn.floor = floor
    return scn


# ----------------------------------------------------------------------------------------------
# placing props
def prop_size_for(scn, key, side_w=None):
    if scn.photo:
        return None
    bx0, by0, bx1, by1 = scn.bbox(0)
    ref = max(by1 - by0, 0.55 * (bx1 - bx0))
    want_h = np.clip(PROP_HEIGHT[key] * ref, 0.08 * min(scn.h, scn.w), 0.5 * scn.h)
    return int(want_h / PROP_H_OF_S.get(key, 1.0))


def free_spots(scn):
    """(x0, x1, y_floor) intervals left and right of the products."""
    if scn.photo:
        return None
    xs = [(scn.bbox(i)[0], scn.bbox(i)[2]) for i in range(len(scn.objects))]
    left = (int(0.03 * scn.w), min(a for a, _ in xs) - int(0.02 * scn.w))
    right = (max(b for _, b in xs) + int(0.02 * scn.w), int(0.97 * scn.w))
    return {"left": left, "right": right}


def make_prop(key, size, rng, colour=None):
    fn = PROPS[key][0]
    return fn(max(12, int(size)), rng, colour)


def place_prop(scn, key, rng, side=None, scale=1.0, colour=None):
    """Put a prop beside the product (or in a photo's free area).  Returns (obj, side) or None."""
    if scn.photo:
        rects = list(scn.free)
        if key != "moon" and scn.photo == "rocket":
            return None
        if key == "moon" and scn.photo != "rocket":
            return None
        r = rects[int(rng.integers(len(rects)))] if side is None else None
        if side is not None:
            cand = [q for q in rects if ((q[0] + q[2]) / 2 < scn.w / 2) == (side == "left")]
            if not cand:
                return None
            r = cand[int(rng.integers(len(cand)))]
        x0, y0, x1, y1 = r
        size = min(x1 - x0, y1 - y0) * rng.uniform(0.55, 0.8) * scale
        o = make_prop(key, size, rng, colour)
        o["x"] = int(x0 + (x1 - x0 - o["w"]) * rng.uniform(0.2, 0.8))
        o["y"] = (
            int(y0 + (y1 - y0 - o["h"]) * rng.uniform(0.3, 0.9)) if key == "moon" else int(y1 - o["h"] - 2)
        )
        side_name = "left" if (x0 + x1) / 2 < scn.w / 2 else "right"
        if side_name == "right" and scn.photo == "coffee" and y1 < 200:
            side_name = "top right"
        return o, side_name
    spots = free_spots(scn)
    sides = [side] if side else list(rng.permutation(["left", "right"]))
    size = prop_size_for(scn, key) * scale * rng.uniform(0.85, 1.1)
    for sd in sides:
        x0, x1 = spots[sd]
        o = make_prop(key, size, rng, colour)
        if o["w"] > (x1 - x0):
            o = make_prop(key, size * (x1 - x0) / o["w"] * 0.95, rng, colour)
            if o["h"] < 0.06 * scn.objects[0]["h"] or o["w"] > x1 - x0 or o["w"] < 12:
                continue
        if sd == "left":
            o["x"] = int(x1 - o["w"] - (x1 - x0 - o["w"]) * rng.uniform(0.0, 0.5))
        else:
            o["x"] = int(x0 + (x1 - x0 - o["w"]) * rng.uniform(0.0, 0.5))
        o["y"] = int(scn.floor - o["h"] + rng.uniform(0.0, 0.03) * scn.h)
        return o, sd
    return None


def prop_at(key, like, rng, colour=None):
    """A different prop standing where `like` stands (same footprint centre, similar height)."""
    hh = PROP_HEIGHT[key] / max(PROP_HEIGHT.get(like["kind"], 0.4), 0.1)
    size = like["h"] * np.clip(hh, 0.6, 1.8) / PROP_H_OF_S.get(key, 1.0)
    size = min(size, 2.0 * like["w"] / PROP_W_OF_S.get(key, 1.0))
    size = max(size, 0.6 * like["w"] / PROP_W_OF_S.get(key, 1.0))
    o = make_prop(key, size, rng, colour)
    o["x"] = int(like["x"] + like["w"] / 2 - o["w"] / 2)
    o["y"] = int(like["y"] + like["h"] - o["h"])
    return o


LOOKALIKE = {"ball": ("apple",), "apple": ("ball",)}
SIDE_ZH = {"left": "左边", "right": "右边", "top right": "右上角"}


# ----------------------------------------------------------------------------------------------
# photo recolour (shading preserving, in Lab)
def lab_recolour(img, mask, target):
    lab = cv2.cvtColor(u8(img), cv2.COLOR_BGR2LAB).astype(np.float32)
    t = cv2.cvtColor(np.uint8([[np.clip(target, 0, 255)]]), cv2.COLOR_BGR2LAB)[0, 0].astype(np.float32)
    sel = mask > 0.5
    med = float(np.median(lab[..., 0][sel])) if sel.any() else 128.0
    ab_med = np.median(lab[..., 1:][sel], axis=0) if sel.any() else np.array([128, 128], np.float32)
    out = lab.copy()
    out[..., 0] = np.clip(lab[..., 0] * (t[0] / max(med, 1)), 0, 255)
    out[..., 1:] = np.clip(t[1:] + (lab[..., 1:] - ab_med) * 0.3, 0, 255)
    rec = cv2.cvtColor(u8(out), cv2.COLOR_LAB2BGR).astype(np.float32)
    return blend(img, rec, mask)


# ----------------------------------------------------------------------------------------------
# instructions
def ins_recolour(rng, obj_en, obj_zh, col, src=None):
    """Phrase a recolour request; col/src are colour keys."""
    c_en, c_zh = cname(col, rng, "en"), cname(col, rng, "zh")
    if src:
        s_en, s_zh = cname(src, rng, "en"), cname(src, rng, "zh")
        t = [
            f"Recolor the {s_en} {obj_en} {c_en}.",
            f"把{s_zh}的{obj_zh}改成{c_zh}",
            f"change the {s_en} {obj_en} to {c_en}, keep everything else as is",
            f"请将图中{s_zh}的{obj_zh}换成{c_zh}，光影和背景保持不变",
            f"{s_zh}{obj_zh} → {c_zh}",
            f"Could you make the {s_en} {obj_en} {c_en} instead?",
            f"把这个{s_zh}{obj_zh}调成{c_en}",
        ]
    else:
        t = [
            f"Make the {obj_en} {c_en}.",
            f"把{obj_zh}改成{c_zh}",
            f"请把{obj_zh}的颜色换成{c_zh}，其他不要动",
            f"Change the colour of the {obj_en} to {c_en}",
            f"recolor {obj_en}: {c_en}, keep the shading",
            f"{obj_zh}颜色改为{c_zh}",
            f"Could you turn the {obj_en} {c_en}? Keep the background untouched.",
            f"帮我把{obj_zh}改成 {c_en}",
            f"{obj_en}换成{c_zh}",
        ]
    return pick(rng, t)


def ins_remove(rng, p_en, p_zh, o_en=None, o_zh=None, where_en="", where_zh=""):
    t = [
        f"Remove the {p_en}{where_en}.",
        f"去掉{where_zh}的{p_zh}",
        f"请把图中{where_zh}的{p_zh}删除，背景要自然",
        f"erase the {p_en}{where_en} and fill the background naturally",
        f"把{p_zh}P掉",
        f"Please take the {p_en} out of the picture",
    ]
    if o_en:
        t += [
            f"remove the {p_en} next to the {o_en}, keep the {o_en} untouched",
            f"去掉{o_zh}旁边的{p_zh}，{o_zh}不要动",
        ]
    return pick(rng, t)


def ins_add(rng, p_en_a, p_zh_a, o_en, o_zh, side):
    s_zh = SIDE_ZH[side]
    t = [
        f"Add {p_en_a} on the {side} of the {o_en}.",
        f"在{o_zh}{s_zh}加{p_zh_a}",
        f"请在{o_zh}的{s_zh}放{p_zh_a}，大小要自然",
        f"put {p_en_a} to the {side} of the {o_en}, keep the {o_en} as is",
        f"{s_zh}添加{p_zh_a}",
        f"Could you place {p_en_a} at the {side} side, next to the {o_en}?",
        f"在画面{s_zh}加一个小道具：{p_zh_a}",
    ]
    return pick(rng, t)


def ins_replace(rng, a_en, a_zh, b_en_a, b_zh_a):
    t = [
        f"Replace the {a_en} with {b_en_a}.",
        f"把{a_zh}换成{b_zh_a}",
        f"请将{a_zh}替换为{b_zh_a}，位置不变",
        f"swap the {a_en} for {b_en_a}",
        f"{a_zh}改成{b_zh_a}",
        f"Could you change the {a_en} into {b_en_a}?",
        f"replace {a_en} → {b_en_a}, keep everything else",
    ]
    return pick(rng, t)


def prop_names(key, rng, colour=None):
    fn, en, zh, en_a, zh_a = PROPS[key]
    if key == "ball" and colour and rng.random() < 0.7:
        return en, zh, f"a {cname(colour, rng, 'en')} ball", f"一个{cname(colour, rng, 'zh')}的球"
    return en, zh, pick(rng, en_a), pick(rng, zh_a)


# ----------------------------------------------------------------------------------------------
# recolour targets: a uniform view over synthetic products, people and the astronaut photo
class Target:
    def __init__(self, scn, idx=None, groups=("main",), name=("", ""), src=None, photo_mask=None):
        self.scn, self.idx, self.groups, self.name, self.src, self.photo_mask = (
            scn,
            idx,
            groups,
            name,
            src,
            photo_mask,
        )
        self.ink = None

    def before(self):
        return self.scn.render()

    def mask(self):
        if self.photo_mask is not None:
            return self.photo_mask
        return self.scn.visible_mask(self.idx, self.groups)

    def recolour(self, colour_key_or_bgr, keep_pattern=True, flat=False, drop_decal=False):
        c = bgr_of(colour_key_or_bgr) if isinstance(colour_key_or_bgr, str) else np.asarray(colour_key_or_bgr)
        if self.photo_mask is not None:
            if flat:
                return blend(self.scn.bg, np.broadcast_to(c, self.scn.bg.shape), self.photo_mask)
            return lab_recolour(self.scn.bg, self.photo_mask, c)
        s2 = self.scn.copy()
        o = recolour_obj(s2.objects[self.idx], self.groups, c, keep_pattern)
        if drop_decal:
            o["decal"] = None
        s2.objects[self.idx] = o
        img = s2.render()
        if flat:
            m = self.mask()
            img = blend(img, np.broadcast_to(c, img.shape), feather(m, 0.6))
        return img


TARGET_NAMES = {"jar": ("jar lid", "面霜罐盖子"), "watch": ("watch strap", "表带")}


def product_target(scn, rng, idx=0, groups=MAIN):
    o = scn.objects[idx]
    t = Target(scn, idx, groups, TARGET_NAMES.get(o["kind"], (o["name"], o["zh"])), src=o.get("colour"))
    t.ink = o.get("ink")
    return t


def target_for(base, rng, allow_photo=True, allow_person=True, **kw):
    """(scene, target) for a single-object recolour on this base, or None."""
    if base["kind"] == "photo":
        if not allow_photo or base["photo"] != "astronaut":
            return None
        scn = build_scene(base, rng)
        if scn is None or not hasattr(scn, "suit"):
            return None
        return Target(
            scn,
            None,
            (),
            (pick(rng, ["space suit", "suit", "flight suit"]), pick(rng, ["宇航服", "航天服"])),
            src="orange",
            photo_mask=scn.suit,
        )
    if base["kind"] == "person":
        if not allow_person:
            return None
        scn = build_scene(base, rng, **kw)
        o = scn.objects[0]
        return Target(
            scn,
            0,
            ("shirt",),
            (pick(rng, ["shirt", "T-shirt", "top"]), pick(rng, ["上衣", "T恤", "衣服"])),
            src=base["shirt"],
        )
    if base["kind"] == "pair":
        return None
    scn = build_scene(base, rng, **kw)
    return product_target(scn, rng)


def choose_target_colour(rng, src, avoid=(), ink=None):
    """A clearly different colour; if the object carries print, one on which the print stays legible."""
    opts = [c for c in TARGETS if c != src and HUE_GROUP.get(c) != HUE_GROUP.get(src) and c not in avoid]
    if ink is not None:
        legible = [c for c in opts if tuple(contrast_ink(bgr_of(c))) == tuple(ink)]
        opts = legible or opts
    return pick(rng, opts)


# ----------------------------------------------------------------------------------------------
# families --------------------------------------------------------------------------------------
def _person_phrase(rng, obj_en, obj_zh, col):
    c_en, c_zh = cname(col, rng, "en"), cname(col, rng, "zh")
    return pick(
        rng,
        [
            f"Change the model's {obj_en} to {c_en}, keep the face exactly the same.",
            f"把模特的{obj_zh}换成{c_zh}，脸不要动",
            f"make the {obj_en} {c_en}",
            f"请把人物的{obj_zh}颜色改为{c_zh}，保持人脸和发型不变",
            f"{obj_zh}改成{c_zh}",
            f"Could you recolor the {obj_en} {c_en}? Don't touch the face.",
            f"把{obj_zh}调成 {c_en}",
        ],
    )


def fam_recolour_named(rng, base):
    t = target_for(base, rng, allow_person=False)
    if t is None:
        return None
    col = choose_target_colour(rng, t.src, ink=t.ink)
    return t.before(), vae(t.recolour(col), rng), ins_recolour(rng, *t.name, col)


def fam_recolour_source_named(rng, base):
    t = target_for(base, rng)
    if t is None:
        return None
    col = choose_target_colour(rng, t.src, ink=t.ink)
    if base["kind"] == "person":
        ins = pick(
            rng,
            [
                f"把{cname(t.src, rng, 'zh')}的{t.name[1]}改成{cname(col, rng, 'zh')}，人脸保持不变",
                f"recolor the {cname(t.src, rng, 'en')} {t.name[0]} {cname(col, rng, 'en')}",
                f"Change her {cname(t.src, rng, 'en')} {t.name[0]} to {cname(col, rng, 'en')}.",
                f"模特身上{cname(t.src, rng, 'zh')}的{t.name[1]}换成{cname(col, rng, 'zh')}",
            ],
        )
    else:
        ins = ins_recolour(rng, *t.name, col, src=t.src)
    return t.before(), vae(t.recolour(col), rng), ins


def _patterned(rng, base):
    if base["kind"] == "person":
        scn = build_scene(base, rng, pattern="stripes")
        t = Target(
            scn,
            0,
            ("shirt",),
            (pick(rng, ["striped shirt", "striped top"]), pick(rng, ["条纹上衣", "条纹T恤"])),
            src=base["shirt"],
        )
        return t, "stripes"
    if base["kind"] != "product":
        return None
    kind = base["product"] if base["product"] in PATTERNABLE else pick(rng, sorted(PATTERNABLE))
    pat = base.get("pattern") or pick(rng, ["stripes", "stripes", "checks"])
    scn = build_scene(base, rng, product=kind, pattern=pat, text=None)
    o = scn.objects[0]
    adj_en = {"stripes": "striped", "checks": "checked"}[pat]
    adj_zh = {"stripes": "条纹", "checks": "格子"}[pat]
    t = Target(scn, 0, ("main",), (f"{adj_en} {o['name']}", f"{adj_zh}{o['zh']}"), src=o["colour"])
    return t, pat


def _pattern_ins(rng, t, col, pat):
    c_en, c_zh = cname(col, rng, "en"), cname(col, rng, "zh")
    s_en, s_zh = cname(t.src, rng, "en"), cname(t.src, rng, "zh")
    unit_en = "stripes" if pat == "stripes" else "checks"
    unit_zh = "条纹" if pat == "stripes" else "格子"
    return pick(
        rng,
        [
            f"Make the {t.name[0]} {c_en} but keep the {unit_en}.",
            f"把{t.name[1]}改成{c_zh}，保留{unit_zh}图案",
            f"change the {s_en} {unit_en} to {c_en}",
            f"把{s_zh}的{unit_zh}换成{c_zh}，白色部分不变",
            f"{t.name[1]}换成{c_zh}{unit_zh}",
            f"Recolor the {t.name[0]} to {c_en}, the {unit_en} pattern must stay.",
        ],
    )


def fam_recolour_pattern_kept(rng, base):
    r = _patterned(rng, base)
    if r is None:
        return None
    t, pat = r
    col = choose_target_colour(rng, t.src, avoid=("white", "beige", "mint", "grey"))
    return t.before(), vae(t.recolour(col), rng), _pattern_ins(rng, t, col, pat)


def fam_recolour_pattern_destroyed(rng, base):
    r = _patterned(rng, base)
    if r is None:
        return None
    t, pat = r
    col = choose_target_colour(rng, t.src, avoid=("white", "beige", "mint", "grey"))
    return t.before(), vae(t.recolour(col, keep_pattern=False), rng), _pattern_ins(rng, t, col, pat)


def _printed(rng, base):
    if base["kind"] != "product":
        return None
    kind = (
        base["product"]
        if base["product"] in ("mug", "tshirt", "bag", "box", "cushion")
        else pick(rng, ["mug", "tshirt", "bag", "box"])
    )
    txt = base.get("text") or pick(rng, BRANDS)
    scn = build_scene(base, rng, product=kind, pattern=None, text=txt)
    return product_target(scn, rng), txt


def fam_recolour_print_kept(rng, base):
    r = _printed(rng, base)
    if r is None:
        return None
    t, txt = r
    col = choose_target_colour(rng, t.src, ink=t.ink)
    ins = ins_recolour(rng, *t.name, col)
    if rng.random() < 0.5:
        ins = append(
            ins, pick(rng, [f"，保留“{txt}”字样", f" (keep the '{txt}' print)", f"，logo「{txt}」不变"])
        )
    return t.before(), vae(t.recolour(col), rng), ins


def fam_recolour_print_lost(rng, base):
    r = _printed(rng, base)
    if r is None:
        return None
    t, txt = r
    col = choose_target_colour(rng, t.src, ink=t.ink)
    ins = ins_recolour(rng, *t.name, col)
    if rng.random() < 0.4:
        ins = append(ins, pick(rng, [f"，保留“{txt}”字样", f" (keep the '{txt}' print)"]))
    after = t.recolour(col, drop_decal=True)
    if t.scn.objects[0]["kind"] in ("box", "bag", "bottle") and rng.random() < 0.5:
        # print smeared into an unreadable blotch instead of vanishing
        good = t.recolour(col)
        after = blend(after, cv2.GaussianBlur(u8(good), (0, 0), 0.02 * t.scn.objects[0]["h"] + 2), t.mask())
    return t.before(), vae(after, rng), ins


def fam_recolour_glossy(rng, base):
    if base["kind"] != "product":
        return None
    kind = pick(rng, ["bottle", "jar", "mug"])
    scn = build_scene(base, rng, product=kind)
    o = scn.objects[0]
    o["gloss"] = max(o["gloss"], 0.8)
    t = product_target(scn, rng)
    col = choose_target_colour(rng, t.src, avoid=("white",), ink=t.ink)
    ins = ins_recolour(rng, *t.name, col)
    if rng.random() < 0.4:
        ins = append(ins, pick(rng, ["，保留高光和反光", ", keep the glossy highlights", "，质感不变"]))
    return t.before(), vae(t.recolour(col), rng), ins


def fam_recolour_named_part(rng, base):
    if base["kind"] != "product":
        return None
    kind = base["product"] if base["product"] in PART_NAMES else pick(rng, sorted(PART_NAMES))
    scn = build_scene(base, rng, product=kind)
    o = scn.objects[0]
    grp, p_en, p_zh = PART_NAMES[kind]
    src = None
    cur = [p["albedo"] for p in o["parts"] if p["group"] == grp][0]
    rest = [p["albedo"] for p in o["parts"] if p["group"] != grp]
    col = pick(
        rng,
        [
            c
            for c in TARGETS
            if np.abs(bgr_of(c) - cur).sum() > 180 and all(np.abs(bgr_of(c) - r).sum() > 120 for r in rest)
        ],
    )
    t = Target(scn, 0, (grp,), (f"{o['name']} {p_en}", f"{o['zh']}{p_zh}"))
    c_en, c_zh = cname(col, rng, "en"), cname(col, rng, "zh")
    ins = pick(
        rng,
        [
            f"Change only the {p_en} of the {o['name']} to {c_en}.",
            f"只把{o['zh']}的{p_zh}改成{c_zh}",
            f"把{p_zh}换成{c_zh}，{o['zh']}其他部分不变",
            f"make the {p_en} {c_en}, leave the rest of the {o['name']} alone",
            f"{p_zh}颜色改为{c_zh}",
            f"recolor just the {p_en}: {c_en}",
        ],
    )
    return t.before(), vae(t.recolour(col), rng), ins


def _pair_target(rng, base):
    if base["kind"] != "pair":
        return None
    scn = build_scene(base, rng)
    i = int(rng.integers(2))
    a, b = scn.objects
    o = scn.objects[i]
    same_kind = a["kind"] == b["kind"]
    side_en, side_zh = ("left", "左边") if i == 0 else ("right", "右边")
    if same_kind or rng.random() < 0.4:
        name = (f"{o['name']} on the {side_en}", f"{side_zh}的{o['zh']}")
    else:
        name = (o["name"], o["zh"])
    return scn, i, name


def fam_recolour_one_of_two(rng, base):
    r = _pair_target(rng, base)
    if r is None:
        return None
    scn, i, name = r
    other = scn.objects[1 - i]["colour"]
    col = choose_target_colour(rng, scn.objects[i]["colour"], avoid=(other,), ink=scn.objects[i].get("ink"))
    t = Target(scn, i, MAIN, name, src=scn.objects[i]["colour"])
    use_src = rng.random() < 0.3
    ins = ins_recolour(rng, *name, col, src=t.src if use_src else None)
    if rng.random() < 0.3:
        ins = append(ins, pick(rng, [", leave the other one as is", "，另一个保持原样"]))
    return t.before(), vae(t.recolour(col), rng), ins


def fam_recolour_wrong_object(rng, base):
    if base["kind"] == "person":
        scn = build_scene(base, rng)
        vivid = ["green", "royal_blue", "purple", "pink", "red", "sky_blue", "mint", "teal"]
        col = pick(
            rng,
            [
                c
                for c in vivid
                if HUE_GROUP[c] != HUE_GROUP[base["shirt"]] and not (c == "red" and base["hair"] == "auburn")
            ],
        )
        wrong = Target(scn, 0, ("hair",))
        ins = _person_phrase(rng, pick(rng, ["shirt", "top"]), pick(rng, ["上衣", "T恤"]), col)
        return scn.render(), vae(wrong.recolour(col), rng), ins
    r = _pair_target(rng, base)
    if r is None:
        return None
    scn, i, name = r
    j = 1 - i
    avoid = (scn.objects[j]["colour"],)
    col = choose_target_colour(rng, scn.objects[i]["colour"], avoid=avoid)
    if HUE_GROUP[col] == HUE_GROUP[scn.objects[j]["colour"]]:
        return None
    wrong = Target(scn, j, MAIN)
    return scn.render(), vae(wrong.recolour(col), rng), ins_recolour(rng, *name, col)


def fam_recolour_wrong_colour(rng, base):
    t = target_for(base, rng)
    if t is None:
        return None
    asked = choose_target_colour(rng, t.src)
    got = pick(
        rng,
        [
            c
            for c in TARGETS
            if HUE_GROUP[c] not in (HUE_GROUP[asked], HUE_GROUP.get(t.src)) and c != NEAR_MISS.get(asked)
        ],
    )
    if base["kind"] == "person":
        ins = _person_phrase(rng, *t.name, asked)
    else:
        ins = ins_recolour(rng, *t.name, asked, src=t.src if rng.random() < 0.3 else None)
    return t.before(), vae(t.recolour(got), rng), ins


def fam_recolour_near_miss(rng, base):
    t = target_for(base, rng)
    if t is None:
        return None
    opts = [a for a in NEAR_MISS if a != t.src and NEAR_MISS[a] != t.src]
    asked = pick(rng, opts)
    got = NEAR_MISS[asked]
    en = {
        "red": ["bright red", "pure red"],
        "royal_blue": ["royal blue"],
        "green": ["bright green", "grass green"],
        "yellow": ["lemon yellow", "bright yellow"],
        "orange": ["bright orange"],
        "white": ["pure white"],
        "black": ["black", "jet black"],
        "sky_blue": ["sky blue"],
        "pink": ["baby pink", "light pink"],
    }[asked]
    zh = {
        "red": ["正红色", "大红色"],
        "royal_blue": ["宝蓝色"],
        "green": ["草绿色", "鲜绿色"],
        "yellow": ["柠檬黄", "亮黄色"],
        "orange": ["亮橙色", "橙色"],
        "white": ["纯白色"],
        "black": ["纯黑色", "黑色"],
        "sky_blue": ["天蓝色"],
        "pink": ["浅粉色", "粉色"],
    }[asked]
    c_en, c_zh = pick(rng, en), pick(rng, zh)
    o_en, o_zh = t.name
    ins = pick(
        rng,
        [
            f"Make the {o_en} {c_en}.",
            f"把{o_zh}改成{c_zh}",
            f"请把{o_zh}换成{c_zh}，不要偏色",
            f"change the {o_en} colour to {c_en} exactly",
            f"{o_zh}颜色改为{c_zh}",
            f"recolor the {o_en}: {c_en}",
            f"把{o_zh}调成 {c_en}",
        ],
    )
    return t.before(), vae(t.recolour(got), rng), ins


def fam_recolour_spill(rng, base):
    t = target_for(base, rng)
    if t is None:
        return None
    col = choose_target_colour(
        rng,
        t.src,
        avoid=("white", "grey", "beige", "black", "charcoal", "mint", "lavender", "sky_blue"),
        ink=t.ink,
    )
    good = t.recolour(col)
    m = t.mask()
    ys, xs = np.where(m > 0.5)
    if len(ys) == 0:
        return None
    size = max(ys.max() - ys.min(), xs.max() - xs.min())
    k = int(size * rng.uniform(0.06, 0.12)) | 1
    grown = cv2.dilate((m > 0.3).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # plus a blob bleeding to one side
    cy, cx = ys.mean(), xs.mean()
    ang = rng.uniform(0, 2 * np.pi)
    bx, by = cx + math.cos(ang) * size * 0.45, cy + math.sin(ang) * size * 0.35
    blob = m_ellipse(
        t.scn.h,
        t.scn.w,
        bx,
        by,
        size * rng.uniform(0.2, 0.32),
        size * rng.uniform(0.15, 0.25),
        rng.uniform(0, 180),
    )
    spill = np.maximum(grown.astype(np.float32), blob)
    spill = feather(spill, k * 0.4) * (1 - m) * rng.uniform(0.75, 0.95)
    tinted = lab_recolour(good, np.ones(m.shape, np.float32), bgr_of(col))
    after = blend(good, tinted, spill)
    ins = _person_phrase(rng, *t.name, col) if base["kind"] == "person" else ins_recolour(rng, *t.name, col)
    return t.before(), vae(after, rng), ins


def fam_recolour_partial(rng, base):
    t = target_for(base, rng)
    if t is None:
        return None
    col = choose_target_colour(rng, t.src, ink=t.ink)
    good = t.recolour(col)
    before = t.before()
    m = t.mask()
    ys, xs = np.where(m > 0.5)
    if len(ys) == 0:
        return None
    cy, cx = ys.mean(), xs.mean()
    size = max(ys.max() - ys.min(), xs.max() - xs.min())
    ang = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0 : t.scn.h, 0 : t.scn.w].astype(np.float32)
    d = (xx - cx) * math.cos(ang) + (yy - cy) * math.sin(ang) + rng.uniform(-0.1, 0.15) * size
    part = np.clip(d / (0.03 * size) + 0.5, 0, 1)
    after = blend(before, good, part)
    ins = _person_phrase(rng, *t.name, col) if base["kind"] == "person" else ins_recolour(rng, *t.name, col)
    return before, vae(after, rng), ins


def fam_recolour_flat_paint(rng, base):
    t = target_for(base, rng, allow_person=True)
    if t is None:
        return None
    col = choose_target_colour(rng, t.src, avoid=("white", "beige"))
    after = t.recolour(col, flat=True)
    ins = _person_phrase(rng, *t.name, col) if base["kind"] == "person" else ins_recolour(rng, *t.name, col)
    return t.before(), vae(after, rng), ins


def fam_recolour_large_at_edge(rng, base):
    if base["kind"] != "product":
        return None
    scn = build_scene(base, rng, size_mode="large")
    t = product_target(scn, rng)
    col = choose_target_colour(rng, t.src, ink=t.ink)
    return (
        t.before(),
        vae(t.recolour(col), rng),
        ins_recolour(rng, *t.name, col, src=t.src if rng.random() < 0.3 else None),
    )


def fam_recolour_small_product(rng, base):
    if base["kind"] != "product":
        return None
    scn = build_scene(base, rng, size_mode="small")
    t = product_target(scn, rng)
    col = choose_target_colour(rng, t.src, ink=t.ink)
    return (
        t.before(),
        vae(t.recolour(col), rng),
        ins_recolour(rng, *t.name, col, src=t.src if rng.random() < 0.4 else None),
    )


# ---------------- removal ---------------------------------------------------------------------
def _scene_with_prop(rng, base, keys=REMOVABLE, n=1):
    if base["kind"] not in ("product", "pair", "photo"):
        return None
    scn = build_scene(base, rng)
    if scn is None:
        return None
    if scn.photo == "astronaut":
        return None
    placed = []
    if scn.photo == "rocket":
        keys = ["moon"]
    for key in list(rng.permutation(keys)):
        if len(placed) == n:
            break
        if any(k == key for k, _, _ in placed):
            continue
        side = None
        if placed and not scn.photo:
            side = "right" if placed[0][2] == "left" else "left"
        r = place_prop(scn, str(key), rng, side=side)
        if r is None:
            continue
        o, sd = r
        if scn.photo:
            o["shadow"] = min(o["shadow"], 0.6)
        scn.objects.append(o)
        placed.append((str(key), len(scn.objects) - 1, sd))
    if len(placed) < n:
        return None
    return scn, placed


def _where(rng, scn, side):
    if scn.photo:
        return "", ""
    o = scn.objects[0]
    if rng.random() < 0.5:
        return f" on the {side}", SIDE_ZH[side]
    return f" next to the {o['name']}", f"{o['zh']}旁边"


def _remove_setup(rng, base):
    if base["kind"] in ("product", "pair") and rng.random() < 0.25:
        r = _sticker_scene(rng, base)
        if r is not None:
            scn, idx = r
            o = scn.objects[0]
            ins = _sticker_ins(rng, scn, idx)
            return scn, idx, ins
    r = _scene_with_prop(rng, base)
    if r is None:
        return None
    scn, placed = r
    key, idx, sd = placed[0]
    en, zh, _, _ = prop_names(key, rng)
    w_en, w_zh = _where(rng, scn, sd)
    if scn.photo:
        return scn, idx, ins_remove(rng, en, zh)
    return scn, idx, ins_remove(rng, en, zh, scn.objects[0]["name"], scn.objects[0]["zh"], w_en, w_zh)


def fam_remove_clean(rng, base):
    r = _remove_setup(rng, base)
    if r is None:
        return None
    scn, idx, ins = r
    return scn.render(), vae(scn.render(skip=(idx,)), rng), ins


def _sticker_scene(rng, base):
    if base["kind"] not in ("product", "pair"):
        return None
    kind = (
        base.get("product")
        if base.get("product") in ("box", "bottle", "bag", "mug", "jar", "tshirt", "cushion")
        else pick(rng, ["box", "bottle", "bag", "mug", "jar"])
    )
    scn = build_scene(base, rng, product=kind) if base["kind"] == "product" else build_scene(base, rng)
    i = 0
    o = scn.objects[i]
    body = union_mask(o, ("main",))
    ys, xs = np.where(body > 0.9)
    if len(ys) < 100:
        return None
    ss = int(min(o["w"], o["h"]) * rng.uniform(0.2, 0.3))
    # a spot fully inside the product body
    for _ in range(30):
        k = int(rng.integers(len(ys)))
        cy, cx = ys[k], xs[k]
        y0, x0 = cy - ss // 2, cx - ss // 2
        if y0 < 0 or x0 < 0 or y0 + ss > o["h"] or x0 + ss > o["w"]:
            continue
        if body[y0 : y0 + ss, x0 : x0 + ss].min() < 0.95:
            continue
        if (
            o["decal"] is not None
            and o["decal"][1][y0 : y0 + ss, x0 : x0 + ss].max() > 0.1
            and rng.random() < 0.8
        ):
            continue
        st = prop_sticker(ss, rng)
        st["x"], st["y"] = o["x"] + x0, o["y"] + y0
        scn.objects.append(st)
        return scn, len(scn.objects) - 1
    return None


def _sticker_ins(rng, scn, idx):
    o = scn.objects[0]
    lab = scn.objects[idx].get("label", "SALE")
    return pick(
        rng,
        [
            f"Remove the sticker from the {o['name']}.",
            f"去掉{o['zh']}上的贴纸",
            f"请把{o['zh']}上的“{lab}”标签去掉，保持表面干净",
            f"take off the '{lab}' sticker",
            f"把价格贴撕掉（P掉），{o['zh']}本身不要变",
            f"remove the price tag on the {o['name']}",
        ],
    )


def fam_remove_overlapping_prop(rng, base):
    """A prop standing in front of the product, partly hiding it: removal must restore the product."""
    if base["kind"] != "product":
        return None
    scn = build_scene(base, rng)
    key = pick(rng, ["ball", "apple", "cup", "candle", "plant", "book"])
    bx0, by0, bx1, by1 = scn.bbox(0)
    pw, ph = bx1 - bx0, by1 - by0
    want_h = ph * rng.uniform(0.3, 0.45) if key != "book" else ph * 0.2
    o = make_prop(key, want_h / PROP_H_OF_S.get(key, 1.0), rng)
    if o["w"] > 0.7 * pw:
        o = make_prop(key, 0.7 * pw / PROP_W_OF_S.get(key, 1.0), rng)
    left = rng.random() < 0.5
    ov = rng.uniform(0.25, 0.5) * o["w"]
    o["x"] = int(bx0 - o["w"] + ov) if left else int(bx1 - ov)
    o["y"] = int(by1 - o["h"] + rng.uniform(0.02, 0.05) * scn.h)
    if o["y"] + o["h"] > scn.h:
        o["y"] = scn.h - o["h"] - 1
    scn.objects.append(o)
    en, zh, _, _ = prop_names(key, rng)
    p = scn.objects[0]
    ins = pick(
        rng,
        [
            f"Remove the {en} in front of the {p['name']}.",
            f"去掉{p['zh']}前面的{zh}",
            f"请把挡住{p['zh']}的{zh}删掉，补全{p['zh']}",
            f"erase the {en} that covers part of the {p['name']}",
            f"把{zh}P掉，露出完整的{p['zh']}",
            f"Please take away the {en}; the {p['name']} should be complete.",
        ],
    )
    return scn.render(), vae(scn.render(skip=(1,)), rng), ins


def fam_remove_sticker_clean(rng, base):
    r = _sticker_scene(rng, base)
    if r is None:
        return None
    scn, idx = r
    return scn.render(), vae(scn.render(skip=(idx,)), rng), _sticker_ins(rng, scn, idx)


def fam_remove_one_of_two(rng, base):
    r = _scene_with_prop(rng, base, n=2)
    if r is None:
        return None
    scn, placed = r
    key, idx, sd = placed[int(rng.integers(2))]
    keep = [k for k, _, _ in placed if k != key][0]
    en, zh, _, _ = prop_names(key, rng)
    ken, kzh, _, _ = prop_names(keep, rng)
    ins = pick(
        rng,
        [
            f"Remove the {en}, keep the {ken}.",
            f"去掉{zh}，{kzh}保留",
            f"只删除{zh}，其他都不要动",
            f"please erase only the {en}",
            f"把{zh}P掉，{kzh}留着",
            f"remove the {en} but leave the {ken} where it is",
        ],
    )
    return scn.render(), vae(scn.render(skip=(idx,)), rng), ins


def fam_remove_not_done(rng, base):
    r = _remove_setup(rng, base)
    if r is None:
        return None
    scn, idx, ins = r
    before = scn.render()
    return before, vae(before, rng), ins


def fam_remove_ghosted(rng, base):
    r = _remove_setup(rng, base)
    if r is None:
        return None
    scn, idx, ins = r
    before = scn.render()
    clean = scn.render(skip=(idx,))
    a = rng.uniform(0.35, 0.5)
    return before, vae(clean * (1 - a) + before * a, rng), ins


def fam_remove_new_object(rng, base):
    r = _remove_setup(rng, base)
    if r is None:
        return None
    scn, idx, ins = r
    old = scn.objects[idx]
    s2 = scn.copy()
    if old["kind"] == "sticker":
        new = prop_sticker(old["h"], rng)
        while new.get("label") == old.get("label"):
            new = prop_sticker(old["h"], rng)
        if np.abs(new["parts"][0]["albedo"] - old["parts"][0]["albedo"]).sum() < 60:
            new["parts"][0]["albedo"] = np.array((200, 120, 30), np.float32)
    else:
        cand = [k for k in ADDABLE + ["coin", "pen", "leaf"] if k != old["kind"]]
        new = prop_at(pick(rng, cand), old, rng)
    new["x"] = int(old["x"] + old["w"] / 2 - new["w"] / 2)
    new["y"] = int(old["y"] + old["h"] - new["h"])
    s2.objects[idx] = new
    return scn.render(), vae(s2.render(), rng), ins


def fam_remove_smear(rng, base):
    r = _remove_setup(rng, base)
    if r is None:
        return None
    scn, idx, ins = r
    before = scn.render()
    clean = scn.render(skip=(idx,))
    m = scn.mask(idx)
    o = scn.objects[idx]
    size = max(o["h"], o["w"])
    k = int(size * 0.25) | 1
    hard = cv2.dilate((m > 0.2).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    # also the shadow region under it
    x0, y0, x1, y1 = o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"]
    cv2.ellipse(
        hard, (int((x0 + x1) / 2), int(y1)), (int(o["w"] * 0.6), max(2, int(o["h"] * 0.12))), 0, 0, 360, 1, -1
    )
    filled = cv2.inpaint(u8(before), hard * 255, 5, cv2.INPAINT_TELEA).astype(np.float32)
    filled = cv2.GaussianBlur(filled, (0, 0), max(2.0, size * 0.06))
    local = float(clean[max(0, o["y"]) : o["y"] + o["h"], max(0, o["x"]) : o["x"] + o["w"]].mean())
    tone = (-1 if local > 170 else 1 if local < 80 else rng.choice([-1, 1])) * rng.uniform(16, 28)
    tint = np.array([rng.uniform(-8, 8), rng.uniform(-8, 8), rng.uniform(-8, 8)], np.float32)
    filled = filled + tone + tint
    # streaky smudge inside
    yy, xx = np.mgrid[0 : scn.h, 0 : scn.w].astype(np.float32)
    filled += 6 * np.sin((xx + yy * 0.3) / max(3.0, size * 0.05))[..., None]
    mm = feather(hard.astype(np.float32), max(1.5, size * 0.03))
    return before, vae(blend(clean, filled, mm), rng), ins


def fam_remove_damaged_product(rng, base):
    if base["kind"] not in ("product", "pair"):
        return None
    use_sticker = rng.random() < 0.4
    if use_sticker:
        r = _sticker_scene(rng, base)
        if r is None:
            return None
        scn, idx = r
        ins = _sticker_ins(rng, scn, idx)
    else:
        r = _scene_with_prop(rng, base)
        if r is None:
            return None
        scn, placed = r
        key, idx, sd = placed[0]
        en, zh, _, _ = prop_names(key, rng)
        w_en, w_zh = _where(rng, scn, sd)
        ins = ins_remove(rng, en, zh, scn.objects[0]["name"], scn.objects[0]["zh"], w_en, w_zh)
    before = scn.render()
    clean = scn.render(skip=(idx,))
    o = scn.objects[idx]
    ti = 0
    if not use_sticker:  # the product standing nearest to the removed prop gets hurt
        pcx = o["x"] + o["w"] / 2
        prods = [i for i in range(len(scn.objects)) if i != idx and scn.objects[i]["kind"] in PRODUCTS]
        ti = min(prods, key=lambda i: abs((scn.bbox(i)[0] + scn.bbox(i)[2]) / 2 - pcx))
    bx0, by0, bx1, by1 = scn.bbox(ti)
    pw, ph = bx1 - bx0, by1 - by0
    if use_sticker:
        cx, cy = o["x"] + o["w"] / 2, o["y"] + o["h"] / 2
        rx, ry = o["w"] * rng.uniform(0.9, 1.2), o["h"] * rng.uniform(0.9, 1.2)
    else:
        near_left = (o["x"] + o["w"] / 2) < (bx0 + bx1) / 2
        cx = bx0 + pw * (0.1 if near_left else 0.9)
        cy = by0 + ph * rng.uniform(0.4, 0.75)
        rx, ry = pw * rng.uniform(0.2, 0.3), ph * rng.uniform(0.18, 0.3)
    hole = m_ellipse(scn.h, scn.w, cx, cy, rx, ry) * scn.visible_mask(ti)
    mode = rng.integers(2) if not use_sticker else 0
    if mode == 0 and not use_sticker:
        # a bite out of the product: the backdrop shows through
        nothing = scn.render(skip=tuple(range(len(scn.objects))))
        damaged = blend(clean, nothing, feather(hole, 1.5))
    else:
        # a smeared, washed-out patch on the product surface
        k = (hole > 0.3).astype(np.uint8) * 255
        smear = cv2.inpaint(u8(clean), cv2.dilate(k, np.ones((3, 3), np.uint8)), 9, cv2.INPAINT_NS).astype(
            np.float32
        )
        smear = cv2.GaussianBlur(smear, (0, 0), max(3.0, rx * 0.15)) * 0.7 + 70
        damaged = blend(clean, smear, feather(hole, 2.0))
    return before, vae(damaged, rng), ins


# ---------------- adding ----------------------------------------------------------------------
def _add_setup(rng, base, need_side=True):
    if base["kind"] not in ("product", "pair", "photo"):
        return None
    scn = build_scene(base, rng)
    if scn is None or scn.photo == "astronaut":
        return None
    if scn.photo == "rocket":
        key = "moon"
    else:
        key = pick(rng, ["apple", "candle", "ball", "leaf", "coin"] if scn.photo else ADDABLE)
    r = place_prop(scn, key, rng)
    if r is None:
        return None
    o, side = r
    if scn.photo:
        o_en, o_zh = scn.photo_name
    elif base["kind"] == "pair":
        o_en, o_zh = "products", "商品"
    else:
        o_en, o_zh = scn.objects[0]["name"], scn.objects[0]["zh"]
    en, zh, en_a, zh_a = prop_names(key, rng, o.get("colour"))
    if scn.photo == "rocket":
        ins = pick(
            rng,
            [
                f"Add {en_a} in the sky on the {side}.",
                f"在{SIDE_ZH[side]}的天空加{zh_a}",
                f"请在火箭{SIDE_ZH[side]}的夜空中添加{zh_a}",
                f"put {en_a} in the upper {side} sky",
            ],
        )
    else:
        ins = ins_add(rng, en_a, zh_a, o_en, o_zh, side)
    return scn, o, key, side, ins


def fam_add_beside(rng, base):
    r = _add_setup(rng, base)
    if r is None:
        return None
    scn, o, key, side, ins = r
    s2 = scn.copy()
    s2.objects.append(o)
    return scn.render(), vae(s2.render(), rng), ins


def fam_add_wrong_place(rng, base):
    r = _add_setup(rng, base)
    if r is None:
        return None
    scn, o, key, side, ins = r
    if side == "top right":
        return None
    other = "right" if side == "left" else "left"
    rr = place_prop(scn, key, rng, side=other, colour=o.get("colour"))
    s2 = scn.copy()
    if rr is None or rng.random() < 0.25:
        if scn.photo:
            return None
        # floating high up in the frame instead of standing beside the product
        o2 = make_prop(key, o["h"] / PROP_H_OF_S.get(key, 1.0), rng, o.get("colour"))
        o2["x"] = int(scn.w * (0.78 if side == "left" else 0.08))
        o2["y"] = int(scn.h * 0.04)
        o2["shadow"] = 0.3
    else:
        o2 = rr[0]
    s2.objects.append(o2)
    return scn.render(), vae(s2.render(), rng), ins


def fam_add_too_big(rng, base):
    r = _add_setup(rng, base)
    if r is None:
        return None
    scn, o, key, side, ins = r
    if scn.photo:
        if scn.photo == "rocket":
            big = make_prop("moon", scn.h * rng.uniform(0.55, 0.75), rng)
            big["x"] = int(scn.w / 2 - big["w"] * rng.uniform(0.3, 0.7))
            big["y"] = int(scn.h * 0.15)
        else:
            big = make_prop(key, min(scn.h, scn.w) * rng.uniform(0.6, 0.8), rng, o.get("colour"))
            big["x"] = int(scn.w / 2 - big["w"] / 2 + (0.1 if side == "right" else -0.1) * scn.w)
            big["y"] = int(scn.h - big["h"] * 0.95)
    else:
        bx0, by0, bx1, by1 = scn.bbox(0)
        ph = by1 - by0
        pw = bx1 - bx0
        s_big = max(
            ph * rng.uniform(1.0, 1.35) / PROP_H_OF_S.get(key, 1.0),
            pw * rng.uniform(1.0, 1.3) / PROP_W_OF_S.get(key, 1.0),
        )
        big = make_prop(key, s_big, rng, o.get("colour"))
        ovl = rng.uniform(0.35, 0.6)
        if side == "left":
            big["x"] = int(bx0 + (bx1 - bx0) * ovl - big["w"])
        else:
            big["x"] = int(bx1 - (bx1 - bx0) * ovl)
        big["y"] = int(scn.floor - big["h"] + 0.04 * scn.h)
    s2 = scn.copy()
    s2.objects.append(big)
    return scn.render(), vae(s2.render(), rng), ins


def fam_add_product_changed(rng, base):
    if base["kind"] != "product":
        return None
    r = _add_setup(rng, base)
    if r is None:
        return None
    scn, o, key, side, ins = r
    s2 = scn.copy()
    p = s2.objects[0]
    mode = pick(rng, ["recolour", "shrink", "print", "shift"])
    if mode == "print" and p["decal"] is None:
        mode = "recolour"
    if mode == "recolour":
        col = choose_target_colour(rng, p.get("colour"))
        s2.objects[0] = recolour_obj(p, MAIN, bgr_of(col))
    elif mode == "print":
        s2.objects[0] = dict(p, decal=None)
    elif mode == "shrink":
        f = rng.uniform(0.72, 0.82)
        q = dict(p)
        nh, nw = max(8, int(p["h"] * f)), max(8, int(p["w"] * f))
        q["parts"] = [
            dict(
                pp,
                mask=cv2.resize(pp["mask"], (nw, nh), interpolation=cv2.INTER_AREA),
                pattern=None if pp["pattern"] is None else cv2.resize(pp["pattern"], (nw, nh)),
                tex=None if pp["tex"] is None else cv2.resize(pp["tex"], (nw, nh)),
            )
            for pp in p["parts"]
        ]
        q["diffuse"] = cv2.resize(p["diffuse"], (nw, nh))
        q["spec"] = cv2.resize(p["spec"], (nw, nh))
        if p["decal"] is not None:
            q["decal"] = (cv2.resize(p["decal"][0], (nw, nh)), cv2.resize(p["decal"][1], (nw, nh)))
        q["h"], q["w"] = nh, nw
        q["x"] = int(p["x"] + (p["w"] - nw) / 2)
        q["y"] = int(p["y"] + p["h"] - nh)
        s2.objects[0] = q
    else:
        dx = int((1 if side == "left" else -1) * scn.w * rng.uniform(0.12, 0.18))
        s2.objects[0] = dict(p, x=p["x"] + dx)
    # the added prop must not collide with a moved product
    s2.objects.append(o)
    return scn.render(), vae(s2.render(), rng), ins


# ---------------- replacing -------------------------------------------------------------------
def _replace_setup(rng, base):
    r = _scene_with_prop(rng, base, keys=["ball", "apple", "candle", "cup", "plant", "book"])
    if r is None:
        return None
    scn, placed = r
    key, idx, sd = placed[0]
    new_key = pick(
        rng,
        [
            k
            for k in ["ball", "apple", "candle", "cup", "plant", "book"]
            if k != key and k not in LOOKALIKE.get(key, ())
        ],
    )
    colour = pick(rng, ["red", "yellow", "royal_blue", "orange", "green"])
    a_en, a_zh, _, _ = prop_names(key, rng)
    _, _, b_en_a, b_zh_a = prop_names(new_key, rng, colour)
    return scn, idx, key, new_key, ins_replace(rng, a_en, a_zh, b_en_a, b_zh_a), colour


def fam_replace_object(rng, base):
    r = _replace_setup(rng, base)
    if r is None:
        return None
    scn, idx, key, new_key, ins, colour = r
    s2 = scn.copy()
    s2.objects[idx] = prop_at(new_key, scn.objects[idx], rng, colour)
    return scn.render(), vae(s2.render(), rng), ins


def fam_replace_wrong_item(rng, base):
    r = _replace_setup(rng, base)
    if r is None:
        return None
    scn, idx, key, new_key, ins, colour = r
    wrong = pick(
        rng,
        [
            k
            for k in ["ball", "apple", "candle", "cup", "plant", "book"]
            if k not in (key, new_key) and k not in LOOKALIKE.get(key, ()) + LOOKALIKE.get(new_key, ())
        ],
    )
    s2 = scn.copy()
    s2.objects[idx] = prop_at(wrong, scn.objects[idx], rng)
    return scn.render(), vae(s2.render(), rng), ins


def fam_replace_old_kept(rng, base):
    r = _replace_setup(rng, base)
    if r is None:
        return None
    scn, idx, key, new_key, ins, colour = r
    old = scn.objects[idx]
    new = prop_at(new_key, old, rng, colour)
    if scn.photo:
        new["x"] = int(old["x"] - new["w"] * 0.6) if old["x"] > scn.w / 2 else int(old["x"] + old["w"] * 0.6)
    else:
        bx0, _, bx1, _ = scn.bbox(0)
        if old["x"] > bx1:  # right of the product: put the new one further right or just in front
            new["x"] = int(min(scn.w - new["w"] * 0.7, old["x"] + old["w"] * 0.75))
        else:
            new["x"] = int(max(-new["w"] * 0.3, old["x"] - new["w"] * 0.75))
        new["y"] += int(0.02 * scn.h)
    s2 = scn.copy()
    s2.objects.append(new)
    return scn.render(), vae(s2.render(), rng), ins


# ---------------- people ----------------------------------------------------------------------
def _person_target(rng, base, allow_photo=True):
    if base["kind"] == "person":
        scn = build_scene(base, rng)
        t = Target(
            scn,
            0,
            ("shirt",),
            (pick(rng, ["shirt", "T-shirt", "top"]), pick(rng, ["上衣", "T恤", "衣服"])),
            src=base["shirt"],
        )
        o = scn.objects[0]
        hcx, hcy, hrx, hry = o["face"]
        face = (o["x"] + hcx, o["y"] + hcy, hrx, hry)
        return t, face
    if allow_photo and base["kind"] == "photo" and base["photo"] == "astronaut":
        t = target_for(base, rng)
        if t is None:
            return None
        return t, t.scn.face
    return None


def fam_person_shirt_recolour(rng, base):
    r = _person_target(rng, base)
    if r is None:
        return None
    t, face = r
    col = choose_target_colour(rng, t.src)
    if t.photo_mask is not None:
        ins = pick(
            rng,
            [
                f"recolor the orange suit {cname(col, rng, 'en')}",
                f"把橙色的宇航服改成{cname(col, rng, 'zh')}，人脸保持不变",
                f"Change the suit colour to {cname(col, rng, 'en')}, keep her face exactly as it is.",
                f"宇航服换成{cname(col, rng, 'zh')}",
            ],
        )
    else:
        ins = _person_phrase(rng, *t.name, col)
    return t.before(), vae(t.recolour(col), rng), ins


def _hair_ins(rng, hair):
    c_en, c_zh = cname(hair, rng, "en"), cname(hair, rng, "zh")
    return pick(
        rng,
        [
            f"Change the model's hair to {c_en}.",
            f"把头发染成{c_zh}",
            f"头发颜色改为{c_zh}，其他保持不变",
            f"make the hair {c_en}, keep the face and clothes the same",
            f"请把模特的发色换成{c_zh}",
            f"hair colour → {c_en}",
            f"把发色改成 {c_en}，脸不要变",
        ],
    )


def fam_person_hair_colour(rng, base):
    if base["kind"] != "person":
        return None
    scn = build_scene(base, rng)
    new = pick(
        rng,
        [
            k
            for k in HAIR
            if k != base["hair"] and not (k in ("black", "brown") and base["hair"] in ("black", "brown"))
        ],
    )
    t = Target(scn, 0, ("hair",))
    return scn.render(), vae(t.recolour(bgr_of(new)), rng), _hair_ins(rng, new)


def fam_person_hair_tints_face(rng, base):
    if base["kind"] != "person":
        return None
    scn = build_scene(base, rng)
    new = pick(rng, ["pink", "blue", "blonde", "auburn", "silver"])
    if new == base["hair"]:
        new = "pink"
    t = Target(scn, 0, ("hair",))
    good = t.recolour(bgr_of(new))
    o = scn.objects[0]
    skin = scn.mask(0, ("skin",)) * (1 - scn.mask(0, ("hair",)))
    hcx, hcy, hrx, hry = o["face"]
    yy = np.arange(scn.h, dtype=np.float32)[:, None]
    fy = o["y"] + hcy
    # the tint runs down from the hairline over forehead/cheeks (or the whole face)
    reach = rng.uniform(0.5, 1.4) * hry
    grad = np.clip((fy - hry * 0.6 + reach - yy) / (0.4 * hry), 0, 1)
    m = skin * grad * rng.uniform(0.6, 0.85)
    tinted = lab_recolour(good, np.ones(skin.shape, np.float32), bgr_of(new))
    return scn.render(), vae(blend(good, tinted, m), rng), _hair_ins(rng, new)


def face_alter(img, face, rng, mode):
    cx, cy, rx, ry = face
    h, w = img.shape[:2]
    m = feather(m_ellipse(h, w, cx, cy, rx * 1.02, ry * 1.02), max(1.5, rx * 0.08))
    if mode == "blur":
        return blend(img, cv2.GaussianBlur(u8(img), (0, 0), max(3.0, rx * 0.16)).astype(np.float32), m)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = (xx - cx) / rx, (yy - cy) / ry
    r2 = dx * dx + dy * dy
    inside = np.clip(1 - r2, 0, 1)
    if mode == "warp":
        # liquify: eyes pulled apart / down, mouth stretched
        k = rng.uniform(0.22, 0.3)
        ang = rng.uniform(0.7, 1.1) * inside**2
        c, s = np.cos(ang), np.sin(ang)
        mx = cx + (xx - cx) * c - (yy - cy) * s * (ry / rx)
        my = cy + (xx - cx) * s * (rx / ry) + (yy - cy) * c
        mx = mx + k * rx * dx * inside
        return cv2.remap(
            u8(img),
            mx.astype(np.float32),
            my.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        ).astype(np.float32)
    # "squash": features compressed towards the centre, a different-looking face
    f = rng.uniform(0.6, 0.72)
    scale = 1 - (1 - f) * inside
    mx = cx + (xx - cx) / (0.5 + 0.5 * scale)
    my = cy + (yy - cy) / scale
    return cv2.remap(
        u8(img), mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    ).astype(np.float32)


def fam_person_face_changed(rng, base):
    r = _person_target(rng, base)
    if r is None:
        return None
    t, face = r
    col = choose_target_colour(rng, t.src)
    good = t.recolour(col)
    if t.photo_mask is None and rng.random() < 0.4:
        # identity drift: a different face drawn on the same head
        s2 = t.scn.copy()
        o = s2.objects[0]
        q = other_face(o["face_params"], rng)
        hcx, hcy, hrx, hry = o["face"]
        rgb, a = draw_face(o["h"], o["w"], hcx, hcy, hrx, hry, q)
        s2.objects[0] = recolour_obj(dict(o, decal=(rgb, a * o["face_region"])), ("shirt",), bgr_of(col))
        after = s2.render()
    else:
        after = face_alter(good, face, rng, pick(rng, ["blur", "warp", "squash"]))
    if t.photo_mask is not None:
        ins = pick(
            rng,
            [
                f"recolor the orange suit {cname(col, rng, 'en')}",
                f"把橙色宇航服改成{cname(col, rng, 'zh')}",
                f"Change the suit to {cname(col, rng, 'en')}; the face must stay identical.",
                f"宇航服颜色换成{cname(col, rng, 'zh')}，人脸不要动",
            ],
        )
    else:
        ins = _person_phrase(rng, *t.name, col)
    return t.before(), vae(after, rng), ins


# ----------------------------------------------------------------------------------------------
FAMILIES = [
    # good
    dict(name="b_recolour_named_colour", action="recolour", expect="publish", fn=fam_recolour_named),
    dict(
        name="b_recolour_source_colour_named",
        action="recolour",
        expect="publish",
        fn=fam_recolour_source_named,
    ),
    dict(name="b_recolour_pattern_kept", action="recolour", expect="publish", fn=fam_recolour_pattern_kept),
    dict(name="b_recolour_print_kept", action="recolour", expect="publish", fn=fam_recolour_print_kept),
    dict(
        name="b_recolour_glossy_highlights_kept", action="recolour", expect="publish", fn=fam_recolour_glossy
    ),
    dict(name="b_recolour_named_part_only", action="recolour", expect="publish", fn=fam_recolour_named_part),
    dict(name="b_recolour_one_of_two", action="recolour", expect="publish", fn=fam_recolour_one_of_two),
    dict(
        name="b_recolour_large_product_at_edge",
        action="recolour",
        expect="publish",
        fn=fam_recolour_large_at_edge,
    ),
    dict(name="b_recolour_small_product", action="recolour", expect="publish", fn=fam_recolour_small_product),
    dict(name="b_remove_prop_clean", action="remove", expect="publish", fn=fam_remove_clean),
    dict(
        name="b_remove_prop_overlapping_product",
        action="remove",
        expect="publish",
        fn=fam_remove_overlapping_prop,
    ),
    dict(name="b_remove_sticker_clean", action="remove", expect="publish", fn=fam_remove_sticker_clean),
    dict(name="b_remove_one_of_two_props", action="remove", expect="publish", fn=fam_remove_one_of_two),
    dict(name="b_add_object_beside", action="add", expect="publish", fn=fam_add_beside),
    dict(name="b_replace_object", action="replace", expect="publish", fn=fam_replace_object),
    dict(
        name="b_person_shirt_recolour_face_kept",
        action="edit",
        expect="publish",
        fn=fam_person_shirt_recolour,
    ),
    dict(name="b_person_hair_colour", action="edit", expect="publish", fn=fam_person_hair_colour),
    # bad
    dict(name="b_recolour_wrong_colour", action="recolour", expect="review", fn=fam_recolour_wrong_colour),
    dict(name="b_recolour_near_miss_colour", action="recolour", expect="review", fn=fam_recolour_near_miss),
    dict(name="b_recolour_wrong_object", action="recolour", expect="review", fn=fam_recolour_wrong_object),
    dict(name="b_recolour_spill_onto_background", action="recolour", expect="review", fn=fam_recolour_spill),
    dict(name="b_recolour_partial_object", action="recolour", expect="review", fn=fam_recolour_partial),
    dict(
        name="b_recolour_pattern_destroyed",
        action="recolour",
        expect="review",
        fn=fam_recolour_pattern_destroyed,
    ),
    dict(name="b_recolour_flat_paint_bucket", action="recolour", expect="review", fn=fam_recolour_flat_paint),
    dict(name="b_recolour_print_lost", action="recolour", expect="review", fn=fam_recolour_print_lost),
    dict(name="b_remove_not_done", action="remove", expect="review", fn=fam_remove_not_done),
    dict(name="b_remove_ghosted", action="remove", expect="review", fn=fam_remove_ghosted),
    dict(name="b_remove_new_object_appears", action="remove", expect="review", fn=fam_remove_new_object),
    dict(name="b_remove_smeared_blotch", action="remove", expect="review", fn=fam_remove_smear),
    dict(name="b_remove_product_damaged", action="remove", expect="review", fn=fam_remove_damaged_product),
    dict(name="b_add_wrong_place", action="add", expect="review", fn=fam_add_wrong_place),
    dict(name="b_add_too_big_covers_product", action="add", expect="review", fn=fam_add_too_big),
    dict(name="b_add_product_also_changed", action="add", expect="review", fn=fam_add_product_changed),
    dict(name="b_replace_wrong_item", action="replace", expect="review", fn=fam_replace_wrong_item),
    dict(name="b_replace_old_object_kept", action="replace", expect="review", fn=fam_replace_old_kept),
    dict(name="b_person_face_changed", action="edit", expect="review", fn=fam_person_face_changed),
    dict(name="b_person_hair_tint_on_face", action="edit", expect="review", fn=fam_person_hair_tints_face),
]


# ----------------------------------------------------------------------------------------------
def _save_after(path_stem, img, rng):
    """The editor's output re-encoded: JPEG q85-95 most of the time, else PNG."""
    if rng.random() < 0.8 or img.shape[0] * img.shape[1] > 1_300_000:
        p = path_stem.with_suffix(".jpg")
        cv2.imwrite(str(p), img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 96))])
    else:
        p = path_stem.with_suffix(".png")
        cv2.imwrite(str(p), img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    return p


def make(out_dir, seed=0, per_family=10, families=None):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bases = build_bases(seed)
    n = len(bases)
    rows = []
    seen_before = {}
    fams = FAMILIES if families is None else [f for f in FAMILIES if f["name"] in families]
    for fam in fams:
        fkey = zlib.crc32(fam["name"].encode())
        start = (fkey + seed * 7919) % n
        got, tries = 0, 0
        while got < per_family and tries < 3 * n:
            base = bases[(start + tries) % n]
            rnd = tries // n
            tries += 1
            rng = np.random.default_rng([seed, fkey, zlib.crc32(base["id"].encode()), rnd])
            res = fam["fn"](rng, base)
            if res is None:
                continue
            before, after, instruction = res
            before, after = u8(before), u8(after)
            pid = f"{fam['name']}__{base['id']}" + (f"__r{rnd}" if rnd else "")
            digest = hashlib.sha1(before.tobytes()).hexdigest()[:16]
            if digest in seen_before:
                bpath = seen_before[digest]
            else:
                bpath = out_dir / f"before_{digest}.png"
                cv2.imwrite(str(bpath), before, [cv2.IMWRITE_PNG_COMPRESSION, 3])
                seen_before[digest] = bpath
            apath = _save_after(out_dir / f"{pid}__after", after, rng)
            rows.append(
                dict(
                    id=pid,
                    before=str(bpath.resolve()),
                    after=str(apath.resolve()),
                    instruction=instruction,
                    expect=fam["expect"],
                    family=fam["name"],
                    action=fam["action"],
                    base=base["id"],
                    author=AUTHOR,
                )
            )
            got += 1
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    ap.add_argument("--families", nargs="*", default=None)
    a = ap.parse_args()
    rows = make(a.out, a.seed, a.per_family, a.families)
    counts = {}
    for r in rows:
        counts[r["family"]] = counts.get(r["family"], 0) + 1
    print(
        f"{len(rows)} pairs in {a.out / 'pairs.jsonl'}: " + ", ".join(f"{k}={v}" for k, v in counts.items())
    )


if __name__ == "__main__":
    main()
