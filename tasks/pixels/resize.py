"""Resizing, by one rule everywhere: shrinking averages the pixels it merges (INTER_AREA, no
aliasing), enlarging interpolates (INTER_CUBIC, smooth edges). Pure functions over arrays."""

from __future__ import annotations

import cv2
import numpy as np


def interpolation(source: tuple[int, int], target: tuple[int, int]) -> int:
    """The OpenCV interpolation for a (width, height) `source` made `target`."""
    return cv2.INTER_AREA if target[0] * target[1] < source[0] * source[1] else cv2.INTER_CUBIC


def resize_to(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """`img` at width x height (itself when it already is)."""
    h, w = img.shape[:2]
    if (width, height) == (w, h):
        return img
    return cv2.resize(img, (width, height), interpolation=interpolation((w, h), (width, height)))
