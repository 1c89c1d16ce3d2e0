#!/usr/bin/env python3
"""Gate-corpus pair families by author "d": artifacts and drift a diffusion editor adds.

Area: an otherwise right edit (recolour, new background, added prop, removed sticker or
watermark, colour grade, background blur, added caption) that the editor then damages
(frame shift/zoom/rotation, colour cast, noise, blank frame, JPEG blocking, tile seams,
tile-wise tone offsets, low-resolution output upscaled, over-smoothing, over-sharpening
halos, banding, chroma bleeding, unasked size change, no-op, duplicated or mirrored content,
black borders), and good edits that look "rough" but are fine (strongest still-fine VAE
round trip, 1-2 level tone drift, smooth studio shots, heavily textured shots, 480 px and
2000 px frames, large and tiny changes, asked colour grades/blur, grainy or JPEG-ish sources).

    python benchmarks/gate_corpus/families_d.py OUT_DIR [--seed N] [--per-family N]

Standalone: numpy, cv2, Pillow, the standard library and (optionally) skimage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

AUTHOR = "d"

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
HAS_FONT = os.path.exists(FONT_PATH)
PHOTO_DIR = Path("/work/shared/eval/images")
F32 = np.float32


# =============================================================================================
# small helpers
# =============================================================================================


class Instr(str):
    """An instruction string that also carries the edit's action (make() reads it)."""

    action = "edit"


def _I(text, action):
    s = Instr(text)
    s.action = action
    return s


class _Jpeg(np.ndarray):
    """A decoded JPEG that remembers its exact bytes (make() writes them as .jpg)."""


def _jpeg(img, q):
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(q)])
    dec = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    out = dec.view(_Jpeg)
    out.jpeg = buf.tobytes()
    return out


def _u8(x):
    return np.clip(np.asarray(x, F32) + 0.5, 0, 255).astype(np.uint8)


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _U(rng, a, b):
    return float(rng.uniform(a, b))


def _field(rng, h, w, cells):
    """Smooth random field (std 1) whose pattern depends on cells and aspect, not on size."""
    lng = max(h, w)
    ch = max(2, int(round(cells * h / lng))) + 3
    cw = max(2, int(round(cells * w / lng))) + 3
    g = rng.standard_normal((ch, cw)).astype(F32)
    f = cv2.resize(g, (int(w), int(h)), interpolation=cv2.INTER_CUBIC)
    return (f - f.mean()) / (f.std() + 1e-6)


def _smoothstep(t):
    t = np.clip(t, 0, 1)
    return t * t * (3 - 2 * t)


def _lum(bgr):
    b, g, r = [float(v) for v in bgr]
    return 0.114 * b + 0.587 * g + 0.299 * r


def _lab(bgr):
    px = np.uint8([[list(bgr)]])
    return cv2.cvtColor(px, cv2.COLOR_BGR2LAB)[0, 0].astype(F32)


def _lab_dist(a, b):
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def _rrect(x0, y0, x1, y1, r):
    r = max(0.5, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    pts = []
    for cx, cy, a0 in (
        (x1 - r, y0 + r, -90),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    ):
        for k in range(7):
            a = math.radians(a0 + k * 15)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.array(pts)


@lru_cache(maxsize=64)
def _font(size):
    return ImageFont.truetype(FONT_PATH, size)


def _is_cjk(s):
    return any(ord(c) > 0x2E80 for c in s)


def _text_mask(text, hpx, maxw=None):
    """Anti-aliased text mask (float 0..1), font size ~hpx px, shrunk to fit maxw."""
    size = max(7, int(round(hpx)))
    if HAS_FONT:
        f = _font(size)
        l, t, r, b = f.getbbox(text)
        if maxw and (r - l) > maxw:
            size = max(7, int(size * maxw / (r - l)))
            f = _font(size)
            l, t, r, b = f.getbbox(text)
        im = Image.new("L", (r - l + 6, b - t + 6), 0)
        ImageDraw.Draw(im).text((3 - l, 3 - t), text, fill=255, font=f)
        return np.asarray(im, F32) / 255.0
    text = text.encode("ascii", "replace").decode()
    scale = size / 30.0
    th = max(1, int(round(scale * 2)))
    (tw, tht), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, th)
    if maxw and tw > maxw:
        scale *= maxw / tw
        (tw, tht), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, th)
    m = np.zeros((tht + base + 6, tw + 6), np.uint8)
    cv2.putText(m, text, (3, tht + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, th, cv2.LINE_AA)
    return m.astype(F32) / 255.0


def _paste_center(shape, m, cx, cy):
    """Full-size (shape) float mask with m centred at (cx, cy), clipped."""
    out = np.zeros(shape, F32)
    h, w = m.shape
    x0 = int(round(cx - w / 2))
    y0 = int(round(cy - h / 2))
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(shape[1], x0 + w), min(shape[0], y0 + h)
    if dx1 > dx0 and dy1 > dy0:
        out[dy0:dy1, dx0:dx1] = m[sy0 : sy0 + dy1 - dy0, sx0 : sx0 + dx1 - dx0]
    return out


def _blend_color(img_f, alpha, color):
    a = alpha[..., None]
    return img_f * (1 - a) + np.asarray(color, F32).reshape(1, 1, 3) * a


# =============================================================================================
# painter: anti-aliased shaded shapes in a region of interest
# =============================================================================================


class _P:
    def __init__(self, x0, y0, x1, y1, W, H, seed=0):
        self.ox = int(max(0, math.floor(x0)))
        self.oy = int(max(0, math.floor(y0)))
        ex = int(min(W, math.ceil(x1) + 1))
        ey = int(min(H, math.ceil(y1) + 1))
        self.w = max(2, ex - self.ox)
        self.h = max(2, ey - self.oy)
        if self.ox + self.w > W:
            self.ox = max(0, W - self.w)
        if self.oy + self.h > H:
            self.oy = max(0, H - self.h)
        self.X = (np.arange(self.w, dtype=F32) + self.ox)[None, :]
        self.Y = (np.arange(self.h, dtype=F32) + self.oy)[:, None]
        self.fg = np.zeros((self.h, self.w, 3), F32)
        self.a = np.zeros((self.h, self.w), F32)
        self.seed = int(seed)

    def _m(self):
        return np.zeros((self.h, self.w), np.uint8)

    def poly(self, pts):
        p = np.asarray(pts, np.float64) - (self.ox, self.oy)
        m = self._m()
        cv2.fillPoly(m, [np.round(p * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
        return m.astype(F32) / 255

    def ell(self, c, ax, ang=0.0, a0=0, a1=360):
        m = self._m()
        cv2.ellipse(
            m,
            (int(round((c[0] - self.ox) * 16)), int(round((c[1] - self.oy) * 16))),
            (max(1, int(round(ax[0] * 16))), max(1, int(round(ax[1] * 16)))),
            float(ang),
            a0,
            a1,
            255,
            -1,
            cv2.LINE_AA,
            4,
        )
        return m.astype(F32) / 255

    def rrect(self, x0, y0, x1, y1, r):
        return self.poly(_rrect(x0, y0, x1, y1, r))

    def line(self, p0, p1, width):
        (x0, y0), (x1, y1) = p0, p1
        d = math.hypot(x1 - x0, y1 - y0) + 1e-6
        nx, ny = -(y1 - y0) / d * width / 2, (x1 - x0) / d * width / 2
        return self.poly([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)])

    def cyl(self, xa, xb, lo, hi, g=0.7):
        t = np.clip((self.X - xa) / max(1e-3, xb - xa), 0, 1)
        return lo + (hi - lo) * np.clip(np.sin(np.pi * t), 0, 1) ** g

    def glint(self, xa, xb, pos, wid, amp):
        t = (self.X - xa) / max(1e-3, xb - xa)
        return amp * np.exp(-(((t - pos) / wid) ** 2))

    def field(self, cells, k=0):
        return _field(np.random.default_rng(self.seed * 7919 + k), self.h, self.w, cells)

    def text(self, s, cx, cy, hpx, maxw):
        return _paste_center((self.h, self.w), _text_mask(s, hpx, maxw), cx - self.ox, cy - self.oy)

    def add(self, al, color, shade=1.0, spec=0.0):
        col = np.asarray(color, F32).reshape(1, 1, 3)
        col = col * (np.asarray(shade, F32)[..., None] if np.ndim(shade) else F32(shade))
        if np.ndim(spec) or spec:
            col = col + (np.asarray(spec, F32)[..., None] if np.ndim(spec) else F32(spec)) * 255
        col = np.clip(col, 0, 255)
        al = np.clip(al, 0, 1).astype(F32)
        a3 = al[..., None]
        self.fg = col * a3 + self.fg * (1 - a3)
        self.a = al + self.a * (1 - al)

    def sl(self):
        return (slice(self.oy, self.oy + self.h), slice(self.ox, self.ox + self.w))

    def paste(self, img_f, mask_full=None):
        s = self.sl()
        a = self.a[..., None]
        img_f[s] = img_f[s] * (1 - a) + self.fg
        if mask_full is not None:
            mask_full[s] = np.maximum(mask_full[s], self.a)


def _ellipse_shadow(img_f, cx, cy, rx, ry, strength, blur):
    W, H = img_f.shape[1], img_f.shape[0]
    pad = 3 * blur + 2
    P = _P(cx - rx - pad, cy - ry - pad, cx + rx + pad, cy + ry + pad, W, H)
    m = P.ell((cx, cy), (rx, ry))
    m = cv2.GaussianBlur(m, (0, 0), max(0.5, blur))
    core = cv2.GaussianBlur(P.ell((cx, cy + ry * 0.1), (rx * 0.8, ry * 0.45)), (0, 0), max(0.5, blur * 0.35))
    k = np.clip(strength * m + 0.6 * strength * core, 0, 0.85)
    img_f[P.sl()] *= (1 - k)[..., None]


def _drop_shadow(img_f, P, dx, dy, blur, strength):
    H, W = img_f.shape[:2]
    m = np.zeros((H, W), F32)
    m[P.sl()] = P.a
    M = np.float32([[1, 0, dx], [0, 1, dy]])
    m = cv2.warpAffine(m, M, (W, H))
    m = cv2.GaussianBlur(m, (0, 0), max(0.5, blur))
    img_f *= (1 - strength * m)[..., None]


# =============================================================================================
# backdrops
# =============================================================================================

TEXTURED = ("wood", "marble", "fabric", "concrete", "outdoor")


def _backdrop(spec, W, H):
    t = spec["type"]
    r = np.random.default_rng(spec["seed"])
    x = ((np.arange(W, dtype=F32) + 0.5) / W)[None, :]
    y = ((np.arange(H, dtype=F32) + 0.5) / H)[:, None]
    asp = W / H
    if t == "plain":
        c = np.asarray(spec["color"], F32)
        v = spec.get("vig", 0.0)
        if v:
            rr = ((x - 0.5) * asp) ** 2 + (y - 0.42) ** 2
            return c.reshape(1, 1, 3) * (1 - v * rr / 0.6)[..., None]
        return np.broadcast_to(c.reshape(1, 1, 3), (H, W, 3)).copy()
    if t == "gradient":
        c1 = np.asarray(spec["c1"], F32).reshape(1, 1, 3)
        c2 = np.asarray(spec["c2"], F32).reshape(1, 1, 3)
        s = _smoothstep((y - 0.05) / 0.9)[..., None]
        img = c1 * (1 - s) + c2 * s
        img = img + 10 * np.exp(-(((x - 0.5) * asp) ** 2 + (y - 0.45) ** 2) / 0.12)[..., None]
        return np.broadcast_to(img, (H, W, 3)).copy()
    if t == "wood":
        base = np.asarray(spec["color"], F32).reshape(1, 1, 3)
        hz = spec.get("hz")
        warp = _field(r, H, W, 5)
        streak = cv2.resize(r.standard_normal((300, 20)).astype(F32), (W, H), interpolation=cv2.INTER_LINEAR)
        y0 = hz if hz else 0.0
        v = np.clip((y - y0) / (1 - y0), 0, 1)
        n = 6
        idx = np.minimum((v * n).astype(int), n - 1)
        ptone = r.normal(0, 0.05, n).astype(F32)[idx]
        fr = (v * n) % 1.0
        hw = (1 - y0) * H / n
        seam = np.exp(-(((np.minimum(fr, 1 - fr) * hw) / 1.3) ** 2))
        grain = np.sin(2 * np.pi * (v * 36 + 0.35 * warp + 0.07 * x))
        tone = 0.86 + 0.06 * grain + 0.035 * streak + ptone - 0.3 * seam
        wood = base * tone[..., None]
        if not hz:
            return wood
        wall = np.asarray(spec["wall"], F32).reshape(1, 1, 3)
        wall = wall * (0.93 + 0.07 * (1 - y / hz))[..., None]
        wall = wall * (1 - 0.12 * np.exp(-((hz - y) * H / (0.02 * H)).clip(0)))[..., None]
        edge = 1 - 0.25 * np.exp(-((((y - hz) * H) / (0.006 * H + 1)) ** 2))
        wood = wood * edge[..., None]
        m = np.clip((y - hz) * H + 0.5, 0, 1)[..., None]
        return np.broadcast_to(wall, (H, W, 3)) * (1 - m) + wood * m
    if t == "marble":
        tt = 0.6 * _field(r, H, W, 3) + 0.3 * _field(r, H, W, 7) + 0.15 * _field(r, H, W, 16)
        v1 = np.abs(np.sin(2 * np.pi * (x * asp * 0.9 + y * 0.6) * 1.3 + 1.6 * tt))
        v2 = np.abs(np.sin(2 * np.pi * (x * asp * 0.4 - y * 1.0) * 2.2 + 1.2 * tt))
        vein = (1 - v1) ** 12 * 0.9 + (1 - v2) ** 30 * 0.35
        vein = vein * (0.6 + 0.4 * np.clip(_field(r, H, W, 5), -1, 1))
        base = np.asarray(spec["color"], F32).reshape(1, 1, 3)
        tint = np.asarray(spec["vein"], F32).reshape(1, 1, 3)
        mott = 3.5 * _field(r, H, W, 40)
        return base + mott[..., None] - vein[..., None] * tint
    if t == "fabric":
        c = np.asarray(spec["color"], F32).reshape(1, 1, 3)
        p = max(3.0, max(W, H) / 230.0)
        X = np.arange(W, dtype=F32)[None, :]
        Y = np.arange(H, dtype=F32)[:, None]
        weave = np.sin(2 * np.pi * X / p) * np.sin(2 * np.pi * Y / p)
        rows = r.normal(0, 0.022, (H, 1)).astype(F32)
        cols = r.normal(0, 0.022, (1, W)).astype(F32)
        folds = _field(r, H, W, 4)
        tone = 1 + 0.04 * weave + rows + cols + 0.05 * folds
        return c * tone[..., None]
    if t == "concrete":
        c = np.asarray(spec["color"], F32).reshape(1, 1, 3)
        tt = 0.5 * _field(r, H, W, 6) + 0.3 * _field(r, H, W, 22) + 0.2 * _field(r, H, W, 70)
        px = r.standard_normal((H, W)).astype(F32)
        pits = np.zeros((H, W), np.uint8)
        npit = int(W * H / 5000)
        xs = r.integers(0, W, npit)
        ys = r.integers(0, H, npit)
        rad = r.integers(1, 3, npit)
        for a, b, c_ in zip(xs, ys, rad):
            cv2.circle(pits, (int(a), int(b)), int(c_), 255, -1, cv2.LINE_AA)
        pits = cv2.GaussianBlur(pits.astype(F32) / 255, (0, 0), 0.8)
        tone = 1 + 0.07 * tt + 0.02 * px - 0.25 * pits
        return c * tone[..., None]
    if t == "outdoor":
        hz = spec["hz"]
        sky_top = np.asarray((235, 190, 135), F32).reshape(1, 1, 3)
        sky_hz = np.asarray((245, 230, 215), F32).reshape(1, 1, 3)
        s = np.clip(y / hz, 0, 1)[..., None]
        sky = sky_top * (1 - s) + sky_hz * s
        cloud = np.clip(_field(r, H, W, 4), 0, None)
        sky = sky + 14 * cloud[..., None]
        f1 = _field(r, 1, W, 6)[0][None, :]
        f2 = _field(r, 1, W, 40)[0][None, :]
        tl = hz - 0.11 - 0.04 * f1 - 0.015 * f2
        trees_m = np.clip((y - tl) * H / 2 + 0.5, 0, 1)
        tcol = np.asarray(spec["trees"], F32).reshape(1, 1, 3)
        trees = tcol * (0.8 + 0.12 * _field(r, H, W, 25) + 0.1 * _field(r, H, W, 60))[..., None]
        gcol = np.asarray(spec["ground"], F32).reshape(1, 1, 3)
        gv = np.clip((y - hz) / (1 - hz), 0, 1)
        ground = gcol * (0.85 + 0.1 * _field(r, H, W, 30) + 0.12 * gv)[..., None]
        gm = np.clip((y - hz) * H / 2 + 0.5, 0, 1)[..., None]
        img = sky * (1 - trees_m[..., None]) + trees * trees_m[..., None]
        img = img * (1 - gm) + ground * gm
        return cv2.GaussianBlur(img.astype(F32), (0, 0), 0.004 * max(W, H))
    raise ValueError(t)


PASTELS = [  # BGR, zh, en
    ((205, 195, 250), "浅粉色", "light pink"),
    ((245, 222, 195), "浅蓝色", "light blue"),
    ((210, 238, 205), "薄荷绿", "mint green"),
    ((200, 236, 250), "奶油黄", "cream yellow"),
    ((238, 208, 222), "浅紫色", "lavender"),
    ((190, 215, 240), "杏色", "apricot"),
]
WOODS = [(70, 120, 175), (45, 80, 125), (95, 150, 200), (60, 100, 150)]
WALLS = [(235, 238, 240), (215, 225, 232), (200, 210, 205), (225, 225, 225)]
FABRICS = [(185, 205, 215), (175, 175, 180), (180, 175, 215), (150, 165, 140), (215, 220, 225)]


def _bg_spec(rng, t, by=0.88):
    seed = int(rng.integers(1, 2**31))
    if t == "white":
        return dict(type="plain", color=(255, 255, 255), seed=seed, kind=t)
    if t == "near_white":
        v = _U(rng, 238, 248)
        return dict(
            type="plain",
            color=(v - _U(rng, 0, 4), v - _U(rng, 0, 2), v),
            vig=_U(rng, 0.02, 0.05),
            seed=seed,
            kind=t,
        )
    if t == "grey":
        v = _U(rng, 150, 215)
        return dict(type="plain", color=(v, v, v), vig=_U(rng, 0.08, 0.15), seed=seed, kind=t)
    if t == "colour":
        c = _pick(rng, PASTELS)[0]
        return dict(type="plain", color=c, vig=_U(rng, 0.03, 0.08), seed=seed, kind=t)
    if t == "dark":
        v = _U(rng, 40, 60)
        return dict(type="plain", color=(v + 4, v, v), vig=_U(rng, 0.1, 0.2), seed=seed, kind=t)
    if t == "gradient":
        pairs = [
            ((250, 240, 225), (200, 160, 110)),
            ((245, 245, 245), (180, 180, 180)),
            ((225, 235, 250), (150, 185, 235)),
            ((240, 230, 245), (190, 160, 200)),
        ]
        c1, c2 = _pick(rng, pairs)
        return dict(type="gradient", c1=c1, c2=c2, seed=seed, kind=t)
    if t == "wood":
        hz = None if rng.random() < 0.35 else max(0.3, by - _U(rng, 0.22, 0.34))
        return dict(type="wood", color=_pick(rng, WOODS), wall=_pick(rng, WALLS), hz=hz, seed=seed, kind=t)
    if t == "marble":
        v = _U(rng, 232, 245)
        return dict(
            type="marble",
            color=(v, v, v - 2),
            vein=_pick(rng, [(60, 60, 60), (70, 78, 85), (62, 66, 60)]),
            seed=seed,
            kind=t,
        )
    if t == "fabric":
        return dict(type="fabric", color=_pick(rng, FABRICS), seed=seed, kind=t)
    if t == "concrete":
        v = _U(rng, 140, 190)
        return dict(type="concrete", color=(v, v + 2, v + 3), seed=seed, kind=t)
    if t == "outdoor":
        return dict(
            type="outdoor",
            hz=max(0.3, by - _U(rng, 0.25, 0.36)),
            trees=_pick(rng, [(45, 95, 55), (50, 110, 70), (40, 80, 60)]),
            ground=_pick(rng, [(70, 150, 95), (80, 160, 110), (150, 175, 185)]),
            seed=seed,
            kind=t,
        )
    raise ValueError(t)


# names used in instructions for new backgrounds: kind -> (zh list, en list)
BG_NAMES = {
    "white": (
        ["纯白色背景", "纯白底", "白色背景(#FFFFFF)"],
        ["a pure white background", "pure white (#FFFFFF)", "a clean white backdrop"],
    ),
    "grey": (["浅灰色背景", "灰色背景"], ["a light grey background", "a soft grey backdrop"]),
    "dark": (["深灰色背景", "深色背景"], ["a dark charcoal background", "a dark grey backdrop"]),
    "gradient": (["渐变背景", "柔和的渐变背景"], ["a soft gradient background", "a smooth studio gradient"]),
    "wood": (["木纹桌面", "原木桌面场景"], ["a wooden tabletop", "a wood table scene"]),
    "marble": (["白色大理石台面", "大理石背景"], ["a white marble surface", "marble"]),
    "fabric": (["亚麻布背景", "布料背景"], ["linen fabric", "a soft fabric backdrop"]),
    "concrete": (["水泥墙面", "水泥质感背景"], ["a concrete wall", "a raw concrete texture"]),
    "outdoor": (["户外草地场景", "户外花园背景"], ["an outdoor garden scene", "a sunny outdoor lawn"]),
}


# =============================================================================================
# products
# =============================================================================================

COLOURS = [  # BGR, zh, en
    ((40, 40, 200), "红色", "red"),
    ((190, 95, 30), "蓝色", "blue"),
    ((95, 45, 25), "藏青色", "navy blue"),
    ((60, 150, 45), "绿色", "green"),
    ((45, 95, 35), "墨绿色", "dark green"),
    ((40, 200, 235), "黄色", "yellow"),
    ((30, 130, 240), "橙色", "orange"),
    ((185, 150, 245), "粉色", "pink"),
    ((150, 55, 120), "紫色", "purple"),
    ((38, 38, 38), "黑色", "black"),
    ((236, 236, 236), "白色", "white"),
    ((140, 140, 140), "灰色", "grey"),
    ((165, 200, 222), "米色", "beige"),
    ((40, 75, 120), "棕色", "brown"),
    ((140, 130, 20), "青绿色", "teal"),
    ((55, 30, 125), "酒红色", "burgundy"),
]
CAPS = [(200, 200, 205), (70, 160, 215), (35, 35, 35), (240, 240, 240)]
LABELS = [(215, 235, 245), (245, 245, 245), (120, 170, 205), (40, 40, 40)]
ACCENTS = [(40, 40, 200), (50, 170, 225), (190, 95, 30), (30, 30, 30), (240, 240, 240)]
BRANDS_L = ["AURA", "NORDIC", "PURE", "KAIA", "VELA", "MORI", "ECHO", "LUMA", "OASIS", "HALO"]
BRANDS_C = ["清泉", "山茶", "悦己", "木屿", "花间", "青柠", "初雪", "晨光"]
SUBS = ["250 ml", "100% COTTON", "ORGANIC", "洗发露", "保湿霜", "EAU DE TOILETTE", "手工制作", "NET WT 50g"]


def _contrast(c):
    return (30, 30, 30) if _lum(c) > 135 else (245, 245, 245)


def _k_bottle(W, H, cx, by, ph, C, sc):
    bw = 0.36 * ph
    x0, x1 = cx - bw / 2, cx + bw / 2
    P = _P(x0 - 3, by - ph - 3, x1 + 3, by + 3, W, H, sc["seed"])
    bt, sh, nw, nt, cw = by - 0.66 * ph, 0.12 * ph, 0.36 * bw, by - 0.86 * ph, 0.44 * bw
    body = P.rrect(x0, bt, x1, by, 0.1 * bw)
    s = np.linspace(0, 1, 16)
    left = [(x0 + (cx - nw / 2 - x0) * v, bt - sh * (1 - math.cos(math.pi * v)) / 2) for v in s]
    right = [(2 * cx - px, py) for px, py in left[::-1]]
    shoulder = P.poly([(x0, bt + 0.02 * ph)] + left + right + [(x1, bt + 0.02 * ph)])
    neck = P.poly(
        [(cx - nw / 2, nt), (cx + nw / 2, nt), (cx + nw / 2, bt - sh + 2), (cx - nw / 2, bt - sh + 2)]
    )
    a = np.maximum(np.maximum(body, shoulder), neck)
    P.add(
        a,
        C["body"],
        P.cyl(x0, x1, 0.5, 1.12, 0.6),
        P.glint(x0, x1, 0.26, 0.045, 0.55) + P.glint(x0, x1, 0.82, 0.03, 0.18),
    )
    cap = P.rrect(cx - cw / 2, by - ph, cx + cw / 2, nt + 0.01 * ph, 0.08 * cw)
    ridge = 1 + 0.05 * np.sin(2 * np.pi * (P.X - cx) / (cw / 10))
    P.add(
        cap,
        C["cap"],
        P.cyl(cx - cw / 2, cx + cw / 2, 0.55, 1.1, 0.6) * ridge,
        P.glint(cx - cw / 2, cx + cw / 2, 0.3, 0.06, 0.3),
    )
    lab = P.poly([(x0, by - 0.52 * ph), (x1, by - 0.52 * ph), (x1, by - 0.16 * ph), (x0, by - 0.16 * ph)]) * a
    ls = P.cyl(x0, x1, 0.7, 1.04, 0.5)
    P.add(lab, C["label"], ls, P.glint(x0, x1, 0.26, 0.045, 0.1))
    if sc.get("text"):
        P.add(P.text(sc["text"], cx, by - 0.40 * ph, 0.085 * ph, 0.78 * bw) * lab, C["print"], ls)
    if sc.get("text2"):
        P.add(P.text(sc["text2"], cx, by - 0.27 * ph, 0.04 * ph, 0.7 * bw) * lab, C["print"], ls)
    return P, ("contact", cx, by, bw * 0.55)


def _k_mug(W, H, cx, by, ph, C, sc):
    mw = 0.8 * ph
    bx = cx - 0.12 * ph
    x0, x1 = bx - mw / 2, bx + mw / 2
    ry = 0.07 * ph
    tt = by - ph + ry
    P = _P(x0 - 3, by - ph - 3, x1 + 0.3 * ph, by + 3, W, H, sc["seed"])
    hc = (x1 - 0.02 * ph, by - 0.48 * ph)
    ring = np.clip(P.ell(hc, (0.22 * ph, 0.25 * ph)) - P.ell(hc, (0.14 * ph, 0.17 * ph)), 0, 1)
    P.add(ring, C["body"], P.cyl(x1 - 0.1 * ph, x1 + 0.22 * ph, 0.55, 1.0, 0.8))
    body = np.maximum(P.rrect(x0, tt, x1, by, 0.06 * ph), P.ell((bx, tt), (mw / 2, ry)))
    P.add(body, C["body"], P.cyl(x0, x1, 0.5, 1.1, 0.6), P.glint(x0, x1, 0.25, 0.05, 0.45))
    inner = P.ell((bx, tt), (mw / 2 - 0.025 * ph, ry - 0.014 * ph))
    shin = np.clip(0.3 + 0.35 * (P.Y - (tt - ry)) / (2 * ry), 0.25, 0.7)
    P.add(inner, C["body"], shin)
    if sc.get("text"):
        P.add(
            P.text(sc["text"], bx, by - 0.45 * ph, 0.13 * ph, 0.6 * mw) * body,
            C["print"],
            P.cyl(x0, x1, 0.6, 1.05, 0.6),
        )
    return P, ("contact", bx, by, mw * 0.55)


def _k_tshirt(W, H, cx, by, ph, C, sc):
    P = _P(cx - 0.52 * ph, by - ph - 3, cx + 0.52 * ph, by + 3, W, H, sc["seed"])
    top = by - ph
    M = lambda u, v: (cx + u * ph, top + v * ph)
    pts = [
        (-0.13, 0.0),
        (-0.31, 0.05),
        (-0.50, 0.27),
        (-0.40, 0.35),
        (-0.30, 0.26),
        (-0.30, 1.0),
        (0.30, 1.0),
        (0.30, 0.26),
        (0.40, 0.35),
        (0.50, 0.27),
        (0.31, 0.05),
        (0.13, 0.0),
    ]
    dip = [(0.13 * math.cos(a), 0.09 * math.sin(a)) for a in np.linspace(0, np.pi, 20)]
    a = P.poly([M(u, v) for u, v in pts + dip])
    folds = P.field(5, 1)
    s = 0.93 + 0.06 * folds + 0.04 * np.sin(2 * np.pi * ((P.X - cx) / ph * 4 + 0.4 * P.field(3, 2)))
    e = cv2.GaussianBlur(a, (0, 0), 0.02 * ph)
    s = s * (0.78 + 0.22 * e)
    P.add(a, C["body"], s)
    if sc.get("stripes"):
        sv = np.sin(2 * np.pi * (P.Y - top) / (0.075 * ph))
        sm = np.clip((sv - 0.2) * 4, 0, 1)
        P.add(a * sm, C["stripe"], s)
    back = P.ell(M(0, 0.005), (0.125 * ph, 0.045 * ph)) * (P.Y > top)
    P.add(back, C["body"], 0.5 * s)
    rib = (
        np.clip(P.ell(M(0, 0), (0.145 * ph, 0.105 * ph)) - P.ell(M(0, 0), (0.13 * ph, 0.09 * ph)), 0, 1)
        * a
        * (P.Y > top)
    )
    P.add(rib, C["body"], 0.82 * s)
    if sc.get("text"):
        P.add(P.text(sc["text"], cx, top + 0.33 * ph, 0.075 * ph, 0.4 * ph) * a, C["print"], s)
    return P, ("drop", 0.012 * ph, 0.02 * ph, 0.02 * ph, 0.28)


def _k_box(W, H, cx, by, ph, C, sc):
    fw, fh, dx, dy = 0.62 * ph, 0.8 * ph, 0.16 * ph, -0.13 * ph
    x0 = cx - (fw + dx) / 2
    x1, y0, y1 = x0 + fw, by - fh, by
    P = _P(x0 - 3, y0 + dy - 3, x1 + dx + 3, by + 3, W, H, sc["seed"])
    tex = 1 + 0.015 * P.field(40, 3)
    side = P.poly([(x1, y0), (x1 + dx, y0 + dy), (x1 + dx, y1 + dy), (x1, y1)])
    top = P.poly([(x0, y0), (x1, y0), (x1 + dx, y0 + dy), (x0 + dx, y0 + dy)])
    front = P.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    P.add(side, C["body"], 0.7 * tex)
    P.add(top, C["body"], 1.15 * tex)
    fs = (0.99 - 0.08 * (P.Y - y0) / fh) * tex
    P.add(front, C["body"], fs)
    yb0, yb1 = y0 + 0.64 * fh, y0 + 0.74 * fh
    P.add(P.poly([(x0, yb0), (x1, yb0), (x1, yb1), (x0, yb1)]), C["accent"], fs)
    P.add(P.poly([(x1, yb0), (x1 + dx, yb0 + dy), (x1 + dx, yb1 + dy), (x1, yb1)]), C["accent"], 0.7 * tex)
    pc = _contrast(C["body"])
    if sc.get("text"):
        P.add(P.text(sc["text"], x0 + fw / 2, y0 + 0.3 * fh, 0.14 * fh, 0.8 * fw) * front, pc, fs)
    if sc.get("text2"):
        P.add(P.text(sc["text2"], x0 + fw / 2, y0 + 0.48 * fh, 0.06 * fh, 0.8 * fw) * front, pc, fs)
    return P, ("contact", x0 + (fw + dx) / 2, by, (fw + dx) * 0.55)


def _k_shoe(W, H, cx, by, ph, C, sc):
    L = 2.4 * ph
    ux0, vy0 = cx - L / 2, by - ph
    M = lambda u, v: (ux0 + u * L, vy0 + v * ph)
    P = _P(ux0 - 3, vy0 - 3, ux0 + L + 3, by + 3, W, H, sc["seed"])
    up = [
        (0.03, 0.8),
        (0.0, 0.45),
        (0.03, 0.12),
        (0.10, 0.0),
        (0.22, 0.02),
        (0.30, 0.14),
        (0.40, 0.22),
        (0.55, 0.34),
        (0.72, 0.45),
        (0.88, 0.55),
        (0.98, 0.66),
        (1.0, 0.8),
    ]
    upper = P.poly([M(*p) for p in up])
    sh = np.clip(0.72 + 0.4 * (1 - (P.Y - vy0) / ph), 0.6, 1.12) + 0.04 * P.field(6, 4)
    P.add(upper, C["body"], sh, 0.25 * np.exp(-((((P.Y - vy0) / ph - 0.3) / 0.08) ** 2)) * upper)
    P.add(P.ell(M(0.19, 0.05), (0.09 * L, 0.06 * ph)) * upper, (40, 40, 45), 1.0)
    sw = P.poly([M(*p) for p in [(0.32, 0.62), (0.55, 0.5), (0.84, 0.40), (0.62, 0.58), (0.36, 0.70)]])
    P.add(sw * upper, C["accent"], sh)
    lc = (235, 235, 235) if _lum(C["body"]) < 150 else (50, 50, 50)
    for k in range(5):
        u, v = 0.40 + 0.05 * k, 0.22 + 0.05 * k
        P.add(P.line(M(u - 0.02, v + 0.035), M(u + 0.03, v - 0.03), 0.035 * ph), lc, 1.0)
    sole = P.poly(_rrect(*M(0.0, 0.76), *M(1.0, 1.0), 0.12 * ph))
    ss = 1.0 - 0.15 * np.clip((P.Y - (vy0 + 0.76 * ph)) / (0.24 * ph), 0, 1)
    P.add(sole, C["sole"], ss)
    groove = P.poly([M(0.01, 0.885), M(0.99, 0.885), M(0.99, 0.905), M(0.01, 0.905)])
    P.add(groove * sole, C["sole"], 0.7)
    return P, ("contact", cx, by, L * 0.5)


def _k_bag(W, H, cx, by, ph, C, sc):
    bwb, bwt, bh = 0.8 * ph, 0.68 * ph, 0.68 * ph
    y0 = by - bh
    P = _P(cx - bwb / 2 - 3, by - ph - 3, cx + bwb / 2 + 3, by + 3, W, H, sc["seed"])
    for sgn in (-1, 1):
        hc = (cx + sgn * 0.16 * ph, y0 + 0.02 * ph)
        ring = np.clip(P.ell(hc, (0.11 * ph, 0.3 * ph)) - P.ell(hc, (0.085 * ph, 0.275 * ph)), 0, 1)
        ring = ring * (P.Y < y0 + 0.03 * ph)
        P.add(ring, C["body"], 0.8)
    body = P.poly([(cx - bwt / 2, y0), (cx + bwt / 2, y0), (cx + bwb / 2, by), (cx - bwb / 2, by)])
    p = max(2.0, ph / 110)
    s = 0.92 + 0.06 * P.field(5, 5) + 0.025 * np.sin(2 * np.pi * P.X / p) * np.sin(2 * np.pi * P.Y / p)
    s = s * (0.85 + 0.15 * cv2.GaussianBlur(body, (0, 0), 0.03 * ph))
    P.add(body, C["body"], s)
    hem = (
        P.poly(
            [
                (cx - bwt / 2, y0),
                (cx + bwt / 2, y0),
                (cx + bwt / 2 + 0.005 * ph, y0 + 0.05 * ph),
                (cx - bwt / 2 - 0.005 * ph, y0 + 0.05 * ph),
            ]
        )
        * body
    )
    P.add(hem, C["body"], 0.82 * s)
    if sc.get("text"):
        P.add(P.text(sc["text"], cx, y0 + 0.48 * bh, 0.12 * ph, 0.55 * bwt) * body, _contrast(C["body"]), s)
    return P, ("contact", cx, by, bwb * 0.55)


def _k_jar(W, H, cx, by, ph, C, sc):
    jw = 1.25 * ph
    x0, x1 = cx - jw / 2, cx + jw / 2
    lw = 0.51 * jw
    P = _P(cx - lw - 3, by - ph - 3, cx + lw + 3, by + 3, W, H, sc["seed"])
    body = P.rrect(x0, by - 0.62 * ph, x1, by, 0.08 * ph)
    P.add(
        body,
        C["body"],
        P.cyl(x0, x1, 0.5, 1.1, 0.6),
        P.glint(x0, x1, 0.22, 0.04, 0.5) + P.glint(x0, x1, 0.8, 0.03, 0.15),
    )
    lid = np.maximum(
        P.rrect(cx - lw, by - ph + 0.07 * ph, cx + lw, by - 0.58 * ph, 0.03 * ph),
        P.ell((cx, by - ph + 0.07 * ph), (lw, 0.07 * ph)),
    )
    ridge = 1 + 0.05 * np.sin(2 * np.pi * (P.X - cx) / (jw / 40))
    P.add(
        lid,
        C["cap"],
        P.cyl(cx - lw, cx + lw, 0.5, 1.1, 0.5) * ridge,
        P.glint(cx - lw, cx + lw, 0.2, 0.04, 0.55) + P.glint(cx - lw, cx + lw, 0.45, 0.05, 0.3),
    )
    P.add(P.ell((cx, by - ph + 0.07 * ph), (lw * 0.98, 0.065 * ph)), C["cap"], 1.12)
    if sc.get("text"):
        P.add(
            P.text(sc["text"], cx, by - 0.33 * ph, 0.14 * ph, 0.7 * jw) * body,
            _contrast(C["body"]),
            P.cyl(x0, x1, 0.65, 1.05, 0.6),
        )
    return P, ("contact", cx, by, jw * 0.55)


def _k_watch(W, H, cx, by, ph, C, sc):
    sw = 0.3 * ph
    P = _P(cx - 0.26 * ph, by - ph - 3, cx + 0.26 * ph, by + 3, W, H, sc["seed"])
    strap = P.rrect(cx - sw / 2, by - ph, cx + sw / 2, by, 0.05 * ph)
    P.add(strap, C["body"], P.cyl(cx - sw / 2, cx + sw / 2, 0.7, 1.05, 0.6) + 0.04 * P.field(20, 6))
    for sgn in (-1, 1):
        xs = cx + sgn * (sw / 2 - 0.025 * ph)
        dash = (np.sin(2 * np.pi * P.Y / (0.025 * ph)) > 0).astype(F32)
        st = P.line((xs, by - ph + 0.03 * ph), (xs, by - 0.03 * ph), 0.006 * ph) * dash
        P.add(st, C["body"], 1.3)
    cc = (cx, by - 0.5 * ph)
    case = P.ell(cc, (0.21 * ph, 0.21 * ph))
    d = np.sqrt((P.X - cc[0] + 0.06 * ph) ** 2 + (P.Y - cc[1] + 0.06 * ph) ** 2) / (0.21 * ph)
    P.add(case, C["cap"], np.clip(1.15 - 0.5 * d, 0.45, 1.15))
    P.add(
        P.rrect(cc[0] + 0.2 * ph, cc[1] - 0.025 * ph, cc[0] + 0.245 * ph, cc[1] + 0.025 * ph, 0.008 * ph),
        C["cap"],
        0.9,
    )
    dial = P.ell(cc, (0.17 * ph, 0.17 * ph))
    dd = np.sqrt((P.X - cc[0]) ** 2 + (P.Y - cc[1]) ** 2) / (0.17 * ph)
    P.add(dial, C["label"], 1.0 - 0.08 * dd)
    ink = _contrast(C["label"])
    for k in range(12):
        a = 2 * math.pi * k / 12
        r0, r1 = (0.125 if k % 3 == 0 else 0.14) * ph, 0.16 * ph
        P.add(
            P.line(
                (cc[0] + r0 * math.sin(a), cc[1] - r0 * math.cos(a)),
                (cc[0] + r1 * math.sin(a), cc[1] - r1 * math.cos(a)),
                0.008 * ph,
            ),
            ink,
            1.0,
        )
    for ang, ln, wd in ((300, 0.09, 0.012), (55, 0.14, 0.008)):
        a = math.radians(ang)
        P.add(P.line(cc, (cc[0] + ln * ph * math.sin(a), cc[1] - ln * ph * math.cos(a)), wd * ph), ink, 1.0)
    if sc.get("text"):
        P.add(P.text(sc["text"], cc[0], cc[1] - 0.075 * ph, 0.035 * ph, 0.16 * ph) * dial, ink, 1.0)
    return P, ("drop", 0.01 * ph, 0.015 * ph, 0.015 * ph, 0.3)


def _k_chair(W, H, cx, by, ph, C, sc):
    sy = by - 0.45 * ph
    P = _P(cx - 0.33 * ph, by - ph - 3, cx + 0.33 * ph, by + 3, W, H, sc["seed"])
    for sgn in (-1, 1):
        x = cx + sgn * 0.2 * ph
        P.add(
            P.poly(
                [
                    (x - 0.015 * ph, sy - 0.1 * ph),
                    (x + 0.015 * ph, sy - 0.1 * ph),
                    (x + 0.015 * ph, by - 0.06 * ph),
                    (x - 0.015 * ph, by - 0.06 * ph),
                ]
            ),
            C["cap"],
            0.7,
        )
    back = P.rrect(cx - 0.23 * ph, by - ph, cx + 0.23 * ph, sy - 0.08 * ph, 0.06 * ph)
    cs = 0.85 + 0.15 * P.cyl(cx - 0.23 * ph, cx + 0.23 * ph, 0.4, 1.0, 0.8) + 0.03 * P.field(8, 7)
    P.add(back, C["body"], cs)
    seat = P.poly(
        [
            (cx - 0.32 * ph, sy),
            (cx + 0.32 * ph, sy),
            (cx + 0.25 * ph, sy - 0.11 * ph),
            (cx - 0.25 * ph, sy - 0.11 * ph),
        ]
    )
    P.add(seat, C["body"], 1.08 + 0.03 * P.field(8, 8))
    P.add(P.rrect(cx - 0.32 * ph, sy, cx + 0.32 * ph, sy + 0.06 * ph, 0.01 * ph), C["body"], 0.72)
    for sgn in (-1, 1):
        x = cx + sgn * 0.29 * ph
        leg = P.poly(
            [
                (x - 0.018 * ph, sy + 0.05 * ph),
                (x + 0.018 * ph, sy + 0.05 * ph),
                (x + 0.016 * ph, by),
                (x - 0.016 * ph, by),
            ]
        )
        P.add(leg, C["cap"], P.cyl(x - 0.018 * ph, x + 0.018 * ph, 0.55, 1.05, 0.6))
    return P, ("contact", cx, by, 0.36 * ph)


KINDS = {
    # kind: fn, zh names, en names, aspect (w/h), height range (fraction of H)
    "bottle": (_k_bottle, ["瓶子", "瓶身"], ["bottle", "bottle"], 0.38, (0.58, 0.74)),
    "mug": (_k_mug, ["马克杯", "杯子"], ["mug", "coffee mug"], 1.12, (0.4, 0.5)),
    "tshirt": (_k_tshirt, ["T恤", "短袖"], ["T-shirt", "tee"], 1.02, (0.6, 0.74)),
    "box": (_k_box, ["包装盒", "盒子"], ["box", "package"], 0.8, (0.48, 0.6)),
    "shoe": (_k_shoe, ["鞋子", "运动鞋"], ["sneaker", "shoe"], 2.42, (0.24, 0.3)),
    "bag": (_k_bag, ["帆布包", "包"], ["tote bag", "bag"], 0.8, (0.55, 0.66)),
    "jar": (_k_jar, ["面霜罐", "罐子"], ["cream jar", "jar"], 1.3, (0.3, 0.4)),
    "watch": (_k_watch, ["表带", "手表表带"], ["watch strap", "strap"], 0.52, (0.7, 0.84)),
    "chair": (_k_chair, ["椅子", "椅面和靠背"], ["chair", "chair upholstery"], 0.68, (0.62, 0.78)),
}


def _make_scene(rng, kind, bgkind, W, H):
    fn, zh, en, asp, (h0, h1) = KINDS[kind]
    by = _U(rng, 0.84, 0.93)
    ph = _U(rng, h0, h1)
    ph = min(ph, 0.6 * W / (asp * H), by - 0.06)
    pw = asp * ph * H
    slack = max(0.0, (0.5 * W - pw / 2 - 0.05 * W))
    cx = 0.5 + _U(rng, -0.55, 0.55) * slack / W
    body = _pick(rng, COLOURS)[0]
    label = _pick(rng, LABELS)
    text = None
    if rng.random() < 0.85:
        text = _pick(rng, BRANDS_C) if (HAS_FONT and rng.random() < 0.4) else _pick(rng, BRANDS_L)
    text2 = _pick(rng, SUBS) if rng.random() < 0.5 else None
    if text2 and not HAS_FONT and _is_cjk(text2):
        text2 = None
    stripe = _pick(rng, [c for c, _, _ in COLOURS if _lab_dist(c, body) > 60])
    return dict(
        kind=kind,
        W=W,
        H=H,
        cx=cx,
        by=by,
        ph=ph,
        backdrop=_bg_spec(rng, bgkind, by),
        colors=dict(
            body=body,
            cap=_pick(rng, CAPS),
            label=label,
            print=_contrast(label) if rng.random() < 0.7 else (40, 40, 190),
            accent=_pick(rng, ACCENTS),
            sole=(235, 238, 240),
            stripe=stripe,
        ),
        text=text,
        text2=text2,
        stripes=bool(kind == "tshirt" and rng.random() < 0.45),
        shadow=0.0 if rng.random() < 0.12 else _U(rng, 0.25, 0.45),
        grain=0.0 if rng.random() < 0.4 else _U(rng, 0.3, 0.8),
        seed=int(rng.integers(1, 2**31)),
    )


def _render(sc, W=None, H=None, body=None, backdrop=None, shadow=None, blur_bg=0.0):
    """Render a scene: returns (uint8 BGR, float product alpha). Deterministic per scene."""
    W = int(W or sc["W"])
    H = int(H or sc["H"])
    bg = _backdrop(backdrop or sc["backdrop"], W, H).astype(F32)
    C = dict(sc["colors"])
    if body is not None:
        C["body"] = body
    ph, cx, by = sc["ph"] * H, sc["cx"] * W, sc["by"] * H
    P, sh = KINDS[sc["kind"]][0](W, H, cx, by, ph, C, sc)
    s = sc["shadow"] if shadow is None else shadow
    if s > 0:
        if sh[0] == "contact":
            _, scx, sby, rx = sh
            ry = max(2.0, 0.04 * ph)
            _ellipse_shadow(bg, scx, sby - 0.3 * ry, rx, ry, s, 0.35 * ry + 0.015 * ph)
        else:
            _, dx, dy, blur, k = sh
            _drop_shadow(bg, P, dx, dy, blur, k * s / 0.35)
    if blur_bg:
        bg = cv2.GaussianBlur(bg, (0, 0), blur_bg * max(W, H))
    mask = np.zeros((H, W), F32)
    P.paste(bg, mask)
    g = sc["grain"]
    if g > 0:
        r = np.random.default_rng(sc["seed"] + 101)
        bg += r.standard_normal((H, W), dtype=F32)[..., None] * g
    return _u8(bg), mask


# =============================================================================================
# bases
# =============================================================================================


def _finish_base(name, img, mask=None, scene=None, bgkind="photo"):
    H, W = img.shape[:2]
    if mask is not None:
        ys, xs = np.where(mask > 0.5)
        bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    else:
        bbox = None
    return dict(
        name=name,
        img=img,
        mask=mask,
        scene=scene,
        photo=scene is None,
        bgkind=bgkind,
        smooth=bgkind in ("white", "near_white", "grey", "colour", "gradient", "dark"),
        textured=bgkind in TEXTURED or scene is None,
        W=W,
        H=H,
        bbox=bbox,
    )


def _scene_base(sc, W=None, H=None):
    W = int(W or sc["W"])
    H = int(H or sc["H"])
    img, mask = _render(sc, W, H)
    bk = sc["backdrop"]["kind"]
    return _finish_base(f"{sc['kind']}_{bk}_{W}x{H}", img, mask, sc, bk)


def _load_photos():
    out = []
    for n in ("coffee.png", "rocket.jpg", "chelsea.png"):
        p = PHOTO_DIR / n
        if p.exists():
            im = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if im is not None:
                out.append((Path(n).stem, im))
    try:
        import skimage.data as skd

        out.append(("astronaut", np.ascontiguousarray(skd.astronaut()[..., ::-1])))
        if not out or all(n != "coffee" for n, _ in out):
            out.append(("coffee", np.ascontiguousarray(skd.coffee()[..., ::-1])))
        if all(n != "chelsea" for n, _ in out):
            out.append(("chelsea", np.ascontiguousarray(skd.chelsea()[..., ::-1])))
        if all(n != "rocket" for n, _ in out):
            out.append(("rocket", np.ascontiguousarray(skd.rocket()[..., ::-1])))
    except Exception:
        pass
    return out


def _photo_base(name, im, lng):
    h, w = im.shape[:2]
    s = lng / max(h, w)
    W, H = int(round(w * s)), int(round(h * s))
    if (W, H) != (w, h):
        im = cv2.resize(im, (W, H), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    b = _finish_base(f"photo_{name}_{W}x{H}", np.ascontiguousarray(im))
    b["photo_name"] = name
    b["photo_src"] = im
    return b


def _rebase(b, lng):
    """The same scene/photo at another long side."""
    if b["scene"] is not None:
        sc = b["scene"]
        s = lng / max(sc["W"], sc["H"])
        return _scene_base(sc, int(round(sc["W"] * s)), int(round(sc["H"] * s)))
    return _photo_base(b["photo_name"], b["photo_src"], lng)


ASPECTS = [(1, 1), (4, 3), (3, 4), (16, 9), (2, 3), (3, 2)]
BASE_PLAN = [  # (kind, backdrop, long side, aspect index)
    ("bottle", "white", 1000, 2),
    ("mug", "wood", 1200, 1),
    ("tshirt", "near_white", 900, 0),
    ("box", "marble", 800, 0),
    ("shoe", "grey", 1280, 3),
    ("bag", "concrete", 1100, 2),
    ("jar", "colour", 720, 1),
    ("watch", "fabric", 960, 4),
    ("chair", "outdoor", 1400, 5),
    ("bottle", "wood", 640, 1),
    ("tshirt", "colour", 1200, 2),
    ("mug", "white", 600, 0),
    ("box", "gradient", 1024, 1),
    ("shoe", "marble", 1600, 1),
    ("jar", "near_white", 500, 0),
    ("bag", "outdoor", 880, 0),
    ("watch", "grey", 760, 2),
    ("chair", "white", 1100, 2),
    ("bottle", "fabric", 1500, 4),
    ("mug", "concrete", 840, 5),
    ("tshirt", "wood", 1000, 0),
    ("box", "colour", 680, 2),
    ("jar", "outdoor", 1280, 3),
    ("shoe", "gradient", 960, 1),
    ("bottle", "dark", 800, 2),
    ("watch", "white", 1800, 0),
]


def build_bases(seed):
    rng = np.random.default_rng([seed, 4242])
    bases = []
    for kind, bk, lng, ai in BASE_PLAN:
        aw, ah = ASPECTS[ai]
        if aw >= ah:
            W, H = lng, int(round(lng * ah / aw))
        else:
            W, H = int(round(lng * aw / ah)), lng
        sc = _make_scene(rng, kind, bk, W, H)
        bases.append(_scene_base(sc))
    sizes = {"coffee": [900, 600], "rocket": [640, 1280], "chelsea": [720], "astronaut": [512, 1024]}
    for name, im in _load_photos():
        for lng in sizes.get(name, [800]):
            bases.append(_photo_base(name, im, lng))
    # interleave photos among synthetic bases so each family sees both
    syn = [b for b in bases if not b["photo"]]
    pho = [b for b in bases if b["photo"]]
    out = []
    step = max(1, len(syn) // max(1, len(pho)))
    for i, b in enumerate(syn):
        out.append(b)
        if pho and i % step == step - 1:
            out.append(pho.pop(0))
    return out + pho


# =============================================================================================
# the VAE round trip (what a good model output looks like outside the edit)
# =============================================================================================


def _vae(img, rng, blur=None, noise=None, q="rand", drift=None, post=None, png_p=0.3):
    s = _U(rng, 0.4, 0.9) if blur is None else blur
    n = _U(rng, 0.8, 2.0) if noise is None else noise
    x = cv2.GaussianBlur(np.asarray(img, F32), (0, 0), s) if s > 0 else np.asarray(img, F32).copy()
    if drift is not None:
        x = x + np.asarray(drift, F32).reshape(1, 1, -1)
    if n > 0:
        x = x + rng.standard_normal(x.shape, dtype=F32) * n
    if post is not None:
        x = post(x)
    out = _u8(x)
    if q == "rand":
        q = None if rng.random() < png_p else int(rng.integers(85, 96))
    return _jpeg(out, q) if q else out


# =============================================================================================
# correct edits: each returns dict(before, after (clean), instr) or None
# =============================================================================================


def _ed(before, after, text, action):
    return dict(before=before, after=after, instr=_I(text, action))


RECOLOUR_T = [
    "把{oz}改成{cz}",
    "请将{oz}的颜色换成{cz}，其他保持不变",
    "{oz}换成{cz}",
    "Change the {oe} to {ce}.",
    "could you recolour the {oe} to {ce}? keep everything else the same",
    "make the {oe} {ce}",
    "把{oz}颜色改为{ce}",
    "Recolor the {oe} → {cz}",
    "{oz}要{cz}的，背景不要动",
    "Please turn the {oe} {ce} ({cz}).",
]


def _e_recolour(rng, b):
    if b["scene"] is None:
        return None
    sc = b["scene"]
    cur = sc["colors"]["body"]
    opts = [c for c in COLOURS if _lab_dist(c[0], cur) > 60]
    if sc.get("stripes"):
        opts = [c for c in opts if _lab_dist(c[0], sc["colors"]["stripe"]) > 45]
    bgr, cz, ce = _pick(rng, opts)
    after, _ = _render(sc, b["W"], b["H"], body=bgr)
    _, zh, en, _, _ = KINDS[sc["kind"]]
    k = int(rng.integers(2))
    t = _pick(rng, RECOLOUR_T).format(oz=zh[k], oe=en[k], cz=cz, ce=ce)
    if sc.get("stripes") and rng.random() < 0.6:
        t += _pick(rng, ["，条纹保留", " (keep the stripes)", "，保留原来的条纹"])
    return _ed(b["img"], after, t, "recolour")


BG_T = [
    "把背景换成{bz}",
    "背景改为{bz}，产品保持不变",
    "Replace the background with {be}.",
    "change the background to {be}, keep the product exactly as is",
    "请帮我把背景替换成{bz}",
    "换个背景：{bz}",
    "background → {be}（{bz}）",
    "Could you swap the backdrop for {be}?",
    "把{oz}放到{bz}上",
    "put the {oe} on {be}",
]


def _e_background(rng, b, big=False, plain_only=False):
    if b["scene"] is None:
        return None
    sc = b["scene"]
    cur = sc["backdrop"]["kind"]
    if plain_only:
        choices = ["white", "grey", "colour", "gradient", "dark"]
    elif big:
        choices = list(TEXTURED) if cur not in TEXTURED else ["white", "colour", "dark", "gradient"]
    else:
        choices = [
            "white",
            "grey",
            "colour",
            "gradient",
            "dark",
            "wood",
            "marble",
            "fabric",
            "concrete",
            "outdoor",
        ]
    choices = [c for c in choices if c != cur and not (cur == "near_white" and c == "white" and big)]
    nk = _pick(rng, choices)
    spec = _bg_spec(rng, nk, sc["by"])
    shadow = sc["shadow"] if sc["shadow"] > 0 else _U(rng, 0.25, 0.4)
    if rng.random() < 0.2:
        shadow = 0.0
    after, _ = _render(sc, b["W"], b["H"], backdrop=spec, shadow=shadow)
    if nk == "colour":
        c = [p for p in PASTELS if tuple(p[0]) == tuple(spec["color"])][0]
        bz, be = c[1] + "背景", "a " + c[2] + " background"
    else:
        zl, el = BG_NAMES[nk]
        bz, be = _pick(rng, zl), _pick(rng, el)
    _, zh, en, _, _ = KINDS[sc["kind"]]
    t = _pick(rng, BG_T)
    if "{oz}" in t or "{oe}" in t:
        bz = bz.replace("背景", "") or bz
        be = be.replace(" background", "").replace(" backdrop", "")
    t = t.format(bz=bz, be=be, oz=zh[0], oe=en[0])
    return _ed(b["img"], after, t, "background")


# ---- props for "add" ------------------------------------------------------------------------


def _prop(kind, W, H, cx, by, hp, rng):
    seed = int(rng.integers(1, 2**31))
    if kind == "lemon":
        P = _P(cx - 0.75 * hp, by - hp - 2, cx + 0.75 * hp, by + 2, W, H, seed)
        c = (cx, by - 0.5 * hp)
        a = P.ell(c, (0.67 * hp, 0.48 * hp), _U(rng, -12, 12))
        d = np.sqrt((P.X - c[0] + 0.2 * hp) ** 2 + (P.Y - c[1] + 0.2 * hp) ** 2) / hp
        P.add(a, (30, 200, 240), np.clip(1.12 - 0.55 * d, 0.55, 1.12) * (1 + 0.03 * P.field(50)))
        P.add(P.ell((cx + 0.66 * hp, c[1]), (0.07 * hp, 0.06 * hp)), (35, 160, 200), 0.9)
        return P, 0.6 * hp
    if kind == "apple":
        P = _P(cx - 0.6 * hp, by - 1.25 * hp, cx + 0.6 * hp, by + 2, W, H, seed)
        c = (cx, by - 0.5 * hp)
        a = P.ell(c, (0.52 * hp, 0.5 * hp))
        d = np.sqrt((P.X - c[0] + 0.18 * hp) ** 2 + (P.Y - c[1] + 0.2 * hp) ** 2) / hp
        P.add(a, (40, 45, 190), np.clip(1.15 - 0.6 * d, 0.5, 1.2) + 0.05 * P.field(12))
        P.add(P.line((cx, by - 0.95 * hp), (cx + 0.05 * hp, by - 1.15 * hp), 0.04 * hp), (40, 70, 100))
        P.add(P.ell((cx + 0.15 * hp, by - 1.08 * hp), (0.14 * hp, 0.05 * hp), -25), (50, 150, 60), 1.0)
        return P, 0.5 * hp
    if kind == "plant":
        P = _P(cx - 0.6 * hp, by - hp - 2, cx + 0.6 * hp, by + 2, W, H, seed)
        pt, pw0, pw1 = by - 0.42 * hp, 0.24 * hp, 0.3 * hp
        leaves = [(-70, 0.45), (-45, 0.55), (-20, 0.58), (0, 0.6), (20, 0.56), (45, 0.52), (70, 0.42)]
        for i, (ang, ln) in enumerate(leaves):
            a = math.radians(ang + _U(rng, -8, 8))
            tip = (cx + ln * hp * math.sin(a), pt - ln * hp * math.cos(a))
            mid = ((cx + tip[0]) / 2, (pt + tip[1]) / 2)
            lf = P.ell(mid, (0.07 * hp, ln * hp / 2), ang)
            col = [(40, 140, 50), (60, 160, 70), (30, 115, 40)][i % 3]
            P.add(lf, col, 0.85 + 0.25 * np.clip((pt - P.Y) / (0.6 * hp), 0, 1))
        pot = P.poly([(cx - pw1, pt), (cx + pw1, pt), (cx + pw0, by), (cx - pw0, by)])
        P.add(pot, (70, 110, 195), P.cyl(cx - pw1, cx + pw1, 0.55, 1.08, 0.6))
        P.add(
            P.rrect(cx - pw1 * 1.05, pt - 0.02 * hp, cx + pw1 * 1.05, pt + 0.07 * hp, 0.01 * hp),
            (70, 110, 195),
            P.cyl(cx - pw1, cx + pw1, 0.6, 1.15, 0.6),
        )
        return P, pw0 * 1.2
    if kind == "gift":
        s = hp * 0.85
        x0, y0 = cx - 0.55 * s, by - s
        dx, dy = 0.18 * s, -0.15 * s
        P = _P(x0 - 2, y0 + dy - 0.2 * s, x0 + s + dx + 2, by + 2, W, H, seed)
        col = _pick(rng, [(60, 50, 200), (170, 90, 40), (80, 150, 60)])
        P.add(P.poly([(x0 + s, y0), (x0 + s + dx, y0 + dy), (x0 + s + dx, by + dy), (x0 + s, by)]), col, 0.7)
        P.add(P.poly([(x0, y0), (x0 + s, y0), (x0 + s + dx, y0 + dy), (x0 + dx, y0 + dy)]), col, 1.15)
        P.add(P.poly([(x0, y0), (x0 + s, y0), (x0 + s, by), (x0, by)]), col, 1.0)
        gold = (60, 175, 225)
        rx = x0 + 0.5 * s
        P.add(
            P.poly([(rx - 0.06 * s, y0), (rx + 0.06 * s, y0), (rx + 0.06 * s, by), (rx - 0.06 * s, by)]),
            gold,
            1.0,
        )
        P.add(
            P.poly(
                [
                    (rx - 0.06 * s, y0),
                    (rx + 0.06 * s, y0),
                    (rx + 0.06 * s + dx, y0 + dy),
                    (rx - 0.06 * s + dx, y0 + dy),
                ]
            ),
            gold,
            1.15,
        )
        bc = (rx + dx / 2, y0 + dy / 2)
        for sg in (-1, 1):
            P.add(P.ell((bc[0] + sg * 0.1 * s, bc[1] - 0.05 * s), (0.11 * s, 0.06 * s), sg * 25), gold, 1.05)
        return P, 0.6 * s
    # vase with flowers
    P = _P(cx - 0.45 * hp, by - hp - 2, cx + 0.45 * hp, by + 2, W, H, seed)
    vw, vt = 0.2 * hp, by - 0.5 * hp
    for i, ang in enumerate((-25, 0, 22)):
        a = math.radians(ang)
        tip = (cx + 0.38 * hp * math.sin(a), vt - 0.35 * hp * math.cos(a))
        P.add(P.line((cx, vt + 0.05 * hp), tip, 0.018 * hp), (40, 120, 50), 0.9)
        fc = _pick(rng, [(180, 140, 245), (40, 200, 240), (220, 220, 240)])
        for k in range(6):
            pa = 2 * math.pi * k / 6
            P.add(
                P.ell(
                    (tip[0] + 0.05 * hp * math.cos(pa), tip[1] + 0.05 * hp * math.sin(pa)),
                    (0.05 * hp, 0.03 * hp),
                    math.degrees(pa),
                ),
                fc,
                0.95,
            )
        P.add(P.ell(tip, (0.03 * hp, 0.03 * hp)), (30, 150, 220), 1.0)
    vase = P.rrect(cx - vw, vt, cx + vw, by, 0.05 * hp)
    P.add(
        vase,
        (225, 228, 232),
        P.cyl(cx - vw, cx + vw, 0.6, 1.08, 0.6),
        P.glint(cx - vw, cx + vw, 0.3, 0.06, 0.2),
    )
    return P, vw * 1.2


PROPS = {
    "lemon": ("一个柠檬", "a lemon", 1.5),
    "apple": ("一个红苹果", "a red apple", 1.1),
    "plant": ("一盆小绿植", "a small potted plant", 1.1),
    "gift": ("一个小礼盒", "a small gift box", 1.2),
    "vase": ("一瓶鲜花", "a vase of flowers", 0.9),
}
ADD_T = [
    "在{sz}加{pz}",
    "请在产品{sz}放{pz}",
    "Add {pe} to the {se} of the {oe}.",
    "put {pe} next to the {oe}, on the {se}",
    "{sz}添加{pz}，其他不变",
    "Could you add {pe} on the {se} side?",
    "加个{pz}在{sz}",
    "在{oz}旁边({se})放{pz}",
]
CORNERS = {
    "tl": ("左上角", "top-left"),
    "tr": ("右上角", "top-right"),
    "bl": ("左下角", "bottom-left"),
    "br": ("右下角", "bottom-right"),
}
BADGE_COLS = [
    ((40, 40, 210), "红色", "red"),
    ((40, 170, 230), "金色", "gold"),
    ((30, 30, 30), "黑色", "black"),
    ((60, 140, 40), "绿色", "green"),
]
BADGE_TXT = ["NEW", "SALE", "HOT", "-20%", "新品", "热卖", "特价", "包邮"]


def _quiet_corner(img, rng):
    """Corner with the least detail (for badges/captions on photos)."""
    H, W = img.shape[:2]
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(F32)
    ch, cw = H // 4, W // 4
    boxes = {"tl": g[:ch, :cw], "tr": g[:ch, -cw:], "bl": g[-ch:, :cw], "br": g[-ch:, -cw:]}
    scores = {k: float(v.std()) + rng.uniform(0, 3) for k, v in boxes.items()}
    k = min(scores, key=scores.get)
    return k, float(boxes[k].mean())


def _badge(img_f, cx, cy, r, col, txt):
    H, W = img_f.shape[:2]
    P = _P(cx - r - 3, cy - r - 3, cx + r + 3, cy + r + 3, W, H)
    a = P.ell((cx, cy), (r, r))
    P.add(a, col, 1.0 + 0.06 * np.clip((cy - P.Y) / r, -1, 1))
    P.add(np.clip(a - P.ell((cx, cy), (r * 0.88, r * 0.88)), 0, 1), (250, 250, 250), 0.95)
    P.add(P.text(txt, cx, cy, 0.55 * r, 1.45 * r) * a, (250, 250, 250), 1.0)
    P.paste(img_f)
    return P


def _free_side(b, need=0.2):
    x0, y0, x1, y1 = b["bbox"]
    W = b["W"]
    sides = [(s, v) for s, v in (("left", x0), ("right", W - x1)) if v >= need * W]
    return sides


def _e_add(rng, b):
    if b["scene"] is None:
        k, _ = _quiet_corner(b["img"], rng)
        H, W = b["H"], b["W"]
        r = _U(rng, 0.07, 0.1) * min(H, W)
        m = 0.04 * min(H, W) + r
        cx = m if k[1] == "l" else W - m
        cy = m if k[0] == "t" else H - m
        col, cz, ce = _pick(rng, BADGE_COLS)
        txt = _pick(rng, [t for t in BADGE_TXT if HAS_FONT or not _is_cjk(t)])
        img = b["img"].astype(F32)
        _badge(img, cx, cy, r, col, txt)
        zc, ec = CORNERS[k]
        t = _pick(
            rng,
            [
                f"在{zc}加一个{cz}圆形的“{txt}”标签",
                f"Add a {ce} round '{txt}' badge in the {ec} corner.",
                f"请在图片{zc}添加{cz}角标「{txt}」",
                f'put a {ce} circle sticker saying "{txt}" at the {ec}',
                f"{zc}加个{cz}的{txt}贴标",
                f"could you add a small {ce} '{txt}' badge, {ec} corner?",
            ],
        )
        return _ed(b["img"], _u8(img), t, "add")
    sides = _free_side(b)
    if not sides:
        return None
    side, space = sides[int(rng.integers(len(sides)))]
    x0, y0, x1, y1 = b["bbox"]
    W, H = b["W"], b["H"]
    pk = _pick(rng, list(PROPS))
    pz, pe, asp = PROPS[pk]
    hp = min(0.55 * (y1 - y0), 0.8 * space / asp, 0.42 * H)
    if hp < 0.09 * H:
        return None
    px = (x0 - space / 2) if side == "left" else (x1 + space / 2)
    px += _U(rng, -0.1, 0.1) * space
    py = min(0.975 * H, y1 + _U(rng, -0.01, 0.03) * H)
    img = b["img"].astype(F32)
    P, rx = _prop(pk, W, H, px, py, hp, rng)
    ry = max(2.0, 0.05 * hp)
    _ellipse_shadow(img, px, py - 0.3 * ry, rx, ry, 0.35, 0.4 * ry + 0.02 * hp)
    P.paste(img)
    _, zh, en, _, _ = KINDS[b["scene"]["kind"]]
    sz, se = {"left": ("左边", "left"), "right": ("右边", "right")}[side]
    t = _pick(rng, ADD_T).format(sz=sz, se=se, pz=pz, pe=pe, oz=zh[0], oe=en[0])
    return _ed(b["img"], _u8(img), t, "add")


# ---- objects to remove ----------------------------------------------------------------------

REM_T = [
    "去掉{xz}",
    "请把{xz}去掉，其他保持不变",
    "Remove the {xe}.",
    "please erase the {xe} and leave everything else untouched",
    "把图上的{xz}删除",
    "can you get rid of the {xe}?",
    "删掉{xz}，别的不要改",
    "remove {xe} / 去除{xz}",
]


def _rotated_text_alpha(shape, text, cx, cy, hpx, maxw, ang):
    m = _text_mask(text, hpx, maxw)
    h, w = m.shape
    d = int(math.hypot(h, w)) + 4
    pad = np.zeros((d, d), F32)
    pad[(d - h) // 2 : (d - h) // 2 + h, (d - w) // 2 : (d - w) // 2 + w] = m
    R = cv2.getRotationMatrix2D((d / 2, d / 2), ang, 1.0)
    pad = cv2.warpAffine(pad, R, (d, d), flags=cv2.INTER_LINEAR)
    return _paste_center(shape, pad, cx, cy)


def _spot_xy(rng, b, r):
    """A point on the backdrop (away from the product for synthetic bases)."""
    H, W = b["H"], b["W"]
    for _ in range(40):
        x = _U(rng, r + 0.04 * W, W - r - 0.04 * W)
        y = _U(rng, r + 0.04 * H, H - r - 0.04 * H)
        if b["mask"] is None:
            return x, y
        x0, y0, x1, y1 = b["bbox"]
        if x + r < x0 - 0.02 * W or x - r > x1 + 0.02 * W or y + r < y0 - 0.02 * H:
            return x, y
    return None


def _e_remove(rng, b, tiny=False):
    H, W = b["H"], b["W"]
    S = min(H, W)
    base = b["img"]
    img = base.astype(F32)
    opts = (
        ["sticker", "spot", "logo", "coin"] if tiny else ["sticker", "tag", "watermark", "logo", "sticker_on"]
    )
    if b["scene"] is None:
        opts = [o for o in opts if o not in ("coin", "sticker_on")]
    kind = _pick(rng, opts)
    if kind == "sticker" or kind == "sticker_on":
        r = _U(rng, 0.025, 0.04) * S if tiny else _U(rng, 0.06, 0.1) * S
        if kind == "sticker_on":
            x0, y0, x1, y1 = b["bbox"]
            r = min(r, 0.3 * (x1 - x0))
            if r < 0.03 * S:
                return None
            xy = ((x0 + x1) / 2 + _U(rng, -0.1, 0.1) * (x1 - x0), y0 + _U(rng, 0.45, 0.7) * (y1 - y0))
        else:
            xy = _spot_xy(rng, b, r)
        if xy is None:
            return None
        col, cz, ce = _pick(rng, BADGE_COLS)
        txt = _pick(rng, [t for t in BADGE_TXT if HAS_FONT or not _is_cjk(t)])
        _badge(img, xy[0], xy[1], r, col, txt)
        names = (["贴纸", f"{cz}贴纸", f"“{txt}”贴纸"], ["sticker", f"{ce} sticker", f"'{txt}' sticker"])
        if kind == "sticker_on":
            _, zh, en, _, _ = KINDS[b["scene"]["kind"]]
            names = (
                [f"{zh[0]}上的贴纸", f"{zh[0]}上的{cz}标签"],
                [f"sticker on the {en[0]}", f"{ce} label stuck on the {en[0]}"],
            )
    elif kind == "tag":
        tw, th = _U(rng, 0.16, 0.22) * S, _U(rng, 0.08, 0.11) * S
        xy = _spot_xy(rng, b, max(tw, th) / 2)
        if xy is None:
            return None
        x, y = xy
        P = _P(x - tw / 2 - 3, y - th / 2 - 3, x + tw / 2 + 3, y + th / 2 + 3, W, H)
        a = P.poly(
            [
                (x - tw / 2, y - th / 2),
                (x + tw / 2 - 0.2 * th, y - th / 2),
                (x + tw / 2, y),
                (x + tw / 2 - 0.2 * th, y + th / 2),
                (x - tw / 2, y + th / 2),
            ]
        )
        P.add(a, (245, 245, 240), 1.0)
        P.add(P.ell((x + tw / 2 - 0.3 * th, y), (0.07 * th, 0.07 * th)), (120, 120, 120), 1.0)
        price = _pick(rng, ["¥129", "$39.99", "¥59.9", "€24", "SALE 30%"])
        P.add(P.text(price, x - 0.12 * th, y, 0.55 * th, 0.75 * tw) * a, (40, 40, 190), 1.0)
        _drop_shadow(img, P, 0.05 * th, 0.08 * th, 0.08 * th, 0.3)
        P.paste(img)
        names = (["价签", "价格标签", "价格吊牌"], ["price tag", "price label", "price tag"])
    elif kind == "watermark":
        txt = _pick(rng, ["SAMPLE", "PREVIEW", "© studio", "样品图", "仅供参考", "DO NOT COPY"])
        if not HAS_FONT and _is_cjk(txt):
            txt = "SAMPLE"
        a = _rotated_text_alpha(
            (H, W), txt, W * _U(rng, 0.45, 0.55), H * _U(rng, 0.4, 0.6), 0.13 * S, 0.7 * W, _U(rng, -28, 28)
        )
        op = _U(rng, 0.3, 0.45)
        col = (255, 255, 255) if rng.random() < 0.5 else (128, 128, 128)
        if _lum(col) > 200 and float(base.mean()) > 200:
            col = (120, 120, 120)
        img = _blend_color(img, a * op, col)
        names = (
            ["水印", "中间的水印", f"“{txt}”水印"],
            ["watermark", "watermark in the middle", f"'{txt}' watermark"],
        )
    elif kind == "logo":
        txt = _pick(rng, ["studio K", "@shop", "LOGO", "小店", "PHOTO·M"])
        if not HAS_FONT and _is_cjk(txt):
            txt = "LOGO"
        hpx = (_U(rng, 0.025, 0.035) if tiny else _U(rng, 0.045, 0.06)) * S
        m = _text_mask(txt, hpx, 0.4 * W)
        c = _pick(rng, ["tl", "tr", "bl", "br"])
        mx = 0.03 * W + m.shape[1] / 2
        my = 0.03 * H + m.shape[0] / 2
        cx = mx if c[1] == "l" else W - mx
        cy = my if c[0] == "t" else H - my
        a = _paste_center((H, W), m, cx, cy)
        lum = float(base[int(cy), int(cx)].mean())
        col = (40, 40, 40) if lum > 140 else (240, 240, 240)
        img = _blend_color(img, a * _U(rng, 0.6, 0.9), col)
        zc, ec = CORNERS[c]
        names = ([f"{zc}的logo", f"{zc}的文字标志"], [f"logo in the {ec} corner", f"{ec} corner logo"])
    elif kind == "spot":
        r = _U(rng, 0.006, 0.012) * max(H, W)
        xy = _spot_xy(rng, b, r * 3)
        if xy is None:
            return None
        P = _P(xy[0] - 4 * r, xy[1] - 4 * r, xy[0] + 4 * r, xy[1] + 4 * r, W, H)
        a = cv2.GaussianBlur(P.ell(xy, (r, r * _U(rng, 0.6, 1.0)), _U(rng, 0, 180)), (0, 0), 0.4 * r)
        P.add(a * 0.85, (45, 50, 55), 1.0)
        P.paste(img)
        names = (
            ["污点", "那个小黑点", "背景上的污渍"],
            ["dark spot", "little stain", "speck of dirt on the backdrop"],
        )
    else:  # coin
        r = _U(rng, 0.02, 0.03) * S
        sides = _free_side(b, 0.12)
        if not sides:
            return None
        side, space = sides[0]
        x0, y0, x1, y1 = b["bbox"]
        x = (x0 - space / 2) if side == "left" else (x1 + space / 2)
        y = min(H - 2 * r, y1 - r * 0.5)
        P = _P(x - r - 2, y - r - 2, x + r + 2, y + r + 2, W, H)
        a = P.ell((x, y), (r, r * 0.45))
        P.add(a, (90, 165, 200), 1.0 + 0.25 * np.clip((y - P.Y) / r, -1, 1))
        _drop_shadow(img, P, 0.1 * r, 0.15 * r, 0.2 * r, 0.35)
        P.paste(img)
        names = (["硬币", "桌上的硬币"], ["coin", "coin on the table"])
    k = int(rng.integers(len(names[0])))
    t = _pick(rng, REM_T).format(xz=names[0][k], xe=names[1][min(k, len(names[1]) - 1)])
    return _ed(_u8(img), base, t, "remove")


# ---- global styles --------------------------------------------------------------------------

STYLES = {
    "warm": (
        ["调成暖色调", "整体色调改暖一点", "暖色调滤镜，温馨一点"],
        ["make it warmer", "Give the photo a warm golden tone.", "apply a warm filter"],
    ),
    "cool": (
        ["调成冷色调", "整体偏冷一点，清爽的感觉"],
        ["make the colours cooler", "apply a cool, crisp blue grade"],
    ),
    "bw": (["转成黑白照片", "改成黑白风格"], ["convert to black and white", "make it a B&W photo please"]),
    "vintage": (
        ["复古胶片风格", "做成老照片的复古色调"],
        ["give it a vintage film look", "retro / faded film style"],
    ),
    "bright": (
        ["整体提亮，明亮通透一些", "调亮一点，日系小清新"],
        ["brighten the whole image, light and airy", "make it brighter and airier"],
    ),
    "contrast": (["增加对比度，更有质感", "对比度调高一些"], ["boost the contrast", "add punchy contrast"]),
}


def _style(img, kind):
    x = img.astype(F32)
    if kind == "warm":
        x = x * np.array([0.88, 0.99, 1.07], F32) + np.array([-4, 3, 10], F32)
    elif kind == "cool":
        x = x * np.array([1.08, 1.0, 0.9], F32) + np.array([8, 2, -6], F32)
    elif kind == "bw":
        g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(F32)
        g = 255 * (0.5 + 0.5 * np.tanh(2.2 * (g / 255 - 0.5)) / np.tanh(1.1))
        x = np.repeat(g[..., None], 3, 2)
    elif kind == "vintage":
        M = np.array([[0.131, 0.534, 0.272], [0.168, 0.686, 0.349], [0.189, 0.769, 0.393]], F32)
        sep = x @ M.T
        x = 0.6 * sep + 0.4 * x
        x = 0.82 * x + 28
        H, W = img.shape[:2]
        yy, xx = np.mgrid[0:H, 0:W].astype(F32)
        v = 1 - 0.25 * (((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2) / 0.5)
        x = x * v[..., None]
    elif kind == "bright":
        x = 255 * (x / 255) ** 0.78
        g = x.mean(2, keepdims=True)
        x = g + 0.88 * (x - g) + 6
    elif kind == "contrast":
        x = 255 * (0.5 + 0.5 * np.tanh(2.6 * (x / 255 - 0.5)) / np.tanh(1.3))
    return _u8(x)


def _e_style(rng, b):
    k = _pick(rng, list(STYLES))
    zl, el = STYLES[k]
    t = _pick(rng, zl + el)
    return _ed(b["img"], _style(b["img"], k), t, "style")


BLUR_T = [
    "背景虚化",
    "把背景模糊一下，{oz}保持清晰",
    "Blur the background, keep the {oe} sharp.",
    "add a shallow depth-of-field blur to the backdrop",
    "请做背景虚化效果",
    "make the background bokeh / 背景虚化",
    "背景糊一点，突出{oz}",
]


def _e_blur(rng, b):
    if b["scene"] is None or b["bgkind"] not in TEXTURED:
        return None
    sc = b["scene"]
    after, _ = _render(sc, b["W"], b["H"], blur_bg=_U(rng, 0.006, 0.012))
    _, zh, en, _, _ = KINDS[sc["kind"]]
    t = _pick(rng, BLUR_T).format(oz=zh[0], oe=en[0])
    return _ed(b["img"], after, t, "blur")


TEXTS_L = ["NEW ARRIVAL", "Summer Sale", "Free Shipping", "LIMITED EDITION", "Best Seller", "Just Dropped"]
TEXTS_C = ["新品上市", "限时特惠", "全场包邮", "热卖爆款", "买一送一", "官方正品"]
TEXT_T = [
    "在{pz}加上文字“{t}”",
    "Add the text '{t}' at the {pe}.",
    "请在{pz}添加文案「{t}」",
    'put "{t}" in the {pe}',
    "{pz}加一行字：{t}",
    "Could you add the caption “{t}” to the {pe}?",
    "加文字 '{t}'，放在{pz}",
]


def _e_text(rng, b):
    H, W = b["H"], b["W"]
    txt = _pick(rng, TEXTS_C) if (HAS_FONT and rng.random() < 0.5) else _pick(rng, TEXTS_L)
    if b["scene"] is None:
        k, lum = _quiet_corner(b["img"], rng)
        hpx = 0.065 * H
        m = _text_mask(txt, hpx, 0.42 * W)
        mx, my = 0.04 * W + m.shape[1] / 2, 0.04 * H + m.shape[0] / 2
        cx = mx if k[1] == "l" else W - mx
        cy = my if k[0] == "t" else H - my
        pz, pe = CORNERS[k][0], CORNERS[k][1] + " corner"
    else:
        x0, y0, x1, y1 = b["bbox"]
        if y0 >= 0.15 * H:
            hpx = min(0.075 * H, 0.45 * y0)
            m = _text_mask(txt, hpx, 0.85 * W)
            pos = _pick(rng, ["c", "l", "r"])
            cx = {"c": W / 2, "l": 0.05 * W + m.shape[1] / 2, "r": W - 0.05 * W - m.shape[1] / 2}[pos]
            cy = y0 / 2
            pz, pe = {
                "c": ("顶部", "top"),
                "l": ("左上角", "top-left corner"),
                "r": ("右上角", "top-right corner"),
            }[pos]
        else:
            sides = _free_side(b, 0.25)
            if not sides:
                return None
            side, space = sides[0]
            hpx = 0.06 * H
            txt = _pick(rng, [t for t in TEXTS_C + ["NEW", "SALE", "HOT"] if HAS_FONT or not _is_cjk(t)])
            m = _text_mask(txt, hpx, 0.85 * space)
            cx = (x0 - space / 2) if side == "left" else (x1 + space / 2)
            cy = 0.2 * H
            pz, pe = {"left": ("左侧", "left side"), "right": ("右侧", "right side")}[side]
        ys0, ys1 = max(0, int(cy - m.shape[0] / 2)), min(H, int(cy + m.shape[0] / 2) + 1)
        xs0, xs1 = max(0, int(cx - m.shape[1] / 2)), min(W, int(cx + m.shape[1] / 2) + 1)
        lum = float(b["img"][ys0:ys1, xs0:xs1].mean())
    if m.shape[0] < 0.03 * H:
        return None
    a = _paste_center((H, W), m, cx, cy)
    if b["mask"] is not None and float((a * b["mask"]).sum()) > 0.5:
        return None
    col = (30, 30, 30) if lum > 140 else (248, 248, 248)
    if rng.random() < 0.3 and lum > 140:
        col = (40, 40, 190)
    after = _u8(_blend_color(b["img"].astype(F32), a, col))
    t = _pick(rng, TEXT_T).format(pz=pz, pe=pe, t=txt)
    return _ed(b["img"], after, t, "text")


EDITS = {
    "recolour": _e_recolour,
    "background": _e_background,
    "add": _e_add,
    "remove": _e_remove,
    "style": _e_style,
    "text": _e_text,
    "blur": _e_blur,
}
EDIT_W = {
    "recolour": 0.22,
    "background": 0.22,
    "add": 0.15,
    "remove": 0.15,
    "text": 0.1,
    "style": 0.08,
    "blur": 0.08,
}


def _pick_edit(rng, b, only=None, exclude=()):
    names = [n for n in (only or EDITS) if n not in exclude]
    w = np.array([EDIT_W[n] for n in names], float)
    order = rng.choice(len(names), size=len(names), replace=False, p=w / w.sum())
    for i in order:
        e = EDITS[names[i]](rng, b)
        if e is not None:
            return e
    return None


# =============================================================================================
# damage (what goes wrong on top of the right edit)
# =============================================================================================


def _d_shift(img, rng):
    H, W = img.shape[:2]
    lo = max(3, int(round(0.004 * max(H, W))))
    mag = int(rng.integers(lo, 16))
    ang = _U(rng, 0, 2 * math.pi)
    dx, dy = mag * math.cos(ang), mag * math.sin(ang)
    M = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(
        img,
        M,
        (W, H),
        flags=cv2.INTER_LINEAR,
        borderMode=_pick(rng, [cv2.BORDER_REFLECT101, cv2.BORDER_REPLICATE]),
    )


def _d_zoom(img, rng):
    H, W = img.shape[:2]
    lo = max(1.015, 1 + 9.0 / max(H, W))
    s = _U(rng, lo, 1.06)
    if rng.random() < 0.2:
        s = 1 / s
    c = (W / 2 + _U(rng, -0.08, 0.08) * W, H / 2 + _U(rng, -0.08, 0.08) * H)
    M = cv2.getRotationMatrix2D(c, 0, s)
    return cv2.warpAffine(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def _d_rotate(img, rng):
    H, W = img.shape[:2]
    a = _U(rng, 0.7, 3.0) * _pick(rng, [-1, 1])
    cover = rng.random() < 0.5
    s = 1.0
    if cover:
        r = math.radians(abs(a))
        s = math.cos(r) + math.sin(r) * max(W / H, H / W)
    M = cv2.getRotationMatrix2D((W / 2, H / 2), a, s)
    return cv2.warpAffine(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


CASTS = [(-20, 4, 14), (20, 0, -12), (-8, 16, -8), (12, -14, 12), (-8, -8, 18), (14, 10, -14)]


def _d_cast(img, rng):
    v = np.array(_pick(rng, CASTS), F32) * _U(rng, 0.85, 1.35)
    x = img.astype(F32)
    if rng.random() < 0.4:
        gain = 1 + v / 160.0
        x = x * gain + v * 0.35
    else:
        x = x + v
    return _u8(x)


def _tile_size(H, W, rng):
    opts = [t for t in (256, 320, 384, 512) if max(H, W) >= 1.8 * t and min(H, W) >= 1.1 * t]
    if not opts:
        opts = [max(96, int(min(H, W) / 2))]
    return int(_pick(rng, opts))


def _d_tile_seams(img, rng):
    H, W = img.shape[:2]
    T = _tile_size(H, W, rng)
    amp = _U(rng, 22, 45) * _pick(rng, [-1, 1])
    sig = _U(rng, 0.8, 1.5)
    X = np.arange(W, dtype=F32)[None, :]
    Y = np.arange(H, dtype=F32)[:, None]
    dx = np.abs(((X + T / 2) % T) - T / 2)
    dy = np.abs(((Y + T / 2) % T) - T / 2)
    line = np.maximum(np.exp(-((dx / sig) ** 2)), np.exp(-((dy / sig) ** 2)))
    x = img.astype(F32)
    if rng.random() < 0.5:  # tiles also misregistered by a pixel or two
        out = x.copy()
        for ty in range(0, H, T):
            for tx in range(0, W, T):
                sx, sy = int(rng.integers(-2, 3)), int(rng.integers(-2, 3))
                tile = x[ty : ty + T, tx : tx + T]
                out[ty : ty + T, tx : tx + T] = np.roll(np.roll(tile, sy, 0), sx, 1)
        x = out
    off = np.zeros((H, W), F32)
    for ty in range(0, H, T):
        for tx in range(0, W, T):
            off[ty : ty + T, tx : tx + T] = _U(rng, -3, 3)
    return _u8(x + (line * amp + off)[..., None])


def _d_tile_tone(img, rng):
    H, W = img.shape[:2]
    T = _tile_size(H, W, rng)
    ny, nx = -(-H // T), -(-W // T)
    base = _U(rng, 6, 11)
    grid = np.zeros((ny, nx, 3), F32)
    for i in range(ny):
        for j in range(nx):
            sgn = 1 if (i + j) % 2 == 0 else -1
            grid[i, j] = sgn * base + rng.normal(0, 2.5) + rng.normal(0, 3.5, 3)
    off = np.repeat(np.repeat(grid, T, 0), T, 1)[:H, :W]
    k = max(1, int(T * 0.03))
    off = cv2.blur(off, (2 * k + 1, 2 * k + 1))
    return _u8(img.astype(F32) + off)


def _d_oversmooth(img, rng):
    H, W = img.shape[:2]
    big = max(H, W) > 1300
    x = img
    if rng.random() < 0.5:
        x = cv2.medianBlur(x, 9 if big else 7)
    n = int(rng.integers(3, 5))
    for _ in range(n):
        x = cv2.bilateralFilter(x, 13 if big else 9, _U(rng, 60, 100), 9 if big else 6)
    return x


def _d_oversharpen(img, rng):
    H, W = img.shape[:2]
    sig = _U(rng, 1.5, 3.0) * max(1.0, max(H, W) / 1000) ** 0.5
    amt = _U(rng, 2.2, 4.0)
    x = img.astype(F32)
    bl = cv2.GaussianBlur(x, (0, 0), sig)
    return _u8(x + amt * (x - bl))


def _d_halo(img, mask, rng):
    H, W = img.shape[:2]
    r = _U(rng, 0.006, 0.014) * max(H, W)
    k = int(round(r))
    dil = cv2.dilate(
        (mask > 0.5).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    )
    band = cv2.GaussianBlur(dil.astype(F32), (0, 0), r * 0.35)
    band = np.clip(band - mask, 0, 1)
    ring = (dil > 0) & (mask < 0.5)
    lum = float(img[ring].mean()) if ring.any() else 128.0
    col = (70, 70, 70) if lum > 170 else (250, 250, 250)
    return _u8(_blend_color(img.astype(F32), band * _U(rng, 0.7, 0.9), col))


def _d_posterize(img, rng):
    if rng.random() < 0.6:
        n = int(rng.integers(5, 11))
        st = 255.0 / (n - 1)
        return _u8(np.round(img.astype(F32) / st) * st)
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(F32)
    st = _U(rng, 14, 22)
    lab[..., 0] = np.round(lab[..., 0] / st) * st
    return cv2.cvtColor(_u8(lab), cv2.COLOR_LAB2BGR)


def _d_chroma(img, rng):
    H, W = img.shape[:2]
    ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)
    f = _U(rng, 9, 16) * max(1.0, max(H, W) / 1000)
    sz = (max(2, int(W / f)), max(2, int(H / f)))
    sc = max(1.0, max(H, W) / 1000)
    dx = _U(rng, 7, 13) * sc * _pick(rng, [-1, 1])
    dy = _U(rng, 2, 7) * sc * _pick(rng, [-1, 1])
    M = np.float32([[1, 0, dx], [0, 1, dy]])
    for c in (1, 2):
        ch = cv2.resize(
            cv2.resize(ycc[..., c], sz, interpolation=cv2.INTER_AREA), (W, H), interpolation=cv2.INTER_LINEAR
        )
        ycc[..., c] = cv2.warpAffine(ch, M, (W, H), borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)


# =============================================================================================
# families
# =============================================================================================


def _hf(img):
    """Mean high-frequency energy (fine detail) of an image."""
    g = cv2.cvtColor(np.asarray(img), cv2.COLOR_BGR2GRAY).astype(F32)
    return float(np.abs(g - cv2.GaussianBlur(g, (0, 0), 1.5)).mean())


def _fam(rng, b, damage, exclude=(), vae_kw=None, only=None):
    e = _pick_edit(rng, b, only=only, exclude=exclude)
    if e is None:
        return None
    after = _vae(damage(e["after"], rng), rng, **(vae_kw or {}))
    return e["before"], after, e["instr"]


# ---------------- good ----------------


def f_good_vae_strongest(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng, blur=0.9, noise=2.0, q=85), e["instr"]


def f_good_tone_drift(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    if rng.random() < 0.5:
        d = [float(_pick(rng, [-2, -1, 1, 2]))] * 3
    else:
        d = [float(v) for v in rng.integers(-2, 3, 3)]
        if max(abs(v) for v in d) == 0:
            d[int(rng.integers(3))] = float(_pick(rng, [-2, 2]))
    return e["before"], _vae(e["after"], rng, drift=d), e["instr"]


def f_good_smooth_studio(rng, b):
    if b["photo"] or not b["smooth"]:
        return None
    e = _pick_edit(rng, b, only=("recolour", "add", "remove", "text", "background"))
    if e is None:
        return None
    if e["instr"].action == "background":
        e = _e_background(rng, b, plain_only=True)
    q = None if rng.random() < 0.35 else int(rng.integers(85, 93))
    return e["before"], _vae(e["after"], rng, noise=_U(rng, 1.4, 2.0), q=q), e["instr"]


def f_good_textured(rng, b):
    if not b["textured"]:
        return None
    e = _pick_edit(rng, b, exclude=("blur",))
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng), e["instr"]


def f_good_small_480(rng, b):
    b2 = _rebase(b, int(rng.integers(480, 561)))
    e = _pick_edit(rng, b2)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng), e["instr"]


def f_good_large_2000(rng, b):
    if b["photo"]:
        return None
    b2 = _rebase(b, int(rng.integers(1800, 2001)))
    e = _pick_edit(rng, b2)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng, png_p=0.15), e["instr"]


def f_good_big_background(rng, b):
    e = _e_background(rng, b, big=True)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng), e["instr"]


def f_good_tiny_removal(rng, b):
    e = _e_remove(rng, b, tiny=True)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng), e["instr"]


def f_good_style_asked(rng, b):
    e = _e_style(rng, b)
    return e["before"], _vae(e["after"], rng), e["instr"]


def f_good_blur_bg_asked(rng, b):
    e = _e_blur(rng, b)
    if e is None:
        return None
    return e["before"], _vae(e["after"], rng), e["instr"]


def _grain(img, rng, sig):
    H, W = img.shape[:2]
    n = (
        rng.standard_normal((H, W, 1), dtype=F32) * sig
        + rng.standard_normal((H, W, 3), dtype=F32) * sig * 0.4
    )
    return img.astype(F32) + n


def f_good_noisy_source(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    g = _U(rng, 3.0, 5.0)
    before = _u8(_grain(e["before"], rng, g))
    x = cv2.GaussianBlur(e["after"].astype(F32), (0, 0), _U(rng, 0.4, 0.7))
    x = _grain(x, rng, g * _U(rng, 0.7, 1.0))
    q = None if rng.random() < 0.4 else int(rng.integers(88, 96))
    out = _u8(x)
    return before, (_jpeg(out, q) if q else out), e["instr"]


def f_good_jpeg_source(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    q0 = int(rng.integers(55, 71))
    before = np.asarray(_jpeg(e["before"], q0)).copy()
    src = np.asarray(_jpeg(e["after"], q0)).copy()
    return before, _vae(src, rng, blur=_U(rng, 0.4, 0.7), q=int(rng.integers(88, 96))), e["instr"]


# ---------------- bad ----------------


def f_frame_shift(rng, b):
    return _fam(rng, b, _d_shift)


def f_frame_zoom(rng, b):
    return _fam(rng, b, _d_zoom)


def f_frame_rotate(rng, b):
    return _fam(rng, b, _d_rotate)


def f_colour_cast(rng, b):
    return _fam(rng, b, _d_cast, exclude=("style",))


def f_heavy_noise(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    sig = _U(rng, 9, 20)
    mono = rng.random() < 0.4

    def post(x):
        H, W = x.shape[:2]
        if mono:
            return x + rng.standard_normal((H, W, 1), dtype=F32) * sig
        return x + rng.standard_normal((H, W, 3), dtype=F32) * sig

    return e["before"], _vae(e["after"], rng, post=post), e["instr"]


def f_blank_frame(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    H, W = e["after"].shape[:2]
    v = _pick(rng, ["grey", "black", "white", "ghost", "mean", "half"])
    if v == "grey":
        x = np.full((H, W, 3), _U(rng, 110, 140), F32)
    elif v == "black":
        x = np.full((H, W, 3), _U(rng, 0, 6), F32)
    elif v == "white":
        x = np.full((H, W, 3), _U(rng, 250, 255), F32)
    elif v == "ghost":
        x = 128 + 0.08 * (e["after"].astype(F32) - 128)
    elif v == "mean":
        x = np.broadcast_to(e["after"].reshape(-1, 3).mean(0).astype(F32), (H, W, 3)).copy()
    else:
        x = e["after"].astype(F32)
        cut = int(H * _U(rng, 0.3, 0.6))
        x[cut:] = _U(rng, 100, 140)
    return e["before"], _vae(x, rng, blur=0.5, noise=_U(rng, 0.8, 1.5)), e["instr"]


def f_jpeg_blocking(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    x = _vae(e["after"], rng, q=None)
    return e["before"], _jpeg(x, int(rng.integers(2, 8))), e["instr"]


def f_tile_seams(rng, b):
    if min(b["H"], b["W"]) < 300:
        return None
    return _fam(rng, b, _d_tile_seams, vae_kw=dict(blur=_U(rng, 0.4, 0.6)))


def f_tile_tone_offsets(rng, b):
    if min(b["H"], b["W"]) < 300:
        return None
    return _fam(rng, b, _d_tile_tone)


def _has_detail(b):
    return b["textured"] or (b["scene"] is not None and bool(b["scene"].get("text")))


def f_lowres_upscaled(rng, b):
    if not _has_detail(b):
        return None
    e = _pick_edit(rng, b, exclude=("blur",))
    if e is None:
        return None
    H, W = e["after"].shape[:2]
    s = min(_U(rng, 0.35, 0.5), math.sqrt(0.35e6 / (W * H)))
    s = max(s, 0.25)
    small = cv2.resize(e["after"], (max(8, int(W * s)), max(8, int(H * s))), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (W, H), interpolation=_pick(rng, [cv2.INTER_LINEAR, cv2.INTER_CUBIC]))
    e0, e1 = _hf(e["after"]), _hf(up)
    if e0 < 1.2 or e1 > 0.55 * e0:
        return None
    return e["before"], _vae(up, rng, blur=_U(rng, 0.3, 0.5), noise=_U(rng, 1.0, 2.0)), e["instr"]


def f_oversmoothed(rng, b):
    if not b["textured"]:
        return None
    e = _pick_edit(rng, b, exclude=("blur",))
    if e is None:
        return None
    dm = _d_oversmooth(e["after"], rng)
    e0, e1 = _hf(e["after"]), _hf(dm)
    if e0 < 1.5 or e1 > 0.5 * e0:  # there must be visible detail, and it must be gone
        return None
    return e["before"], _vae(dm, rng, blur=0.4, noise=_U(rng, 0.3, 0.6)), e["instr"]


def f_halo_oversharpen(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    if (
        b["mask"] is not None
        and rng.random() < 0.45
        and e["instr"].action in ("background", "recolour", "blur")
    ):
        dm = _d_halo(e["after"], b["mask"], rng)
    else:
        dm = _d_oversharpen(e["after"], rng)
    return e["before"], _vae(dm, rng, blur=_U(rng, 0.3, 0.5), noise=_U(rng, 0.8, 1.5)), e["instr"]


def f_banding_posterize(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    dm = _d_posterize(e["after"], rng)
    # the bands must show: new contour edges where the right edit is smooth
    g0 = cv2.cvtColor(e["after"], cv2.COLOR_BGR2GRAY).astype(F32)
    g1 = cv2.cvtColor(dm, cv2.COLOR_BGR2GRAY).astype(F32)
    smooth = np.abs(cv2.Laplacian(cv2.GaussianBlur(g0, (0, 0), 1), cv2.CV_32F)) < 0.6
    if not smooth.any() or float((np.abs(cv2.Laplacian(g1, cv2.CV_32F))[smooth] > 4).mean()) < 0.03:
        return None
    return e["before"], _vae(dm, rng, blur=0.35, noise=0.6), e["instr"]


def f_chroma_bleed(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    hsv = cv2.cvtColor(e["after"], cv2.COLOR_BGR2HSV)
    if float(np.percentile(hsv[..., 1], 90)) < 90:
        return None
    return e["before"], _vae(_d_chroma(e["after"], rng), rng, blur=_U(rng, 0.3, 0.5)), e["instr"]


def f_size_changed(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    x = e["after"]
    H, W = x.shape[:2]
    for _ in range(10):
        v = _pick(rng, ["mp", "square", "crop", "down", "stretch", "pad"])
        if v == "mp":  # pipeline size not mapped back: ~1 MP, multiples of 32
            s = math.sqrt(1048576 / (W * H))
            nw, nh = int(round(W * s / 32)) * 32, int(round(H * s / 32)) * 32
            y = cv2.resize(x, (nw, nh), interpolation=cv2.INTER_CUBIC)
        elif v == "square":
            n = int(round(math.sqrt(W * H) / 32)) * 32
            y = cv2.resize(x, (n, n), interpolation=cv2.INTER_AREA)
        elif v == "crop":
            n = min(H, W)
            if W > H:
                o = int(_U(rng, 0, W - n))
                y = x[:, o : o + n]
            else:
                o = int(_U(rng, 0, H - n))
                y = x[o : o + n]
        elif v == "down":
            s = _U(rng, 0.5, 0.8)
            y = cv2.resize(x, (int(W * s), int(H * s)), interpolation=cv2.INTER_AREA)
        elif v == "stretch":
            f = _U(rng, 0.78, 0.9)
            y = cv2.resize(
                x, (int(W * f), H) if rng.random() < 0.5 else (W, int(H * f)), interpolation=cv2.INTER_AREA
            )
        else:
            n = max(H, W)
            y = np.full((n, n, 3), 255 if float(x.mean()) > 128 else 0, np.uint8)
            y[(n - H) // 2 : (n - H) // 2 + H, (n - W) // 2 : (n - W) // 2 + W] = x
        h2, w2 = y.shape[:2]
        if abs(h2 - H) >= 0.06 * H or abs(w2 - W) >= 0.06 * W:
            return e["before"], _vae(np.ascontiguousarray(y), rng), e["instr"]
    return None


def f_noop_roundtrip(rng, b):
    e = _pick_edit(rng, b, exclude=("blur",))
    if e is None:
        return None
    d = np.abs(e["after"].astype(np.int16) - e["before"].astype(np.int16)).max(2)
    if float((d > 20).mean()) < 0.004:
        return None
    return e["before"], _vae(e["before"], rng), e["instr"]


def _detail_box(img, bw, bh, rng, avoid=None):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(F32)
    mag = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1))
    sm = cv2.blur(mag, (max(3, bw | 1), max(3, bh | 1)))
    H, W = g.shape
    sm[: bh // 2 + 1] = 0
    sm[H - bh // 2 - 1 :] = 0
    sm[:, : bw // 2 + 1] = 0
    sm[:, W - bw // 2 - 1 :] = 0
    y, x = np.unravel_index(int(np.argmax(sm)), sm.shape)
    return int(x - bw // 2), int(y - bh // 2)


def f_duplicated_patch(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    x = e["after"].astype(F32)
    H, W = x.shape[:2]
    if (
        b["mask"] is not None
        and rng.random() < 0.5
        and e["instr"].action in ("recolour", "background", "blur", "text")
    ):
        sides = _free_side(b, 0.22)
        if sides:
            side, space = sides[int(rng.integers(len(sides)))]
            x0, y0, x1, y1 = b["bbox"]
            pw, ph = x1 - x0, y1 - y0
            s = min(_U(rng, 0.55, 0.85), 0.9 * space / pw)
            if s >= 0.35:
                src = np.ascontiguousarray(e["after"][y0:y1, x0:x1])
                msk = np.ascontiguousarray(b["mask"][y0:y1, x0:x1])
                nw, nh = max(4, int(pw * s)), max(4, int(ph * s))
                src = cv2.resize(src, (nw, nh), interpolation=cv2.INTER_AREA).astype(F32)
                msk = cv2.resize(msk, (nw, nh), interpolation=cv2.INTER_AREA)
                cx = (x0 - space / 2) if side == "left" else (x1 + space / 2)
                dx0 = int(np.clip(cx - nw / 2, 0, W - nw))
                dy0 = int(np.clip(y1 - nh, 0, H - nh))
                reg = x[dy0 : dy0 + nh, dx0 : dx0 + nw]
                x[dy0 : dy0 + nh, dx0 : dx0 + nw] = reg * (1 - msk[..., None]) + src * msk[..., None]
                return e["before"], _vae(x, rng), e["instr"]
    bw, bh = int(W * _U(rng, 0.18, 0.28)), int(H * _U(rng, 0.18, 0.28))
    sx, sy = _detail_box(e["after"], bw, bh, rng)
    for _ in range(30):
        dx = int(_U(rng, 0, W - bw))
        dy = int(_U(rng, 0, H - bh))
        if abs(dx - sx) > 0.9 * bw or abs(dy - sy) > 0.9 * bh:
            break
    patch = x[sy : sy + bh, sx : sx + bw].copy()
    m = np.zeros((bh, bw), F32)
    fe = max(2, int(0.08 * min(bw, bh)))
    m[fe:-fe, fe:-fe] = 1
    m = cv2.GaussianBlur(m, (0, 0), fe / 2)[..., None]
    x[dy : dy + bh, dx : dx + bw] = x[dy : dy + bh, dx : dx + bw] * (1 - m) + patch * m
    return e["before"], _vae(x, rng), e["instr"]


def f_mirrored_content(rng, b):
    e = _pick_edit(rng, b, exclude=("style",))
    if e is None:
        return None
    x = e["after"].copy()
    H, W = x.shape[:2]
    v = _pick(rng, ["frame", "product", "half"])
    if v == "product" and b["mask"] is not None:
        x0, y0, x1, y1 = b["bbox"]
        pad = int(0.02 * W)
        x0, x1 = max(0, x0 - pad), min(W, x1 + pad)
        y0 = max(0, y0 - pad)
        x[y0:y1, x0:x1] = x[y0:y1, x0:x1][:, ::-1]
    elif v == "half":
        if rng.random() < 0.5:
            x[:, W - W // 2 :] = x[:, : W // 2][:, ::-1]
        else:
            x[:, : W // 2] = x[:, W - W // 2 :][:, ::-1]
    else:
        x = x[:, ::-1].copy()
    diff = np.abs(x.astype(F32) - e["after"].astype(F32)).max(2)
    if b["mask"] is not None:  # the product itself must visibly change (text reversed, moved)
        reg = cv2.dilate((b["mask"] > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        if float((diff[reg] > 40).mean()) < 0.12:
            return None
    elif float((diff > 40).mean()) < 0.1:
        return None
    return e["before"], _vae(np.ascontiguousarray(x), rng), e["instr"]


def f_black_border(rng, b):
    e = _pick_edit(rng, b)
    if e is None:
        return None
    x = e["after"].astype(F32).copy()
    H, W = x.shape[:2]
    v = _pick(rng, ["letterbox", "pillarbox", "frame", "strip", "fit"])
    edge = np.concatenate(
        [x[:8].reshape(-1, 3), x[-8:].reshape(-1, 3), x[:, :8].reshape(-1, 3), x[:, -8:].reshape(-1, 3)]
    )
    col = _U(rng, 0, 8) if float(edge.mean()) > 85 else _U(rng, 245, 255)
    if v == "letterbox":
        t = int(H * _U(rng, 0.05, 0.11))
        x[:t] = col
        x[H - t :] = col
    elif v == "pillarbox":
        t = int(W * _U(rng, 0.05, 0.11))
        x[:, :t] = col
        x[:, W - t :] = col
    elif v == "frame":
        t = max(5, int(max(H, W) * _U(rng, 0.008, 0.025)))
        x[:t] = col
        x[H - t :] = col
        x[:, :t] = col
        x[:, W - t :] = col
    elif v == "strip":
        t = max(8, int(W * _U(rng, 0.015, 0.045)))
        s = _pick(rng, ["l", "r", "t", "b"])
        if s in "lr":
            x = (
                np.concatenate([np.full((H, t, 3), col, F32), x[:, : W - t]], 1)
                if s == "l"
                else np.concatenate([x[:, t:], np.full((H, t, 3), col, F32)], 1)
            )
        else:
            t = max(8, int(H * _U(rng, 0.015, 0.045)))
            x = (
                np.concatenate([np.full((t, W, 3), col, F32), x[: H - t]], 0)
                if s == "t"
                else np.concatenate([x[t:], np.full((t, W, 3), col, F32)], 0)
            )
    else:  # content shrunk into a black frame of the same size
        t = int(min(H, W) * _U(rng, 0.05, 0.1))
        inner = cv2.resize(e["after"], (W - 2 * t, H - 2 * t), interpolation=cv2.INTER_AREA)
        x[:] = col
        x[t : H - t, t : W - t] = inner
    return e["before"], _vae(x, rng), e["instr"]


FAMILIES = [
    # ---- good: must be published ----
    dict(name="d_good_vae_strongest", action="edit", expect="publish", fn=f_good_vae_strongest),
    dict(name="d_good_tone_drift", action="edit", expect="publish", fn=f_good_tone_drift),
    dict(name="d_good_smooth_studio", action="edit", expect="publish", fn=f_good_smooth_studio),
    dict(name="d_good_textured", action="edit", expect="publish", fn=f_good_textured),
    dict(name="d_good_small_480", action="edit", expect="publish", fn=f_good_small_480),
    dict(name="d_good_large_2000", action="edit", expect="publish", fn=f_good_large_2000),
    dict(name="d_good_big_background", action="background", expect="publish", fn=f_good_big_background),
    dict(name="d_good_tiny_removal", action="remove", expect="publish", fn=f_good_tiny_removal),
    dict(name="d_good_style_asked", action="style", expect="publish", fn=f_good_style_asked),
    dict(name="d_good_blur_bg_asked", action="blur", expect="publish", fn=f_good_blur_bg_asked),
    dict(name="d_good_noisy_source", action="edit", expect="publish", fn=f_good_noisy_source),
    dict(name="d_good_jpeg_source", action="edit", expect="publish", fn=f_good_jpeg_source),
    # ---- bad: must go to review ----
    dict(name="d_frame_shift", action="edit", expect="review", fn=f_frame_shift),
    dict(name="d_frame_zoom", action="edit", expect="review", fn=f_frame_zoom),
    dict(name="d_frame_rotate", action="edit", expect="review", fn=f_frame_rotate),
    dict(name="d_colour_cast", action="edit", expect="review", fn=f_colour_cast),
    dict(name="d_heavy_noise", action="edit", expect="review", fn=f_heavy_noise),
    dict(name="d_blank_frame", action="edit", expect="review", fn=f_blank_frame),
    dict(name="d_jpeg_blocking", action="edit", expect="review", fn=f_jpeg_blocking),
    dict(name="d_tile_seams", action="edit", expect="review", fn=f_tile_seams),
    dict(name="d_tile_tone_offsets", action="edit", expect="review", fn=f_tile_tone_offsets),
    dict(name="d_lowres_upscaled", action="edit", expect="review", fn=f_lowres_upscaled),
    dict(name="d_oversmoothed", action="edit", expect="review", fn=f_oversmoothed),
    dict(name="d_halo_oversharpen", action="edit", expect="review", fn=f_halo_oversharpen),
    dict(name="d_banding_posterize", action="edit", expect="review", fn=f_banding_posterize),
    dict(name="d_chroma_bleed", action="edit", expect="review", fn=f_chroma_bleed),
    dict(name="d_size_changed", action="edit", expect="review", fn=f_size_changed),
    dict(name="d_noop_roundtrip", action="edit", expect="review", fn=f_noop_roundtrip),
    dict(name="d_duplicated_patch", action="edit", expect="review", fn=f_duplicated_patch),
    dict(name="d_mirrored_content", action="edit", expect="review", fn=f_mirrored_content),
    dict(name="d_black_border", action="edit", expect="review", fn=f_black_border),
]


# =============================================================================================
# driver
# =============================================================================================


def make(out_dir, seed: int = 0, per_family: int = 10) -> list[dict]:
    """Write PNG/JPEG pairs into out_dir and return one row per pair (also out_dir/pairs.jsonl)."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    bases = build_bases(seed)
    n = len(bases)
    saved = {}
    rows = []

    def save_before(arr, bname):
        arr = np.ascontiguousarray(np.asarray(arr))
        h = hashlib.md5(arr.tobytes()).hexdigest()[:12] + f"_{arr.shape[1]}x{arr.shape[0]}"
        if h not in saved:
            p = out_dir / f"before_{bname}_{h[:8]}.png"
            cv2.imwrite(str(p), arr, [cv2.IMWRITE_PNG_COMPRESSION, 2])
            saved[h] = str(p)
        return saved[h]

    def save_after(arr, stem):
        jb = getattr(arr, "jpeg", None) if isinstance(arr, _Jpeg) else None
        if jb is not None:
            dec = cv2.imdecode(np.frombuffer(jb, np.uint8), cv2.IMREAD_COLOR)
            if dec is not None and dec.shape == arr.shape and np.array_equal(dec, np.asarray(arr)):
                p = out_dir / f"{stem}_after.jpg"
                p.write_bytes(jb)
                return str(p)
        p = out_dir / f"{stem}_after.png"
        cv2.imwrite(str(p), np.ascontiguousarray(np.asarray(arr)), [cv2.IMWRITE_PNG_COMPRESSION, 2])
        return str(p)

    for fi, fam in enumerate(FAMILIES):
        got = 0
        start = (fi * 7) % n
        for rnd in range(3):
            for j in range(n):
                if got >= per_family:
                    break
                bi = (start + j) % n
                b = bases[bi]
                rng = np.random.default_rng([seed, fi, bi, rnd])
                res = fam["fn"](rng, b)
                if res is None:
                    continue
                before, after, instr = res
                before = np.asarray(before)
                if before.shape[:2] == after.shape[:2] and np.array_equal(before, np.asarray(after)):
                    continue
                stem = f"{fam['name']}_{got:02d}"
                bname = (
                    f"{b['name']}"
                    if before.shape[:2] == (b["H"], b["W"])
                    else f"{b['name'].rsplit('_', 1)[0]}_{before.shape[1]}x{before.shape[0]}"
                )
                rows.append(
                    dict(
                        id=stem,
                        before=save_before(before, bname),
                        after=save_after(after, stem),
                        instruction=str(instr),
                        expect=fam["expect"],
                        family=fam["name"],
                        action=getattr(instr, "action", fam["action"]),
                        base=bname,
                        author=AUTHOR,
                    )
                )
                got += 1
            if got >= per_family:
                break
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-family", type=int, default=10)
    a = ap.parse_args(argv)
    t0 = time.time()
    rows = make(a.out, a.seed, a.per_family)
    counts = {}
    for r in rows:
        counts[r["family"]] = counts.get(r["family"], 0) + 1
    good = sum(1 for r in rows if r["expect"] == "publish")
    print(
        f"{len(rows)} pairs ({good} publish, {len(rows) - good} review) in {time.time() - t0:.1f}s -> "
        f"{a.out / 'pairs.jsonl'}"
    )
    print("  " + ", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
