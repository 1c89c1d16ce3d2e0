"""Geometry of boolean masks, shared by the measures: bands, growing and shrinking, boxes, holes."""

from __future__ import annotations

import cv2
import numpy as np

from tasks.check.measures import bgr


def border(shape: tuple[int, ...], width: int = 3) -> np.ndarray:
    """The outer band of `width` pixels of a frame of `shape`."""
    band = np.zeros(shape[:2], bool)
    band[:width], band[-width:], band[:, :width], band[:, -width:] = True, True, True, True
    return band


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0:
        return mask.astype(bool)
    size = 2 * pixels + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def shrink(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0:
        return mask.astype(bool)
    size = 2 * pixels + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE).astype(bool)


def box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around a non-empty mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def scaled_box(mask: np.ndarray, shape: tuple[int, ...], margin: float = 0.0) -> tuple[int, int, int, int]:
    """The box of `mask` in the pixels of a frame of `shape`, grown by `margin` of its size."""
    x0, y0, x1, y1 = box(mask)
    sy, sx = shape[0] / mask.shape[0], shape[1] / mask.shape[1]
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return (
        max(0, int((x0 - mx) * sx)),
        max(0, int((y0 - my) * sy)),
        min(shape[1], int(np.ceil((x1 + mx) * sx))),
        min(shape[0], int(np.ceil((y1 + my) * sy))),
    )


def crop(img: np.ndarray, frame_box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = frame_box
    return bgr(img[y0:y1, x0:x1])


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """The mask with every hole the outside cannot reach filled."""
    padded = np.pad(mask.astype(np.uint8), 1)
    outside = padded.copy()
    cv2.floodFill(outside, None, (0, 0), 1)
    return (mask | (outside[1:-1, 1:-1] == 0)).astype(bool)


def resized(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A mask on another grid (nearest neighbour)."""
    if mask.shape[:2] == shape[:2]:
        return mask
    return cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST).astype(
        bool
    )
