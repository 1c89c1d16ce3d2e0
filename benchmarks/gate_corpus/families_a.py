#!/usr/bin/env python3
"""Gate-corpus pair families, author "a": background edits, background blur, whole-image
styles / colour grades, and the product being kept during them.

    python benchmarks/gate_corpus/families_a.py OUT_DIR [--seed N] [--per-family N]

Every "before" is a synthetic product shot drawn here (so the product's mask, its printed
text, its shadow and the backdrop are known layers) or one of the real photos; every
"after" imitates what a diffusion editor returns: the whole frame goes through a VAE-like
round trip (soft, slightly noisy, tiny tone drift, re-encoded), the edited part is shaded
and feathered. Good families ("publish") do what was asked; bad families ("review") show
one failure each, plainly.
"""

import argparse
import json
import math
import pathlib
import sys
import time
from functools import lru_cache

import cv2
import numpy as np

try:
    from PIL import Image, ImageDraw, ImageFont
except Exception:  # pragma: no cover
    Image = ImageDraw = ImageFont = None

try:
    import skimage.data as _skdata
except Exception:  # pragma: no cover
    _skdata = None

AUTHOR = "a"
PREFIX = "a_"
FONT_PATHS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/work/shared/notes/wqy-microhei.ttc"]
PHOTO_DIR = pathlib.Path("/work/shared/eval/images")

cv2.setNumThreads(1)


# ============================================================================================
# small helpers
# ============================================================================================


def bgr(rgb_tuple):
    """RGB tuple -> float32 BGR vector."""
    r, g, b = rgb_tuple
    return np.array([b, g, r], np.float32)


def to_u8(a):
    a = np.asarray(a, np.float32) + np.float32(0.5)
    np.clip(a, 0, 255, out=a)
    return a.astype(np.uint8)


def pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def coords(h, w):
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    return ys, xs


def smooth_noise(h, w, scale, rng, aniso=(1.0, 1.0)):
    """Unit-ish smooth noise: a small random grid resized up (scale = feature size in px)."""
    sh = max(2, int(round(h / max(1.0, scale * aniso[0]))))
    sw = max(2, int(round(w / max(1.0, scale * aniso[1]))))
    n = rng.standard_normal((sh, sw)).astype(np.float32)
    return cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)


def fbm(h, w, rng, scale, octaves=4, aniso=(1.0, 1.0)):
    out = np.zeros((h, w), np.float32)
    amp, tot, s = 1.0, 0.0, float(scale)
    for _ in range(octaves):
        out += amp * smooth_noise(h, w, s, rng, aniso)
        tot += amp
        amp *= 0.5
        s = max(1.5, s / 2)
    out /= tot
    sd = float(out.std()) or 1.0
    return out / sd


def gblur(a, sigma):
    if sigma <= 0.05:
        return a
    return cv2.GaussianBlur(a, (0, 0), float(sigma))


def fast_blur(img, sigma):
    """Large Gaussian blur done at reduced resolution (for backdrops)."""
    h, w = img.shape[:2]
    if sigma < 6:
        return gblur(img, sigma)
    f = max(1, int(sigma // 3))
    small = cv2.resize(img, (max(2, w // f), max(2, h // f)), interpolation=cv2.INTER_AREA)
    small = gblur(small, sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def disc_blur(img, radius):
    """Lens-like (disc kernel) blur, done at reduced resolution."""
    h, w = img.shape[:2]
    f = max(1, int(radius // 6))
    small = cv2.resize(img, (max(2, w // f), max(2, h // f)), interpolation=cv2.INTER_AREA)
    r = max(1.0, radius / f)
    k = int(math.ceil(r))
    yy, xx = np.mgrid[-k : k + 1, -k : k + 1].astype(np.float32)
    ker = np.clip(r + 0.5 - np.sqrt(xx * xx + yy * yy), 0, 1)
    ker /= ker.sum()
    small = cv2.filter2D(small, -1, ker, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def vae(img, rng):
    """What a diffusion editor's VAE round trip leaves: soft, a little noisy, tiny drift."""
    x = np.asarray(img, np.float32)
    x = gblur(x, rng.uniform(0.4, 0.9))
    x = x + rng.standard_normal(x.shape, dtype=np.float32) * np.float32(rng.uniform(0.8, 2.0))
    x = x + float(rng.integers(-2, 3)) + rng.uniform(-0.6, 0.6, 3).astype(np.float32)
    return to_u8(x)


def camera(img, rng):
    """Finish a drawn 'before' like a photo: a touch of lens softness and sensor noise."""
    x = gblur(np.asarray(img, np.float32), rng.uniform(0.35, 0.6))
    x = x + rng.standard_normal(x.shape, dtype=np.float32) * np.float32(rng.uniform(0.5, 1.1))
    return to_u8(x)


def luma(img):
    return img[..., 0] * 0.114 + img[..., 1] * 0.587 + img[..., 2] * 0.299


def colour_dist(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))


# ============================================================================================
# text rendering (Pillow + WenQuanYi for CJK, cv2 Hershey fallback for Latin)
# ============================================================================================


def _font_path():
    for p in FONT_PATHS:
        if pathlib.Path(p).exists() and ImageFont is not None:
            return p
    return None


FONT = _font_path()


@lru_cache(maxsize=256)
def _font(size):
    return ImageFont.truetype(FONT, int(size))


def has_cjk(s):
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in s)


def text_mask(text, bw, bh, bold=True):
    """Float mask (bh, bw) with `text` fitted and centred in the box, anti-aliased."""
    bw, bh = max(4, int(bw)), max(4, int(bh))
    if FONT is not None:
        size = max(6, int(bh * 0.9))
        f = _font(size)
        im = Image.new("L", (bw, bh), 0)
        d = ImageDraw.Draw(im)
        sw = max(0, size // 22) if bold else 0
        x0, y0, x1, y1 = d.textbbox((0, 0), text, font=f, stroke_width=sw)
        sc = min(bw * 0.94 / max(1, x1 - x0), bh * 0.86 / max(1, y1 - y0))
        size = max(6, int(size * sc))
        f = _font(size)
        sw = max(0, size // 22) if bold else 0
        x0, y0, x1, y1 = d.textbbox((0, 0), text, font=f, stroke_width=sw)
        d.text(
            ((bw - (x1 - x0)) / 2 - x0, (bh - (y1 - y0)) / 2 - y0),
            text,
            font=f,
            fill=255,
            stroke_width=sw,
            stroke_fill=255,
        )
        return np.asarray(im, np.float32) / 255.0
    # fallback: Latin only
    text = "".join(ch for ch in text if ord(ch) < 128) or "BRAND"
    m = np.zeros((bh, bw), np.uint8)
    face = cv2.FONT_HERSHEY_DUPLEX
    th = max(1, bh // 14)
    (tw, tht), _ = cv2.getTextSize(text, face, 1.0, th)
    sc = min(bw * 0.94 / tw, bh * 0.8 / tht)
    (tw, tht), _ = cv2.getTextSize(text, face, sc, th)
    cv2.putText(m, text, (int((bw - tw) / 2), int((bh + tht) / 2)), face, sc, 255, th, cv2.LINE_AA)
    return m.astype(np.float32) / 255.0


LATIN_WORDS = [
    "AQUA",
    "NORDIC",
    "BLOOM",
    "URBAN",
    "PURE",
    "CAFE",
    "SUMMER",
    "OLIVA",
    "KORA",
    "VELO",
    "LUMA",
    "MOSS",
    "TERRA",
    "ZEN",
    "ORIGIN",
    "FRESH",
    "COAST",
    "ALPINE",
    "HONEY",
    "MAPLE",
    "NOVA",
    "SOLEIL",
]
CJK_WORDS = [
    "清泉",
    "森林",
    "山茶",
    "夏日",
    "有机",
    "咖啡",
    "花香",
    "自然",
    "极简",
    "晨光",
    "原木",
    "海盐",
    "茉莉",
    "青柠",
]
SUB_WORDS = [
    "ORGANIC",
    "500 ml",
    "EST. 2019",
    "NATURAL",
    "天然矿泉水",
    "手工制作",
    "100% COTTON",
    "SINCE 1998",
    "冷萃",
    "FRAGRANCE",
]


def brand_word(rng):
    return pick(rng, CJK_WORDS) if rng.random() < 0.35 else pick(rng, LATIN_WORDS)


# ============================================================================================
# backdrops
# ============================================================================================


def plain_bg(h, w, rgb_c, rng, grad=0.03, vig=0.04):
    ys, xs = coords(h, w)
    r2 = ((xs / w - 0.5) ** 2 + (ys / h - 0.5) ** 2) * 2.0
    f = 1.0 + grad * (0.5 - ys / h) * 2 * rng.uniform(0.5, 1.0) - vig * r2
    out = bgr(rgb_c)[None, None, :] * f[..., None]
    return np.clip(out, 0, 255).astype(np.float32)


def tex_wood(h, w, rng, vertical=False, tone=None):
    if vertical:
        return np.ascontiguousarray(tex_wood(w, h, rng, False, tone).transpose(1, 0, 2))
    tone = (
        tone
        if tone is not None
        else pick(rng, [(196, 160, 118), (128, 86, 54), (214, 182, 134), (168, 158, 146), (150, 104, 66)])
    )
    L = max(h, w)
    ys, xs = coords(h, w)
    n_pl = int(rng.integers(4, 9))
    edges = np.sort(rng.uniform(0, 1, n_pl - 1)) * h
    edges = np.concatenate([[0], edges, [h]])
    plank = np.zeros((h, 1), np.int32)
    for k in range(n_pl):
        plank[int(edges[k]) : int(edges[k + 1])] = k
    warp = smooth_noise(h, w, L / 25.0, rng, aniso=(1.0, 12.0)) * 0.9
    period = L * rng.uniform(0.008, 0.02)
    phase = plank.astype(np.float32) * 1.7
    g = np.sin(2 * np.pi * (ys / period + warp + phase))
    low = fbm(h, w, rng, L / 6.0, 3, aniso=(0.3, 3.0))
    pf = (1.0 + rng.uniform(-0.08, 0.08, n_pl)).astype(np.float32)[plank]
    f = (0.9 + 0.06 * g + 0.05 * low) * pf
    seam = np.zeros((h, w), np.float32)
    for e in edges[1:-1]:
        cv2.line(seam, (0, int(e)), (w, int(e)), 1.0, max(1, int(L / 500)))
    seam = gblur(seam, 0.8)
    f = f * (1 - 0.45 * seam)
    out = bgr(tone)[None, None, :] * f[..., None]
    out += rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)
    return np.clip(out, 0, 255)


def tex_marble(h, w, rng):
    L = max(h, w)
    base = bgr(pick(rng, [(242, 241, 238), (238, 236, 232), (244, 240, 232), (234, 230, 224)]))
    ys, xs = coords(h, w)
    out = (
        base[None, None, :] + (4.0 * fbm(h, w, rng, L / 3.0, 4))[..., None] + np.zeros((1, 1, 3), np.float32)
    )
    vc = bgr(pick(rng, [(150, 152, 158), (160, 150, 140), (120, 124, 130)]))
    th = rng.uniform(0, np.pi)
    for period, amp, width, strength in (
        (L * rng.uniform(0.5, 0.9), 2.2, 0.035, rng.uniform(0.55, 0.8)),
        (L * rng.uniform(0.2, 0.3), 1.6, 0.02, 0.3),
    ):
        t = fbm(h, w, rng, L / 2.5, 6)
        v = (xs * math.cos(th) + ys * math.sin(th)) / period + amp * 0.35 * t
        vein = np.exp(-np.abs(np.sin(np.pi * v)) / width)
        vein = gblur(vein, max(0.6, L * 0.0008)) * strength
        out = out * (1 - vein[..., None]) + vc[None, None, :] * vein[..., None]
        th += rng.uniform(0.3, 0.8)
    out += rng.normal(0, 1.5, (h, w, 1)).astype(np.float32)
    return np.clip(out, 0, 255)


def tex_concrete(h, w, rng):
    L = max(h, w)
    g = rng.uniform(150, 200)
    tint = bgr((g + rng.uniform(-4, 6), g, g - rng.uniform(-4, 6)))
    n = 9 * fbm(h, w, rng, L / 5.0, 4) + 4 * fbm(h, w, rng, L / 50.0, 2)
    out = tint[None, None, :] + n[..., None] + rng.normal(0, 3, (h, w, 1)).astype(np.float32)
    pores = np.zeros((h, w), np.float32)
    for _ in range(int(h * w / 2500)):
        cv2.circle(
            pores,
            (int(rng.integers(w)), int(rng.integers(h))),
            int(rng.integers(1, max(2, int(L / 600)) + 2)),
            1.0,
            -1,
        )
    out -= (gblur(pores, 0.7) * 28)[..., None]
    return np.clip(out, 0, 255)


def tex_linen(h, w, rng):
    L = max(h, w)
    tone = bgr(pick(rng, [(224, 214, 196), (205, 204, 200), (196, 204, 186), (230, 222, 214)]))
    period = max(2.0, L / 400)
    colv = cv2.resize(rng.standard_normal((1, int(w / period) + 2)).astype(np.float32), (w, 1))
    rowv = cv2.resize(rng.standard_normal((int(h / period) + 2, 1)).astype(np.float32), (1, h))
    wr = fbm(h, w, rng, L / 4.0, 3)
    out = tone[None, None, :] + (4.0 * colv + 4.0 * rowv + 7.0 * wr)[..., None]
    out += rng.normal(0, 2.5, (h, w, 1)).astype(np.float32)
    return np.clip(out, 0, 255)


def tex_brick(h, w, rng):
    L = max(h, w)
    bh = L / rng.uniform(14, 22)
    bw_ = bh * rng.uniform(2.2, 3.0)
    mort = max(1, int(bh * 0.12))
    canvas = np.zeros((h, w, 3), np.float32)
    canvas[:] = bgr(pick(rng, [(190, 184, 172), (170, 166, 160), (205, 200, 190)]))
    base = np.array(pick(rng, [(160, 70, 50), (140, 60, 45), (178, 96, 64), (120, 66, 52)]), np.float32)
    r = 0
    y = 0.0
    while y < h:
        off = (r % 2) * bw_ / 2
        x = -off
        while x < w:
            c = base * rng.uniform(0.8, 1.15) + rng.uniform(-10, 10, 3)
            cv2.rectangle(
                canvas,
                (int(x + mort / 2), int(y + mort / 2)),
                (int(x + bw_ - mort / 2), int(y + bh - mort / 2)),
                [float(v) for v in bgr(tuple(c))],
                -1,
            )
            x += bw_
        y += bh
        r += 1
    canvas += (8 * fbm(h, w, rng, L / 10.0, 4))[..., None]
    canvas += rng.normal(0, 3, (h, w, 1)).astype(np.float32)
    return np.clip(gblur(canvas, 0.6), 0, 255)


def sky(h, w, rng, horizon):
    ys, _ = coords(h, w)
    t = np.clip(ys / max(1, horizon), 0, 1)
    top = bgr(pick(rng, [(110, 165, 225), (130, 180, 230), (150, 190, 228)]))
    bot = bgr((210, 228, 244))
    out = top[None, None, :] * (1 - t[..., None]) + bot[None, None, :] * t[..., None]
    out = np.repeat(out, w, axis=1) if out.shape[1] == 1 else out
    # a few soft clouds
    cl = np.clip(fbm(h, w, rng, max(h, w) / 5.0, 3) - 0.6, 0, None) * 0.5
    out = out + (cl * 40)[..., None]
    return np.clip(out, 0, 255)


def scene_beach(h, w, rng, horizon=None):
    L = max(h, w)
    if horizon is None:  # top view: sand with ripples
        ys, xs = coords(h, w)
        rip = np.sin((ys + 20 * fbm(h, w, rng, L / 6.0, 3)) * 2 * np.pi / (L * 0.03))
        out = bgr((222, 200, 160))[None, None, :] + (6 * rip + 6 * fbm(h, w, rng, L / 8.0, 3))[..., None]
        return np.clip(out + rng.normal(0, 4, (h, w, 1)).astype(np.float32), 0, 255)
    hz = int(horizon)
    sea_end = int(hz + (h - hz) * rng.uniform(0.18, 0.3))
    out = np.zeros((h, w, 3), np.float32)
    out[:] = sky(h, w, rng, hz)
    ys, xs = coords(h, w)
    sea = bgr((40, 120, 165))[None, None, :] * (0.9 + 0.15 * ((ys - hz) / max(1, sea_end - hz)))[..., None]
    waves = np.sin(ys * 0.5 + smooth_noise(h, w, L / 30, rng, (0.2, 4.0)) * 3)
    sea = sea + (12 * waves)[..., None]
    sand = (
        bgr((224, 204, 166))[None, None, :]
        + (6 * fbm(h, w, rng, L / 20.0, 3))[..., None]
        + rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    )
    foam = np.exp(-(((ys - sea_end - 2 * smooth_noise(h, w, L / 20, rng)) / (L * 0.004)) ** 2)) * 0.8
    m_sea = ((ys >= hz) & (ys < sea_end)).astype(np.float32)
    m_sand = (ys >= sea_end).astype(np.float32)
    out = out * (1 - m_sea - m_sand)[..., None] + sea * m_sea[..., None] + sand * m_sand[..., None]
    out = out * (1 - foam[..., None]) + 245 * foam[..., None]
    return np.clip(out, 0, 255)


def scene_park(h, w, rng, horizon=None):
    L = max(h, w)
    ys, xs = coords(h, w)
    grass = (
        bgr(pick(rng, [(86, 140, 62), (104, 150, 70), (72, 122, 58)]))[None, None, :]
        + (14 * fbm(h, w, rng, L / 12.0, 4) + 6 * fbm(h, w, rng, L / 120.0, 2))[..., None]
        + rng.normal(0, 5, (h, w, 1)).astype(np.float32)
    )
    if horizon is None:
        return np.clip(grass, 0, 255)
    hz = int(horizon)
    out = sky(h, w, rng, hz).copy()
    trees = np.zeros((h, w, 3), np.float32)
    tm = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(18, 34))):
        cx = int(rng.integers(w))
        r = int(L * rng.uniform(0.03, 0.09))
        cy = int(hz - r * rng.uniform(0.2, 1.2))
        col = bgr(pick(rng, [(40, 90, 45), (55, 105, 50), (30, 70, 40), (70, 115, 55)]))
        cv2.circle(trees, (cx, cy), r, [float(c) for c in col], -1)
        cv2.circle(tm, (cx, cy), r, 1.0, -1)
    trees *= (1 + 0.18 * smooth_noise(h, w, max(2.0, L / 300.0), rng))[..., None]
    tm[hz:] = 1.0
    trees[hz:] = grass[hz:]
    trees = gblur(trees, L * 0.0008)
    tm = gblur(tm, L * 0.0008)
    out = out * (1 - tm[..., None]) + trees * tm[..., None]
    return np.clip(out, 0, 255)


def scene_lights(h, w, rng, horizon=None):
    L = max(h, w)
    ys, xs = coords(h, w)
    base = bgr(pick(rng, [(34, 30, 44), (26, 32, 46), (44, 36, 30)]))
    out = base[None, None, :] * (0.8 + 0.4 * (1 - ys / h))[..., None] + np.zeros((1, w, 1), np.float32)
    out += (6 * fbm(h, w, rng, L / 5.0, 3))[..., None]
    bulbs = np.zeros((h, w, 3), np.float32)
    top = int((horizon if horizon is not None else h) * 0.85)
    for _ in range(int(rng.integers(2, 5))):
        y0 = rng.uniform(0.05, 0.6) * top
        sag = rng.uniform(0.05, 0.2) * top
        step = L * rng.uniform(0.025, 0.045)
        c = bgr(pick(rng, [(255, 214, 150), (255, 196, 120), (255, 236, 200)]))
        xs_b = np.arange(rng.uniform(0, step), w, step)
        pts = [(x, y0 + sag * (1 - (2 * x / w - 1) ** 2)) for x in np.linspace(0, w, 40)]
        cv2.polylines(out, [np.array(pts, np.int32)], False, (20, 20, 20), max(1, int(L / 700)), cv2.LINE_AA)
        for x in xs_b:
            y = y0 + sag * (1 - (2 * x / w - 1) ** 2) + L * 0.006
            cv2.circle(
                bulbs,
                (int(x), int(y)),
                int(max(2, L * rng.uniform(0.003, 0.005))),
                [float(v) for v in c],
                -1,
                cv2.LINE_AA,
            )
    glow = gblur(bulbs, L * 0.006) * 1.5
    out = np.maximum(out + glow * 0.6, bulbs)
    if horizon is not None:
        table = tex_wood(h, w, rng, tone=(92, 62, 40))
        m = (ys >= horizon).astype(np.float32)[..., None] * np.ones((1, w, 1), np.float32)
        out = out * (1 - m) + table * m
    return np.clip(out, 0, 255)


def scene_interior(h, w, rng, horizon):
    L = max(h, w)
    wall = plain_bg(
        h, w, pick(rng, [(226, 218, 204), (214, 216, 210), (232, 224, 214), (196, 204, 200)]), rng, 0.05, 0.08
    )
    wall += (3 * fbm(h, w, rng, L / 6.0, 3))[..., None]
    # a frame on the wall, a shelf and a plant, slightly out of focus
    x0 = int(w * rng.uniform(0.05, 0.55))
    y0 = int(horizon * rng.uniform(0.08, 0.25))
    fw, fh = int(w * rng.uniform(0.18, 0.3)), int(horizon * rng.uniform(0.3, 0.45))
    cv2.rectangle(wall, (x0, y0), (x0 + fw, y0 + fh), (60, 60, 60), max(2, int(L * 0.006)))
    inner = bgr(pick(rng, [(170, 190, 200), (200, 170, 140), (150, 170, 150)]))
    cv2.rectangle(
        wall,
        (x0 + int(L * 0.01), y0 + int(L * 0.01)),
        (x0 + fw - int(L * 0.01), y0 + fh - int(L * 0.01)),
        [float(v) for v in inner],
        -1,
    )
    px = int(w * pick(rng, [0.12, 0.85]))
    for _ in range(14):
        cv2.ellipse(
            wall,
            (int(px + rng.normal(0, L * 0.03)), int(horizon - L * rng.uniform(0.05, 0.2))),
            (int(L * 0.03), int(L * 0.012)),
            float(rng.uniform(0, 180)),
            0,
            360,
            [float(v) for v in bgr((60, 110, 60))],
            -1,
        )
    cv2.rectangle(
        wall,
        (int(px - L * 0.03), int(horizon - L * 0.06)),
        (int(px + L * 0.03), int(horizon)),
        [float(v) for v in bgr((190, 110, 80))],
        -1,
    )
    wall = gblur(wall, L * 0.003)
    table = tex_wood(h, w, rng)
    ys, _ = coords(h, w)
    m = (ys >= horizon).astype(np.float32)[..., None] * np.ones((1, w, 1), np.float32)
    return np.clip(wall * (1 - m) + table * m, 0, 255)


def table_scene(surface, h, w, rng, horizon):
    """A wall above the horizon and a surface texture below (a product standing on a table)."""
    wall = plain_bg(
        h, w, pick(rng, [(236, 232, 226), (222, 224, 226), (230, 222, 210), (210, 214, 218)]), rng, 0.06, 0.06
    )
    wall += (2.5 * fbm(h, w, rng, max(h, w) / 5.0, 3))[..., None]
    ys, _ = coords(h, w)
    m = (ys >= horizon).astype(np.float32)
    edge = np.exp(-(((ys - horizon) / max(1.5, h * 0.003)) ** 2)) * 0.12
    out = wall * (1 - m[..., None]) + surface * m[..., None]
    out = out * (1 - edge[..., None])
    return np.clip(out, 0, 255)


PLAIN_BACKDROPS = ["studio_white", "near_white", "grey", "pastel", "colour", "dark"]
TEXTURED = ["wood", "marble", "concrete", "linen", "brick", "beach", "park", "interior", "lights"]
STRONG_TEXTURE = ["wood", "marble", "brick", "beach", "park", "interior", "lights"]


def make_backdrop(name, h, w, rng, horizon=None):
    """Backdrop by name; horizon (a y) means a standing product on a surface, None a flat lay."""
    if name == "studio_white":
        return plain_bg(h, w, (255, 255, 255), rng, 0.0, rng.uniform(0.0, 0.02))
    if name == "near_white":
        v = rng.uniform(236, 247)
        return plain_bg(h, w, (v + rng.uniform(-2, 3), v, v - rng.uniform(-2, 4)), rng, 0.02, 0.03)
    if name == "grey":
        v = rng.uniform(150, 210)
        return plain_bg(h, w, (v, v, v + rng.uniform(0, 6)), rng, rng.uniform(0.04, 0.12), 0.08)
    if name == "pastel":
        return plain_bg(
            h,
            w,
            pick(rng, [(246, 210, 214), (200, 222, 244), (210, 236, 220), (250, 236, 190), (226, 214, 240)]),
            rng,
            0.04,
            0.06,
        )
    if name == "colour":
        return plain_bg(
            h,
            w,
            pick(
                rng,
                [(0, 128, 128), (230, 170, 40), (232, 110, 90), (60, 90, 160), (120, 150, 90), (170, 60, 80)],
            ),
            rng,
            0.06,
            0.1,
        )
    if name == "dark":
        v = rng.uniform(30, 62)
        return plain_bg(h, w, (v, v, v + 3), rng, 0.08, 0.15)
    if name == "wood":
        if horizon is None:
            return tex_wood(h, w, rng, vertical=rng.random() < 0.5)
        return table_scene(tex_wood(h, w, rng), h, w, rng, horizon)
    if name == "marble":
        if horizon is None:
            return tex_marble(h, w, rng)
        return table_scene(tex_marble(h, w, rng), h, w, rng, horizon)
    if name == "concrete":
        if horizon is None:
            return tex_concrete(h, w, rng)
        wall = tex_concrete(h, w, rng)
        floor = tex_concrete(h, w, rng) * 0.9
        ys, _ = coords(h, w)
        m = (ys >= horizon).astype(np.float32)[..., None]
        return wall * (1 - m) + floor * m
    if name == "linen":
        return tex_linen(h, w, rng)
    if name == "brick":
        if horizon is None:
            return tex_concrete(h, w, rng)
        return _brick_wall(h, w, rng, horizon)
    if name == "beach":
        return scene_beach(h, w, rng, horizon)
    if name == "park":
        return scene_park(h, w, rng, horizon)
    if name == "interior":
        if horizon is None:
            return tex_wood(h, w, rng)
        return scene_interior(h, w, rng, horizon)
    if name == "lights":
        if horizon is None:
            return tex_wood(h, w, rng, tone=(92, 62, 40))
        return scene_lights(h, w, rng, horizon)
    raise KeyError(name)


def _brick_wall(h, w, rng, horizon):
    wall = tex_brick(h, w, rng)
    floor = pick(rng, [tex_wood, tex_concrete])(h, w, rng)
    ys, _ = coords(h, w)
    m = (ys >= horizon).astype(np.float32)[..., None]
    return wall * (1 - m) + floor * m


# ============================================================================================
# products (drawn on a local canvas: colour, alpha, colour without print, print mask)
# ============================================================================================

PRODUCT_COLOURS = [
    ((200, 40, 45), "red"),
    ((35, 50, 95), "navy"),
    ((236, 236, 234), "white"),
    ((38, 38, 42), "black"),
    ((40, 110, 60), "green"),
    ((215, 165, 40), "mustard"),
    ((90, 160, 220), "sky blue"),
    ((230, 130, 160), "pink"),
    ((140, 140, 146), "grey"),
    ((235, 120, 40), "orange"),
    ((120, 70, 160), "purple"),
    ((30, 140, 140), "teal"),
    ((210, 190, 160), "beige"),
    ((120, 80, 50), "brown"),
]


def poly(h, w, pts):
    m = np.zeros((h, w), np.uint8)
    p = (np.array(pts, np.float64) * [w, h] * 16).astype(np.int32)
    cv2.fillPoly(m, [p], 255, cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255.0


def ell(h, w, cx, cy, ax, ay, angle=0, a0=0, a1=360, thick=-1):
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        m,
        (int(cx * w * 16), int(cy * h * 16)),
        (max(1, int(ax * w * 16)), max(1, int(ay * h * 16))),
        angle,
        a0,
        a1,
        255,
        thick if thick < 0 else max(1, int(thick)),
        cv2.LINE_AA,
        4,
    )
    return m.astype(np.float32) / 255.0


def rect(h, w, x0, y0, x1, y1):
    return poly(h, w, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


def rrect(h, w, x0, y0, x1, y1, r):
    """Rounded rectangle (r in units of w)."""
    ry = r * w / h
    m = np.maximum(rect(h, w, x0 + r, y0, x1 - r, y1), rect(h, w, x0, y0 + ry, x1, y1 - ry))
    for cx, cy in ((x0 + r, y0 + ry), (x1 - r, y0 + ry), (x0 + r, y1 - ry), (x1 - r, y1 - ry)):
        m = np.maximum(m, ell(h, w, cx, cy, r, ry))
    return m


def cyl_shade(w, x0=0.0, x1=1.0, spec_at=0.28, spec=0.55, spec_w=0.05, lo=0.55):
    xs = (np.arange(w, dtype=np.float32) + 0.5) / w
    t = np.clip((xs - x0) / max(1e-3, x1 - x0), 0, 1)
    u = 2 * t - 1
    shade = lo + (1 - lo) * np.sqrt(np.clip(1 - u * u, 0, 1)) ** 0.6
    shade = shade * (1 + 0.12 * (0.5 - t))
    sp = spec * np.exp(-(((t - spec_at) / spec_w) ** 2)) + spec * 0.35 * np.exp(
        -(((t - 0.86) / (spec_w * 0.6)) ** 2)
    )
    return shade[None, :].astype(np.float32), sp[None, :].astype(np.float32)


def apply_shade(col, shade, spec):
    c = col * shade[..., None] if shade.ndim == 2 else col * shade
    if spec is not None:
        s = spec[..., None] if spec.ndim == 2 else spec
        c = c + (255 - c) * s
    return np.clip(c, 0, 255)


def fill(h, w, rgb_c):
    out = np.empty((h, w, 3), np.float32)
    out[:] = bgr(rgb_c)
    return out


def contrast_ink(rgb_c, rng):
    lum = 0.299 * rgb_c[0] + 0.587 * rgb_c[1] + 0.114 * rgb_c[2]
    if lum > 150:
        return pick(rng, [(25, 25, 30), (170, 30, 40), (30, 60, 120), (20, 90, 60)])
    return pick(rng, [(245, 245, 240), (240, 200, 60), (250, 250, 250)])


def print_on(col, a_region, box, text, ink, rng, h, w):
    """Print `text` in box (normalised x0,y0,x1,y1) on the local canvas; returns (col, tmask)."""
    x0, y0, x1, y1 = [int(round(v)) for v in (box[0] * w, box[1] * h, box[2] * w, box[3] * h)]
    tm = np.zeros((h, w), np.float32)
    m = text_mask(text, x1 - x0, y1 - y0)
    tm[y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]] = m[: h - y0, : w - x0]
    tm *= a_region
    ink_c = bgr(ink)
    return col * (1 - tm[..., None]) + ink_c[None, None, :] * tm[..., None], tm


def logo_mask(h, w, box, rng):
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    r = min((x1 - x0) * w, (y1 - y0) * h) / 2
    m = np.zeros((h, w), np.uint8)
    kind = int(rng.integers(3))
    c = (int(cx * w * 16), int(cy * h * 16))
    if kind == 0:
        cv2.circle(m, c, int(r * 16), 255, max(2, int(r * 0.18)), cv2.LINE_AA, 4)
        pts = [
            (cx * w + r * 0.55 * math.cos(a), cy * h + r * 0.55 * math.sin(a))
            for a in np.linspace(-np.pi / 2, 1.5 * np.pi, 6)[:-1]
        ]
        star = [pts[i] for i in (0, 2, 4, 1, 3)]
        cv2.fillPoly(m, [(np.array(star) * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    elif kind == 1:
        tri = [
            (cx * w, cy * h - r),
            (cx * w + r * 0.9, cy * h + r * 0.7),
            (cx * w - r * 0.9, cy * h + r * 0.7),
        ]
        cv2.fillPoly(m, [(np.array(tri) * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
        cv2.circle(m, c, int(r * 0.35 * 16), 0, -1, cv2.LINE_AA, 4)
    else:
        cv2.ellipse(
            m, c, (int(r * 16), int(r * 0.6 * 16)), 0, 0, 360, 255, max(2, int(r * 0.2)), cv2.LINE_AA, 4
        )
        cv2.line(
            m,
            (int((cx * w - r) * 16), c[1]),
            (int((cx * w + r) * 16), c[1]),
            255,
            max(2, int(r * 0.2)),
            cv2.LINE_AA,
            4,
        )
    return m.astype(np.float32) / 255.0


def add_print(col, region, box, rng, h, w, base_rgb, force_text=False):
    """Text (often with a logo) printed in box; returns col, print mask, printed words."""
    ink = contrast_ink(base_rgb, rng)
    word = brand_word(rng)
    tmask = np.zeros((h, w), np.float32)
    x0, y0, x1, y1 = box
    if rng.random() < 0.3 and not force_text:
        # logo above, word below
        lb = (x0 + (x1 - x0) * 0.3, y0, x1 - (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.5)
        lm = logo_mask(h, w, lb, rng) * region
        col = col * (1 - lm[..., None]) + bgr(ink)[None, None, :] * lm[..., None]
        tmask = np.maximum(tmask, lm)
        box = (x0, y0 + (y1 - y0) * 0.56, x1, y1)
    col, tm = print_on(col, region, box, word, ink, rng, h, w)
    return col, np.maximum(tmask, tm), word


def draw_tshirt(h, w, rng):
    base_rgb, cname = pick(rng, PRODUCT_COLOURS)
    neck_pts = [(0.5 - 0.14 * math.cos(t), 0.02 + 0.10 * math.sin(t)) for t in np.linspace(0, np.pi, 12)]
    pts = [
        (0.64, 0.02),
        (0.86, 0.07),
        (1.0, 0.33),
        (0.85, 0.42),
        (0.79, 0.30),
        (0.80, 0.99),
        (0.20, 0.99),
        (0.21, 0.30),
        (0.15, 0.42),
        (0.0, 0.33),
        (0.14, 0.07),
    ] + neck_pts
    a = poly(h, w, pts)
    col = fill(h, w, base_rgb)
    shade = 1 + 0.04 * fbm(h, w, rng, w / 3.0, 3)
    folds = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(4, 8))):
        x0, y0 = rng.uniform(0.25, 0.75) * w, rng.uniform(0.2, 0.95) * h
        ang = rng.uniform(0, np.pi)
        ln = rng.uniform(0.1, 0.3) * w
        cv2.line(
            folds,
            (int(x0), int(y0)),
            (int(x0 + ln * math.cos(ang)), int(y0 + ln * math.sin(ang))),
            float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0)),
            max(2, int(w * 0.02)),
        )
    shade += 0.09 * gblur(folds, w * 0.018)
    dist = cv2.distanceTransform((a > 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    shade *= 1 - 0.10 * np.exp(-dist / (0.02 * w))
    seams = np.zeros((h, w), np.float32)
    nk = (np.array(neck_pts) * [w, h]).astype(np.int32)
    cv2.polylines(seams, [nk], False, 1.0, max(2, int(w * 0.025)), cv2.LINE_AA)
    cv2.line(
        seams, (int(0.2 * w), int(0.955 * h)), (int(0.8 * w), int(0.955 * h)), 0.5, max(1, int(w * 0.006))
    )
    cv2.line(
        seams, (int(0.86 * w), int(0.07 * h)), (int(0.79 * w), int(0.30 * h)), 0.5, max(1, int(w * 0.005))
    )
    cv2.line(
        seams, (int(0.14 * w), int(0.07 * h)), (int(0.21 * w), int(0.30 * h)), 0.5, max(1, int(w * 0.005))
    )
    shade *= 1 - 0.12 * gblur(seams, 1.0)
    col = apply_shade(col, shade, None)
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.8:
        col, tmask, word = add_print(col, a, (0.31, 0.2, 0.69, 0.42), rng, h, w, base_rgb)
        tmask = tmask * a
        # the print follows the fabric's folds and shading
        col = np.clip(col * (1 - tmask + tmask * shade)[..., None], 0, 255)
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="flat",
        glossy=False,
        cname=cname,
        base_rgb=base_rgb,
    )


def draw_bottle(h, w, rng):
    mat = pick(rng, ["glass_green", "glass_amber", "glass_clear", "plastic", "alu"])
    base_rgb = {
        "glass_green": (40, 105, 60),
        "glass_amber": (140, 80, 30),
        "glass_clear": (150, 190, 200),
        "plastic": pick(rng, [(236, 236, 234), (230, 130, 160), (90, 160, 220), (240, 200, 60)]),
        "alu": (170, 172, 178),
    }[mat]
    cap_rgb = pick(rng, [(30, 30, 32), (200, 170, 90), (236, 236, 236), (180, 40, 40)])
    body = np.maximum(rrect(h, w, 0.0, 0.34, 1.0, 0.995, 0.12), ell(h, w, 0.5, 0.36, 0.5, 0.13, 0, 180, 360))
    neck = rect(h, w, 0.34, 0.09, 0.66, 0.3)
    cap = rrect(h, w, 0.3, 0.0, 0.7, 0.12, 0.04)
    a = np.maximum(np.maximum(body, neck), cap)
    sh, sp = cyl_shade(w, spec=0.7 if mat.startswith("glass") or mat == "alu" else 0.45)
    col = apply_shade(fill(h, w, base_rgb), np.repeat(sh, h, 0), np.repeat(sp, h, 0))
    sh2, sp2 = cyl_shade(w, 0.3, 0.7, spec=0.5, spec_w=0.06)
    capc = apply_shade(fill(h, w, cap_rgb), np.repeat(sh2, h, 0), np.repeat(sp2, h, 0))
    col = col * (1 - cap[..., None]) + capc * cap[..., None]
    glossy = mat.startswith("glass") or mat == "alu"
    tmask, word = None, None
    lab = rect(h, w, 0.0, 0.5, 1.0, 0.83) * a
    lab_rgb = pick(rng, [(245, 240, 226), (250, 250, 250), (30, 30, 36), (200, 40, 45), (232, 214, 180)])
    if rng.random() < 0.9:
        labc = apply_shade(fill(h, w, lab_rgb), np.repeat(sh * 0.4 + 0.6, h, 0), np.repeat(sp * 0.25, h, 0))
        col = col * (1 - lab[..., None]) + labc * lab[..., None]
    plain = col.copy()
    if rng.random() < 0.9:
        ink = contrast_ink(lab_rgb, rng)
        word = brand_word(rng)
        col, tm = print_on(col, lab, (0.12, 0.54, 0.88, 0.7), word, ink, rng, h, w)
        col, tm2 = print_on(col, lab, (0.2, 0.72, 0.8, 0.8), pick(rng, SUB_WORDS), ink, rng, h, w)
        tmask = np.maximum(tm, tm2)
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=glossy,
        cname=mat,
        base_rgb=base_rgb,
    )


def draw_mug(h, w, rng):
    base_rgb, cname = pick(rng, PRODUCT_COLOURS[:12])
    bx1 = 0.74
    body = np.maximum(rect(h, w, 0.0, 0.07, bx1, 0.965), ell(h, w, bx1 / 2, 0.965, bx1 / 2, 0.03))
    body = np.maximum(body, ell(h, w, bx1 / 2, 0.07, bx1 / 2, 0.06))
    handle = ell(h, w, 0.755, 0.47, 0.21, 0.25, thick=max(3, int(w * 0.075)))
    handle = np.clip(handle - rect(h, w, 0.0, 0.0, bx1 * 0.9, 1.0), 0, 1)
    a = np.maximum(body, handle)
    sh, sp = cyl_shade(w, 0.0, bx1, spec=0.55)
    col = apply_shade(fill(h, w, base_rgb), np.repeat(sh, h, 0), np.repeat(sp, h, 0))
    hc = apply_shade(fill(h, w, base_rgb), np.full((h, w), 0.8, np.float32), None)
    col = col * (1 - handle[..., None]) + hc * handle[..., None]
    inside = ell(h, w, bx1 / 2, 0.07, bx1 / 2 * 0.93, 0.045)
    inner = fill(h, w, base_rgb) * 0.55
    col = col * (1 - inside[..., None]) + inner * inside[..., None]
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.7:
        col, tmask, word = add_print(col, body, (0.12, 0.32, 0.62, 0.66), rng, h, w, base_rgb)
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=rng.random() < 0.5,
        cname=cname,
        base_rgb=base_rgb,
    )


def draw_bag(h, w, rng):
    base_rgb, cname = pick(
        rng,
        [
            ((214, 196, 160), "canvas"),
            ((40, 40, 44), "black"),
            ((170, 50, 45), "red"),
            ((120, 80, 50), "brown"),
            ((60, 90, 140), "denim"),
            ((230, 226, 216), "ivory"),
        ],
    )
    body = poly(h, w, [(0.07, 0.40), (0.93, 0.40), (1.0, 0.995), (0.0, 0.995)])
    th = max(3, int(w * 0.05))
    h1 = ell(h, w, 0.5, 0.42, 0.25, 0.37, 0, 180, 360, thick=th)
    h2 = ell(h, w, 0.5, 0.42, 0.3, 0.33, 0, 180, 360, thick=th)
    a = np.maximum(np.maximum(body, h1), h2)
    tex = 1 + 0.03 * fbm(h, w, rng, w / 60.0, 2) + 0.04 * fbm(h, w, rng, w / 4.0, 2)
    ys, xs = coords(h, w)
    shade = tex * (1.05 - 0.18 * ys / h) * (1 - 0.12 * np.abs(xs / w - 0.5) * 2)
    col = apply_shade(fill(h, w, base_rgb), shade, None)
    col = col * (1 - h2[..., None] * 0.25)
    hem = rect(h, w, 0.07, 0.40, 0.93, 0.43) * 0.18
    col = col * (1 - hem[..., None])
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.8:
        col, tmask, word = add_print(col, body, (0.2, 0.55, 0.8, 0.85), rng, h, w, base_rgb)
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=False,
        cname=cname,
        base_rgb=base_rgb,
    )


def draw_box(h, w, rng):
    base_rgb, cname = pick(
        rng,
        [
            ((190, 150, 105), "kraft"),
            ((236, 236, 232), "white"),
            ((30, 140, 140), "teal"),
            ((200, 40, 45), "red"),
            ((36, 36, 40), "black"),
            ((240, 200, 60), "yellow"),
        ],
    )
    front = poly(h, w, [(0, 0.28), (0.72, 0.28), (0.72, 1.0), (0, 1.0)])
    top = poly(h, w, [(0, 0.28), (0.28, 0.0), (1.0, 0.0), (0.72, 0.28)])
    side = poly(h, w, [(0.72, 0.28), (1.0, 0.0), (1.0, 0.72), (0.72, 1.0)])
    a = np.clip(front + top + side, 0, 1)
    c = bgr(base_rgb)
    col = np.zeros((h, w, 3), np.float32)
    grad = 1 + 0.06 * fbm(h, w, rng, w / 3.0, 2)
    col += (c * 1.0)[None, None, :] * front[..., None]
    col += np.clip(c * 1.12 + 8, 0, 255)[None, None, :] * top[..., None]
    col += (c * 0.72)[None, None, :] * side[..., None]
    col = np.clip(col * grad[..., None], 0, 255)
    edges = np.zeros((h, w), np.float32)
    for p, q in [((0, 0.28), (0.72, 0.28)), ((0.72, 0.28), (0.72, 1.0)), ((0.72, 0.28), (1.0, 0.0))]:
        cv2.line(
            edges,
            (int(p[0] * w), int(p[1] * h)),
            (int(q[0] * w), int(q[1] * h)),
            1.0,
            max(1, int(w / 300)),
            cv2.LINE_AA,
        )
    col *= (1 - 0.2 * edges)[..., None]
    if rng.random() < 0.5:
        band = rect(h, w, 0.0, 0.82, 0.72, 0.9) * front
        bc = bgr(contrast_ink(base_rgb, rng))
        col = col * (1 - band[..., None]) + bc[None, None, :] * band[..., None]
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.85:
        col, tmask, word = add_print(col, front, (0.08, 0.4, 0.64, 0.74), rng, h, w, base_rgb)
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=False,
        cname=cname,
        base_rgb=base_rgb,
    )


def draw_shoe(h, w, rng):
    base_rgb, cname = pick(rng, PRODUCT_COLOURS)
    sole_rgb = pick(rng, [(245, 245, 242), (200, 160, 110), (30, 30, 30)])
    sole = np.maximum(
        rect(h, w, 0.05, 0.76, 0.95, 0.98),
        np.maximum(ell(h, w, 0.05, 0.87, 0.05, 0.11), ell(h, w, 0.95, 0.87, 0.05, 0.11)),
    )
    upper = poly(
        h,
        w,
        [
            (0.03, 0.80),
            (0.01, 0.42),
            (0.05, 0.16),
            (0.16, 0.08),
            (0.25, 0.13),
            (0.31, 0.28),
            (0.50, 0.35),
            (0.70, 0.45),
            (0.88, 0.55),
            (0.98, 0.66),
            (0.99, 0.80),
        ],
    )
    a = np.maximum(sole, upper)
    ys, xs = coords(h, w)
    shade = (1.06 - 0.22 * ys / h) * (1 + 0.03 * fbm(h, w, rng, w / 8.0, 2))
    col = apply_shade(fill(h, w, base_rgb), shade, None)
    soc = apply_shade(fill(h, w, sole_rgb), np.full((h, w), 1.0, np.float32), None)
    col = col * (1 - sole[..., None]) + soc * sole[..., None]
    line = np.zeros((h, w), np.float32)
    cv2.line(line, (int(0.03 * w), int(0.86 * h)), (int(0.97 * w), int(0.86 * h)), 1.0, max(1, int(h * 0.01)))
    col *= (1 - 0.2 * line * a)[..., None]
    collar = ell(h, w, 0.15, 0.12, 0.08, 0.045)
    col = col * (1 - collar[..., None]) + (fill(h, w, base_rgb) * 0.3) * collar[..., None]
    laces = np.zeros((h, w), np.float32)
    for k in range(5):
        t = k / 4
        x = 0.33 + 0.27 * t
        y = 0.31 + 0.12 * t
        cv2.line(
            laces,
            (int((x - 0.03) * w), int((y - 0.02) * h)),
            (int((x + 0.03) * w), int((y + 0.03) * h)),
            1.0,
            max(2, int(h * 0.025)),
            cv2.LINE_AA,
        )
    lc = bgr(pick(rng, [(250, 250, 250), (30, 30, 30)]))
    col = col * (1 - laces[..., None]) + lc[None, None, :] * laces[..., None]
    plain = col.copy()
    tmask, word = None, None
    stripe = np.zeros((h, w), np.float32)
    curve = np.array(
        [(0.3 + 0.5 * t, 0.72 - 0.28 * t + 0.1 * math.sin(t * np.pi)) for t in np.linspace(0, 1, 20)]
    )
    cv2.polylines(
        stripe, [(curve * [w, h] * 16).astype(np.int32)], False, 1.0, max(3, int(h * 0.06)), cv2.LINE_AA, 4
    )
    stripe *= upper * (1 - sole)
    ink = bgr(contrast_ink(base_rgb, rng))
    col = col * (1 - stripe[..., None]) + ink[None, None, :] * stripe[..., None]
    tmask = stripe
    word = "stripe logo"
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=False,
        cname=cname,
        base_rgb=base_rgb,
    )


def draw_perfume(h, w, rng):
    glass_rgb = pick(rng, [(230, 160, 90), (240, 170, 190), (170, 210, 235), (200, 220, 200), (120, 60, 120)])
    metal = pick(rng, [(212, 175, 90), (200, 200, 206), (40, 40, 44)])
    body = rrect(h, w, 0.0, 0.32, 1.0, 0.995, 0.14)
    neck = rect(h, w, 0.4, 0.2, 0.6, 0.34)
    cap = rrect(h, w, 0.22, 0.0, 0.78, 0.22, 0.05)
    a = np.maximum(np.maximum(body, neck), cap)
    ys, xs = coords(h, w)
    t = xs / w
    fres = 0.75 + 0.25 * np.sqrt(np.clip(1 - (2 * t - 1) ** 2, 0, 1))
    col = fill(h, w, glass_rgb) * fres[..., None]
    liquid = rrect(h, w, 0.07, 0.45, 0.93, 0.97, 0.1)
    col = col * (1 - 0.25 * liquid[..., None])
    hl = (np.exp(-(((t - 0.16) / 0.035) ** 2)) * 0.8 + np.exp(-(((t - 0.84) / 0.02) ** 2)) * 0.5) * np.ones(
        (h, 1), np.float32
    )
    hl *= body
    col = col + (255 - col) * hl[..., None]
    sh2, sp2 = cyl_shade(w, 0.22, 0.78, spec=0.8, spec_w=0.04, lo=0.4)
    capc = apply_shade(fill(h, w, metal), np.repeat(sh2, h, 0), np.repeat(sp2, h, 0))
    col = col * (1 - cap[..., None]) + capc * cap[..., None]
    nc = fill(h, w, metal) * 0.8
    col = col * (1 - neck[..., None] * (1 - body[..., None])) + nc * (neck * (1 - body))[..., None]
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.75:
        word = pick(rng, ["PARFUM", "EAU DE", "NOIR", "ROSE", "花漾", "BLOOM", "No.5", "AMBRE"])
        col, tmask = print_on(
            col,
            body,
            (0.2, 0.58, 0.8, 0.72),
            word,
            pick(rng, [(250, 250, 250), (30, 30, 30), (200, 170, 90)]),
            rng,
            h,
            w,
        )
    return dict(
        col=np.clip(col, 0, 255),
        a=a,
        plain=np.clip(plain, 0, 255),
        tmask=tmask,
        word=word,
        view="stand",
        glossy=True,
        cname="glass",
        base_rgb=glass_rgb,
    )


def draw_watch(h, w, rng):
    strap_rgb = pick(rng, [(110, 70, 40), (30, 30, 32), (60, 80, 120), (190, 170, 140)])
    metal = pick(rng, [(200, 200, 206), (212, 175, 90), (60, 60, 64)])
    dial_rgb = pick(rng, [(245, 245, 240), (20, 24, 40), (30, 60, 120), (230, 225, 210)])
    strap = rect(h, w, 0.24, 0.0, 0.76, 1.0)
    case = ell(h, w, 0.5, 0.5, 0.47, 0.47 * w / h)
    crown = rect(h, w, 0.94, 0.48, 1.0, 0.52)
    a = np.clip(strap + case + crown, 0, 1)
    ys, xs = coords(h, w)
    col = fill(h, w, strap_rgb) * (1 + 0.04 * fbm(h, w, rng, w / 20.0, 2))[..., None]
    stitch = np.zeros((h, w), np.float32)
    for x in (0.28, 0.72):
        for y in np.arange(0.02, 1.0, 0.025):
            cv2.line(
                stitch,
                (int(x * w), int(y * h)),
                (int(x * w), int((y + 0.012) * h)),
                1.0,
                max(1, int(w / 200)),
            )
    col = col * (1 - 0.3 * stitch[..., None])
    r = np.sqrt(((xs - 0.5 * w) / (0.47 * w)) ** 2 + ((ys - 0.5 * h) / (0.47 * w)) ** 2)
    ang = np.arctan2(ys - 0.5 * h, xs - 0.5 * w)
    mshade = 0.7 + 0.3 * np.cos(ang + 2.2) + 0.5 * np.exp(-(((ang + 2.3) / 0.25) ** 2))
    mc = np.clip(fill(h, w, metal) * mshade[..., None], 0, 255)
    col = col * (1 - case[..., None]) + mc * case[..., None]
    cc = fill(h, w, metal)
    col = col * (1 - crown[..., None]) + cc * crown[..., None]
    dial = ell(h, w, 0.5, 0.5, 0.4, 0.4 * w / h)
    dc = fill(h, w, dial_rgb) * (1 - 0.12 * np.clip(r, 0, 1) ** 2)[..., None]
    col = col * (1 - dial[..., None]) + dc * dial[..., None]
    ink = bgr((250, 250, 250) if sum(dial_rgb) < 300 else (25, 25, 30))
    ticks = np.zeros((h, w), np.float32)
    R = 0.4 * w
    for k in range(12):
        t = k * np.pi / 6
        p = (0.5 * w + R * 0.8 * math.cos(t), 0.5 * h + R * 0.8 * math.sin(t))
        q = (0.5 * w + R * 0.93 * math.cos(t), 0.5 * h + R * 0.93 * math.sin(t))
        cv2.line(
            ticks, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), 1.0, max(2, int(w * 0.02)), cv2.LINE_AA
        )
    for t, ln, th in ((rng.uniform(0, 6.28), 0.5, 0.03), (rng.uniform(0, 6.28), 0.75, 0.018)):
        cv2.line(
            ticks,
            (int(0.5 * w), int(0.5 * h)),
            (int(0.5 * w + R * ln * math.cos(t)), int(0.5 * h + R * ln * math.sin(t))),
            1.0,
            max(2, int(w * th)),
            cv2.LINE_AA,
        )
    col = col * (1 - ticks[..., None]) + ink[None, None, :] * ticks[..., None]
    glare = (
        np.clip(1 - ((xs - 0.38 * w) ** 2 + (ys - 0.5 * h + 0.22 * w) ** 2) / (0.25 * w) ** 2, 0, 1) * 0.25
    )
    col = col + (255 - col) * (glare * dial)[..., None]
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.6:
        word = pick(rng, ["NOVA", "ORIGIN", "ALPINE", "时光", "LUMA"])
        col, tmask = print_on(
            col,
            dial,
            (0.38, 0.5 - 0.16 * w / h, 0.62, 0.5 - 0.08 * w / h),
            word,
            tuple(int(v) for v in ink[::-1]),
            rng,
            h,
            w,
        )
    return dict(
        col=np.clip(col, 0, 255),
        a=a,
        plain=np.clip(plain, 0, 255),
        tmask=tmask,
        word=word,
        view="flat",
        glossy=True,
        cname="watch",
        base_rgb=strap_rgb,
    )


def draw_jar(h, w, rng):
    body_rgb = pick(rng, [(245, 240, 232), (236, 190, 200), (200, 225, 240), (40, 40, 44), (220, 200, 170)])
    lid_rgb = pick(rng, [(212, 175, 90), (200, 200, 206), (250, 250, 250), (30, 30, 32)])
    body = np.maximum(rect(h, w, 0.0, 0.34, 1.0, 0.96), ell(h, w, 0.5, 0.96, 0.5, 0.035))
    lid = rrect(h, w, 0.02, 0.0, 0.98, 0.36, 0.05)
    a = np.maximum(body, lid)
    sh, sp = cyl_shade(w, spec=0.45)
    col = apply_shade(fill(h, w, body_rgb), np.repeat(sh, h, 0), np.repeat(sp, h, 0))
    sh2, sp2 = cyl_shade(w, 0.02, 0.98, spec=0.8, spec_w=0.04, lo=0.45)
    lc = apply_shade(fill(h, w, lid_rgb), np.repeat(sh2, h, 0), np.repeat(sp2, h, 0))
    col = col * (1 - lid[..., None]) + lc * lid[..., None]
    plain = col.copy()
    tmask, word = None, None
    if rng.random() < 0.85:
        word = brand_word(rng)
        col, tmask = print_on(
            col, body, (0.18, 0.5, 0.82, 0.78), word, contrast_ink(body_rgb, rng), rng, h, w
        )
    return dict(
        col=col,
        a=a,
        plain=plain,
        tmask=tmask,
        word=word,
        view="stand",
        glossy=True,
        cname="jar",
        base_rgb=body_rgb,
    )


def draw_chair(h, w, rng):
    wood_rgb = pick(rng, [(170, 120, 75), (120, 80, 50), (215, 185, 140), (40, 40, 42), (236, 236, 232)])
    parts = [
        rect(h, w, 0.12, 0.0, 0.2, 0.55),
        rect(h, w, 0.8, 0.0, 0.88, 0.55),
        rect(h, w, 0.12, 0.0, 0.88, 0.1),
        rect(h, w, 0.12, 0.22, 0.88, 0.29),
        poly(h, w, [(0.08, 0.5), (0.92, 0.5), (1.0, 0.6), (0.0, 0.6)]),
        rect(h, w, 0.0, 0.6, 1.0, 0.65),
        rect(h, w, 0.02, 0.62, 0.09, 0.995),
        rect(h, w, 0.91, 0.62, 0.98, 0.995),
        rect(h, w, 0.16, 0.62, 0.21, 0.92),
        rect(h, w, 0.79, 0.62, 0.84, 0.92),
    ]
    a = np.zeros((h, w), np.float32)
    for p in parts:
        a = np.maximum(a, p)
    tex = 1 + 0.05 * fbm(h, w, rng, w / 20.0, 3, aniso=(4.0, 0.3))
    col = apply_shade(fill(h, w, wood_rgb), tex, None)
    seat = parts[4]
    col = col * (1 + 0.12 * seat[..., None])
    back = np.maximum(parts[8], parts[9])
    col = col * (1 - 0.25 * back[..., None])
    col = np.clip(col, 0, 255)
    return dict(
        col=col,
        a=a,
        plain=col.copy(),
        tmask=None,
        word=None,
        view="stand",
        glossy=False,
        cname="chair",
        base_rgb=wood_rgb,
    )


KINDS = {
    # kind: (drawer, aspect w/h, height fraction range)
    "tshirt": (draw_tshirt, 0.95, (0.7, 0.86)),
    "bottle": (draw_bottle, 0.36, (0.62, 0.8)),
    "mug": (draw_mug, 1.2, (0.42, 0.58)),
    "bag": (draw_bag, 0.95, (0.6, 0.78)),
    "box": (draw_box, 1.05, (0.5, 0.66)),
    "shoe": (draw_shoe, 2.3, (0.3, 0.4)),
    "perfume": (draw_perfume, 0.72, (0.5, 0.7)),
    "watch": (draw_watch, 0.5, (0.8, 0.94)),
    "jar": (draw_jar, 1.25, (0.34, 0.48)),
    "chair": (draw_chair, 0.78, (0.7, 0.84)),
}
HOLE_KINDS = ("mug", "bag", "chair")
FLAT_KINDS = ("tshirt", "watch")


# ============================================================================================
# bases
# ============================================================================================

SIZES = [480, 560, 640, 720, 800, 900, 1000, 1080, 1200, 1280, 1440, 1600, 2000]
SIZE_W = np.array([1.0, 1.0, 1.2, 1.2, 1.2, 1.1, 1.1, 1.0, 0.9, 0.8, 0.5, 0.4, 0.25])
ASPECTS = [(1, 1), (4, 3), (3, 4), (16, 9), (3, 2)]


class Base:
    """One 'before' picture. Synthetic ones carry their layers (backdrop, product, alpha,
    shadow, print mask); photos only carry the picture."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    # ---- compositing -------------------------------------------------------------------
    def compose(self, bg, prod=None, alpha=None, shadow=None, shadow_k=1.0, refl=True):
        prod = self.prod if prod is None else prod
        alpha = self.alpha if alpha is None else alpha
        shadow = self.shadow if shadow is None else shadow
        out = bg * (1 - np.clip(shadow * shadow_k, 0, 0.92))[..., None]
        if refl and self.refl is not None:
            rr, ra = self.refl
            out = out * (1 - ra[..., None]) + rr * ra[..., None]
        return out * (1 - alpha[..., None]) + prod * alpha[..., None]

    @property
    def L(self):
        return max(self.H, self.W)

    @property
    def S(self):
        return min(self.H, self.W)


def paste(H, W, local, ox, oy):
    """Place a local (h, w[, c]) array at integer offset (ox, oy) in an (H, W[, c]) frame."""
    h, w = local.shape[:2]
    out = np.zeros((H, W) + local.shape[2:], np.float32)
    x0, y0 = max(0, ox), max(0, oy)
    x1, y1 = min(W, ox + w), min(H, oy + h)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = local[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return out


def holes_of(alpha, H, W):
    """Backdrop enclosed by the product outline (inside a handle, between legs)."""
    m = (alpha > 0.5).astype(np.uint8)
    cnts, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not cnts:
        return None
    hull = cv2.convexHull(np.concatenate(cnts))
    hm = np.zeros_like(m)
    cv2.fillPoly(hm, [hull], 1)
    k = max(3, int(min(H, W) * 0.012)) | 1
    holes = hm & (1 - cv2.dilate(m, np.ones((3, 3), np.uint8)))
    holes = cv2.morphologyEx(holes, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(holes)
    keep = np.zeros_like(holes)
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] > 0.002 * H * W:
            keep[lab == i] = 1
    if keep.sum() < 0.004 * H * W:
        return None
    return keep.astype(bool)


def make_synthetic_base(idx, seed, kind, backdrop, flag):
    rng = np.random.default_rng([seed, 11, idx])
    L = int(rng.choice(SIZES, p=SIZE_W / SIZE_W.sum()))
    ar = pick(rng, ASPECTS)
    if kind in ("shoe",) and ar[0] < ar[1]:
        ar = (ar[1], ar[0])
    if kind in ("bottle", "perfume", "watch") and rng.random() < 0.5 and ar[0] > ar[1]:
        ar = (ar[1], ar[0])
    if ar[0] >= ar[1]:
        W, H = L, int(round(L * ar[1] / ar[0]))
    else:
        H, W = L, int(round(L * ar[0] / ar[1]))
    drawer, asp, (f0, f1) = KINDS[kind]
    frac = rng.uniform(f0, f1)
    if flag == "small":
        frac *= rng.uniform(0.3, 0.42)
    ph = frac * H
    pw = ph * asp * rng.uniform(0.92, 1.08)
    lim = 0.86 * W if flag != "edge" else 1.1 * W
    if pw > lim:
        ph *= lim / pw
        pw = lim
    if flag == "edge":
        grow = rng.uniform(1.1, 1.3)
        ph, pw = ph * grow, pw * grow
    ph, pw = max(24, int(ph)), max(16, int(pw))
    prod = drawer(ph, pw, rng)
    view = prod["view"]
    cx = W / 2 + rng.uniform(-0.07, 0.07) * W
    if view == "stand":
        bottom = H * rng.uniform(0.84, 0.93)
        if flag == "small":
            bottom = H * rng.uniform(0.7, 0.88)
            cx = W * rng.uniform(0.3, 0.7)
        oy = int(bottom - ph)
    else:
        cy = H / 2 + rng.uniform(-0.05, 0.05) * H
        oy = int(cy - ph / 2)
        bottom = oy + ph
    ox = int(cx - pw / 2)
    edge_side = None
    if flag == "edge":
        edge_side = pick(
            rng, ["bottom", "left", "right"] if view == "stand" else ["bottom", "left", "right", "top"]
        )
        cut = rng.uniform(0.08, 0.2)
        if edge_side == "bottom":
            oy = int(H - ph * (1 - cut))
        elif edge_side == "top":
            oy = int(-ph * cut)
        elif edge_side == "left":
            ox = int(-pw * cut)
        else:
            ox = int(W - pw * (1 - cut))
        bottom = oy + ph
    horizon = None
    if view == "stand":
        horizon = int(np.clip(bottom - ph * rng.uniform(0.12, 0.4), H * 0.25, H * 0.9))
    bg = make_backdrop(backdrop, H, W, rng, horizon)
    col = paste(H, W, prod["col"], ox, oy)
    plain = paste(H, W, prod["plain"], ox, oy)
    alpha = paste(H, W, prod["a"], ox, oy)
    tmask = paste(H, W, prod["tmask"], ox, oy) if prod["tmask"] is not None else None
    if tmask is not None and tmask.sum() < 30:
        tmask = None
    # shadow
    shadow = np.zeros((H, W), np.float32)
    if view == "stand":
        m = np.zeros((H, W), np.float32)
        cv2.ellipse(
            m,
            (int(ox + pw / 2), int(bottom - ph * 0.01)),
            (int(pw * 0.56), max(2, int(ph * 0.05))),
            0,
            0,
            360,
            1.0,
            -1,
        )
        m2 = np.zeros((H, W), np.float32)
        cv2.ellipse(
            m2,
            (int(ox + pw / 2), int(bottom - ph * 0.005)),
            (int(pw * 0.47), max(1, int(ph * 0.015))),
            0,
            0,
            360,
            1.0,
            -1,
        )
        shadow = (
            gblur(m, max(2.0, ph * 0.035)) * rng.uniform(0.3, 0.5) + gblur(m2, max(1.0, ph * 0.008)) * 0.35
        )
        if rng.random() < 0.35:  # a soft cast shadow to one side
            M = np.float32([[1, rng.choice([-0.5, 0.5]), 0], [0, 0.25, bottom * 0.75]])
            cast = cv2.warpAffine(alpha, M, (W, H))
            shadow = np.maximum(shadow, gblur(cast, ph * 0.04) * rng.uniform(0.15, 0.3))
    else:
        off = (int(pw * rng.uniform(0.005, 0.02)), int(ph * rng.uniform(0.01, 0.025)))
        M = np.float32([[1, 0, off[0]], [0, 1, off[1]]])
        shadow = gblur(cv2.warpAffine(alpha, M, (W, H)), max(2.0, min(pw, ph) * 0.02)) * rng.uniform(
            0.22, 0.4
        )
    shadow = np.clip(shadow, 0, 0.8).astype(np.float32)
    refl = None
    if (
        prod["glossy"]
        and view == "stand"
        and flag != "edge"
        and backdrop in PLAIN_BACKDROPS
        and rng.random() < 0.5
    ):
        rc = paste(H, W, prod["col"][::-1], ox, int(bottom))
        fade = np.clip(1 - (np.arange(H, dtype=np.float32) - bottom) / (ph * 0.3), 0, 1)[:, None]
        ra = paste(H, W, prod["a"][::-1], ox, int(bottom)) * 0.28 * fade
        refl = (rc, ra.astype(np.float32))
    holes = holes_of(alpha, H, W) if kind in HOLE_KINDS else None
    ys, xs = np.nonzero(alpha > 0.5)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    b = Base(
        idx=idx,
        is_photo=False,
        kind=kind,
        W=W,
        H=H,
        bg_name=backdrop,
        bg=bg,
        prod=col,
        plain=plain,
        alpha=alpha,
        shadow=shadow,
        tmask=tmask,
        word=prod["word"],
        view=view,
        glossy=prod["glossy"],
        cname=prod["cname"],
        base_rgb=prod["base_rgb"],
        refl=refl,
        holes=holes,
        bbox=bbox,
        flag=flag,
        edge_side=edge_side,
        horizon=horizon,
        anchor=(ox + pw / 2, bottom if view == "stand" else oy + ph / 2),
        pw=pw,
        ph=ph,
    )
    b.before = camera(b.compose(bg), rng)
    b.id = f"a_b{idx:03d}_{kind}_{backdrop}{'_' + flag if flag else ''}_{W}x{H}"
    ring = np.ones((H, W), bool)
    ring[bbox[1] : bbox[3], bbox[0] : bbox[2]] = False
    b.bg_mean = bg[ring].mean(0) if ring.any() else bg.reshape(-1, 3).mean(0)
    return b


def _load_photo(name):
    p = PHOTO_DIR / name
    img = cv2.imread(str(p), cv2.IMREAD_COLOR) if p.exists() else None
    if img is None and _skdata is not None:
        fn = {
            "coffee.png": "coffee",
            "rocket.jpg": "rocket",
            "chelsea.png": "chelsea",
            "astronaut": "astronaut",
        }.get(name)
        try:
            img = cv2.cvtColor(getattr(_skdata, fn)(), cv2.COLOR_RGB2BGR)
        except Exception:
            img = None
    return img


def make_photo_base(idx, seed, name):
    img = _load_photo(name)
    if img is None:
        return None
    rng = np.random.default_rng([seed, 12, idx])
    h, w = img.shape[:2]
    s = max(1.0, rng.uniform(500, 1100) / max(h, w))
    if s > 1.01:
        img = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_CUBIC)
    H, W = img.shape[:2]
    b = Base(
        idx=idx,
        is_photo=True,
        kind="photo",
        W=W,
        H=H,
        bg_name="photo",
        before=img,
        flag=None,
        tmask=None,
        holes=None,
        glossy=False,
        view=None,
    )
    b.id = f"a_b{idx:03d}_photo_{pathlib.Path(name).stem}_{W}x{H}"
    return b


PHOTOS = ["coffee.png", "rocket.jpg", "chelsea.png", "astronaut"]
BACKDROP_CYCLE = [
    "studio_white",
    "wood",
    "grey",
    "marble",
    "near_white",
    "beach",
    "pastel",
    "brick",
    "concrete",
    "park",
    "colour",
    "linen",
    "interior",
    "dark",
    "lights",
    "near_white",
]
FLAT_OK = [
    "studio_white",
    "near_white",
    "grey",
    "pastel",
    "colour",
    "dark",
    "wood",
    "marble",
    "concrete",
    "linen",
    "beach",
    "park",
]


def base_recipe(idx, seed):
    """Cheap description of base idx (kind, backdrop, flag), spread evenly over the stream."""
    photo_slots = {1: 0, 6: 1, 11: 2, 16: 3}
    if idx in photo_slots:
        return ("photo", PHOTOS[photo_slots[idx]], None)
    r = np.random.default_rng([seed, 10, idx // 10])
    kinds = list(KINDS)
    perm = r.permutation(len(kinds))
    kind = kinds[perm[idx % 10]]
    r2 = np.random.default_rng([seed, 13, idx])
    bd = BACKDROP_CYCLE[(idx * 7 + int(r2.integers(3))) % len(BACKDROP_CYCLE)]
    if kind in FLAT_KINDS and bd not in FLAT_OK:
        bd = pick(r2, ["wood", "marble", "linen", "concrete", "grey", "pastel"])
    flag = {2: "small", 5: "edge"}.get(idx % 7)
    return (kind, bd, flag)


# ============================================================================================
# instructions
# ============================================================================================

BG_COLOURS = {
    "white": (
        ["pure white", "white", "plain white", "solid white", "clean white"],
        ["纯白", "纯白色", "白色"],
        (255, 255, 255),
    ),
    "light_grey": (["light grey", "light gray", "pale grey"], ["浅灰色", "浅灰"], (218, 218, 220)),
    "beige": (["beige", "warm beige"], ["米色", "米黄色"], (228, 212, 186)),
    "pastel_pink": (
        ["pastel pink", "light pink", "soft pink"],
        ["浅粉色", "淡粉色", "马卡龙粉"],
        (246, 206, 214),
    ),
    "black": (["black", "solid black", "pure black"], ["黑色", "纯黑色"], (14, 14, 16)),
    "light_blue": (["light blue", "baby blue", "pale blue"], ["浅蓝色", "淡蓝色"], (188, 214, 240)),
    "royal_blue": (["royal blue"], ["宝蓝色", "皇家蓝"], (40, 80, 205)),
    "mint": (["mint green", "mint"], ["薄荷绿"], (186, 232, 208)),
    "pale_yellow": (["pale yellow", "butter yellow", "light yellow"], ["浅黄色", "奶黄色"], (250, 236, 170)),
    "lavender": (["lavender", "light purple"], ["淡紫色", "薰衣草紫"], (214, 198, 238)),
    "red": (["red", "bright red"], ["红色", "正红色"], (205, 28, 38)),
    "dark_grey": (["dark grey", "charcoal grey", "charcoal"], ["深灰色", "炭灰色"], (58, 58, 62)),
    "sage": (["sage green"], ["鼠尾草绿", "灰绿色"], (166, 184, 150)),
    "terracotta": (["terracotta"], ["陶土色", "赤陶色"], (196, 110, 80)),
}
NEAR_MISS = {
    "royal_blue": [(24, 38, 82), (0, 122, 128), (120, 180, 232), (95, 60, 170)],
    "light_blue": [(186, 236, 206), (222, 196, 240), (212, 214, 216), (120, 200, 200)],
    "pastel_pink": [(250, 204, 162), (214, 190, 242), (236, 72, 150), (244, 150, 130)],
    "beige": [(205, 205, 208), (250, 240, 150), (180, 145, 100), (244, 200, 200)],
    "black": [(80, 80, 84), (18, 28, 72), (62, 40, 24)],
    "light_grey": [(234, 214, 180), (165, 185, 215), (120, 120, 124)],
    "mint": [(176, 212, 244), (246, 240, 170), (150, 160, 100), (120, 210, 160)],
    "pale_yellow": [(253, 250, 238), (250, 180, 100), (210, 238, 150)],
    "lavender": [(246, 190, 212), (186, 212, 242), (205, 205, 210), (170, 130, 220)],
    "red": [(110, 18, 30), (240, 110, 30), (240, 120, 160)],
    "dark_grey": [(30, 42, 86), (150, 150, 150), (70, 50, 36)],
    "sage": [(186, 232, 208), (190, 176, 120), (100, 130, 90)],
    "terracotta": [(150, 36, 34), (250, 196, 160), (110, 70, 45), (230, 150, 60)],
}
WHITE_MISSES = [  # asked for pure white; got one of these (RGB, with jitter added)
    ("offwhite", (240, 240, 238)),
    ("cream", (249, 241, 218)),
    ("light_grey", (222, 222, 224)),
    ("beige", (238, 224, 198)),
    ("bluewhite", (226, 234, 246)),
    ("greige", (230, 226, 218)),
]

BG_T = [
    "把背景换成{zh}",
    "背景改为{zh}",
    "请将背景替换为{zh}",
    "背景换成{zh}，产品保持不变",
    "帮我把这张图的背景改成{zh}，商品不要动",
    "换成{zh}背景",
    "商品图背景统一改成{zh}",
    "背景请用{zh}",
    "Change the background to {en}.",
    "Replace the background with {en}",
    "Could you make the background {en}? Keep the product as it is.",
    "please swap the backdrop for a {en} one",
    "{En} background please",
    "Set the backdrop to {en}, nothing else should change",
    "背景换成 {en}",
    "把 background 改成{zh}",
    "change 背景 to {en}",
    "请把背景改成{zh}（{en}）",
    "bg 换成{zh}，主体不变",
    "make the background {en}, 产品保持原样",
]
WHITE_T = [
    "做成白底图",
    "换成纯白底",
    "白底，电商主图用",
    "把背景抠掉换成纯白",
    "背景改成纯白色 (#FFFFFF)",
    "white background for the marketplace listing please",
    "Make it a clean white-background product shot",
    "please put the product on pure white (RGB 255,255,255)",
    "抠图换白底，商品不要变",
    "Remove the backdrop and use pure white",
]
KEEP_TEXT_T = [
    "，保留产品上的文字和logo",
    "，商品上的字不要改",
    ", keep the printed text and logo exactly as they are",
    ", don't touch the product's label",
    "，印花和字母保持不变",
    ", the product (and its print) must stay unchanged",
]
SCENES = {
    "marble": (
        ["a marble countertop", "white marble", "a marble surface"],
        ["大理石台面", "白色大理石", "大理石桌面"],
    ),
    "wood": (
        ["a wooden table", "a rustic wood table", "a light oak tabletop"],
        ["木桌", "木纹桌面", "原木桌面"],
    ),
    "beach": (["a sunny beach", "a beach scene", "sand and sea"], ["海滩", "沙滩", "阳光海滩"]),
    "concrete": (
        ["a concrete wall", "raw concrete", "a grey concrete surface"],
        ["水泥墙", "清水混凝土", "水泥地面"],
    ),
    "linen": (["linen fabric", "a linen cloth"], ["亚麻布", "亚麻桌布"]),
    "brick": (["a brick wall", "red brick"], ["砖墙", "红砖墙"]),
    "park": (["a park", "an outdoor garden", "green grass outdoors"], ["公园", "户外草地", "花园"]),
    "interior": (["a cosy living room", "a home interior"], ["客厅", "室内家居场景"]),
    "lights": (
        ["a night scene with warm string lights", "a cosy evening scene with fairy lights"],
        ["夜景灯串", "温馨的夜晚灯光"],
    ),
}
SCENE_T = [
    "把背景换成{zh}",
    "背景替换为{zh}场景",
    "把产品放在{zh}",
    "换一个{zh}的背景，产品不变",
    "Replace the background with {en}",
    "Put the product on {en}",
    "Change the backdrop to {en}, keep the product unchanged",
    "could you place this on {en}?",
    "背景换成 {en}",
    "scene: {en}，背景换掉，商品保持原样",
    "请把背景改为{zh}，光影自然一点",
    "new background: {en}, 保留阴影",
]
GRADIENTS = {
    "grey_grad": (
        ["a soft light-grey gradient", "a subtle grey gradient"],
        ["浅灰渐变", "灰色渐变"],
        (236, 236, 238),
        (196, 196, 200),
    ),
    "blue_grad": (
        ["a white-to-light-blue gradient", "a pale blue gradient"],
        ["白到浅蓝渐变", "浅蓝渐变"],
        (246, 249, 253),
        (176, 204, 236),
    ),
    "pink_grad": (
        ["a peach-to-pink gradient", "a soft pink gradient"],
        ["粉色渐变", "蜜桃粉渐变"],
        (252, 226, 210),
        (240, 180, 200),
    ),
    "dark_grad": (
        ["a dark studio gradient", "a charcoal-to-black gradient"],
        ["深灰到黑色渐变", "暗调渐变"],
        (86, 86, 90),
        (14, 14, 16),
    ),
}
GRAD_T = [
    "背景换成{zh}",
    "把背景改为{zh}背景",
    "请用{zh}做背景",
    "Use {en} for the background",
    "Change the background to {en}",
    "could you give it {en} backdrop?",
    "背景换成 {en}，商品不动",
]
BLUR_T = [
    "背景虚化",
    "把背景虚化，商品保持清晰",
    "请给背景加上景深虚化效果",
    "背景模糊一点，突出产品",
    "Blur the background, keep the product sharp",
    "Add a bokeh effect to the background",
    "make the background out of focus (shallow depth of field)",
    "could you soften the background so the product pops?",
    "背景做 bokeh 虚化",
    "blur 背景，主体不要糊",
    "Please blur the backdrop behind the product",
    "背景大光圈虚化效果",
    "请把背景虚化，让商品更突出",
    "Could you blur the background a lot? The product must stay crisp.",
    "背景虚化处理，主体清晰",
    "give the backdrop a soft, out-of-focus look",
]
STYLE_T = {
    "vintage": [
        "把整张图转为复古风",
        "做成复古胶片效果",
        "Apply a vintage film look",
        "give it a retro 70s film style",
        "怀旧胶片风格，构图不变",
        "make it look like an old film photo",
        "复古 film 风格",
        "加一个 vintage 滤镜",
        "请做成老照片的复古色调",
        "Could you give it a faded retro film look?",
        "复古胶片感，颗粒感轻一点",
    ],
    "bw": [
        "转成黑白照片",
        "黑白风格",
        "Make it black and white",
        "convert to monochrome",
        "convert the photo to B&W please",
        "请把图片改成黑白的",
        "黑白 filter，其他不变",
        "Turn the whole picture grayscale",
        "请转为黑白",
        "Could you make this photo monochrome?",
        "black & white 版本",
    ],
    "warm": [
        "调成暖色调",
        "整体色调偏暖一点",
        "Apply a warm colour grade",
        "make the tones warmer, golden-hour feel",
        "warm up the colours a bit",
        "加一点暖色滤镜",
        "暖调 colour grading",
        "Give the image a warm, sunny tone",
        "请把色调调暖一些",
        "Could you warm up the grade slightly?",
        "暖色调，像傍晚阳光",
    ],
    "watercolour": [
        "改成水彩画风格",
        "转成水彩插画",
        "Turn this into a watercolour painting",
        "watercolor style please, keep the composition",
        "水彩风格",
        "make it look hand-painted in watercolour",
        "请把图片改成水彩画",
        "Could you render it as a watercolour?",
    ],
    "sketch": [
        "转成铅笔素描",
        "做成素描风格",
        "Turn it into a pencil sketch",
        "pencil drawing style please",
        "素描 sketch 效果",
        "make it look like a graphite sketch",
        "请转成素描画",
        "Could you turn it into a pencil sketch?",
    ],
    "cartoon": [
        "转成卡通插画风格",
        "做成漫画风",
        "Make it look like a cartoon illustration",
        "comic book style please",
        "卡通 style，构图不变",
        "turn the photo into a flat illustration",
        "请做成卡通风格",
        "Could you make it cartoon-style?",
    ],
    "cyberpunk": [
        "赛博朋克风格",
        "做成霓虹赛博朋克色调",
        "Give it a cyberpunk neon look",
        "apply a cyberpunk colour grade (teal and magenta)",
        "cyberpunk 风格，构图保持",
        "加一个赛博朋克滤镜",
        "Make it look cyberpunk: neon pinks and teals",
        "请改成赛博朋克霓虹风格",
        "Could you restyle it as cyberpunk with neon lighting?",
        "霓虹 cyberpunk 色调",
    ],
}


def cap1(s):
    return s[:1].upper() + s[1:]


def instr_bg_colour(rng, key, keep_text=False):
    en_l, zh_l, _ = BG_COLOURS[key]
    en, zh = pick(rng, en_l), pick(rng, zh_l)
    if key == "white" and rng.random() < 0.35:
        s = pick(rng, WHITE_T)
    else:
        s = pick(rng, BG_T).format(en=en, zh=zh, En=cap1(en))
    if keep_text:
        s = s.rstrip("。.") + pick(rng, KEEP_TEXT_T)
    return s


def instr_scene(rng, scene, keep_text=False):
    en_l, zh_l = SCENES[scene]
    s = pick(rng, SCENE_T).format(en=pick(rng, en_l), zh=pick(rng, zh_l))
    if keep_text:
        s = s + pick(rng, KEEP_TEXT_T)
    return s


def instr_style(rng, style):
    return pick(rng, STYLE_T[style])


# ============================================================================================
# edit building blocks
# ============================================================================================


def synthetic(base):
    return not base.is_photo


def colour_bg(base, rng, key=None, rgb_c=None):
    """A new plain backdrop of a named colour (lit like a studio sweep, not a flat bucket)."""
    c = rgb_c if rgb_c is not None else BG_COLOURS[key][2]
    if key == "white" or c == (255, 255, 255):
        return np.full((base.H, base.W, 3), 255.0, np.float32)
    jit = tuple(float(np.clip(v + rng.uniform(-3, 3), 0, 255)) for v in c)
    return plain_bg(base.H, base.W, jit, rng, rng.uniform(0.0, 0.05), rng.uniform(0.02, 0.07))


def pick_colour_key(rng, base, exclude=(), far_from_old=40.0):
    keys = [k for k in BG_COLOURS if k not in exclude]
    for _ in range(30):
        k = pick(rng, keys)
        if colour_dist(bgr(BG_COLOURS[k][2]), base.bg_mean) > far_from_old:
            return k
    return pick(rng, keys)


def new_bg_any(base, rng, allow_scene=True, exclude=()):
    """A plausible requested background: (layer, instruction maker, description)."""
    r = rng.random()
    if allow_scene and r < 0.3:
        scenes = [
            s
            for s in SCENES
            if s != base.bg_name
            and s not in exclude
            and (base.view == "stand" or s in ("marble", "wood", "linen", "concrete", "beach", "park"))
        ]
        sc = pick(rng, scenes)
        layer = make_backdrop(sc, base.H, base.W, rng, base.horizon)
        return layer, (lambda rr, kt=False: instr_scene(rr, sc, kt)), sc
    if r < 0.62 and base.bg_name not in ("studio_white",) and "white" not in exclude:
        return colour_bg(base, rng, "white"), (lambda rr, kt=False: instr_bg_colour(rr, "white", kt)), "white"
    k = pick_colour_key(rng, base, exclude=("white",) + tuple(exclude))
    return colour_bg(base, rng, k), (lambda rr, kt=False: instr_bg_colour(rr, k, kt)), k


def shadow_k_good(rng):
    return 0.0 if rng.random() < 0.15 else rng.uniform(0.55, 1.0)


def region_blob_mask(H, W, rng, corners):
    """Feathered irregular blobs in the given corners (True where the old backdrop stays)."""
    ys, xs = coords(H, W)
    L = max(H, W)
    n = fbm(H, W, rng, L / 6.0, 3)
    m = np.zeros((H, W), np.float32)
    for cx, cy in corners:
        rx, ry = W * rng.uniform(0.2, 0.36), H * rng.uniform(0.22, 0.4)
        d = ((xs - cx * W) / rx) ** 2 + ((ys - cy * H) / ry) ** 2 + 0.1 * n
        m = np.maximum(m, (d < 1).astype(np.float32))
    return gblur(m, L * rng.uniform(0.008, 0.02))


def band_mask(H, W, rng, side, frac):
    ys, xs = coords(H, W)
    L = max(H, W)
    wob = smooth_noise(H, W, L / 8.0, rng) * L * 0.015
    if side == "left":
        m = xs + wob < frac * W
    elif side == "right":
        m = xs + wob > (1 - frac) * W
    elif side == "top":
        m = ys + wob < frac * H
    else:
        m = ys + wob > (1 - frac) * H
    return gblur(m.astype(np.float32), L * rng.uniform(0.003, 0.01))


def warp_layers(base, M):
    W, H = base.W, base.H
    f = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return (
        cv2.warpAffine(base.prod, M, (W, H), **f),
        cv2.warpAffine(base.alpha, M, (W, H), **f),
        cv2.warpAffine(base.shadow, M, (W, H), **f),
    )


def good_bg_after(base, rng, layer, shadow_k=None):
    k = shadow_k_good(rng) if shadow_k is None else shadow_k
    return vae(base.compose(layer, shadow_k=k), rng)


# ============================================================================================
# style transforms (float BGR in, float BGR out)
# ============================================================================================


def vignette(H, W, k):
    ys, xs = coords(H, W)
    r2 = ((xs / W - 0.5) ** 2 + (ys / H - 0.5) ** 2) * 2
    return (1 - k * r2)[..., None]


def st_vintage(img, rng):
    H, W = img.shape[:2]
    M = np.array([[0.131, 0.534, 0.272], [0.168, 0.686, 0.349], [0.189, 0.769, 0.393]], np.float32)
    sep = img @ M.T
    m = rng.uniform(0.55, 0.9)
    out = img * (1 - m) + sep * m
    out = out * rng.uniform(0.8, 0.88) + rng.uniform(18, 30)
    out = out * vignette(H, W, rng.uniform(0.15, 0.35))
    out = out + bgr((rng.uniform(2, 8), 0, -rng.uniform(2, 10)))
    grain = gblur(rng.normal(0, rng.uniform(3, 5.5), (H, W)).astype(np.float32), 0.6)
    return np.clip(out + grain[..., None], 0, 255)


def st_bw(img, rng):
    y = luma(img)
    y = 255 * (0.5 + (y / 255 - 0.5) * rng.uniform(1.0, 1.15))
    out = np.repeat(np.clip(y, 0, 255)[..., None], 3, axis=2)
    if rng.random() < 0.3:  # slightly toned
        out = out + bgr((0, 1, 3)) * rng.uniform(0.5, 1)
    return np.clip(out, 0, 255)


def st_warm(img, rng, k=None):
    k = rng.uniform(0.6, 1.0) if k is None else k
    out = img.copy()
    out[..., 2] = out[..., 2] * (1 + 0.05 * k) + 10 * k
    out[..., 1] = out[..., 1] + 3 * k
    out[..., 0] = out[..., 0] * (1 - 0.07 * k) - 8 * k
    return np.clip(out, 0, 255)


def st_warm_overdone(img, rng):
    out = img.copy()
    out[..., 2] = out[..., 2] * rng.uniform(1.25, 1.45) + rng.uniform(40, 70)
    out[..., 1] = out[..., 1] * rng.uniform(0.9, 1.05) + rng.uniform(10, 25)
    out[..., 0] = out[..., 0] * rng.uniform(0.3, 0.5)
    hsv = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1.5, 1.9), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)


def _small(img, maxside=720):
    H, W = img.shape[:2]
    s = min(1.0, maxside / max(H, W))
    if s < 1:
        return cv2.resize(to_u8(img), (int(W * s), int(H * s)), interpolation=cv2.INTER_AREA)
    return to_u8(img)


def st_watercolour(img, rng):
    H, W = img.shape[:2]
    s = cv2.bilateralFilter(_small(img, 640), 9, 30, 9)
    st = cv2.stylization(s, sigma_s=float(rng.uniform(50, 90)), sigma_r=float(rng.uniform(0.4, 0.55)))
    st = st.astype(np.float32)
    wash = gblur(st, 2.5)
    st = st * 0.6 + wash * 0.4
    g = cv2.Canny(cv2.cvtColor(to_u8(st), cv2.COLOR_BGR2GRAY), 30, 90).astype(np.float32) / 255.0
    st = st * (1 - 0.18 * gblur(g, 1.2))[..., None]
    hsv = cv2.cvtColor(to_u8(st), cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 1] *= 0.85
    st = cv2.cvtColor(to_u8(hsv), cv2.COLOR_HSV2BGR).astype(np.float32)
    st = cv2.resize(st, (W, H), interpolation=cv2.INTER_LINEAR)
    out = st * 0.88 + 255 * 0.12
    paper = 1 + 0.015 * fbm(H, W, rng, max(H, W) / 30.0, 3)
    return np.clip(out * paper[..., None], 0, 255)


def st_sketch(img, rng):
    H, W = img.shape[:2]
    s = _small(img, 900)
    g, c = cv2.pencilSketch(
        s, sigma_s=float(rng.uniform(40, 70)), sigma_r=0.07, shade_factor=float(rng.uniform(0.03, 0.06))
    )
    pick_c = rng.random() < 0.35
    out = c if pick_c else cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    return cv2.resize(out, (W, H), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def st_cartoon(img, rng):
    H, W = img.shape[:2]
    s = _small(img, 800)
    sm = cv2.medianBlur(s, 7)
    for _ in range(4):
        sm = cv2.bilateralFilter(sm, 7, 40, 7)
    hsv = cv2.cvtColor(sm, cv2.COLOR_BGR2HSV)
    hsv[..., 2] = np.clip((hsv[..., 2].astype(np.int32) // 40) * 40 + 24, 0, 255).astype(np.uint8)
    hsv[..., 1] = np.clip(hsv[..., 1].astype(np.float32) * 1.2, 0, 255).astype(np.uint8)
    q = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    g = cv2.cvtColor(sm, cv2.COLOR_BGR2GRAY)
    edges = cv2.adaptiveThreshold(
        cv2.medianBlur(g, 7), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 11, 7
    )
    edges = cv2.medianBlur(edges, 3)
    out = q.astype(np.float32) * (edges[..., None] / 255.0)
    return cv2.resize(out, (W, H), interpolation=cv2.INTER_LINEAR)


def st_cyberpunk(img, rng):
    H, W = img.shape[:2]
    x = img / 255.0
    lum = (luma(img) / 255.0)[..., None]
    x = 0.65 * x + 0.35 * lum
    x = np.clip(0.5 + (x - 0.5) * rng.uniform(1.15, 1.3), 0, 1) ** rng.uniform(1.2, 1.45)
    teal = bgr((0, 150, 170)) / 255.0
    mag = bgr((255, 40, 190)) / 255.0
    ws = (1 - lum) ** 1.5
    wh = lum**1.5
    x = x * (1 - 0.45 * ws - 0.35 * wh) + 0.45 * ws * teal * (0.35 + lum) + 0.35 * wh * mag
    # neon glow along the strongest edges
    g = cv2.Canny(cv2.cvtColor(_small(img, 900), cv2.COLOR_BGR2GRAY), 60, 160)
    g = cv2.resize(g, (W, H), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    glow = gblur(g, max(2.0, max(H, W) * 0.004))
    glow = glow / max(1e-3, float(glow.max()))
    neon = pick(rng, [bgr((255, 60, 220)), bgr((0, 230, 255))]) / 255.0
    x = x + glow[..., None] * neon * 0.5
    return np.clip(x * 255, 0, 255)


STYLES = {
    "vintage": st_vintage,
    "bw": st_bw,
    "warm": st_warm,
    "watercolour": st_watercolour,
    "sketch": st_sketch,
    "cartoon": st_cartoon,
    "cyberpunk": st_cyberpunk,
}


# ============================================================================================
# GOOD families
# ============================================================================================


def g_bg_pure_white(rng, base):
    if not synthetic(base) or base.bg_name in ("studio_white", "near_white"):
        return None
    return base.before, good_bg_after(base, rng, colour_bg(base, rng, "white")), instr_bg_colour(rng, "white")


def g_bg_named_colour(rng, base):
    if not synthetic(base):
        return None
    k = pick_colour_key(rng, base, exclude=("white",), far_from_old=45)
    return base.before, good_bg_after(base, rng, colour_bg(base, rng, k)), instr_bg_colour(rng, k)


def g_bg_gradient(rng, base):
    if not synthetic(base):
        return None
    key = pick(rng, list(GRADIENTS))
    en_l, zh_l, c0, c1 = GRADIENTS[key]
    ys, xs = coords(base.H, base.W)
    if rng.random() < 0.5:
        t = (ys / base.H) * np.ones((1, base.W), np.float32)
    else:
        t = np.clip(np.sqrt(((xs / base.W - 0.5) ** 2 + (ys / base.H - 0.45) ** 2) * 2.2), 0, 1)
    layer = bgr(c0)[None, None, :] * (1 - t[..., None]) + bgr(c1)[None, None, :] * t[..., None]
    instr = pick(rng, GRAD_T).format(en=pick(rng, en_l), zh=pick(rng, zh_l))
    return base.before, good_bg_after(base, rng, layer), instr


def g_bg_scene(rng, base):
    if not synthetic(base):
        return None
    scenes = [
        s
        for s in SCENES
        if s != base.bg_name
        and (base.view == "stand" or s in ("marble", "wood", "linen", "concrete", "beach", "park"))
    ]
    sc = pick(rng, scenes)
    layer = make_backdrop(sc, base.H, base.W, rng, base.horizon)
    return base.before, good_bg_after(base, rng, layer, rng.uniform(0.7, 1.0)), instr_scene(rng, sc)


def g_bg_nearwhite_to_white(rng, base):
    if not synthetic(base) or base.bg_name != "near_white":
        return None
    return base.before, good_bg_after(base, rng, colour_bg(base, rng, "white")), instr_bg_colour(rng, "white")


def g_bg_keep_print(rng, base):
    if not synthetic(base) or base.tmask is None:
        return None
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, good_bg_after(base, rng, layer), mk(rng, rng.random() < 0.6)


def g_bg_edge_touching(rng, base):
    if not synthetic(base) or base.flag != "edge":
        return None
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, good_bg_after(base, rng, layer), mk(rng)


def g_bg_soft_shadow_kept(rng, base):
    if not synthetic(base) or base.shadow.max() < 0.2 or base.flag == "edge":
        return None
    layer, mk, _ = new_bg_any(base, rng, allow_scene=False)
    instr = mk(rng)
    if rng.random() < 0.5:
        instr = instr.rstrip("。.") + pick(
            rng,
            [
                "，保留自然的阴影",
                ", keep the soft shadow under the product",
                "，阴影保留",
                ", keep a natural contact shadow",
            ],
        )
    return base.before, good_bg_after(base, rng, layer, rng.uniform(0.85, 1.0)), instr


def g_bg_glossy(rng, base):
    if not synthetic(base) or not base.glossy:
        return None
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, good_bg_after(base, rng, layer), mk(rng)


def g_bg_small_product(rng, base):
    if not synthetic(base) or base.flag != "small":
        return None
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, good_bg_after(base, rng, layer), mk(rng)


def blurred_bg(base, rng, sigma):
    if base.bg_name == "lights" or rng.random() < 0.35:
        return disc_blur(base.bg, sigma * 1.6)
    return fast_blur(base.bg, sigma)


def blur_gain(base, blurred, region=None):
    """Mean |sharp - blurred| over visible backdrop (optionally within region): how much a blur shows."""
    m = base.alpha < 0.02
    if region is not None:
        m &= region
    if m.sum() < 100:
        return 0.0
    return float(np.abs(base.bg - blurred).mean(axis=2)[m].mean())


def g_blur_bokeh(rng, base):
    if not synthetic(base) or base.bg_name not in TEXTURED:
        return None
    sigma = base.L * rng.uniform(0.01, 0.02)
    bl = blurred_bg(base, rng, sigma)
    if blur_gain(base, bl) < 3.0:
        return None
    after = vae(base.compose(bl), rng)
    return base.before, after, pick(rng, BLUR_T)


def _good_style(style):
    def fn(rng, base):
        img = base.before.astype(np.float32)
        return base.before, vae(STYLES[style](img, rng), rng), instr_style(rng, style)

    return fn


def g_style_painterly(rng, base):
    style = pick(
        rng, ["watercolour", "cartoon"] if base.flag == "small" else ["watercolour", "sketch", "cartoon"]
    )
    return _good_style(style)(rng, base)


# ============================================================================================
# BAD families
# ============================================================================================


def _contrasting_request(base, rng, min_dist=70.0):
    """A requested plain colour far from the old backdrop (so leftovers show plainly)."""
    if colour_dist(base.bg_mean, bgr((255, 255, 255))) > min_dist and rng.random() < 0.6:
        return "white"
    keys = [k for k in BG_COLOURS if colour_dist(bgr(BG_COLOURS[k][2]), base.bg_mean) > min_dist]
    return pick(rng, keys) if keys else None


def b_bg_partial_corners(rng, base):
    if not synthetic(base):
        return None
    key = _contrasting_request(base, rng)
    if key is None:
        return None
    layer = colour_bg(base, rng, key)
    cs = [(0, 0), (1, 0), (0, 1), (1, 1)]
    n = int(rng.integers(1, 5))
    chosen = [cs[i] for i in rng.permutation(4)[:n]]
    keep_old = region_blob_mask(base.H, base.W, rng, chosen)
    mixed = layer * (1 - keep_old[..., None]) + base.bg * keep_old[..., None]
    return base.before, vae(base.compose(mixed, shadow_k=0.8), rng), instr_bg_colour(rng, key)


def b_bg_partial_band(rng, base):
    if not synthetic(base):
        return None
    key = _contrasting_request(base, rng)
    if key is None:
        return None
    layer = colour_bg(base, rng, key)
    side = pick(rng, ["left", "right", "top", "bottom", "bottom"])
    if base.edge_side == side:
        side = "top"
    keep_old = band_mask(base.H, base.W, rng, side, rng.uniform(0.12, 0.26))
    mixed = layer * (1 - keep_old[..., None]) + base.bg * keep_old[..., None]
    return base.before, vae(base.compose(mixed, shadow_k=0.8), rng), instr_bg_colour(rng, key)


def b_bg_old_in_holes(rng, base):
    if not synthetic(base) or base.holes is None:
        return None
    key = _contrasting_request(base, rng, 80)
    if key is None:
        return None
    layer = colour_bg(base, rng, key)
    keep = gblur(cv2.dilate(base.holes.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(np.float32), 1.5)
    mixed = layer * (1 - keep[..., None]) + base.bg * keep[..., None]
    instr = instr_bg_colour(rng, key)
    return base.before, vae(base.compose(mixed, shadow_k=0.8), rng), instr


def b_bg_ghost_old(rng, base):
    if not synthetic(base) or base.bg_name not in ("wood", "brick", "beach", "park", "interior", "lights"):
        return None
    vis = base.alpha < 0.02
    tex_sd = float(luma(base.bg)[vis].std()) if vis.any() else 0.0
    if rng.random() < 0.7:
        key = pick(rng, ["white", "white", "light_grey", "beige", "pastel_pink", "light_blue", "mint"])
        layer = colour_bg(base, rng, key)
        instr = instr_bg_colour(rng, key)
    else:
        layer, mk, _ = new_bg_any(base, rng, allow_scene=False)
        instr = mk(rng)
    g = rng.uniform(0.36, 0.5)
    if g * tex_sd < 11.0:
        return None
    mixed = layer * (1 - g) + base.bg * g
    return base.before, vae(base.compose(mixed, shadow_k=0.8), rng), instr


def b_bg_near_miss_white(rng, base):
    if not synthetic(base) or base.bg_name in ("studio_white", "near_white"):
        return None
    name, c = pick(rng, WHITE_MISSES)
    c = tuple(float(v + rng.uniform(-3, 2)) for v in c)
    layer = plain_bg(base.H, base.W, c, rng, 0.0, rng.uniform(0.0, 0.03))
    return base.before, good_bg_after(base, rng, layer), instr_bg_colour(rng, "white")


def b_bg_near_miss_colour(rng, base):
    if not synthetic(base):
        return None
    key = pick(rng, list(NEAR_MISS))
    got = pick(rng, NEAR_MISS[key])
    if colour_dist(bgr(got), base.bg_mean) < 35:
        got = [c for c in NEAR_MISS[key] if colour_dist(bgr(c), base.bg_mean) >= 35] or [got]
        got = got[0]
    layer = colour_bg(base, rng, rgb_c=tuple(got))
    return base.before, good_bg_after(base, rng, layer), instr_bg_colour(rng, key)


def b_bg_wrong_colour(rng, base):
    if not synthetic(base):
        return None
    key = pick(rng, list(BG_COLOURS))
    asked = bgr(BG_COLOURS[key][2])
    far = [
        k
        for k in BG_COLOURS
        if colour_dist(bgr(BG_COLOURS[k][2]), asked) > 170
        and colour_dist(bgr(BG_COLOURS[k][2]), base.bg_mean) > 40
    ]
    if not far:
        return None
    got = pick(rng, far)
    layer = colour_bg(base, rng, got)
    return base.before, good_bg_after(base, rng, layer), instr_bg_colour(rng, key)


def b_bg_product_moved(rng, base):
    if not synthetic(base) or base.flag == "edge":
        return None
    ax, ay = base.anchor
    if rng.random() < 0.5:
        s = pick(rng, [rng.uniform(0.68, 0.84), rng.uniform(1.16, 1.3)])
        if s > 1 and (base.pw * s > 0.95 * base.W or base.ph * s > 0.97 * base.H):
            s = rng.uniform(0.68, 0.82)
        M = np.float32([[s, 0, ax * (1 - s)], [0, s, ay * (1 - s)]])
    else:
        dx = rng.choice([-1, 1]) * rng.uniform(0.08, 0.16) * base.W
        dy = rng.choice([-1, 0, 0, 1]) * rng.uniform(0.04, 0.08) * base.H
        x0, y0, x1, y1 = base.bbox
        dx = float(np.clip(dx, -x0 + 2, base.W - x1 - 2)) if abs(dx) > 0 else dx
        if abs(dx) < 0.06 * base.W:
            dx = (0.1 * base.W) * (1 if x0 < base.W - x1 else -1)
        M = np.float32([[1, 0, dx], [0, 1, dy]])
    p, a, s_ = warp_layers(base, M)
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, vae(base.compose(layer, p, a, s_, shadow_k=0.8), rng), mk(rng)


def b_bg_product_reshaped(rng, base):
    if not synthetic(base) or base.flag == "small":
        return None
    ax, ay = base.anchor
    mode = pick(rng, ["stretch", "squash", "rotate", "shear"])
    if mode == "stretch":
        sx = rng.uniform(1.18, 1.32)
        if base.pw * sx > 0.96 * base.W:
            mode, sx = "squash", rng.uniform(0.7, 0.8)
        M = np.float32([[sx, 0, ax * (1 - sx)], [0, 1, 0]])
    if mode == "squash":
        sy = rng.uniform(0.72, 0.82)
        M = np.float32([[1, 0, 0], [0, sy, ay * (1 - sy)]])
    elif mode == "rotate":
        M = cv2.getRotationMatrix2D(
            (float(ax), float(ay)), float(rng.choice([-1, 1]) * rng.uniform(9, 16)), 1.0
        )
        M = M.astype(np.float32)
    elif mode == "shear":
        k = rng.choice([-1, 1]) * rng.uniform(0.18, 0.3)
        M = np.float32([[1, k, -k * ay], [0, 1, 0]])
    p, a, s_ = warp_layers(base, M)
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, vae(base.compose(layer, p, a, s_, shadow_k=0.8), rng), mk(rng)


def b_bg_product_recoloured(rng, base):
    if not synthetic(base):
        return None
    p = to_u8(base.prod)
    hsv = cv2.cvtColor(p, cv2.COLOR_BGR2HSV).astype(np.float32)
    m = base.alpha > 0.5
    sat = float(hsv[..., 1][m].mean()) if m.any() else 0
    if sat > 60:
        hsv[..., 0] = (hsv[..., 0] + rng.choice([-1, 1]) * rng.uniform(28, 55)) % 180
        p2 = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    else:
        tint = bgr(pick(rng, [(255, 170, 170), (160, 190, 255), (255, 220, 120), (170, 230, 170)]))
        lum = luma(base.prod)[..., None]
        p2 = np.clip(lum / 255.0 * tint[None, None, :] * 1.05 + 0 * base.prod, 0, 255)
        if float(luma(base.prod)[m].mean()) < 70:  # a dark product: make it visibly brown/blue
            p2 = np.clip(base.prod * 0.4 + tint * 0.35, 0, 255)
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, vae(base.compose(layer, prod=p2, shadow_k=0.8), rng), mk(rng)


GARBLE = "ABCDEFGHJKLMNPQRSTUVWXYZ"
GARBLE_CJK = (
    "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以"
    "会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美"
    "总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知"
    "世什两次使身者被高已亲其进此话常与活正感"
)


def b_bg_product_text_lost(rng, base):
    if not synthetic(base) or base.tmask is None or base.word in (None, "stripe logo"):
        return None
    tm = base.tmask
    ys, xs = np.nonzero(tm > 0.3)
    if len(ys) < 40:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if base.flag == "small" or (y1 - y0) < 0.05 * base.H or (x1 - x0) < 0.1 * base.W:
        return None
    mode = pick(rng, ["removed", "blurred", "garbled", "half"])
    prod = base.prod.copy()
    if mode == "removed":
        prod = base.plain * 1.0
    elif mode == "blurred":
        th = max(y1 - y0, 8)
        bl = gblur(base.prod, th * rng.uniform(0.18, 0.3))
        box = np.zeros_like(tm)
        box[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4] = 1
        box = gblur(box, 3) * (base.alpha > 0.5)
        prod = base.prod * (1 - box[..., None]) + bl * box[..., None]
    elif mode == "half":
        cut = np.zeros_like(tm)
        if rng.random() < 0.5:
            cut[:, (x0 + x1) // 2 :] = 1
        else:
            cut[:, : (x0 + x1) // 2] = 1
        cut = gblur(cut, 2) * np.clip(tm * 3, 0, 1)
        prod = base.prod * (1 - cut[..., None]) + base.plain * cut[..., None]
    else:
        word = base.word
        if has_cjk(word):
            new = "".join(pick(rng, GARBLE_CJK) for _ in word)
        else:
            chars = list(word)
            for i in rng.permutation(len(chars))[: max(2, len(chars) // 2)]:
                if chars[i].isalpha():
                    chars[i] = pick(rng, GARBLE)
            new = "".join(chars)
            if new == word:
                new = word[::-1] + "X"
        # the text's main line box (largest connected band of the mask)
        ink = base.prod[tm > 0.6].mean(0) if (tm > 0.6).any() else bgr((20, 20, 20))
        prod = base.plain.copy()
        rowsum = (tm > 0.3).sum(1)
        band = np.nonzero(rowsum > 0)[0]
        # keep other text lines, replace the biggest line
        lines, start = [], band[0]
        for a_, b_ in zip(band[:-1], band[1:], strict=True):
            if b_ - a_ > 2:
                lines.append((start, a_ + 1))
                start = b_
        lines.append((start, band[-1] + 1))
        big = max(lines, key=lambda t: t[1] - t[0])
        for ly0, ly1 in lines:
            if (ly0, ly1) != big:
                prod[ly0:ly1] = base.prod[ly0:ly1]
        sub = tm[big[0] : big[1]]
        cx = np.nonzero(sub.max(0) > 0.3)[0]
        bx0, bx1 = cx.min(), cx.max() + 1
        nm = text_mask(new, (bx1 - bx0) * 1.05, (big[1] - big[0]) * 1.15)
        full = np.zeros_like(tm)
        yy0 = max(0, big[0] - int((big[1] - big[0]) * 0.075))
        xx0 = max(0, bx0 - int((bx1 - bx0) * 0.025))
        hh, ww = min(nm.shape[0], base.H - yy0), min(nm.shape[1], base.W - xx0)
        full[yy0 : yy0 + hh, xx0 : xx0 + ww] = nm[:hh, :ww]
        full *= base.alpha > 0.5
        prod = prod * (1 - full[..., None]) + ink[None, None, :] * full[..., None]
    layer, mk, _ = new_bg_any(base, rng)
    return base.before, vae(base.compose(layer, prod=prod, shadow_k=0.8), rng), mk(rng, rng.random() < 0.5)


def b_bg_edge_eaten(rng, base):
    if not synthetic(base) or base.flag == "small":
        return None
    m = (base.alpha > 0.5).astype(np.uint8)
    cnts, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not cnts:
        return None
    pts = np.concatenate(cnts)[:, 0, :]
    inside = (pts[:, 0] > 2) & (pts[:, 0] < base.W - 3) & (pts[:, 1] > 2) & (pts[:, 1] < base.H - 3)
    x0, y0, x1, y1 = base.bbox
    pts = pts[inside & (pts[:, 1] < y0 + 0.8 * (y1 - y0))]
    if len(pts) < 10:
        return None
    size = min(x1 - x0, y1 - y0)
    area = float(m.sum())
    alpha = base.alpha
    for _ in range(6):
        mode = pick(rng, ["bite", "bite", "slice"])
        cut = np.zeros((base.H, base.W), np.float32)
        if mode == "bite":
            px, py = pts[int(rng.integers(len(pts)))]
            r = size * rng.uniform(0.16, 0.28)
            cv2.circle(cut, (int(px), int(py)), int(r), 1.0, -1, cv2.LINE_AA)
            nz = smooth_noise(base.H, base.W, max(4, r / 3), rng)
            cut = np.clip(cut + 0.15 * nz * (cut > 0), 0, 1)
        else:
            side = pick(rng, ["top", "left", "right"])
            f = rng.uniform(0.15, 0.28)
            if side == "top":
                cut[: int(y0 + f * (y1 - y0))] = 1
            elif side == "left":
                cut[:, : int(x0 + f * (x1 - x0))] = 1
            else:
                cut[:, int(x1 - f * (x1 - x0)) :] = 1
        cut = gblur(cut, max(1.0, size * 0.006))
        a2 = alpha * (1 - cut)
        removed = float(((alpha > 0.5) & (a2 < 0.5)).sum())
        if removed > 0.06 * area:
            break
    else:
        return None
    layer, mk, _ = new_bg_any(base, rng)
    sh = base.shadow * (1 - cut * 0.7)
    return base.before, vae(base.compose(layer, alpha=a2, shadow=sh, shadow_k=0.8), rng), mk(rng)


def b_bg_halo(rng, base):
    if not synthetic(base):
        return None
    mode = pick(rng, ["glow", "fringe", "outline"])
    r = max(4.0, base.S * rng.uniform(0.008, 0.016))
    a = base.alpha
    k = int(2 * r) | 1
    dil = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if mode == "glow":
        ring = np.clip(gblur(dil, r * 0.5) * 1.3, 0, 1) * (1 - a)
        keys = [k_ for k_ in BG_COLOURS if luma(bgr(BG_COLOURS[k_][2])[None, None, :])[0, 0] < 150]
        key = pick(rng, keys)
        ring_c = bgr((255, 255, 255))
    elif mode == "fringe":
        ring = gblur(dil, 1.0) * (1 - a)
        key = _contrasting_request(base, rng, 90)
        if key is None:
            return None
        ring_c = None  # the old backdrop itself
    else:
        ring = gblur(dil, 0.8) * (1 - a)
        keys = [k_ for k_ in BG_COLOURS if luma(bgr(BG_COLOURS[k_][2])[None, None, :])[0, 0] > 120]
        key = pick(rng, keys)
        ring_c = bgr(pick(rng, [(20, 20, 20), (250, 250, 250)]))
        if key == "white" or luma(bgr(BG_COLOURS[key][2])[None, None, :])[0, 0] > 200:
            ring_c = bgr((25, 25, 25))
    layer = colour_bg(base, rng, key)
    out = base.compose(layer, shadow_k=0.6)
    src = base.bg if ring_c is None else ring_c[None, None, :]
    out = out * (1 - ring[..., None]) + src * ring[..., None]
    out = out * (1 - a[..., None]) + base.prod * a[..., None]
    return base.before, vae(out, rng), instr_bg_colour(rng, key)


def b_bg_invented_content(rng, base):
    if not synthetic(base):
        return None
    layer, mk, desc = new_bg_any(base, rng)
    out = base.compose(layer, shadow_k=0.8)
    x0, y0, x1, y1 = base.bbox
    H, W = base.H, base.W
    # free space beside the product
    side_spaces = [(0, 0, x0, H), (x1, 0, W, H)]
    side_spaces = [s for s in side_spaces if (s[2] - s[0]) > 0.2 * W]
    spaces = side_spaces + [(0, 0, W, y0)]
    spaces = [s for s in spaces if (s[2] - s[0]) > 0.18 * W and (s[3] - s[1]) > 0.18 * H]
    if not spaces:
        return None
    sx0, sy0, sx1, sy1 = spaces[int(rng.integers(len(spaces)))]
    mode = pick(rng, ["text", "text", "object", "copy"]) if side_spaces else "text"
    if mode != "text":
        sx0, sy0, sx1, sy1 = side_spaces[int(rng.integers(len(side_spaces)))]
    if mode == "text":
        word = pick(rng, ["SALE", "NEW", "热卖", "限时折扣", "新品上市", "50% OFF", "HOT", "爆款"])
        bw_ = (sx1 - sx0) * rng.uniform(0.6, 0.9)
        bh_ = min((sy1 - sy0) * 0.3, bw_ / max(1.5, len(word) * (0.6 if not has_cjk(word) else 1.0)))
        if bh_ < 0.06 * H:
            word = pick(rng, ["NEW", "HOT", "热卖", "爆款"])
            bh_ = min((sy1 - sy0) * 0.4, bw_ / max(1.5, len(word) * (0.6 if not has_cjk(word) else 1.0)))
        if bh_ < 0.05 * H:
            return None
        tm = text_mask(word, bw_, bh_)
        ox = int(sx0 + (sx1 - sx0 - tm.shape[1]) / 2)
        oy = int(sy0 + (sy1 - sy0) * rng.uniform(0.15, 0.6))
        full = paste(H, W, tm, ox, oy) * (1 - base.alpha)
        ink = bgr(pick(rng, [(220, 30, 40), (20, 20, 20), (250, 250, 250), (240, 180, 30)]))
        if (
            colour_dist(ink, layer[min(H - 1, oy + tm.shape[0] // 2), min(W - 1, ox + tm.shape[1] // 2)])
            < 100
        ):
            ink = bgr((200, 20, 30)) if luma(ink[None, None, :])[0, 0] > 128 else bgr((250, 250, 250))
        out = out * (1 - full[..., None]) + ink[None, None, :] * full[..., None]
    elif mode == "object":
        R = int(min(sx1 - sx0, sy1 - sy0) * rng.uniform(0.2, 0.32))
        cx = int((sx0 + sx1) / 2)
        cy = int(min(sy1 - R - 2, base.anchor[1] - R if base.view == "stand" else (sy0 + sy1) / 2))
        obj = np.zeros((H, W), np.float32)
        cv2.circle(obj, (cx, cy), R, 1.0, -1, cv2.LINE_AA)
        ys, xs = coords(H, W)
        c = bgr(pick(rng, [(220, 40, 40), (250, 200, 40), (60, 140, 220), (80, 170, 80)]))
        sh = np.clip(
            1.15 - np.sqrt((xs - cx + R * 0.35) ** 2 + (ys - cy + R * 0.35) ** 2) / (1.6 * R), 0.3, 1.2
        )
        oc = np.clip(c[None, None, :] * sh[..., None], 0, 255)
        shd = gblur(np.roll(obj, int(R * 0.2), axis=0), R * 0.25) * 0.35
        out = out * (1 - shd[..., None])
        out = out * (1 - obj[..., None]) + oc * obj[..., None]
        out = out * (1 - base.alpha[..., None]) + base.prod * base.alpha[..., None]
    else:  # a smaller second copy of the product
        s = rng.uniform(0.4, 0.6)
        tx = (sx0 + sx1) / 2 - base.anchor[0] * s
        ty = (base.anchor[1] * (1 - s)) if base.view == "stand" else (sy0 + sy1) / 2 - base.anchor[1] * s
        M = np.float32([[s, 0, tx], [0, s, ty]])
        p, a, s_ = warp_layers(base, M)
        if a.sum() < 0.5 * s * s * base.alpha.sum() or (a * base.alpha).sum() > 0.1 * a.sum():
            return None
        out = out * (1 - s_ * 0.8)[..., None]
        out = out * (1 - a[..., None]) + p * a[..., None]
        out = out * (1 - base.alpha[..., None]) + base.prod * base.alpha[..., None]
    return base.before, vae(out, rng), mk(rng)


def b_blur_product_too(rng, base):
    if not synthetic(base) or base.bg_name not in TEXTURED:
        return None
    sigma = base.L * rng.uniform(0.009, 0.02)
    bl = blurred_bg(base, rng, sigma)
    if blur_gain(base, bl) < 2.5:
        return None
    out = base.compose(bl)
    ps = max(3.0, base.L * rng.uniform(0.004, 0.008))
    out = gblur(out, ps)
    return base.before, vae(out, rng), pick(rng, BLUR_T)


def b_blur_barely(rng, base):
    if not synthetic(base) or base.bg_name not in STRONG_TEXTURE:
        return None
    if blur_gain(base, fast_blur(base.bg, base.L * 0.012)) < 3.5:
        return None
    out = base.compose(gblur(base.bg, rng.uniform(0.6, 1.3)))
    return base.before, vae(out, rng), pick(rng, BLUR_T)


def b_blur_partial(rng, base):
    if not synthetic(base) or base.bg_name not in STRONG_TEXTURE:
        return None
    sigma = base.L * rng.uniform(0.012, 0.02)
    bl = blurred_bg(base, rng, sigma)
    side = pick(rng, ["left", "right", "top"])
    m = band_mask(base.H, base.W, rng, side, rng.uniform(0.4, 0.55))
    if rng.random() < 0.5:
        m = 1 - m  # blurred only on one side, sharp on the other
    if min(blur_gain(base, bl, m > 0.5), blur_gain(base, bl, m < 0.5)) < 3.5:
        return None
    mixed = bl * m[..., None] + base.bg * (1 - m[..., None])
    return base.before, vae(base.compose(mixed), rng), pick(rng, BLUR_T)


def b_style_content_lost(rng, base):
    style = pick(rng, ["vintage", "bw", "warm", "watercolour", "cyberpunk", "cartoon"])
    img = base.before.astype(np.float32)
    H, W = base.before.shape[:2]
    mode = pick(rng, ["noise", "other", "mush", "tiles"])
    if mode == "noise":
        out = STYLES[style](img, rng)
        out = out + rng.normal(0, rng.uniform(30, 48), out.shape).astype(np.float32)
    elif mode == "other":
        sc = pick(rng, ["park", "beach", "interior", "brick", "lights"])
        other = make_backdrop(sc, H, W, rng, int(H * rng.uniform(0.45, 0.7)))
        out = STYLES[style](other, rng)
    elif mode == "mush":
        f = rng.uniform(18, 30)
        small = cv2.resize(img, (max(2, int(W / f)), max(2, int(H / f))), interpolation=cv2.INTER_AREA)
        out = STYLES[style](cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC), rng)
    else:
        n = int(rng.integers(3, 6))
        out = STYLES[style](img, rng)
        th, tw = H // n, W // n
        tiles = [out[i * th : (i + 1) * th, j * tw : (j + 1) * tw].copy() for i in range(n) for j in range(n)]
        order = rng.permutation(len(tiles))
        res = out.copy()
        for k, o in enumerate(order):
            i, j = divmod(k, n)
            res[i * th : (i + 1) * th, j * tw : (j + 1) * tw] = tiles[o]
        out = res
    return base.before, vae(out, rng), instr_style(rng, style)


def b_style_warm_overdone(rng, base):
    img = base.before.astype(np.float32)
    return base.before, vae(st_warm_overdone(img, rng), rng), instr_style(rng, "warm")


def b_style_partial(rng, base):
    style = pick(rng, ["vintage", "bw", "warm", "cyberpunk", "watercolour"])
    img = base.before.astype(np.float32)
    H, W = img.shape[:2]
    if style == "warm":
        st = st_warm(img, rng, rng.uniform(1.8, 2.4))
    elif style == "vintage":
        st = (
            img
            @ np.array([[0.131, 0.534, 0.272], [0.168, 0.686, 0.349], [0.189, 0.769, 0.393]], np.float32).T
        )
        st = np.clip(st * 0.85 + 25, 0, 255)
    else:
        st = STYLES[style](img, rng)
    ys, xs = coords(H, W)
    mode = pick(rng, ["half_v", "half_h", "quadrant", "band"])
    if mode == "half_v":
        m = (xs < W * rng.uniform(0.4, 0.6)) * np.ones((H, 1), np.float32)
    elif mode == "half_h":
        m = (ys < H * rng.uniform(0.35, 0.6)) * np.ones((1, W), np.float32)
    elif mode == "quadrant":
        qx, qy = rng.uniform(0.4, 0.6) * W, rng.uniform(0.4, 0.6) * H
        m = (
            1 - ((xs < qx) & (ys < qy)).astype(np.float32)
            if rng.random() < 0.5
            else ((xs < qx) | (ys < qy)).astype(np.float32)
        )
    else:
        y0 = rng.uniform(0.0, 0.5) * H
        m = ((ys > y0) & (ys < y0 + H * rng.uniform(0.25, 0.4))) * np.ones((1, W), np.float32)
    if rng.random() < 0.5:
        m = 1 - m
    m = gblur(m.astype(np.float32), rng.uniform(0.8, 5))
    d = np.abs(st - img).mean(axis=2)
    if min(float(d[m > 0.5].mean()), float(d[m < 0.5].mean())) < 8.0:
        return None  # the boundary would not show
    out = st * m[..., None] + img * (1 - m[..., None])
    return base.before, vae(out, rng), instr_style(rng, style)


# ============================================================================================
# registry
# ============================================================================================


DOCS = {}  # family name -> one-line description


def _fam(name, action, expect, fn, doc):
    DOCS[PREFIX + name] = doc
    return {"name": PREFIX + name, "action": action, "expect": expect, "fn": fn}


FAMILIES = [
    # ---- good ---------------------------------------------------------------------------
    _fam(
        "bg_pure_white",
        "background",
        "publish",
        g_bg_pure_white,
        "background replaced by pure white (255), product untouched, soft contact shadow or none",
    ),
    _fam(
        "bg_named_colour",
        "background",
        "publish",
        g_bg_named_colour,
        "background replaced by the named colour (light grey, beige, pastel pink, black, royal blue...)",
    ),
    _fam(
        "bg_gradient",
        "background",
        "publish",
        g_bg_gradient,
        "background replaced by the asked gradient (grey, white-to-blue, pink, dark studio)",
    ),
    _fam(
        "bg_scene",
        "background",
        "publish",
        g_bg_scene,
        "background replaced by the asked scene/texture (marble, wooden table, beach, concrete, brick...)",
    ),
    _fam(
        "bg_nearwhite_to_white",
        "background",
        "publish",
        g_bg_nearwhite_to_white,
        "hard good: a near-white (236-247) backdrop made pure white; little changes",
    ),
    _fam(
        "bg_keep_print",
        "background",
        "publish",
        g_bg_keep_print,
        "hard good: background changed, the product's printed words/logo (Latin or CJK) kept exactly",
    ),
    _fam(
        "bg_edge_touching",
        "background",
        "publish",
        g_bg_edge_touching,
        "hard good: product cut by the frame edge, background changed cleanly",
    ),
    _fam(
        "bg_soft_shadow_kept",
        "background",
        "publish",
        g_bg_soft_shadow_kept,
        "hard good: new plain background keeps the product's soft contact/drop shadow",
    ),
    _fam(
        "bg_glossy_product",
        "background",
        "publish",
        g_bg_glossy,
        "hard good: glossy/reflective product (glass, metal, ceramic) keeps highlights (and reflection)",
    ),
    _fam(
        "bg_small_product",
        "background",
        "publish",
        g_bg_small_product,
        "hard good: a small product in a large frame, background changed",
    ),
    _fam(
        "blur_bokeh",
        "blur",
        "publish",
        g_blur_bokeh,
        "background strongly blurred (Gaussian or lens disc/bokeh), product sharp",
    ),
    _fam(
        "style_vintage_film",
        "style",
        "publish",
        _good_style("vintage"),
        "vintage/film look (sepia mix, faded blacks, vignette, fine grain), layout kept",
    ),
    _fam(
        "style_black_white", "style", "publish", _good_style("bw"), "black and white conversion, layout kept"
    ),
    _fam("style_warm_grade", "style", "publish", _good_style("warm"), "a moderate warm colour grade"),
    _fam(
        "style_painterly",
        "style",
        "publish",
        g_style_painterly,
        "watercolour / pencil sketch / cartoon rendering of the same picture, layout kept",
    ),
    _fam(
        "style_cyberpunk",
        "style",
        "publish",
        _good_style("cyberpunk"),
        "cyberpunk teal-magenta grade with neon glow, layout kept",
    ),
    # ---- bad ----------------------------------------------------------------------------
    _fam(
        "bg_partial_corners",
        "background",
        "review",
        b_bg_partial_corners,
        "old backdrop left in one to four corners",
    ),
    _fam(
        "bg_partial_band",
        "background",
        "review",
        b_bg_partial_band,
        "old backdrop left in a band along one edge (e.g. the old table/floor kept)",
    ),
    _fam(
        "bg_old_in_holes",
        "background",
        "review",
        b_bg_old_in_holes,
        "old backdrop left inside a mug/bag handle or between chair legs/slats",
    ),
    _fam(
        "bg_ghost_old",
        "background",
        "review",
        b_bg_ghost_old,
        "old textured backdrop still faintly visible through the new one",
    ),
    _fam(
        "bg_near_miss_white",
        "background",
        "review",
        b_bg_near_miss_white,
        "pure white asked; got off-white, cream, light grey, beige or bluish white",
    ),
    _fam(
        "bg_near_miss_colour",
        "background",
        "review",
        b_bg_near_miss_colour,
        "named colour asked; got a neighbour (navy/teal for royal blue, charcoal for black...)",
    ),
    _fam(
        "bg_wrong_colour",
        "background",
        "review",
        b_bg_wrong_colour,
        "named colour asked; got an entirely different colour",
    ),
    _fam(
        "bg_product_moved",
        "background",
        "review",
        b_bg_product_moved,
        "product shrunk, enlarged or moved during the background edit",
    ),
    _fam(
        "bg_product_reshaped",
        "background",
        "review",
        b_bg_product_reshaped,
        "product stretched, squashed, rotated or sheared during the background edit",
    ),
    _fam(
        "bg_product_recoloured",
        "background",
        "review",
        b_bg_product_recoloured,
        "product's colour changed during the background edit",
    ),
    _fam(
        "bg_product_text_lost",
        "background",
        "review",
        b_bg_product_text_lost,
        "product's printed text/logo removed, smeared, half-erased or garbled during the background edit",
    ),
    _fam(
        "bg_edge_eaten",
        "background",
        "review",
        b_bg_edge_eaten,
        "part of the product erased by the new background (a bite or a sliced-off side/top)",
    ),
    _fam(
        "bg_halo",
        "background",
        "review",
        b_bg_halo,
        "a glow, a fringe of the old backdrop or a hard outline around the product",
    ),
    _fam(
        "bg_invented_content",
        "background",
        "review",
        b_bg_invented_content,
        "new background with invented text (SALE/热卖...), an extra object or a second product copy",
    ),
    _fam(
        "blur_product_too",
        "blur",
        "review",
        b_blur_product_too,
        "background blurred but the product blurred as well",
    ),
    _fam(
        "blur_barely",
        "blur",
        "review",
        b_blur_barely,
        "background blur asked; the textured background is still sharp",
    ),
    _fam(
        "blur_partial",
        "blur",
        "review",
        b_blur_partial,
        "only one side/part of the background blurred, the rest sharp with a visible boundary",
    ),
    _fam(
        "style_content_lost",
        "style",
        "review",
        b_style_content_lost,
        "style asked; picture destroyed (heavy noise, another picture, smeared to blobs, scrambled tiles)",
    ),
    _fam(
        "style_warm_overdone",
        "style",
        "review",
        b_style_warm_overdone,
        "warm grade asked; the frame turned saturated orange with clipped highlights",
    ),
    _fam(
        "style_partial_frame",
        "style",
        "review",
        b_style_partial,
        "style/grade applied to only part of the frame, with a visible boundary",
    ),
]


# ============================================================================================
# driver
# ============================================================================================


def _save(path, img, rng=None):
    if rng is not None and path.suffix == ".jpg":
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 96))])
    else:
        cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 2])
    return str(path.resolve())


def make(out_dir, seed=0, per_family=10, verbose=False):
    """Write pairs into out_dir and return one row per pair (also out_dir/pairs.jsonl)."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    need = {f["name"]: per_family for f in FAMILIES}
    rows = {f["name"]: [] for f in FAMILIES}
    max_bases = max(200, per_family * 25)
    t0 = time.time()
    idx = 0
    while any(v > 0 for v in need.values()) and idx < max_bases:
        kind, bd, flag = base_recipe(idx, seed)
        base = (
            make_photo_base(idx, seed, bd)
            if kind == "photo"
            else make_synthetic_base(idx, seed, kind, bd, flag)
        )
        if base is None:
            idx += 1
            continue
        before_path = None
        # a family takes a suitable base with some probability, so families spread over bases
        late = idx > per_family * 6
        for fi, fam in enumerate(FAMILIES):
            name = fam["name"]
            if need[name] <= 0:
                continue
            take = np.random.default_rng([seed, 3, fi, idx]).random()
            if take > (0.9 if late else 0.5) and not (base.is_photo and fam["action"] == "style"):
                continue
            rng = np.random.default_rng([seed, 2, fi, idx])
            res = fam["fn"](rng, base)
            if res is None:
                continue
            before, after, instruction = res
            k = per_family - need[name]
            pid = f"{name}_{k:02d}"
            if before is base.before:
                if before_path is None:
                    before_path = _save(out_dir / f"{base.id}.png", base.before)
                bpath = before_path
            else:
                bpath = _save(out_dir / f"{pid}_before.png", before)
            srng = np.random.default_rng([seed, 4, fi, idx])
            ext = ".jpg" if srng.random() < 0.65 else ".png"
            apath = _save(out_dir / f"{pid}_after{ext}", after, srng)
            rows[name].append(
                {
                    "id": pid,
                    "before": bpath,
                    "after": apath,
                    "instruction": instruction,
                    "expect": fam["expect"],
                    "family": name,
                    "action": fam["action"],
                    "base": base.id,
                    "author": AUTHOR,
                }
            )
            need[name] -= 1
        if verbose:
            print(f"base {idx} {base.id} {time.time() - t0:.1f}s", file=sys.stderr)
        idx += 1
    out = [r for f in FAMILIES for r in rows[f["name"]]]
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    t = time.time()
    rows = make(args.out, args.seed, args.per_family, args.verbose)
    counts = {}
    for r in rows:
        counts[r["family"]] = counts.get(r["family"], 0) + 1
    good = sum(1 for r in rows if r["expect"] == "publish")
    print(
        f"{len(rows)} pairs ({good} publish, {len(rows) - good} review) from {len(FAMILIES)} families "
        f"in {time.time() - t:.0f}s -> {args.out / 'pairs.jsonl'}"
    )
    print("  " + ", ".join(f"{k[len(PREFIX) :]}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
