"""Held-out before/after pair families, author "f" (written blind, see SPEC.md).

Synthetic product scenes are drawn from layers (backdrop, contact shadow, product parts,
printed label, optional prop), so an edit is simulated by re-rendering the scene with one
thing changed (new backdrop, new product colour, prop removed ...) and passing the result
through a VAE-like round trip.  Bad families then inject one clear failure.

    python holdout_f.py OUT_DIR [--seed N] [--per-family N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import time

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

AUTHOR = "f"
FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
_HAS_FONT = os.path.exists(FONT_PATH)
_FONT_CACHE: dict = {}

# ----------------------------------------------------------------------------- basics


def _font(size):
    size = max(8, int(size))
    if size not in _FONT_CACHE:
        try:
            _FONT_CACHE[size] = ImageFont.truetype(FONT_PATH, size)
        except Exception:  # pragma: no cover
            _FONT_CACHE[size] = ImageFont.load_default()
    return _FONT_CACHE[size]


def u8(a):
    return np.clip(a + 0.5, 0, 255).astype(np.uint8) if a.dtype != np.uint8 else a


def f32(a):
    return a.astype(np.float32)


def pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def blend(a, b, m):
    """a*(1-m) + b*m with m HxW float in [0,1]."""
    m = m[..., None] if m.ndim == 2 else m
    return f32(a) * (1 - m) + f32(b) * m


def feather(mask, sigma):
    m = mask.astype(np.float32)
    x, y, w, h = cv2.boundingRect((m > 0.002).astype(np.uint8))
    if w == 0:
        return m
    p = int(3.5 * sigma) + 2
    x0, y0, x1, y1 = max(0, x - p), max(0, y - p), min(m.shape[1], x + w + p), min(m.shape[0], y + h + p)
    out = np.zeros_like(m)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(m[y0:y1, x0:x1], (0, 0), max(0.3, sigma))
    return out


def dilate(mask, r):
    r = max(1, int(r))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate((mask > 0.5).astype(np.uint8), k).astype(np.float32)


def erode(mask, r):
    r = max(1, int(r))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.erode((mask > 0.5).astype(np.uint8), k).astype(np.float32)


def vae(img, rng, soft=1.0):
    """Imitate the editor's VAE round trip: soft, slightly noisy, tiny tone drift."""
    x = cv2.GaussianBlur(f32(img), (0, 0), rng.uniform(0.4, 0.9) * soft)
    x += rng.standard_normal(x.shape, dtype=np.float32) * np.float32(rng.uniform(0.8, 2.0))
    x += np.float32(rng.uniform(-1.6, 1.6))
    return u8(x)


def jpeg(img, q):
    ok, buf = cv2.imencode(".jpg", u8(img), [cv2.IMWRITE_JPEG_QUALITY, int(q)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def text_mask(h, w, text, xy, size, anchor="la"):
    """Anti-aliased text coverage (float HxW) and its bbox."""
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    f = _font(size)
    d.text(xy, text, font=f, fill=255, anchor=anchor)
    bb = d.textbbox(xy, text, font=f, anchor=anchor)
    return np.asarray(im, np.float32) / 255.0, bb


def put_text(img, text, xy, size, color, alpha=1.0, anchor="la"):
    h, w = img.shape[:2]
    m, bb = text_mask(h, w, text, xy, size, anchor)
    out = blend(img, np.array(color, np.float32)[None, None], m * alpha)
    return u8(out), bb


def text_width(text, size):
    f = _font(size)
    bb = f.getbbox(text)
    return bb[2] - bb[0], bb[3] - bb[1]


# ----------------------------------------------------------------------------- colours

COLOURS = {  # key: (BGR, english, chinese)
    "red": ((40, 40, 205), "red", "红色"),
    "royal": ((200, 80, 40), "royal blue", "宝蓝色"),
    "navy": ((95, 40, 20), "navy blue", "藏青色"),
    "sky": ((235, 190, 120), "sky blue", "天蓝色"),
    "green": ((70, 150, 40), "green", "绿色"),
    "olive": ((50, 120, 110), "olive green", "橄榄绿"),
    "yellow": ((40, 210, 240), "yellow", "黄色"),
    "orange": ((30, 130, 245), "orange", "橙色"),
    "pink": ((190, 150, 245), "pink", "粉色"),
    "purple": ((150, 50, 120), "purple", "紫色"),
    "black": ((35, 35, 38), "black", "黑色"),
    "white": ((238, 238, 238), "white", "白色"),
    "grey": ((140, 140, 140), "grey", "灰色"),
    "brown": ((40, 75, 125), "brown", "棕色"),
    "teal": ((140, 140, 30), "teal", "青绿色"),
    "burgundy": ((50, 30, 120), "burgundy", "酒红色"),
    "beige": ((170, 205, 225), "beige", "米色"),
}
# pairs (asked, got) that a human sees as the wrong colour although "close"
NEAR_MISS = [
    ("royal", "navy"),
    ("red", "burgundy"),
    ("orange", "yellow"),
    ("pink", "red"),
    ("purple", "royal"),
    ("green", "olive"),
    ("sky", "teal"),
    ("navy", "royal"),
]
WRONG = [
    ("red", "green"),
    ("royal", "orange"),
    ("yellow", "purple"),
    ("green", "red"),
    ("pink", "teal"),
    ("black", "yellow"),
    ("orange", "royal"),
    ("purple", "green"),
]


def cname(key):
    return COLOURS[key][1], COLOURS[key][2]


# ----------------------------------------------------------------------------- backdrops


def _lowres_noise(h, w, rng, cell, octaves=3):
    acc = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        ch, cw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
        n = rng.normal(0, 1, (ch, cw)).astype(np.float32)
        acc += amp * cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)
        tot += amp
        amp *= 0.5
        cell /= 2.5
    return acc / tot


def backdrop(key, h, w, rng):
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    if key == "white":
        return np.full((h, w, 3), 253, np.float32) + 0 * y
    if key == "nearwhite":
        return np.array([236, 241, 245], np.float32) + 6 * (1 - y) + 0 * x
    if key == "lightgrey":
        return np.array([214, 214, 212], np.float32) - 24 * y + 0 * x
    if key == "darkgrey":
        return np.array([78, 76, 74], np.float32) + 30 * (1 - y) + 0 * x
    if key.startswith("rgb_"):
        return np.array([float(v) for v in key[4:].split("_")], np.float32) + 0 * y * x
    if key.startswith("solid_"):
        c = np.array(COLOURS[key[6:]][0], np.float32)
        return c * (0.93 + 0.1 * (1 - y)) + 0 * x
    if key.startswith("pastel"):
        cs = {
            "pastel_pink": (215, 205, 250),
            "pastel_blue": (245, 220, 195),
            "pastel_mint": (215, 240, 205),
            "pastel_sand": (190, 220, 240),
        }
        return np.array(cs[key], np.float32) * (0.95 + 0.07 * (1 - y)) + 0 * x
    if key == "gradient":
        a = np.array([250, 215, 180], np.float32)
        b = np.array([180, 130, 235], np.float32)
        t = 0.6 * y + 0.4 * x
        return a * (1 - t) + b * t
    if key == "wood":
        n = _lowres_noise(h, w, rng, max(h, w) / 3.0)
        xs = np.arange(w, dtype=np.float32)[None, :] / max(h, w)
        ys = np.arange(h, dtype=np.float32)[:, None] / max(h, w)
        grain = np.sin(ys * 90 + n * 6 + xs * 3) * 0.5 + 0.5
        fine = _lowres_noise(h, w, rng, 8, 1)
        base = np.array([70, 120, 175], np.float32)
        v = (0.72 + 0.22 * grain + 0.05 * fine)[..., None]
        return base * v
    if key == "marble":
        n = _lowres_noise(h, w, rng, max(h, w) / 4.0, 4)
        veins = np.exp(-np.abs(np.sin(n * 9)) * 6)[..., None]
        base = np.array([232, 232, 228], np.float32)
        return base - veins * np.array([90, 92, 95], np.float32)
    if key == "fabric":
        xs = np.arange(w, dtype=np.float32)[None, :]
        ys = np.arange(h, dtype=np.float32)[:, None]
        p = max(3.0, max(h, w) / 260)
        weave = 0.5 + 0.25 * np.sin(xs * 2 * np.pi / p) + 0.25 * np.sin(ys * 2 * np.pi / p)
        n = _lowres_noise(h, w, rng, max(h, w) / 6.0)
        base = np.array([150, 165, 120], np.float32)
        return base * (0.85 + 0.12 * weave + 0.04 * n)[..., None]
    if key == "concrete":
        n = _lowres_noise(h, w, rng, max(h, w) / 5.0, 4)
        g = _lowres_noise(h, w, rng, 3, 1)
        v = (150 + 16 * n + 10 * g)[..., None]
        return np.repeat(v, 3, axis=2) + np.array([0, 2, 4], np.float32)
    if key == "outdoor":
        sky = np.array([235, 200, 150], np.float32) * (1 - y) + np.array([245, 230, 215], np.float32) * y
        n = _lowres_noise(h, w, rng, max(h, w) / 8.0)
        grass = np.array([60, 140, 90], np.float32) * (0.8 + 0.15 * n)[..., None]
        hz = 0.62 + 0.03 * np.sin(np.linspace(0, 6, w))[None, :]
        g = (y[..., 0] > hz).astype(np.float32)
        g = cv2.GaussianBlur(g, (0, 0), 2)[..., None]
        return sky * (1 - g) + grass * g
    raise KeyError(key)


BG_NAMES = {  # key: (english, chinese)
    "white": ("pure white", "纯白色"),
    "nearwhite": ("off-white", "米白色"),
    "lightgrey": ("light grey", "浅灰色"),
    "darkgrey": ("dark grey", "深灰色"),
    "pastel_pink": ("soft pink", "淡粉色"),
    "pastel_blue": ("light blue", "浅蓝色"),
    "pastel_mint": ("mint green", "薄荷绿"),
    "pastel_sand": ("sand beige", "沙色"),
    "gradient": ("blue-to-pink gradient", "蓝粉渐变"),
    "wood": ("wooden table", "木纹桌面"),
    "marble": ("white marble", "白色大理石"),
    "fabric": ("linen fabric", "亚麻布纹"),
    "concrete": ("concrete", "水泥墙"),
    "outdoor": ("outdoor lawn and sky", "户外草地天空"),
    "solid_royal": ("royal blue", "宝蓝色"),
    "solid_red": ("red", "红色"),
    "solid_yellow": ("yellow", "黄色"),
    "solid_green": ("green", "绿色"),
}
TEXTURED = {"wood", "marble", "fabric", "concrete", "outdoor"}


# ----------------------------------------------------------------------------- products

ROLE_COL = {
    "cap": (52, 50, 55),
    "label": (222, 234, 240),
    "sole": (236, 236, 236),
    "metal": (185, 188, 192),
    "dial": (246, 246, 246),
}
PRODUCTS = ["bottle", "mug", "shirt", "box", "shoe", "bag", "jar", "watch", "chair"]
PROD_NAMES = {  # english, chinese
    "bottle": ("bottle", "瓶子"),
    "mug": ("mug", "马克杯"),
    "shirt": ("T-shirt", "T恤"),
    "box": ("box", "包装盒"),
    "shoe": ("shoe", "鞋子"),
    "bag": ("handbag", "手提包"),
    "jar": ("cream jar", "面霜罐"),
    "watch": ("watch strap", "表带"),
    "chair": ("chair", "椅子"),
}
LABEL_WORDS = ["AQUA", "LUMA", "NORD", "植萃", "KIRA", "BLOOM", "森活", "ORO", "VITA", "暖阳"]


def _poly(h, w, pts, cx, cy, s, sx):
    m = np.zeros((h, w), np.uint8)
    p = np.array([[cx + px * s * sx, cy + py * s] for px, py in pts], np.float32)
    cv2.fillPoly(m, [np.round(p * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return m


def _rect(h, w, x0, y0, x1, y1, cx, cy, s, sx, rad=0.0):
    m = np.zeros((h, w), np.uint8)
    a = (int(round(cx + x0 * s * sx)), int(round(cy + y0 * s)))
    b = (int(round(cx + x1 * s * sx)), int(round(cy + y1 * s)))
    r = int(rad * s * sx)
    if r <= 1:
        cv2.rectangle(m, a, b, 255, -1, cv2.LINE_AA)
    else:
        cv2.rectangle(m, (a[0] + r, a[1]), (b[0] - r, b[1]), 255, -1)
        cv2.rectangle(m, (a[0], a[1] + r), (b[0], b[1] - r), 255, -1)
        for cxx, cyy in [
            (a[0] + r, a[1] + r),
            (b[0] - r, a[1] + r),
            (a[0] + r, b[1] - r),
            (b[0] - r, b[1] - r),
        ]:
            cv2.circle(m, (cxx, cyy), r, 255, -1, cv2.LINE_AA)
    return m


def _ell(h, w, ex, ey, ax, ay, cx, cy, s, sx):
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        m,
        (int(round(cx + ex * s * sx)), int(round(cy + ey * s))),
        (max(1, int(ax * s * sx)), max(1, int(ay * s))),
        0,
        0,
        360,
        255,
        -1,
        cv2.LINE_AA,
    )
    return m


def _lbox(x0, y0, x1, y1, cx, cy, s, sx):
    return (int(cx + x0 * s * sx), int(cy + y0 * s), int(cx + x1 * s * sx), int(cy + y1 * s))


def geometry(kind, h, w, cx, cy, s, sx):
    """Parts: (mask_u8, role, shade, gloss). Coordinates in units of s (height)."""
    P, R, E = (
        (lambda pts: _poly(h, w, pts, cx, cy, s, sx)),
        (lambda *a, rad=0.0: _rect(h, w, *a, cx, cy, s, sx, rad=rad)),
        (lambda *a: _ell(h, w, *a, cx, cy, s, sx)),
    )
    L = lambda *a: _lbox(*a, cx, cy, s, sx)  # noqa: E731
    g = {"parts": [], "label": None, "hole": None, "bottom": cy + 0.5 * s, "hw": 0.3 * s * sx}
    if kind == "bottle":
        body = np.maximum(R(-0.18, -0.16, 0.18, 0.5, rad=0.05), E(0, -0.16, 0.18, 0.1))
        body = np.maximum(body, R(-0.065, -0.38, 0.065, -0.1))
        g["parts"] = [
            (body, "main", "cyl", 0.55),
            (R(-0.08, -0.5, 0.08, -0.36, rad=0.015), "cap", "cyl", 0.3),
            (R(-0.18, 0.02, 0.18, 0.32), "label", "cyl", 0.1),
        ]
        g["label"], g["hw"] = L(-0.15, 0.05, 0.15, 0.29), 0.18 * s * sx
    elif kind == "mug":
        body = R(-0.42, -0.4, 0.24, 0.4, rad=0.04)
        outer, inner = E(0.26, -0.02, 0.2, 0.25), E(0.26, -0.02, 0.11, 0.16)
        handle = np.minimum(outer, 255 - inner)
        handle[body > 0] = 0
        g["parts"] = [(handle, "main", "cyl", 0.3), (body, "main", "cyl", 0.45)]
        hole = inner.copy()
        hole[body > 0] = 0
        g["hole"], g["label"], g["hw"] = hole, L(-0.33, -0.15, 0.15, 0.12), 0.46 * s * sx
        g["bottom"] = cy + 0.4 * s
    elif kind == "shirt":
        pts = [
            (-0.12, -0.5),
            (-0.3, -0.45),
            (-0.55, -0.18),
            (-0.42, -0.06),
            (-0.3, -0.2),
            (-0.31, 0.5),
            (0.31, 0.5),
            (0.3, -0.2),
            (0.42, -0.06),
            (0.55, -0.18),
            (0.3, -0.45),
            (0.12, -0.5),
            (0, -0.41),
        ]
        g["parts"] = [(P(pts), "main", "folds", 0.0)]
        g["label"], g["hw"] = L(-0.17, -0.22, 0.17, -0.04), 0.55 * s * sx
    elif kind == "box":
        d = 0.14
        g["parts"] = [
            (R(-0.38, -0.3, 0.2, 0.5), "main", "flat", 0.0),
            (P([(-0.38, -0.3), (0.2, -0.3), (0.2 + d, -0.3 - d), (-0.38 + d, -0.3 - d)]), "main", "top", 0.0),
            (P([(0.2, -0.3), (0.2 + d, -0.3 - d), (0.2 + d, 0.5 - d), (0.2, 0.5)]), "main", "side", 0.0),
        ]
        g["label"], g["hw"] = L(-0.32, -0.05, 0.14, 0.2), 0.45 * s * sx
        g["bottom"] = cy + 0.5 * s
    elif kind == "shoe":
        up = P(
            [
                (-0.62, 0.28),
                (-0.6, 0.02),
                (-0.3, -0.06),
                (-0.05, -0.3),
                (0.3, -0.36),
                (0.52, -0.22),
                (0.62, 0.28),
            ]
        )
        g["parts"] = [(up, "main", "flat", 0.15), (R(-0.66, 0.26, 0.66, 0.4, rad=0.05), "sole", "flat", 0.0)]
        g["label"], g["hw"] = L(-0.05, 0.0, 0.4, 0.17), 0.66 * s * sx
        g["bottom"] = cy + 0.4 * s
    elif kind == "bag":
        body = P([(-0.4, -0.1), (0.4, -0.1), (0.48, 0.5), (-0.48, 0.5)])
        outer, inner = E(0, -0.1, 0.28, 0.4), E(0, -0.1, 0.21, 0.33)
        top = np.zeros_like(outer)
        top[: int(cy - 0.1 * s), :] = 255
        handle = np.minimum(np.minimum(outer, 255 - inner), top)
        hole = np.minimum(inner, top)
        g["parts"] = [(handle, "main", "cyl", 0.2), (body, "main", "flat", 0.1)]
        g["hole"], g["label"], g["hw"] = hole, L(-0.2, 0.1, 0.2, 0.3), 0.48 * s * sx
    elif kind == "jar":
        g["parts"] = [
            (R(-0.36, -0.05, 0.36, 0.5, rad=0.04), "main", "cyl", 0.35),
            (R(-0.38, -0.42, 0.38, -0.05, rad=0.03), "cap", "cyl", 0.5),
        ]
        g["label"], g["hw"] = L(-0.26, 0.1, 0.26, 0.36), 0.38 * s * sx
    elif kind == "watch":
        g["parts"] = [
            (R(-0.15, -0.5, 0.15, 0.5, rad=0.03), "main", "cyl", 0.1),
            (E(0, 0, 0.3, 0.3), "metal", "cyl", 0.7),
            (E(0, 0, 0.24, 0.24), "dial", "flat", 0.0),
        ]
        g["hw"] = 0.3 * s * sx
    elif kind == "chair":
        g["parts"] = [
            (R(-0.3, -0.5, 0.3, -0.06, rad=0.03), "main", "flat", 0.1),
            (R(-0.37, -0.07, 0.37, 0.06), "main", "top", 0.0),
            (R(-0.34, 0.05, -0.29, 0.5), "main", "side", 0.0),
            (R(0.29, 0.05, 0.34, 0.5), "main", "side", 0.0),
            (R(-0.22, 0.05, -0.18, 0.42), "main", "side", 0.0),
            (R(0.18, 0.05, 0.22, 0.42), "main", "side", 0.0),
        ]
        g["hw"] = 0.37 * s * sx
    return g


def _shade(shade, gloss, xs, ys, x0, x1, y0, y1, s):
    u = np.clip((xs - x0) / max(1.0, x1 - x0), 0, 1)
    v = np.clip((ys - y0) / max(1.0, y1 - y0), 0, 1)
    hl = np.zeros(np.broadcast(u, v).shape, np.float32)
    if shade == "cyl":
        f = 0.5 + 0.58 * np.sin(np.pi * u) ** 0.7 + 0 * v
        hl = (
            gloss * (np.exp(-(((u - 0.27) / 0.05) ** 2)) + 0.35 * np.exp(-(((u - 0.84) / 0.03) ** 2))) + 0 * v
        )
    elif shade == "folds":
        f = (
            0.86
            + 0.09 * np.sin(2 * np.pi * xs / (0.2 * s) + 1.4 * np.sin(2 * np.pi * ys / (0.55 * s)))
            + 0.05 * np.sin(2 * np.pi * xs / (0.083 * s) + ys / (0.3 * s))
            - 0.12 * v
        )
    elif shade == "top":
        f = 1.12 + 0 * u * v
    elif shade == "side":
        f = 0.68 - 0.08 * v + 0 * u
    elif shade == "sphere":
        d = np.sqrt((u - 0.38) ** 2 + (v - 0.35) ** 2)
        f = np.clip(1.15 - 1.0 * d, 0.35, 1.2)
        hl = gloss * np.exp(-((d / 0.08) ** 2))
    else:
        f = 1.0 - 0.16 * v + 0.06 * u
        hl = gloss * 0.4 * np.exp(-(((u - 0.3) / 0.08) ** 2)) + 0 * v
    return f.astype(np.float32), hl.astype(np.float32)


def paint_part(canvas, mask_u8, col, shade, gloss, s, stripes=None, hlscale=1.0):
    bx, by, bw, bh = cv2.boundingRect(mask_u8)
    if bw == 0:
        return
    x0, x1, y0, y1 = bx, bx + bw, by, by + bh
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    f, hl = _shade(shade, gloss, xs, ys, x0, x1, y0, y1, s)
    c = np.array(col, np.float32)[None, None]
    if stripes is not None:
        per, scol = stripes
        band = (((ys - y0) // per) % 2 == 1).astype(np.float32)[..., None]
        c = c * (1 - band) + np.array(scol, np.float32)[None, None] * band
    rgb = c * f[..., None] + 255 * hl[..., None] * hlscale
    m = mask_u8[y0:y1, x0:x1].astype(np.float32)[..., None] / 255.0
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - m) + rgb * m


PROP_NAMES = {
    "sphere": ("ball", "小球"),
    "cube": ("wooden block", "木块"),
    "plant": ("potted plant", "盆栽"),
    "cup": ("small cup", "小杯子"),
    "lemon": ("lemon", "柠檬"),
}


def draw_prop(canvas, kind, px, py, r, col, shadow=True):
    """Draw a prop standing on y=py (its bottom), centred at x=px. Returns its mask."""
    h, w = canvas.shape[:2]
    if shadow:
        sh = np.zeros((h, w), np.uint8)
        cv2.ellipse(
            sh, (int(px + 0.15 * r), int(py)), (int(1.1 * r), max(2, int(0.2 * r))), 0, 0, 360, 255, -1
        )
        sh = feather(sh / 255.0, 0.25 * r)
        canvas *= (1 - 0.35 * sh)[..., None]
    m = np.zeros((h, w), np.uint8)
    if kind in ("sphere", "lemon"):
        ax = (int(r), int(r)) if kind == "sphere" else (int(1.25 * r), int(0.9 * r))
        cv2.ellipse(m, (int(px), int(py - ax[1])), ax, 0, 0, 360, 255, -1, cv2.LINE_AA)
        paint_part(canvas, m, col, "sphere", 0.5, 2 * r)
    elif kind == "cube":
        cv2.rectangle(m, (int(px - r), int(py - 1.7 * r)), (int(px + r), int(py)), 255, -1, cv2.LINE_AA)
        paint_part(canvas, m, col, "flat", 0.0, 2 * r)
    elif kind == "cup":
        pts = np.array(
            [[px - r, py - 1.8 * r], [px + r, py - 1.8 * r], [px + 0.7 * r, py], [px - 0.7 * r, py]]
        )
        cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 255, cv2.LINE_AA)
        paint_part(canvas, m, col, "cyl", 0.4, 2 * r)
    elif kind == "plant":
        pot = np.zeros((h, w), np.uint8)
        pts = np.array(
            [
                [px - 0.8 * r, py - 1.2 * r],
                [px + 0.8 * r, py - 1.2 * r],
                [px + 0.6 * r, py],
                [px - 0.6 * r, py],
            ]
        )
        cv2.fillPoly(pot, [np.round(pts).astype(np.int32)], 255, cv2.LINE_AA)
        leaves = np.zeros((h, w), np.uint8)
        for a in range(-60, 61, 30):
            t = math.radians(a)
            ex, ey = px + math.sin(t) * 1.0 * r, py - 1.2 * r - math.cos(t) * 1.0 * r
            cv2.ellipse(
                leaves,
                (int(ex), int(ey)),
                (max(2, int(0.32 * r)), int(0.9 * r)),
                a,
                0,
                360,
                255,
                -1,
                cv2.LINE_AA,
            )
        paint_part(canvas, leaves, (60, 150, 50), "flat", 0.05, 2 * r)
        paint_part(canvas, pot, (70, 100, 190), "cyl", 0.2, 2 * r)
        m = np.maximum(pot, leaves)
    return m.astype(np.float32) / 255.0


class Scene:
    """A synthetic product shot that can be re-rendered with one thing changed."""

    def __init__(
        self,
        name,
        kind,
        h,
        w,
        bg,
        color,
        label=None,
        stripes=False,
        prop=None,
        scale=0.62,
        offx=0.0,
        offy=0.04,
        seed=0,
    ):
        self.name, self.kind, self.h, self.w, self.bg, self.color = name, kind, h, w, bg, color
        self.label_text, self.stripes, self.prop, self.seed = label, stripes, prop, seed
        self.is_photo = False
        self.s = scale * min(h, w / 1.2 if kind in ("shirt", "shoe", "bag", "mug") else w)
        self.cx, self.cy = w * (0.5 + offx), h * (0.5 + offy)
        self.glossy = kind in ("bottle", "mug", "jar", "watch")
        self._bg_cache, self._default = {}, None
        self.prop_col = (60, 200, 230) if prop != "cube" else (90, 150, 200)

    # ---- pieces
    def bg_img(self, key):
        if key not in self._bg_cache:
            if len(self._bg_cache) >= 3:
                self._bg_cache.pop(next(iter(self._bg_cache)))
            self._bg_cache[key] = backdrop(key, self.h, self.w, np.random.default_rng(self.seed + 7))
        return self._bg_cache[key].copy()

    def prop_place(self, r=None):
        r = r or 0.11 * self.s
        side = 1 if self.cx <= self.w / 2 else -1
        geo = geometry(self.kind, 1, 1, 0, 0, self.s, 1.0)
        px = self.cx + side * (geo["hw"] + 0.1 * self.s + 1.3 * r)
        py = self.cy + 0.5 * self.s if self.kind not in ("mug", "shoe") else self.cy + 0.4 * self.s
        if px - 1.3 * r < 4 or px + 1.3 * r > self.w - 4 or py > self.h - 2:
            return None
        return px, py, r

    def render(
        self,
        color=None,
        bg=None,
        prop="default",
        label="default",
        stripes="default",
        shadow="single",
        smul=1.0,
        sxmul=1.0,
        dx=0.0,
        dy=0.0,
        gloss_mul=1.0,
        prop_col=None,
    ):
        h, w = self.h, self.w
        canvas = self.bg_img(bg or self.bg).astype(np.float32)
        s, cx, cy = self.s * smul, self.cx + dx, self.cy + dy + (1 - smul) * 0.5 * self.s
        g = geometry(self.kind, h, w, cx, cy, s, sxmul)
        info = {"label_box": g["label"], "hole": None, "prop": None}
        if shadow != "none":
            offs = [(0.0, 0.55)] if shadow == "single" else [(0.0, 0.5), (0.35, 0.45)]
            for ox, a in offs:
                sh = np.zeros((h, w), np.uint8)
                cv2.ellipse(
                    sh,
                    (int(cx + ox * g["hw"] + 0.05 * s), int(g["bottom"])),
                    (int(g["hw"] * 1.05), max(2, int(0.05 * s))),
                    0,
                    0,
                    360,
                    255,
                    -1,
                )
                sh = feather(sh / 255.0, 0.035 * s)
                canvas *= (1 - a * sh)[..., None]
        col = COLOURS[color or self.color][0]
        stripes = self.stripes if stripes == "default" else stripes
        prod = np.zeros((h, w), np.float32)
        body = np.zeros((h, w), np.float32)
        for m, role, shade, gl in g["parts"]:
            c = col if role == "main" else ROLE_COL[role]
            st = ((max(3, int(0.045 * s))), (235, 235, 235)) if (stripes and role == "main") else None
            paint_part(canvas, m, c, shade, gl * gloss_mul, s, st)
            mf = m.astype(np.float32) / 255.0
            prod = np.maximum(prod, mf)
            if role == "main":
                body = np.maximum(body, mf)
        if g["hole"] is not None:
            info["hole"] = g["hole"].astype(np.float32) / 255.0
        if self.kind == "watch":
            for k in range(12):
                t = k * math.pi / 6
                r0, r1 = 0.19 * s, 0.225 * s
                p0 = (int(cx + r0 * math.sin(t)), int(cy - r0 * math.cos(t)))
                p1 = (int(cx + r1 * math.sin(t)), int(cy - r1 * math.cos(t)))
                cv2.line(canvas, p0, p1, (40, 40, 40), max(1, int(0.012 * s)), cv2.LINE_AA)
            cv2.line(
                canvas,
                (int(cx), int(cy)),
                (int(cx + 0.12 * s), int(cy - 0.06 * s)),
                (30, 30, 30),
                max(1, int(0.015 * s)),
                cv2.LINE_AA,
            )
            cv2.line(
                canvas,
                (int(cx), int(cy)),
                (int(cx - 0.03 * s), int(cy - 0.17 * s)),
                (30, 30, 30),
                max(1, int(0.01 * s)),
                cv2.LINE_AA,
            )
        text = self.label_text if label == "default" else label
        info["label_mask"] = None
        if text and g["label"] is not None:
            x0, y0, x1, y1 = g["label"]
            size = min(
                (y1 - y0) * 0.62, (x1 - x0) * 0.9 / max(1, len(text)) * (1.0 if ord(text[0]) > 255 else 1.6)
            )
            lum = np.mean(col)
            tcol = (
                (30, 30, 30)
                if self.kind not in ("shirt", "shoe", "bag", "box") or lum > 140
                else (240, 240, 240)
            )
            tm, _ = text_mask(h, w, text, ((x0 + x1) / 2, (y0 + y1) / 2), size, "mm")
            a = tm[..., None] * 0.95
            canvas = canvas * (1 - a) + np.array(tcol, np.float32) * a
            info["label_mask"] = tm
        pr = self.prop if prop == "default" else prop
        if pr:
            pl = self.prop_place()
            if pl is not None:
                pm = draw_prop(canvas, pr, pl[0], pl[1], pl[2], prop_col or self.prop_col)
                info["prop"] = pm
                info["prop_place"] = pl
        info["prod"], info["body"], info["s"], info["cx"], info["cy"] = prod, body, s, cx, cy
        info["bottom"], info["hw"] = g["bottom"], g["hw"]
        self.info = info
        return u8(canvas)

    def default(self):
        if self._default is None:
            self._default = (self.render(), self.info)
        self.info = self._default[1]
        return self._default[0].copy()


class Photo:
    def __init__(self, name, img, face=None, cloth=None):
        self.name, self.img, self.face, self.cloth = name, img, face, cloth
        self.is_photo, self.kind, self.h, self.w = True, "photo", img.shape[0], img.shape[1]
        self.bg, self.label_text, self.prop = "photo", None, None

    def default(self):
        return self.img.copy()


def _sizes(long_side, aspect):
    a = {"1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4, "16:9": 16 / 9}[aspect]
    if a >= 1:
        return int(round(long_side / a)) // 2 * 2, long_side
    return long_side, int(round(long_side * a)) // 2 * 2


def build_bases():
    specs = [  # kind, bg, colour, long side, aspect, label, stripes, prop, scale, offx, offy
        ("bottle", "white", "green", 1024, "3:4", "AQUA", False, "sphere", 0.7, 0.0, 0.04),
        ("mug", "wood", "royal", 1200, "4:3", "LUMA", False, "lemon", 0.5, -0.08, 0.1),
        ("shirt", "lightgrey", "red", 900, "1:1", "NORD", True, None, 0.8, 0.0, 0.06),
        ("box", "pastel_pink", "teal", 800, "1:1", "植萃", False, "plant", 0.55, -0.12, 0.1),
        ("shoe", "concrete", "orange", 1280, "16:9", "KIRA", False, "cube", 0.45, -0.1, 0.12),
        ("bag", "nearwhite", "brown", 1024, "1:1", "BLOOM", False, "plant", 0.6, -0.1, 0.05),
        ("jar", "marble", "pink", 768, "4:3", "森活", False, "sphere", 0.5, -0.1, 0.1),
        ("watch", "darkgrey", "black", 640, "3:4", None, False, None, 0.7, 0.0, 0.0),
        ("chair", "outdoor", "yellow", 1280, "16:9", None, False, "plant", 0.6, -0.1, 0.08),
        ("shirt", "white", "navy", 1200, "3:4", None, False, "cube", 0.5, -0.1, 0.06),
        ("bottle", "gradient", "purple", 720, "1:1", "ORO", False, None, 0.72, 0.0, 0.03),
        ("mug", "nearwhite", "red", 600, "1:1", "暖阳", False, "cube", 0.45, -0.12, 0.1),
        ("box", "wood", "navy", 1500, "4:3", "VITA", False, "lemon", 0.55, -0.1, 0.1),
        ("shirt", "fabric", "yellow", 1024, "1:1", "SUN", True, None, 0.78, 0.0, 0.06),
        ("shoe", "white", "black", 1024, "4:3", "NORD", False, "cup", 0.4, -0.12, 0.1),
        ("bag", "pastel_blue", "red", 900, "3:4", "KIRA", False, None, 0.68, 0.0, 0.05),
        ("jar", "white", "sky", 480, "1:1", "LUMA", False, "lemon", 0.5, -0.12, 0.1),
        ("bottle", "concrete", "orange", 1280, "16:9", "植萃", False, "cup", 0.72, -0.1, 0.04),
        ("chair", "nearwhite", "teal", 900, "4:3", None, False, None, 0.75, 0.0, 0.05),
        ("watch", "marble", "brown", 1024, "1:1", None, False, None, 0.68, 0.0, 0.0),
        ("shirt", "pastel_mint", "purple", 640, "3:4", "森活", False, "sphere", 0.55, -0.12, 0.08),
        ("mug", "outdoor", "white", 1024, "16:9", "ORO", False, "plant", 0.5, -0.12, 0.12),
        ("box", "lightgrey", "orange", 2000, "4:3", "BLOOM", False, "sphere", 0.55, -0.1, 0.08),
        ("shirt", "nearwhite", "green", 1024, "1:1", "VITA", True, None, 1.0, 0.0, 0.08),  # touches frame
        ("bottle", "pastel_sand", "royal", 960, "3:4", "暖阳", False, "plant", 0.66, -0.1, 0.05),
        ("bag", "wood", "black", 1200, "1:1", "LUMA", False, "sphere", 0.55, -0.1, 0.06),
    ]
    bases = []
    for i, (k, bg, col, ls, asp, lab, st, pr, sc, ox, oy) in enumerate(specs):
        h, w = _sizes(ls, asp)
        bases.append(Scene(f"{k}{i:02d}_{bg}_{ls}", k, h, w, bg, col, lab, st, pr, sc, ox, oy, seed=1000 + i))
    photos = []
    try:
        import skimage.data as skd

        ast = cv2.cvtColor(skd.astronaut(), cv2.COLOR_RGB2BGR)
        photos.append(("astronaut", ast))
        for nm in ("coffee", "chelsea", "rocket"):
            photos.append((nm, cv2.cvtColor(getattr(skd, nm)(), cv2.COLOR_RGB2BGR)))
    except Exception:
        for nm in ("coffee.png", "chelsea.png", "rocket.jpg"):
            p = pathlib.Path("/work/shared/eval/images") / nm
            if p.exists():
                photos.append((nm.split(".")[0], cv2.imread(str(p), cv2.IMREAD_COLOR)))
    if photos and photos[0][0] == "astronaut":
        photos.append(("astronaut_mirror_768", cv2.resize(photos[0][1][:, ::-1].copy(), (768, 768))))
        photos.append(("astronaut_crop_640x800", cv2.resize(photos[0][1][:, 56:456].copy(), (640, 800))))
    for nm, im in photos:
        face = cloth = None
        if nm.startswith("astronaut"):
            face = (165, 45, 275, 195)  # x0, y0, x1, y1 in the 512px original
            if nm == "astronaut_mirror_768":
                face = (int((512 - 275) * 1.5), int(45 * 1.5), int((512 - 165) * 1.5), int(195 * 1.5))
            elif nm == "astronaut_crop_640x800":
                face = (int((165 - 56) * 1.6), int(45 * 1.5625), int((275 - 56) * 1.6), int(195 * 1.5625))
            hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
            suit = ((hsv[..., 0] < 22) & (hsv[..., 1] > 90) & (hsv[..., 2] > 80)).astype(np.uint8)
            suit[: int(250 * im.shape[0] / 512)] = 0
            suit = cv2.morphologyEx(suit, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
            suit = cv2.morphologyEx(suit, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
            cloth = suit.astype(np.float32)
        bases.append(Photo("photo_" + nm, im, face, cloth))
    return bases


# ----------------------------------------------------------------------------- family helpers

FAMILIES: list = []


def family(name, action, expect):
    def deco(fn):
        FAMILIES.append({"name": "f_" + name, "action": action, "expect": expect, "fn": fn})
        return fn

    return deco


def fmt(rng, templates, **kw):
    return pick(rng, templates).format(**kw)


def pnames(base):
    return PROD_NAMES.get(base.kind, ("product", "产品"))


def new_bg(rng, base, choices=None, avoid_light=False):
    choices = choices or [
        "white",
        "lightgrey",
        "pastel_pink",
        "pastel_blue",
        "pastel_mint",
        "gradient",
        "wood",
        "marble",
        "outdoor",
        "concrete",
        "solid_royal",
    ]
    c = [k for k in choices if k != base.bg and not (avoid_light and k in ("white", "nearwhite"))]
    return pick(rng, c)


def contrasting_old_bg(rng, base):
    """A 'before' backdrop that contrasts with white (re-render if the base is too light)."""
    strong = ["wood", "darkgrey", "solid_royal", "concrete", "outdoor", "solid_green", "solid_red"]
    return base.bg if base.bg in strong else pick(rng, strong)


WHITE_BG = [
    "把背景换成纯白色",
    "Replace the background with pure white.",
    "请将背景改为白底，{p_zh}保持不变",
    "white background please",
    "背景换成white，电商主图用",
    "Could you put the {p_en} on a clean white background?",
    "换白底",
    "请把图片背景替换为纯白 (#FFFFFF)，不要改动产品",
    "Change the backdrop to white, keep the {p_en} exactly as is.",
]
ANY_BG = [
    "把背景换成{b_zh}",
    "Replace the background with {b_en}.",
    "请将背景改为{b_zh}，{p_zh}不要动",
    "background -> {b_en}",
    "背景换成{b_en}的",
    "Could you swap the backdrop for a {b_en} one?",
    "换个背景：{b_zh}",
    "Please change the background to {b_en} and keep the product unchanged.",
]


def bg_instr(rng, base, key):
    if key == "white":
        return fmt(rng, WHITE_BG, p_en=pnames(base)[0], p_zh=pnames(base)[1])
    b_en, b_zh = BG_NAMES[key]
    return fmt(rng, ANY_BG, b_en=b_en, b_zh=b_zh, p_en=pnames(base)[0], p_zh=pnames(base)[1])


def syn(base):
    return not base.is_photo


# ----------------------------------------------------------------------------- background: good


@family("bg_clean_swap", "background", "publish")
def _bg_clean_swap(rng, base):
    if not syn(base):
        return None
    key = new_bg(rng, base)
    before = base.default()
    after = base.render(bg=key, shadow=pick(rng, ["single", "single", "none"]))
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("bg_nearwhite_to_white", "background", "publish")
def _bg_nearwhite(rng, base):
    if not syn(base):
        return None
    before = base.render(bg="nearwhite") if base.bg != "nearwhite" else base.default()
    after = base.render(bg="white")
    ins = fmt(
        rng,
        [
            "背景有点发灰，调成纯白",
            "Make the off-white background pure white.",
            "把米白底改成纯白底",
            "请把背景提亮成白色(255,255,255)",
            "bg 改成 pure white",
            "Could you clean the backdrop up to true white?",
        ],
    )
    return before, vae(after, rng), ins


@family("bg_printed_product_kept", "background", "publish")
def _bg_printed(rng, base):
    if not syn(base) or not base.label_text:
        return None
    key = new_bg(rng, base, ["white", "marble", "wood", "pastel_blue", "gradient", "lightgrey", "outdoor"])
    before = base.default()
    after = base.render(bg=key)
    b_en, b_zh = BG_NAMES[key]
    ins = fmt(
        rng,
        [
            "把背景换成{b_zh}，瓶身/包装上的字「{t}」保持不变",
            "Swap the background for {b_en}; keep the '{t}' print on the product.",
            "背景改为{b_zh}",
            "Put it on a {b_en} background please, the logo must stay.",
            "换成{b_en}背景，logo“{t}”别动",
            "请将背景更换为{b_zh}。",
        ],
        b_en=b_en,
        b_zh=b_zh,
        t=base.label_text,
    )
    return before, vae(after, rng), ins


@family("bg_photo_backdrop", "background", "publish")
def _bg_photo(rng, base):
    """Textured, photographic-looking backdrops, with the product touching/near the frame kept."""
    if not syn(base):
        return None
    key = pick(rng, [k for k in ("wood", "marble", "outdoor", "fabric", "concrete") if k != base.bg])
    before = base.render(bg="white") if base.bg in TEXTURED else base.default()
    after = base.render(bg=key)
    return before, vae(after, rng), bg_instr(rng, base, key)


# ----------------------------------------------------------------------------- background: bad


@family("bg_rim_of_old_backdrop", "background", "review")
def _bg_rim(rng, base):
    if not syn(base):
        return None
    old = contrasting_old_bg(rng, base)
    before = base.render(bg=old)
    prod = base.info["prod"]
    after = base.render(bg="white")
    r = max(5, int(0.028 * base.s * rng.uniform(0.9, 1.3)))
    ring = feather(dilate(prod, r), 1.2) * (1 - prod)
    after = blend(after, before, ring)
    return before, vae(after, rng), bg_instr(rng, base, "white")


@family("bg_old_backdrop_left_in_corner", "background", "review")
def _bg_corner(rng, base):
    if not syn(base):
        return None
    old = contrasting_old_bg(rng, base)
    before = base.render(bg=old)
    keep = dilate(
        base.info["prod"] + (base.info["prop"] if base.info["prop"] is not None else 0), int(0.04 * base.s)
    )
    key = new_bg(rng, base, ["white", "pastel_pink", "lightgrey", "pastel_mint"])
    after = base.render(bg=key)
    h, w = base.h, base.w
    m = np.zeros((h, w), np.float32)
    mode = rng.integers(3)
    if mode == 0:  # a corner
        cx, cy = pick(rng, [(0, 0), (w, 0), (0, h), (w, h)])
        cv2.ellipse(
            m,
            (cx, cy),
            (int(w * rng.uniform(0.22, 0.32)), int(h * rng.uniform(0.22, 0.32))),
            0,
            0,
            360,
            1,
            -1,
        )
    elif mode == 1:  # a vertical strip
        sw = int(w * rng.uniform(0.08, 0.14))
        if rng.random() < 0.5:
            m[:, :sw] = 1
        else:
            m[:, w - sw :] = 1
    else:  # a top band
        m[: int(h * rng.uniform(0.1, 0.16))] = 1
    m = feather(m * (1 - keep), 3)
    after = blend(after, before, m)
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("bg_old_backdrop_inside_handle", "background", "review")
def _bg_hole(rng, base):
    if not syn(base) or base.kind not in ("mug", "bag", "chair"):
        return None
    old = contrasting_old_bg(rng, base)
    before = base.render(bg=old)
    info = base.info
    if info["hole"] is not None:
        hole = info["hole"]
    else:  # chair: the gap between the legs
        s, cx, cy = info["s"], info["cx"], info["cy"]
        hole = np.zeros((base.h, base.w), np.float32)
        hole[int(cy + 0.07 * s) : int(cy + 0.48 * s), int(cx - 0.29 * s) : int(cx + 0.29 * s)] = 1
        hole *= 1 - dilate(info["prod"], 1)
    key = new_bg(rng, base, ["white", "pastel_pink", "lightgrey", "pastel_mint", "gradient"])
    after = base.render(bg=key)
    after = blend(after, before, feather(hole, 0.8))
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("bg_near_miss_colour", "background", "review")
def _bg_nearmiss(rng, base):
    if not syn(base):
        return None
    before = base.default()
    if rng.random() < 0.5:
        got = pick(rng, ["rgb_212_234_246", "rgb_214_214_214", "rgb_188_214_234", "rgb_224_232_214"])
        after = base.render(bg=got)
        ins = bg_instr(rng, base, "white")
    else:
        asked, got = pick(
            rng,
            [
                ("royal", "navy"),
                ("red", "burgundy"),
                ("green", "olive"),
                ("yellow", "orange"),
                ("sky", "teal"),
                ("pink", "purple"),
            ],
        )
        after = base.render(bg="solid_" + got)
        c_en, c_zh = cname(asked)
        ins = fmt(
            rng,
            [
                "把背景换成{c_zh}",
                "Change the background to {c_en}.",
                "背景改成纯{c_zh}纯色背景",
                "Please use a solid {c_en} backdrop.",
                "bg换成{c_en}",
                "请把背景替换为{c_zh}（{c_en}）",
            ],
            c_en=c_en,
            c_zh=c_zh,
        )
    return before, vae(after, rng), ins


@family("bg_product_shrunk", "background", "review")
def _bg_shrunk(rng, base):
    if not syn(base):
        return None
    before = base.default()
    key = new_bg(rng, base)
    after = base.render(bg=key, smul=rng.uniform(0.72, 0.8), dx=rng.uniform(-0.05, 0.05) * base.w)
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("bg_product_proportions_changed", "background", "review")
def _bg_stretch(rng, base):
    if not syn(base) or base.kind == "watch":
        return None
    before = base.default()
    key = new_bg(rng, base)
    sx = pick(rng, [rng.uniform(1.18, 1.26), rng.uniform(0.76, 0.83)])
    after = base.render(bg=key, sxmul=sx)
    return before, vae(after, rng), bg_instr(rng, base, key)


GARBLE = {
    "AQUA": ["AQIJA", "ACUA", "AQUAA"],
    "LUMA": ["LUNA", "LIIMA", "LUMAA"],
    "NORD": ["NOBD", "N0RD", "NORDE"],
    "植萃": ["植卒", "值萃", "植"],
    "KIRA": ["KLRA", "KIRRA", "KIPA"],
    "BLOOM": ["BL00M", "BLOOOM", "BLCOM"],
    "森活": ["森话", "淼活", "森"],
    "ORO": ["0R0", "ORQ", "OROO"],
    "VITA": ["VTTA", "VIA", "VITTA"],
    "暖阳": ["暖阴", "媛阳", "暖"],
    "SUN": ["SUM", "5UN", "SIN"],
}


@family("bg_product_logo_redrawn", "background", "review")
def _bg_logo(rng, base):
    if not syn(base) or not base.label_text:
        return None
    before = base.default()
    key = new_bg(rng, base)
    lab = pick(rng, GARBLE.get(base.label_text, ["XXX"]) + [""])
    after = base.render(bg=key, label=lab)
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("bg_shadow_doubled", "background", "review")
def _bg_shadow2(rng, base):
    if not syn(base) or base.kind in ("watch",):
        return None
    before = base.render(bg="white" if base.bg not in ("white", "nearwhite") else "lightgrey")
    key = pick(rng, ["white", "nearwhite", "pastel_blue", "pastel_pink", "lightgrey"])
    after = f32(base.render(bg=key))
    # second, hard, offset cast shadow as if lit from another side
    info = base.info
    prod = info["prod"]
    s = info["s"]
    ang = pick(rng, [-1, 1])
    M = np.float32([[1, ang * 0.9, -ang * 0.9 * info["bottom"]], [0, 0.35, info["bottom"] * 0.65]])
    cast = cv2.warpAffine(prod, M, (base.w, base.h))
    cast = feather(cast, 0.01 * s) * (1 - prod)
    after *= (1 - rng.uniform(0.35, 0.5) * cast)[..., None]
    return before, vae(after, rng), bg_instr(rng, base, key)


# ----------------------------------------------------------------------------- recolour

RC = [
    "把{p_zh}改成{c_zh}",
    "Change the {p_en} colour to {c_en}.",
    "请将{p_zh}的颜色换成{c_zh}，其他不变",
    "recolor the {p_en} to {c_en}",
    "{p_zh}换成{c_en}",
    "Could you make the {p_en} {c_en}? Keep everything else.",
    "颜色改为{c_zh}（{c_en}）",
    "{p_en} -> {c_en} please",
]


def rc_instr(rng, base, key, extra=None):
    c_en, c_zh = cname(key)
    p_en, p_zh = pnames(base)
    return fmt(rng, extra or RC, c_en=c_en, c_zh=c_zh, p_en=p_en, p_zh=p_zh)


def other_colour(rng, base, avoid=()):
    return pick(
        rng,
        [k for k in COLOURS if k != base.color and k not in avoid and k not in ("white", "grey", "beige")],
    )


@family("rc_shaded_recolour", "recolour", "publish")
def _rc_good(rng, base):
    if not syn(base):
        return None
    key = other_colour(rng, base)
    return base.default(), vae(base.render(color=key), rng), rc_instr(rng, base, key)


@family("rc_striped_pattern_kept", "recolour", "publish")
def _rc_stripes(rng, base):
    if not syn(base) or base.kind not in ("shirt", "bag", "box", "mug"):
        return None
    key = other_colour(rng, base, ("yellow",))
    before = base.render(stripes=True)
    after = base.render(stripes=True, color=key)
    ins = rc_instr(
        rng,
        base,
        key,
        [
            "把条纹{p_zh}的底色改成{c_zh}，白色条纹保留",
            "Recolour the striped {p_en} to {c_en}, keep the white stripes.",
            "条纹不变，主色换成{c_zh}",
            "Change the base colour of the stripes pattern to {c_en}",
            "请把{p_zh}改为{c_zh}条纹款",
            "{c_en} stripes version please",
        ],
    )
    return before, vae(after, rng), ins


@family("rc_glossy_finish_kept", "recolour", "publish")
def _rc_glossy(rng, base):
    if not syn(base) or not base.glossy:
        return None
    key = other_colour(rng, base)
    ins = rc_instr(
        rng,
        base,
        key,
        [
            "把{p_zh}换成{c_zh}，保留光泽",
            "Make the glossy {p_en} {c_en}, keep the highlights.",
            "{p_zh}颜色改{c_zh}",
            "recolour to {c_en}, same glossy finish",
            "请改为{c_zh}款，质感不变",
            "Could you show this {p_en} in {c_en}?",
        ],
    )
    return base.default(), vae(base.render(color=key), rng), ins


@family("rc_wrong_colour", "recolour", "review")
def _rc_wrong(rng, base):
    if not syn(base):
        return None
    asked, got = pick(rng, [p for p in WRONG if base.color not in p])
    return base.default(), vae(base.render(color=got), rng), rc_instr(rng, base, asked)


@family("rc_near_miss_colour", "recolour", "review")
def _rc_near(rng, base):
    if not syn(base):
        return None
    asked, got = pick(rng, [p for p in NEAR_MISS if base.color not in p])
    return base.default(), vae(base.render(color=got), rng), rc_instr(rng, base, asked)


@family("rc_wrong_object_recoloured", "recolour", "review")
def _rc_wrongobj(rng, base):
    if not syn(base) or not base.prop or base.prop == "plant":
        return None
    before = base.default()
    if base.info.get("prop") is None:
        return None
    key = other_colour(rng, base)
    after = base.render(prop_col=COLOURS[key][0])
    return before, vae(after, rng), rc_instr(rng, base, key)


@family("rc_colour_spills_onto_backdrop", "recolour", "review")
def _rc_spill(rng, base):
    if not syn(base):
        return None
    key = other_colour(rng, base)
    before = base.default()
    after = base.render(color=key)
    body = base.info["body"]
    r = int(0.06 * base.s)
    halo = feather(dilate(body, r), r * 0.4) * (1 - base.info["prod"])
    tint = f32(after) * 0.6 + np.array(COLOURS[key][0], np.float32) * 0.55
    after = blend(after, tint, halo * rng.uniform(0.75, 0.95))
    return before, vae(after, rng), rc_instr(rng, base, key)


@family("rc_only_part_recoloured", "recolour", "review")
def _rc_partial(rng, base):
    if not syn(base):
        return None
    key = other_colour(rng, base)
    before = base.default()
    body = base.info["body"]
    after = base.render(color=key)
    ys = np.nonzero(body.max(axis=1) > 0.5)[0]
    y0, y1 = ys.min(), ys.max()
    cut = int(y0 + rng.uniform(0.4, 0.6) * (y1 - y0))
    m = np.zeros_like(body)
    if rng.random() < 0.5:
        m[:cut] = 1
    else:
        m[cut:] = 1
    m = feather(m, 0.02 * base.s)
    return before, vae(blend(before, after, m), rng), rc_instr(rng, base, key)


@family("rc_stripes_destroyed", "recolour", "review")
def _rc_stripes_lost(rng, base):
    if not syn(base) or base.kind not in ("shirt", "bag", "box", "mug"):
        return None
    key = other_colour(rng, base, ("yellow",))
    before = base.render(stripes=True)
    after = base.render(stripes=False, color=key)
    ins = rc_instr(
        rng,
        base,
        key,
        [
            "把条纹{p_zh}的底色改成{c_zh}，白色条纹保留",
            "Recolour the striped {p_en} to {c_en}, keep the stripes.",
            "条纹不变，主色换成{c_zh}",
            "change the stripe base colour to {c_en}",
            "请把{p_zh}改为{c_zh}条纹款",
        ],
    )
    return before, vae(after, rng), ins


@family("rc_material_sheen_lost", "recolour", "review")
def _rc_sheen(rng, base):
    if not syn(base) or not base.glossy or base.kind == "watch":
        return None
    key = other_colour(rng, base)
    before = base.default()
    after = f32(base.render(color=key, gloss_mul=0.0))
    body = base.info["body"]
    # chalky, matte look: flatten the cylinder shading too and add a fine grain
    mean = cv2.blur(after, (max(3, int(0.25 * base.s)) | 1,) * 2)
    grain = rng.standard_normal(after.shape[:2], dtype=np.float32)[..., None] * 6
    after = blend(after, mean * 0.5 + after * 0.5 + grain, body * 0.9)
    ins = rc_instr(
        rng,
        base,
        key,
        [
            "把{p_zh}换成{c_zh}，保留原来的亮面光泽",
            "Recolour the glossy {p_en} to {c_en}; it must stay glossy.",
            "{p_zh}改{c_zh}，材质不变",
            "Change colour to {c_en}, same shiny finish",
            "请改成{c_zh}，高光和质感保持",
        ],
    )
    return before, vae(after, rng), ins


# ----------------------------------------------------------------------------- text

PHRASES = [  # (english, chinese)
    ("SUMMER SALE", "夏季特惠"),
    ("NEW ARRIVAL", "新品上市"),
    ("FREE SHIPPING", "全场包邮"),
    ("BEST SELLER", "热销爆款"),
    ("LIMITED OFFER", "限时优惠"),
    ("HOT DEAL", "今日特价"),
    ("GIFT IDEAS", "送礼推荐"),
    ("ECO FRIENDLY", "环保材质"),
]
LOOKALIKE = {
    "S": "5",
    "O": "Q",
    "E": "F",
    "L": "I",
    "A": "R",
    "I": "l",
    "N": "M",
    "R": "P",
    "T": "Y",
    "C": "G",
    "D": "B",
    "H": "N",
    "G": "C",
    "F": "E",
    "P": "R",
    "M": "N",
    "Y": "V",
    "W": "V",
    "V": "Y",
    "U": "V",
    "夏": "复",
    "季": "李",
    "特": "持",
    "惠": "恵",
    "新": "亲",
    "品": "晶",
    "上": "止",
    "市": "币",
    "全": "金",
    "场": "扬",
    "包": "句",
    "邮": "鄄",
    "热": "执",
    "销": "消",
    "爆": "暴",
    "款": "欸",
    "限": "很",
    "时": "吋",
    "优": "忧",
    "今": "令",
    "日": "曰",
    "价": "份",
    "送": "迭",
    "礼": "札",
    "推": "准",
    "荐": "存",
    "环": "坏",
    "保": "堡",
    "材": "村",
    "质": "盾",
}


def one_char_off(rng, t):
    idx = [i for i, c in enumerate(t) if c in LOOKALIKE]
    i = pick(rng, idx)
    return t[:i] + LOOKALIKE[t[i]] + t[i + 1 :]


def slot_for(base, text, rng, where="top"):
    h, w = base.h, base.w
    size = 0.085 * min(h, w)
    tw, _ = text_width(text, size)
    if tw > 0.8 * w:
        size *= 0.8 * w / tw
    y = 0.085 * h if where == "top" else 0.94 * h
    img = base.default()
    if syn(base):
        band = base.info["prod"][max(0, int(y - 0.7 * size)) : int(y + 0.7 * size)]
        if band.mean() > 0.002:
            return None
    roi = img[max(0, int(y - size)) : int(y + size)]
    dark = roi.mean() > 140
    col = pick(rng, [(30, 30, 30), (40, 40, 170), (110, 50, 20)]) if dark else (250, 250, 250)
    return {"xy": (w / 2, y), "size": size, "col": col}


def draw_slot(img, text, slot, alpha=1.0, size_mul=1.0, dxy=(0, 0)):
    xy = (slot["xy"][0] + dxy[0], slot["xy"][1] + dxy[1])
    out, _ = put_text(img, text, xy, slot["size"] * size_mul, slot["col"], alpha, "mm")
    return out


def clean_after(base, rng):
    """The untouched scene as the editor returns it (re-encoded)."""
    return vae(base.default(), rng)


def phrase_pair(rng):
    a, b = rng.choice(len(PHRASES), 2, replace=False)
    lang = int(rng.integers(2))
    return PHRASES[a][lang], PHRASES[b][lang]


_QSTYLE = ["'{}'", '"{}"', "“{}”", "「{}」"]


def q(rng, t):
    return _QSTYLE[int(rng.integers(4))].format(t)


def qq(rng, *ts):
    st = pick(rng, _QSTYLE)
    return [st.format(t) for t in ts]


TX_REPL = [
    "把文字{o}改成{n}",
    "Replace the text {o} with {n}.",
    "请将图上的{o}替换为{n}，字体和位置不变",
    "change {o} -> {n}",
    "文案改一下：{n}",
    "Could you change the headline to {n}?",
    "把标题换成{n}",
    "text: {o} 改为 {n}",
]


@family("tx_replaced_same_style", "text", "publish")
def _tx_good(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    after = draw_slot(base.default(), new, slot)
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


@family("tx_translated", "text", "publish")
def _tx_translate(rng, base):
    en, zh = pick(rng, PHRASES)
    to_zh = rng.random() < 0.6
    old, new = (en, zh) if to_zh else (zh, en)
    slot = slot_for(base, en, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    after = draw_slot(base.default(), new, slot)
    ins = (
        fmt(
            rng,
            [
                "把英文标题翻译成中文：{n}",
                "Translate the headline into Chinese ({n}).",
                "英文改中文，写成{n}",
                "请把{o}换成中文{n}",
                "translate {o} to Chinese: {n}",
            ],
            **dict(zip("on", qq(rng, old, new))),
        )
        if to_zh
        else fmt(
            rng,
            [
                "把中文标题翻译成英文 {n}",
                "Translate {o} into English: {n}",
                "文字改成英文{n}",
                "Please replace the Chinese text with the English {n}.",
                "中译英：{n}",
            ],
            **dict(zip("on", qq(rng, old, new))),
        )
    )
    return before, vae(after, rng), ins


@family("tx_headline_added", "text", "publish")
def _tx_add(rng, base):
    new = pick(rng, PHRASES)[int(rng.integers(2))]
    slot = slot_for(base, new, rng)
    if slot is None:
        return None
    after = draw_slot(base.default(), new, slot)
    ins = fmt(
        rng,
        [
            "在顶部加上文字{n}",
            "Add the headline {n} at the top.",
            "请在图片上方添加标语{n}",
            "add text {n} top centre",
            "顶部加一行字：{n}",
            "Could you put {n} above the product?",
        ],
        n=q(rng, new),
    )
    return base.default(), vae(after, rng), ins


@family("tx_one_character_wrong", "text", "review")
def _tx_onechar(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    after = draw_slot(base.default(), one_char_off(rng, new), slot)
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


@family("tx_old_text_still_visible", "text", "review")
def _tx_ghost(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    after = draw_slot(base.default(), old, slot, alpha=rng.uniform(0.35, 0.5), dxy=(0, -0.25 * slot["size"]))
    after = draw_slot(after, new, slot, dxy=(0, 0.35 * slot["size"]))
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


@family("tx_wrong_size_and_place", "text", "review")
def _tx_sizepos(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    if rng.random() < 0.5:  # much bigger, slid down over the product
        after = draw_slot(base.default(), new, slot, size_mul=rng.uniform(1.5, 1.8), dxy=(0, 0.28 * base.h))
    else:  # small, shoved into a corner
        dx = pick(rng, [-1, 1]) * 0.3 * base.w
        after = draw_slot(base.default(), new, slot, size_mul=0.45, dxy=(dx, 0.75 * base.h))
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


@family("tx_garbled_letters", "text", "review")
def _tx_garbled(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    g = new
    for _ in range(max(2, len(new) // 3)):
        g = one_char_off(rng, g) if any(c in LOOKALIKE for c in g) else g
    after = draw_slot(base.default(), g, slot)
    # melted strokes: local elastic warp inside the text band
    y, s = int(slot["xy"][1]), slot["size"]
    y0, y1 = max(0, int(y - s)), min(base.h, int(y + s))
    band = after[y0:y1].astype(np.float32)
    hh, ww = band.shape[:2]
    dx = cv2.resize(rng.normal(0, s * 0.09, (4, max(4, ww // int(s * 0.4 + 1)))).astype(np.float32), (ww, hh))
    dy = cv2.resize(rng.normal(0, s * 0.09, (4, max(4, ww // int(s * 0.4 + 1)))).astype(np.float32), (ww, hh))
    mx, my = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(hh, dtype=np.float32))
    after[y0:y1] = cv2.remap(band, mx + dx, my + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT).astype(
        np.uint8
    )
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


@family("tx_wrong_language", "text", "review")
def _tx_lang(rng, base):
    i = int(rng.integers(len(PHRASES)))
    en, zh = PHRASES[i]
    jp = [
        "サマーセール",
        "新着アイテム",
        "送料無料",
        "ベストセラー",
        "期間限定",
        "本日特価",
        "ギフト",
        "エコ素材",
    ][i]
    slot = slot_for(base, en, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), en, slot)
    after = draw_slot(base.default(), jp if rng.random() < 0.6 else en.lower().replace(" ", "-"), slot)
    ins = fmt(
        rng,
        [
            "把英文标题改成中文{n}",
            "Translate the headline into Chinese: {n}",
            "文字翻译成中文（{n}）",
            "请将{o}替换为简体中文{n}",
            "change the text to Chinese {n}",
        ],
        **dict(zip("on", qq(rng, en, zh))),
    )
    return before, vae(after, rng), ins


@family("tx_other_text_also_changed", "text", "review")
def _tx_other(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    price = pick(rng, ["¥199", "¥89.9", "$49", "¥1299", "仅售¥59"])
    pslot = dict(slot, xy=(base.w * 0.82, base.h * 0.94), size=slot["size"] * 0.7)
    if base.w < 700:
        pslot["xy"] = (base.w * 0.78, base.h * 0.94)
    before = draw_slot(draw_slot(base.default(), old, slot), price, pslot)
    changed = pick(
        rng,
        {
            "¥199": ["¥99", "¥189"],
            "¥89.9": ["¥8.99", "¥98"],
            "$49": ["$4.9", "$94"],
            "¥1299": ["¥129", "¥1999"],
            "仅售¥59": ["仅售¥5", "¥59"],
        }[price]
        + [""],
    )
    after = draw_slot(base.default(), new, slot)
    if changed:
        after = draw_slot(after, changed, pslot)
    ins = fmt(
        rng,
        [
            "只改标题：{o}改为{n}，价格不动",
            "Change only the headline {o} to {n}; leave the price as it is.",
            "把{o}换成{n}",
            "replace headline with {n}",
            "请将标题文字替换为{n}，其余文字保持",
        ],
        **dict(zip("on", qq(rng, old, new))),
    )
    return before, vae(after, rng), ins


@family("bg_text_invented", "background", "review")
def _bg_invented(rng, base):
    if not syn(base):
        return None
    key = new_bg(rng, base)
    after = base.render(bg=key)
    inv = pick(rng, ["SALE", "新品", "www.shop.com", "HOT", "限量", "Best Quality", "正品保障"])
    size = rng.uniform(0.06, 0.09) * min(base.h, base.w)
    x = pick(rng, [0.05, 0.6]) * base.w
    col = (40, 40, 200) if rng.random() < 0.5 else (30, 30, 30)
    after, _ = put_text(after, inv, (x, 0.05 * base.h), size, col)
    return base.default(), vae(after, rng), bg_instr(rng, base, key)


# ----------------------------------------------------------------------------- remove / add / replace


def watermark(base, rng, img):
    h, w = base.h, base.w
    word = pick(rng, ["SAMPLE", "样图", "© STUDIO", "版权所有", "DEMO"])
    size = 0.06 * min(h, w)
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    f = _font(size)
    step_x, step_y = int(text_width(word, size)[0] + 1.2 * size), int(2.6 * size)
    for j, yy in enumerate(range(-h // 2, h + h // 2, step_y)):
        for xx in range(-w // 2 + (j % 2) * step_x // 2, w + w // 2, step_x):
            d.text((xx, yy), word, font=f, fill=255)
    m = np.asarray(im, np.float32) / 255.0
    M = cv2.getRotationMatrix2D((w / 2, h / 2), 28, 1.0)
    m = cv2.warpAffine(m, M, (w, h))
    a = rng.uniform(0.22, 0.32)
    col = (255, 255, 255) if img.mean() < 200 else (120, 120, 120)
    return u8(blend(img, np.array(col, np.float32)[None, None], m * a)), m


def prop_names(base, kind=None):
    return PROP_NAMES[kind or base.prop]


RM_PROP = [
    "去掉旁边的{x_zh}",
    "Remove the {x_en} next to the {p_en}.",
    "请把画面里的{x_zh}删除，只留{p_zh}",
    "remove the {x_en}",
    "把{x_zh}P掉",
    "Could you erase the {x_en}? Keep the backdrop natural.",
    "删掉{x_en}",
]


def rm_instr(rng, base, kind=None):
    x_en, x_zh = prop_names(base, kind)
    return fmt(rng, RM_PROP, x_en=x_en, x_zh=x_zh, p_en=pnames(base)[0], p_zh=pnames(base)[1])


def with_prop(base):
    if not syn(base) or not base.prop:
        return None
    before = base.default()
    if base.info.get("prop") is None:
        return None
    return before, base.info["prop"]


RM_WM = [
    "去掉水印",
    "Remove the watermark.",
    "请把图上的半透明水印去除干净",
    "remove watermark pls",
    "水印删掉，别的不动",
    "Could you clean off the semi-transparent watermark?",
    "把“样图”水印去掉",
]


@family("rm_prop_clean", "remove", "publish")
def _rm_prop(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    return wp[0], vae(base.render(prop=None), rng), rm_instr(rng, base)


@family("rm_watermark_clean", "remove", "publish")
def _rm_wm(rng, base):
    clean = base.default()
    before, _ = watermark(base, rng, clean)
    return before, vae(clean, rng), pick(rng, RM_WM)


@family("rm_caption_clean", "remove", "publish")
def _rm_caption(rng, base):
    t = pick(rng, PHRASES)[int(rng.integers(2))]
    slot = slot_for(base, t, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), t, slot)
    ins = fmt(
        rng,
        [
            "去掉顶部的文字{t}",
            "Remove the text {t}.",
            "请删除图上的{t}字样",
            "delete the caption {t}",
            "把{t}这行字去掉",
            "Could you take the {t} headline off?",
        ],
        t=q(rng, t),
    )
    return before, vae(base.default(), rng), ins


@family("rm_only_faded", "remove", "review")
def _rm_faded(rng, base):
    if rng.random() < 0.5 and with_prop(base) is not None:
        before, pm = with_prop(base)
        clean = base.render(prop=None)
        after = blend(clean, before, feather(pm, 1.5) * rng.uniform(0.35, 0.5))
        return before, vae(after, rng), rm_instr(rng, base)
    clean = base.default()
    before, m = watermark(base, rng, clean)
    after = blend(clean, before, np.ones(m.shape, np.float32) * rng.uniform(0.45, 0.6))
    return before, vae(after, rng), pick(rng, RM_WM)


@family("rm_wrong_texture_patch", "remove", "review")
def _rm_patch(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    before, pm = wp
    clean = f32(base.render(prop=None))
    r = int(0.04 * base.s)
    patch = feather(dilate(pm, r), r * 0.3)
    x, y, w, h = cv2.boundingRect((patch > 0.05).astype(np.uint8))
    if base.bg in TEXTURED or base.bg == "gradient":
        fill = (
            cv2.blur(clean[y : y + h, x : x + w], (max(3, w // 2) | 1, max(3, h // 2) | 1)).mean(axis=(0, 1))
            + 0 * clean
        )
    else:
        fill = (
            clean
            + (-1 if clean.mean() > 190 else pick(rng, [-1, 1])) * rng.uniform(20, 28)
            + rng.standard_normal(clean.shape[:2], dtype=np.float32)[..., None] * 5
        )
        fill = cv2.GaussianBlur(fill, (0, 0), 1.5)
        fill[..., 0] -= 8
    after = blend(clean, fill, patch)
    return before, vae(after, rng), rm_instr(rng, base)


@family("rm_replaced_by_other_object", "remove", "review")
def _rm_replaced(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    other = pick(rng, [k for k in PROP_NAMES if k != base.prop])
    after = base.render(prop=other, prop_col=(80, 90, 200) if other != "sphere" else (200, 120, 60))
    return wp[0], vae(after, rng), rm_instr(rng, base)


@family("rm_product_damaged", "remove", "review")
def _rm_damaged(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    before, pm = wp
    clean = base.render(prop=None)
    info = base.info
    side = 1 if base.prop_place()[0] > info["cx"] else -1
    bite = np.zeros((base.h, base.w), np.float32)
    cv2.ellipse(
        bite,
        (int(info["cx"] + side * info["hw"]), int(info["cy"] + rng.uniform(-0.1, 0.2) * info["s"])),
        (int(0.5 * info["hw"]), int(0.22 * info["s"])),
        0,
        0,
        360,
        1,
        -1,
    )
    bite = feather(bite * info["prod"], 2)
    after = blend(clean, base.bg_img(base.bg), bite)
    return before, vae(after, rng), rm_instr(rng, base)


@family("rm_not_done", "remove", "review")
def _rm_notdone(rng, base):
    if rng.random() < 0.5 and with_prop(base) is not None:
        before, _ = with_prop(base)
        return before, vae(before, rng), rm_instr(rng, base)
    before, _ = watermark(base, rng, base.default())
    return before, vae(before, rng), pick(rng, RM_WM)


ADD = [
    "在{p_zh}旁边加一个{x_zh}",
    "Add a {x_en} next to the {p_en}.",
    "请在右侧/左侧空白处放一个{x_zh}做点缀",
    "add a small {x_en} beside it",
    "加个{x_en}当道具",
    "Could you place a {x_en} beside the {p_en} for styling?",
]


def add_instr(rng, base, kind):
    x_en, x_zh = PROP_NAMES[kind]
    return fmt(rng, ADD, x_en=x_en, x_zh=x_zh, p_en=pnames(base)[0], p_zh=pnames(base)[1])


@family("add_prop_beside", "add", "publish")
def _add_good(rng, base):
    if not syn(base) or base.prop_place() is None:
        return None
    kind = pick(rng, list(PROP_NAMES))
    before = base.render(prop=None)
    return before, vae(base.render(prop=kind), rng), add_instr(rng, base, kind)


@family("add_prop_covers_product", "add", "review")
def _add_cover(rng, base):
    if not syn(base):
        return None
    kind = pick(rng, list(PROP_NAMES))
    before = base.render(prop=None)
    after = f32(before.copy())
    info = base.info
    r = 0.16 * info["s"]
    draw_prop(
        after,
        kind,
        info["cx"] + rng.uniform(-0.3, 0.3) * info["hw"],
        info["bottom"] - rng.uniform(0.0, 0.15) * info["s"],
        r,
        (60, 200, 230) if kind != "plant" else (0, 0, 0),
    )
    return before, vae(after, rng), add_instr(rng, base, kind)


@family("add_duplicate_product", "add", "review")
def _add_dup(rng, base):
    if not syn(base) or base.prop_place() is None:
        return None
    kind = pick(rng, list(PROP_NAMES))
    before = base.render(prop=None)
    info = base.info
    pl = base.prop_place()
    sc = 0.55
    M = np.float32([[sc, 0, pl[0] - sc * info["cx"]], [0, sc, pl[1] - sc * info["bottom"]]])
    prod = cv2.warpAffine(info["prod"], M, (base.w, base.h))
    copy = cv2.warpAffine(before, M, (base.w, base.h))
    after = blend(before, copy, prod * (1 - dilate(info["prod"], 2)))
    return before, vae(after, rng), add_instr(rng, base, kind)


RP = [
    "把{a_zh}换成{b_zh}",
    "Replace the {a_en} with a {b_en}.",
    "请将旁边的{a_zh}替换成{b_zh}，位置不变",
    "swap the {a_en} for a {b_en}",
    "{a_zh}改成{b_en}",
    "Could you change the {a_en} into a {b_en}?",
]


def rp_instr(rng, a, b):
    return fmt(
        rng, RP, a_en=PROP_NAMES[a][0], a_zh=PROP_NAMES[a][1], b_en=PROP_NAMES[b][0], b_zh=PROP_NAMES[b][1]
    )


@family("rp_prop_swapped", "replace", "publish")
def _rp_good(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    b = pick(rng, [k for k in PROP_NAMES if k != base.prop])
    return wp[0], vae(base.render(prop=b, prop_col=(70, 90, 200)), rng), rp_instr(rng, base.prop, b)


@family("rp_old_object_still_there", "replace", "review")
def _rp_both(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    b = pick(rng, [k for k in PROP_NAMES if k != base.prop])
    after = f32(wp[0])
    px, py, r = base.info["prop_place"]
    side = 1 if px > base.info["cx"] else -1
    draw_prop(
        after,
        b,
        px + side * 0.9 * r + (2.2 * r if px + 3.2 * r < base.w else -5 * r) * 0.5,
        py + 0.15 * r,
        0.9 * r,
        (70, 90, 200),
    )
    return wp[0], vae(after, rng), rp_instr(rng, base.prop, b)


@family("rp_product_altered_too", "replace", "review")
def _rp_prod(rng, base):
    wp = with_prop(base)
    if wp is None:
        return None
    b = pick(rng, [k for k in PROP_NAMES if k != base.prop])
    after = base.render(
        prop=b,
        prop_col=(70, 90, 200),
        color=other_colour(rng, base),
        label=pick(rng, ["", None]) if base.label_text else None,
    )
    return wp[0], vae(after, rng), rp_instr(rng, base.prop, b)


# ----------------------------------------------------------------------------- style / blur


def grade(img, kind, amt=1.0):
    x = f32(img)
    if kind == "warm":
        x = (
            x * np.array([1 - 0.12 * amt, 1.0, 1 + 0.1 * amt], np.float32)
            + np.array([0, 4, 10], np.float32) * amt
        )
    elif kind == "cool":
        x = (
            x * np.array([1 + 0.12 * amt, 1.0, 1 - 0.12 * amt], np.float32)
            + np.array([10, 3, 0], np.float32) * amt
        )
    elif kind == "bw":
        g = cv2.cvtColor(u8(x), cv2.COLOR_BGR2GRAY).astype(np.float32)[..., None]
        x = x * (1 - amt) + g * amt
    elif kind == "film":  # faded matte film look
        x = 18 + x * 0.86
        x = x * np.array([0.95, 1.0, 1.05], np.float32)
    return x


STYLE_INS = {
    "warm": [
        "整体调成暖色调",
        "Give the photo a warm colour grade.",
        "请做一个温暖的暖调滤镜",
        "warm tone please",
        "色调偏暖一点，温馨感",
    ],
    "cool": [
        "调成冷色调",
        "Apply a cool, bluish grade.",
        "请整体做冷调处理",
        "cool tone filter",
        "色调改冷一些",
    ],
    "bw": ["转成黑白照片", "Make it black and white.", "请改为黑白风格", "B&W please", "去色，变成黑白"],
    "film": [
        "加一个复古胶片滤镜",
        "Apply a faded vintage film look.",
        "请做成胶片质感",
        "retro film style",
        "复古风格滤镜",
    ],
}


@family("st_colour_grade", "style", "publish")
def _st_good(rng, base):
    k = pick(rng, list(STYLE_INS))
    before = base.default()
    return before, vae(grade(before, k), rng), pick(rng, STYLE_INS[k])


@family("st_wrong_grade", "style", "review")
def _st_wrong(rng, base):
    k, got = pick(
        rng, [("warm", "cool"), ("cool", "warm"), ("bw", "half_bw"), ("bw", "sepia"), ("warm", "green")]
    )
    before = base.default()
    if got == "half_bw":
        after = grade(before, "bw", 0.45)
    elif got == "sepia":
        after = grade(grade(before, "bw"), "warm", 1.8)
    elif got == "green":
        after = f32(before) * np.array([0.92, 1.12, 0.9], np.float32)
    else:
        after = grade(before, got, 1.3)
    return before, vae(after, rng), pick(rng, STYLE_INS[k])


@family("st_tilewise_tone_offsets", "style", "review")
def _st_tiles(rng, base):
    k = pick(rng, ["warm", "cool", "film"])
    before = base.default()
    after = grade(before, k)
    h, w = base.h, base.w
    n = int(rng.integers(2, 4))
    ty, tx = math.ceil(h / n), math.ceil(w / n)
    off = rng.uniform(-14, 14, (n, n, 3)).astype(np.float32)
    off[0, 0] = 0
    for i in range(n):
        for j in range(n):
            after[i * ty : (i + 1) * ty, j * tx : (j + 1) * tx] += off[i, j] * (
                1 if abs(off[i, j]).max() > 7 else 1.8
            )
    return before, vae(after, rng), pick(rng, STYLE_INS[k])


BLUR = [
    "背景虚化，产品保持清晰",
    "Blur the background, keep the {p_en} sharp.",
    "请给背景加景深虚化效果",
    "bokeh background please",
    "把背景模糊一点，突出{p_zh}",
    "Could you add a shallow depth-of-field blur behind the {p_en}?",
]


def blur_before(base):
    if base.bg in TEXTURED or base.bg == "gradient":
        return base.default()
    return base.render(
        bg=pick(
            np.random.default_rng(sum(map(ord, base.name))),
            ["wood", "marble", "outdoor", "fabric", "concrete"],
        )
    )


def bg_blurred(base, img, amt=1.0):
    sig = 0.012 * max(base.h, base.w) * amt
    small = cv2.resize(img, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    bl = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), sig / 4), (base.w, base.h), interpolation=cv2.INTER_LINEAR
    )
    return bl


@family("bl_background_bokeh", "blur", "publish")
def _bl_good(rng, base):
    if not syn(base):
        return None
    before = blur_before(base)
    m = base.info["prod"]
    bl = bg_blurred(base, before)
    after = blend(bl, before, feather(m, 1.0))
    return before, vae(after, rng), fmt(rng, BLUR, p_en=pnames(base)[0], p_zh=pnames(base)[1])


@family("bl_product_blurred_too", "blur", "review")
def _bl_all(rng, base):
    if not syn(base):
        return None
    before = blur_before(base)
    m = base.info["prod"]
    bl = bg_blurred(base, before)
    soft = cv2.GaussianBlur(before, (0, 0), max(3.0, 0.006 * max(base.h, base.w)))
    after = blend(bl, soft, feather(m, 2.0))
    return before, vae(after, rng), fmt(rng, BLUR, p_en=pnames(base)[0], p_zh=pnames(base)[1])


@family("bl_halo_around_product", "blur", "review")
def _bl_halo(rng, base):
    if not syn(base):
        return None
    before = blur_before(base)
    m = base.info["prod"]
    bl = f32(bg_blurred(base, before))
    r = max(6, int(0.045 * base.s))
    ring = feather(dilate(m, r), r * 0.5) * (1 - m)
    glow = bl * 0.35 + 255 * 0.65 if rng.random() < 0.7 else bl * 0.45
    bl = blend(bl, glow, ring)
    after = blend(bl, before, feather(m, 1.0))
    return before, vae(after, rng), fmt(rng, BLUR, p_en=pnames(base)[0], p_zh=pnames(base)[1])


# ----------------------------------------------------------------------------- person edit

CLOTH = [
    "把宇航服改成{c_zh}",
    "Change the suit colour to {c_en}, keep her face unchanged.",
    "请将衣服颜色换成{c_zh}",
    "make the outfit {c_en}",
    "衣服换成{c_en}，人脸不要动",
    "Could you recolour her clothes to {c_en}?",
]


def suit_recolour(base, rng, key):
    img = base.default()
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(np.float32)
    tgt = cv2.cvtColor(np.uint8([[COLOURS[key][0]]]), cv2.COLOR_BGR2LAB).astype(np.float32)[0, 0]
    new = lab.copy()
    new[..., 1:] = tgt[1:]
    new[..., 0] = np.clip((lab[..., 0] - lab[..., 0][base.cloth > 0].mean()) * 0.9 + tgt[0], 0, 255)
    rec = cv2.cvtColor(u8(new), cv2.COLOR_LAB2BGR)
    return u8(blend(img, rec, feather(base.cloth, 1.5)))


def person_ok(base):
    return base.is_photo and base.face is not None


@family("ed_outfit_recoloured", "edit", "publish")
def _ed_good(rng, base):
    if not person_ok(base):
        return None
    key = pick(rng, ["royal", "green", "purple", "black", "red", "teal"])
    c_en, c_zh = cname(key)
    return base.default(), vae(suit_recolour(base, rng, key), rng), fmt(rng, CLOTH, c_en=c_en, c_zh=c_zh)


@family("ed_face_waxy_smoothed", "edit", "review")
def _ed_waxy(rng, base):
    if not person_ok(base):
        return None
    key = pick(rng, ["royal", "green", "purple", "black", "teal"])
    after = suit_recolour(base, rng, key)
    x0, y0, x1, y1 = base.face
    fm = np.zeros((base.h, base.w), np.float32)
    cv2.ellipse(fm, ((x0 + x1) // 2, (y0 + y1) // 2), ((x1 - x0) // 2, (y1 - y0) // 2), 0, 0, 360, 1, -1)
    sm = after
    for _ in range(3):
        sm = cv2.bilateralFilter(sm, 15, 60, 15)
    sm = cv2.GaussianBlur(sm, (0, 0), 2.5)
    sm = f32(sm) * 1.06 + 8
    after = blend(after, sm, feather(fm, 4))
    c_en, c_zh = cname(key)
    return base.default(), vae(after, rng), fmt(rng, CLOTH, c_en=c_en, c_zh=c_zh)


@family("ed_face_identity_drift", "edit", "review")
def _ed_face(rng, base):
    if not person_ok(base):
        return None
    key = pick(rng, ["royal", "green", "purple", "black", "teal"])
    after = suit_recolour(base, rng, key)
    x0, y0, x1, y1 = base.face
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = (x1 - x0) / 2, (y1 - y0) / 2
    mx, my = np.meshgrid(np.arange(base.w, dtype=np.float32), np.arange(base.h, dtype=np.float32))
    u, v = (mx - cx) / rx, (my - cy) / ry
    wgt = np.clip(1 - (u * u + v * v), 0, 1) ** 1.5
    k = rng.uniform(0.18, 0.26)
    # widen the face, move the eye line and shorten the chin
    sx = mx - (mx - cx) * k * wgt
    sy = my + ry * 0.14 * wgt * np.sign(v) * pick(rng, [1, -1])
    after = cv2.remap(after, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    c_en, c_zh = cname(key)
    return base.default(), vae(after, rng), fmt(rng, CLOTH, c_en=c_en, c_zh=c_zh)


# ----------------------------------------------------------------------------- more hard-good cases


@family("bg_product_at_frame_edge", "background", "publish")
def _bg_edge(rng, base):
    if not syn(base):
        return None
    dy = base.h - (base.cy + 0.5 * base.s) + 0.04 * base.s  # push the product over the bottom edge
    before = base.render(dy=dy, shadow="none", prop=None)
    key = new_bg(rng, base, ["white", "lightgrey", "pastel_blue", "pastel_pink", "marble"])
    after = base.render(dy=dy, shadow="none", prop=None, bg=key)
    return before, vae(after, rng), bg_instr(rng, base, key)


@family("tx_price_badge_added", "text", "publish")
def _tx_badge(rng, base):
    before = base.default()
    h, w = base.h, base.w
    r = int(0.09 * min(h, w))
    cx, cy = int(w - 1.4 * r), int(1.4 * r)
    if syn(base) and base.info["prod"][cy - r : cy + r, cx - r : cx + r].mean() > 0.002:
        return None
    after = f32(before.copy())
    m = np.zeros((h, w), np.uint8)
    cv2.circle(m, (cx, cy), r, 255, -1, cv2.LINE_AA)
    col = pick(rng, [(40, 40, 210), (30, 120, 240), (60, 60, 60)])
    after = blend(after, np.array(col, np.float32)[None, None], m / 255.0)
    price = pick(rng, ["¥99", "¥199", "-30%", "5折", "$29"])
    sz = r * 0.8 * min(1.0, 3.0 / len(price))
    after, _ = put_text(u8(after), price, (cx, cy), sz, (255, 255, 255), 1.0, "mm")
    ins = fmt(
        rng,
        [
            "右上角加一个红色圆形价格标签，写{p}",
            "Add a round price badge {p} in the top-right corner.",
            "请在右上角放一个价签：{p}",
            "top right badge with {p}",
            "加个角标{p}",
            "Could you add a {p} sticker at the top right?",
        ],
        p=q(rng, price),
    )
    return before, vae(after, rng), ins


@family("tx_product_label_rewritten", "text", "publish")
def _tx_label(rng, base):
    if not syn(base) or not base.label_text:
        return None
    new = pick(rng, [t for t in LABEL_WORDS if t != base.label_text])
    after = base.render(label=new)
    o, n = qq(rng, base.label_text, new)
    ins = fmt(
        rng,
        [
            "把{p_zh}上的{o}改成{n}",
            "Change the print on the {p_en} from {o} to {n}.",
            "瓶身/包装文字{o}换成{n}",
            "replace label text {o} with {n}",
            "请把产品上的logo字样改为{n}",
            "logo text -> {n}",
        ],
        o=o,
        n=n,
        p_en=pnames(base)[0],
        p_zh=pnames(base)[1],
    )
    return base.default(), vae(after, rng), ins


# ----------------------------------------------------------------------------- whole-frame artifacts


@family("art_frame_shift_or_zoom", "background", "review")
def _art_shift(rng, base):
    key = new_bg(rng, base) if syn(base) else None
    before = base.default()
    after = base.render(bg=key) if key else before
    h, w = before.shape[:2]
    if rng.random() < 0.5:
        z = rng.uniform(1.04, 1.07)
        M = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1.5, 1.5), z)
    else:
        d = max(6, 0.012 * max(h, w)) * rng.uniform(1, 1.6)
        M = np.float32([[1, 0, pick(rng, [-1, 1]) * d], [0, 1, pick(rng, [-1, 1]) * d * 0.6]])
    after = cv2.warpAffine(after, M, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if key:
        ins = bg_instr(rng, base, key)
    else:
        ins = pick(
            rng,
            [
                "背景调亮一点",
                "Brighten the background slightly.",
                "请把背景提亮",
                "make the backdrop a bit lighter",
            ],
        )
        after = f32(after) + 10
    return before, vae(after, rng), ins


@family("art_lowres_upscaled", "recolour", "review")
def _art_lowres(rng, base):
    if not syn(base):
        return None
    key = other_colour(rng, base)
    after = base.render(color=key)
    f = rng.uniform(0.3, 0.42) if max(base.h, base.w) > 900 else rng.uniform(0.4, 0.5)
    small = cv2.resize(after, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    after = cv2.resize(small, (base.w, base.h), interpolation=cv2.INTER_LINEAR)
    return base.default(), vae(after, rng, 0.5), rc_instr(rng, base, key)


@family("art_heavy_jpeg_blocks", "remove", "review")
def _art_jpeg(rng, base):
    clean = base.default()
    before, _ = watermark(base, rng, clean)
    after = jpeg(vae(clean, rng), int(rng.integers(4, 9)))
    return before, after, pick(rng, RM_WM)


@family("art_aspect_changed", "background", "review")
def _art_aspect(rng, base):
    if not syn(base):
        return None
    key = new_bg(rng, base)
    after = base.render(bg=key)
    h, w = base.h, base.w
    if rng.random() < 0.5:
        after = cv2.resize(
            after, (int(w * rng.uniform(1.15, 1.3)) // 2 * 2, h), interpolation=cv2.INTER_LINEAR
        )
    else:
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        if h == w:
            after = cv2.resize(after, (w, int(h * 0.75) // 2 * 2), interpolation=cv2.INTER_AREA)
        else:
            after = after[y0 : y0 + side, x0 : x0 + side]
    return base.default(), vae(after, rng), bg_instr(rng, base, key)


@family("art_colour_cast", "text", "review")
def _art_cast(rng, base):
    old, new = phrase_pair(rng)
    slot = slot_for(base, old, rng)
    if slot is None:
        return None
    before = draw_slot(base.default(), old, slot)
    after = f32(draw_slot(base.default(), new, slot))
    cast = pick(rng, [(-14, 16, -10), (18, -8, -12), (-16, -4, 18), (14, 10, -18)])
    after = after + np.array(cast, np.float32) * rng.uniform(1.0, 1.3)
    return before, vae(after, rng), fmt(rng, TX_REPL, **dict(zip("on", qq(rng, old, new))))


# ----------------------------------------------------------------------------- driver


def make(out_dir, seed: int = 0, per_family: int = 10) -> list:
    out_dir = pathlib.Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    bases = build_bases()
    rows = []
    for fi, fam in enumerate(FAMILIES):
        n = 0
        nb = len(bases)
        start = (fi * 7) % nb
        for j in range(nb):
            if n >= per_family:
                break
            bi = (start + j) % nb
            base = bases[bi]
            rng = np.random.default_rng([seed, fi, bi])
            res = fam["fn"](rng, base)
            if res is None:
                continue
            before, after, ins = res
            pid = f"{fam['name']}_{n:02d}"
            bpath = out_dir / f"{pid}_before.png"
            cv2.imwrite(str(bpath), u8(before))
            a = u8(after)
            if a.shape[0] * a.shape[1] < 400_000 and rng.random() < 0.3:
                apath = out_dir / f"{pid}_after.png"
                cv2.imwrite(str(apath), a)
            else:
                apath = out_dir / f"{pid}_after.jpg"
                cv2.imwrite(str(apath), a, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(88, 96))])
            rows.append(
                {
                    "id": pid,
                    "before": str(bpath),
                    "after": str(apath),
                    "instruction": ins,
                    "expect": fam["expect"],
                    "family": fam["name"],
                    "action": fam["action"],
                    "base": base.name,
                    "author": AUTHOR,
                }
            )
            n += 1
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def _main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    a = ap.parse_args(argv)
    t = time.time()
    rows = make(pathlib.Path(a.out_dir), a.seed, a.per_family)
    cnt: dict = {}
    for r in rows:
        cnt[r["family"]] = cnt.get(r["family"], 0) + 1
    good = sum(1 for f in FAMILIES if f["expect"] == "publish")
    print(
        f"author {AUTHOR}: {len(rows)} pairs, {len(FAMILIES)} families ({good} good, {len(FAMILIES) - good} bad), "
        f"{time.time() - t:.1f}s; per family: " + ", ".join(f"{k}={v}" for k, v in cnt.items())
    )


if __name__ == "__main__":
    _main()
