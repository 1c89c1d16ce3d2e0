"""Where the product is in a photo: a GrabCut segmentation of the before picture.

Product shots put the product away from the edges; the border is background. GrabCut models the
colours of both and cuts along edges. A background edit tells more: what it replaced is the old
backdrop, a large sample of its colours, so the product is what GrabCut finds among the rest
(old backdrop left in a corner or inside a handle has the backdrop's colours and is cut away;
a product touching the frame's edge is kept). Pure functions on small copies (~30 ms).
"""

from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 112  # segmentation runs on a copy this size on its long side
BORDER = 0.06  # the outer share of each side seeds the background model


def subject_mask(bgr: np.ndarray, iterations: int = 3) -> np.ndarray | None:
    """A boolean mask (same size as `bgr`) of the main subject, or None when none stands out.

    None when the cut finds almost nothing or almost everything (a picture with no separable
    subject): callers must then say they cannot measure, not pass.
    """
    h, w = bgr.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = (
        cv2.resize(
            bgr[..., :3], (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        if scale < 1
        else bgr[..., :3].copy()
    )
    sh, sw = small.shape[:2]
    bx, by = max(1, round(sw * BORDER)), max(1, round(sh * BORDER))
    mask = np.full((sh, sw), cv2.GC_PR_FGD, np.uint8)
    mask[:by, :], mask[-by:, :], mask[:, :bx], mask[:, -bx:] = (cv2.GC_BGD,) * 4
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.setRNGSeed(0)  # OpenCV's global generator: the same pair measures the same
        cv2.grabCut(np.ascontiguousarray(small), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None  # one colour everywhere: nothing to model
    fg = _main_parts(((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8), 0.02, 0.85)
    if fg is None:
        return None
    return cv2.resize(fg, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


def product_of_background_edit(
    bgr: np.ndarray, replaced: np.ndarray, iterations: int = 2
) -> np.ndarray | None:
    """The product in the before picture `bgr` of a background edit, where `replaced` (same
    grid) is what the edit made background: changed, or already of the asked colour. None when
    no product stands out (the edit replaced everything, or nothing)."""
    h, w = bgr.shape[:2]
    scale = WORK_SIDE / max(h, w)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = cv2.resize(bgr[..., :3], size, interpolation=cv2.INTER_AREA) if scale < 1 else bgr[..., :3].copy()
    seed = (
        cv2.resize(replaced.astype(np.uint8), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
        > 0
    )
    sh, sw = seed.shape
    bx, by = max(1, round(sw * BORDER)), max(1, round(sh * BORDER))
    edge = np.zeros_like(seed)
    edge[:by, :], edge[-by:, :], edge[:, :bx], edge[:, -bx:] = True, True, True, True
    mask = np.where(seed, cv2.GC_PR_BGD, cv2.GC_PR_FGD).astype(np.uint8)
    mask[seed & edge] = cv2.GC_BGD
    if not (mask == cv2.GC_PR_FGD).any() or not (seed.mean() >= 0.05):
        return None
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.setRNGSeed(0)  # OpenCV's global generator: the same pair measures the same
        cv2.grabCut(np.ascontiguousarray(small), mask, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
        fg = _main_parts(((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8))
    except cv2.error:  # one colour left unchanged: nothing to model
        fg = None
    if fg is None:  # a product of the backdrop's colours (a white mug for a white background)
        fg = _main_parts((~seed).astype(np.uint8))
    if fg is None:
        return None
    return cv2.resize(fg, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


def _main_parts(fg: np.ndarray, least: float = 0.005, most: float = 0.9) -> np.ndarray | None:
    """The large pieces of a foreground mask (a pair of shoes is two), None when they are
    nearly nothing or nearly everything."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if count <= 1:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    keep = stats[:, cv2.CC_STAT_AREA] >= stats[largest, cv2.CC_STAT_AREA] * 0.15
    keep[0] = False
    fg = keep[labels].astype(np.uint8)
    return fg if least <= float(fg.mean()) <= most else None
