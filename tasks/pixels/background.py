"""Studio backgrounds without the model: is a background already pure white, and can OpenCV cut
the product out of a plain one and put it on pure white?

A studio shot has a plain background: seamless paper or a sweep, one colour lit unevenly (a
gradient from top to bottom, a falloff to the corners), every background pixel connected to the
border. So the background is modelled as a smooth surface (a quadratic in x and y per CIELAB
channel, fitted to the border), and what is cut here is the pixels close to that surface that
the border reaches through them,
cleaned up (holes in the product filled, specks dropped) and feathered by a pixel for
anti-aliased edges. A photo whose border is not uniform (a scene, a texture, a gradient), or
whose cut leaves too little or too much, is not separable: the model does it. Pure functions
over arrays; the post-checks judge the result like any other edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.pixels.dtypes import as_uint8

WORK_SIDE = 1024  # the cut is made on a copy this size on the long side, then scaled up
BORDER = 0.03  # the outer share of each side that is sampled as the background
WHITE = 250  # "pure white": every channel at least this (marketplace main images)
SHADOW_DEPTH = 45.0  # CIELAB L: a cast shadow darkens the backdrop by at most this, keeping its hue
MAX_BORDER_SPREAD = 6.0  # CIELAB: a plain studio border varies less than this (median deviation)
OUTLIER = 12.0  # CIELAB from the backdrop's surface: a border pixel of something else (a product at the edge)
MIN_BACKDROP_BORDER = 0.75  # share of the border the backdrop must hold (a shirt off one edge leaves 0.8)


@dataclass(frozen=True)
class Cut:
    """A background cut: `alpha` (float32, full size; 1 = product) or None with the reason."""

    alpha: np.ndarray | None
    reason: str
    product_share: float = 0.0


def _border(img: np.ndarray) -> np.ndarray:
    """The pixels of the outer band of each side, as rows of channels."""
    h, w, c = img.shape[0], img.shape[1], img.shape[2]
    by, bx = max(1, round(h * BORDER)), max(1, round(w * BORDER))
    return np.concatenate(
        [
            img[:by].reshape(-1, c),
            img[-by:].reshape(-1, c),
            img[:, :bx].reshape(-1, c),
            img[:, -bx:].reshape(-1, c),
        ]
    )


def _small(bgr: np.ndarray) -> np.ndarray:
    h, w = bgr.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    if scale == 1.0:
        return bgr
    return cv2.resize(bgr, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)


def _background_surface(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smooth background (a quadratic in x, y per channel) fitted to the border band, and
    which border pixels it was fitted on: a product touching the frame's edge is part of the
    border too, so the fit is made again without the pixels far from the first one."""
    h, w = lab.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w - 0.5, yy / h - 0.5
    terms = np.stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy], axis=-1)
    design = _border(terms.reshape(h, w, 6)[..., :3])  # shaped like a picture for _border
    design = np.concatenate([design, _border(terms[..., 3:])], axis=1)
    border = _border(lab)
    typical = np.median(border, axis=0)  # first the backdrop's typical colour, then its surface
    used = np.linalg.norm(border - typical, axis=1) <= 2 * OUTLIER
    for _ in range(3):
        coefficients, *_ = np.linalg.lstsq(design[used], border[used], rcond=None)
        residual = np.linalg.norm(border - design @ coefficients, axis=1)
        used = residual <= max(OUTLIER, 3 * float(np.median(residual[used])))
    return (terms.reshape(-1, 6) @ coefficients).reshape(h, w, 3).astype(np.float32), used


def colour_bgr(img: np.ndarray) -> np.ndarray:
    """8-bit BGR of any picture (grey, BGRA, 16-bit): what the background is measured on."""
    img = as_uint8(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img[..., :3]


def pure_white_share(bgr: np.ndarray) -> float:
    """The share of the border band that is pure white (every channel >= WHITE)."""
    return float((_border(colour_bgr(bgr)) >= WHITE).all(axis=1).mean())


def cut_background(bgr: np.ndarray) -> Cut:
    """The product of a studio shot on a plain background, as an alpha matte (see the module)."""
    full = colour_bgr(bgr)
    small = _small(full)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    surface, used = _background_surface(lab)
    residual = np.linalg.norm(_border(lab) - _border(surface), axis=1)[used]
    spread = float(np.median(residual))
    if used.mean() < MIN_BACKDROP_BORDER:
        return Cut(
            None,
            f"the background is not plain (only {used.mean():.0%} of the frame's border is one backdrop)",
        )
    if spread > MAX_BORDER_SPREAD:
        return Cut(None, f"the background is not plain (its border varies by {spread:.1f} CIELAB units)")
    tolerance = max(10.0, 4 * spread)
    offset = lab - surface
    chroma = np.linalg.norm(offset[..., 1:], axis=2)
    # the backdrop's own colour, or a shadow on it: as neutral as the backdrop, only darker
    near = ((chroma < tolerance) & (offset[..., 0] > -SHADOW_DEPTH) & (offset[..., 0] < tolerance)).astype(
        np.uint8
    )
    # the background is what the border reaches through its own colour
    count, labels = cv2.connectedComponents(near, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    background = np.isin(labels, edge[edge > 0] if count > 1 else edge)
    background &= near.astype(bool)
    product = (~background).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    product = cv2.morphologyEx(product, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(product, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    keep = [c for c in contours if cv2.contourArea(c) >= 0.001 * product.size]
    product = np.zeros_like(product)
    cv2.drawContours(product, keep, -1, 1, thickness=cv2.FILLED)  # holes filled: one object
    share = float(product.mean())
    if not 0.02 <= share <= 0.95:
        return Cut(
            None, f"no product stands out from the background ({100 * share:.0f}% of the frame)", share
        )
    h, w = full.shape[:2]
    alpha = cv2.resize(product.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.6, max(h, w) / 2000))  # anti-aliased edge
    alpha[alpha < 0.02] = 0.0
    return Cut(np.clip(alpha, 0.0, 1.0), "plain background cut out", share)


def on_white(pixels: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """`pixels` (BGR uint8) over pure white through `alpha`: the background exactly 255."""
    colour = colour_bgr(pixels).astype(np.float32)
    a = alpha[..., None]
    out = colour * a + 255.0 * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def product_box(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the product in a matte, None when there is none."""
    ys, xs = np.nonzero(alpha > 0.5)
    if xs.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
