"""Make a picture meet a marketplace preset with OpenCV: a pure white background (the cut of a
plain backdrop, tasks/pixels/background.py), the product re-centred to the preset's fill, the ratio,
the size. Pure functions over arrays; a rule OpenCV cannot meet on this picture (a backdrop
that is not plain) is an OpError that says what to do instead.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from config.ops import OpError
from routing.presets import Preset
from tasks.pixels.background import colour_bgr, cut_background, on_white, product_box, pure_white_share
from tasks.pixels.resize import resize_to

WHITE_BORDER = 0.99
MODEL_FIRST = "have the model do it first"  # in the error of a backdrop OpenCV cannot whiten


def conform(pixels: np.ndarray, preset: Preset) -> np.ndarray:
    """`pixels` (BGR uint8) edited to meet `preset` (its background, fill, ratio and size)."""
    img = colour_bgr(pixels)
    white = pure_white_share(img) >= WHITE_BORDER and not (pixels.ndim == 3 and pixels.shape[2] == 4)
    alpha = None
    if preset.background == "pure-white" and not white:
        if pixels.ndim == 3 and pixels.shape[2] == 4:
            alpha = pixels[..., 3].astype(np.float32) / 255.0
        else:
            cut = cut_background(pixels)
            if cut.alpha is None:
                raise OpError(
                    f"{preset.label} needs a pure white background and {cut.reason}: {MODEL_FIRST} "
                    "('把背景换成纯白'), then apply the preset"
                )
            alpha = cut.alpha
        img = on_white(img, alpha)
    ratio = _ratio(preset, img)
    if preset.fill:
        matte = alpha if alpha is not None else (img < 245).any(axis=2).astype(np.float32)
        box = product_box(matte)
        if box is None:
            raise OpError(f"{preset.label}: no product stands out to fill the frame with")
        img = _frame(img, box, preset)
    elif preset.size or preset.aspect:
        img = _to_ratio(img, ratio)
    return _resized(img, preset, ratio)


def _ratio(preset: Preset, img: np.ndarray) -> float:
    if preset.size:
        return preset.size[0] / preset.size[1]
    if preset.aspect:
        return preset.aspect[0] / preset.aspect[1]
    return img.shape[1] / img.shape[0]


def _frame(img: np.ndarray, box: tuple[int, int, int, int], preset: Preset) -> np.ndarray:
    """A frame around the product (centred) at the preset's ratio in which it fills `fill`."""
    x, y, bw, bh = box
    ratio = _ratio(preset, img)
    width = math.ceil(max(bw / preset.fill, bh * ratio / preset.fill))
    height = round(width / ratio)  # whole pixels, the ratio kept
    cx, cy = x + bw / 2, y + bh / 2
    left, top = math.floor(cx - width / 2), math.floor(cy - height / 2)
    right, bottom = left + width, top + height
    h, w = img.shape[:2]
    padded = cv2.copyMakeBorder(
        img,
        max(0, -top),
        max(0, bottom - h),
        max(0, -left),
        max(0, right - w),
        cv2.BORDER_CONSTANT,
        value=(255, 255, 255),
    )
    ox, oy = max(0, -left), max(0, -top)
    return padded[top + oy : bottom + oy, left + ox : right + ox]


def _to_ratio(img: np.ndarray, ratio: float) -> np.ndarray:
    """Pad with white (never crop the product away) to `ratio`."""
    h, w = img.shape[:2]
    if abs(w / h - ratio) < 1e-3:
        return img
    if w / h < ratio:
        extra = round(h * ratio) - w
        return cv2.copyMakeBorder(
            img, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_CONSTANT, value=(255,) * 3
        )
    extra = round(w / ratio) - h
    return cv2.copyMakeBorder(
        img, extra // 2, extra - extra // 2, 0, 0, cv2.BORDER_CONSTANT, value=(255,) * 3
    )


def _resized(img: np.ndarray, preset: Preset, ratio: float) -> np.ndarray:
    """At the preset's size, or its longest side in the frame's `ratio` (whole pixels)."""
    h, w = img.shape[:2]
    if preset.size:
        target = tuple(int(v) for v in preset.size)
    elif preset.longest and max(w, h) != preset.longest:
        long = preset.longest
        target = (long, max(1, round(long / ratio))) if ratio >= 1 else (max(1, round(long * ratio)), long)
    else:
        return img
    return resize_to(img, *target)
