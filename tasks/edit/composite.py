"""Geometry-locked compositing: a model edit pasted onto the full-resolution original.

The image model works at about 1 MP and drifts (it shifts or zooms the whole frame a little).
`composite` aligns its output to the original on what the edit left alone, finds what really
changed (robust to the VAE's softness and noise), and pastes only that region, upscaled and
feathered, onto the original: every pixel outside the change and its feather band is the
original's, bit for bit, at the original's size, dtype and alpha. An edit of the whole look (a
style, the overall tone) or one that changed most of the frame takes the whole aligned frame.
When no transform can be estimated (the output has nothing in common with the original, e.g.
noise) the output is only resized, as before, and the checks judge it.

Pure functions over arrays; the registration runs on the model output's own grid (~1 MP), the
mask on a smaller copy, and only the changed region is warped at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.check.measures import Frames, bgr
from tasks.check.motion import global_motion, orb_motion
from tasks.pixels.dtypes import as_uint8, check_pictures, max_value, scale_of

MASK_SIDE = 512  # the change mask is found on copies this size on the long side
REGISTRATION_SIDE = 1024  # keypoints are matched on greys this size on the long side
KEYPOINTS = 1500  # ORB keypoints per picture (matching costs their square)
SEED_LEVEL = 28.0  # a change this strong (0-255, after blurring) starts a changed region...
GROW_LEVEL = 10.0  # ...which grows through neighbours changed at least this much
EDGE_SLACK = 0.25  # ...over and above what a misregistration this large (mask pixels) explains at an edge
MIN_REGION = 0.0005  # changed regions smaller than this share of the frame are noise
FEATHER = 0.012  # feather band, as a share of the long side (outside the changed region)
WHOLE_FRAME_SHARE = 0.8  # a change covering more of the frame than this takes the whole frame


@dataclass(frozen=True)
class Composite:
    """The composited picture and how it was made.

    `transform` maps the original's full-resolution pixel coordinates to the edited picture's
    (2x3); `shift_px`, `zoom` and `rotation` are the drift it corrected (full-resolution
    pixels, scale - 1, degrees); `changed` is the share of the frame taken from the edit,
    `kept` the share left bit-identical to the original.
    """

    pixels: np.ndarray
    transform: np.ndarray | None
    shift_px: float
    zoom: float
    rotation: float
    changed: float
    kept: float
    whole_frame: bool
    aligned: bool

    def summary(self) -> dict[str, object]:
        """The JSON-ready description (CLI --json, the result's `model.composite`)."""
        return {
            "aligned": self.aligned,
            "whole_frame": self.whole_frame,
            "shift_px": round(self.shift_px, 2),
            "zoom": round(self.zoom, 4),
            "rotation": round(self.rotation, 3),
            "changed": round(self.changed, 4),
            "kept_identical": round(self.kept, 4),
            "transform": None if self.transform is None else np.round(self.transform, 5).tolist(),
        }


def composite(original: np.ndarray, edited: np.ndarray, whole_look: bool = False) -> Composite:
    """Paste what `edited` changed onto `original` (see the module's docstring).

    Args:
        original: the full-resolution picture the edit was made from (grey, BGR or BGRA;
            uint8 or uint16). Its size, dtype and alpha are the result's.
        edited: the edit, any size (the model's ~1 MP output); its alpha, if any, is ignored.
        whole_look: the request changes the whole look (a style, the overall tone): take the
            whole aligned frame whatever the change mask says.
    """
    # 1. inputs, and the registration grid: the edit's own pixels
    check_pictures(16, "composite", original=original, edited=edited)
    height, width = original.shape[:2]
    edit8 = bgr(as_uint8(edited))
    eh, ew = edit8.shape[:2]
    base = _shrink(bgr(original), ew, eh)

    # 2. where the original's pixels are in the edit: a similarity on what the edit left alone
    reg_to_edit = _register(base, edit8)
    if reg_to_edit is None:  # nothing in common to align on: only resize (the checks judge it)
        resized = cv2.resize(edit8, (width, height), interpolation=cv2.INTER_CUBIC)
        return Composite(_in_layout(resized, original), None, 0.0, 0.0, 0.0, 1.0, 0.0, True, False)
    aligned = cv2.warpAffine(
        edit8,
        reg_to_edit,
        (ew, eh),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    full_to_edit = _from_full_resolution(reg_to_edit, ew / width, eh / height)
    shift, zoom, rotation = _drift(reg_to_edit, ew, eh, width / ew)

    # 3. what changed, on a small copy; a whole-look edit or a change of most of the frame
    #    takes the whole aligned frame
    alpha = _change_alpha(base, aligned)
    whole = whole_look or float((alpha > 0).mean()) > WHOLE_FRAME_SHARE
    if whole:
        alpha = np.ones_like(alpha)

    # 4. paste: warp only the changed region at full resolution, blend through the feather
    pixels, changed = _paste(original, edit8, full_to_edit, alpha)
    return Composite(pixels, full_to_edit, shift, zoom, rotation, changed, 1.0 - changed, whole, True)


def _shrink(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """`img` at width x height: a bilinear step to twice the size, then area averaging (a direct
    area resize from 12 MP costs five times as much for the same registration)."""
    if img.shape[1] > 2 * width and img.shape[0] > 2 * height:
        img = cv2.resize(img, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def _register(base: np.ndarray, edit8: np.ndarray) -> np.ndarray | None:
    """The 2x3 map from `base` pixel coordinates to `edit8`'s (same grid size), or None.

    Keypoints matched on greys of REGISTRATION_SIDE (a RANSAC similarity: what the edit changed
    is outvoted); smooth pictures without keypoints fall back to the drift check's spectral
    registration (tasks/check/motion.py).
    """
    frames = Frames.of(base, edit8)
    side = min(REGISTRATION_SIDE, max(base.shape[:2]))
    a, b = frames.greys(side)
    warp = orb_motion(a, b, features=KEYPOINTS)
    if warp is not None:
        return _rescale(warp.astype(np.float64), base.shape[1] / a.shape[1])
    motion = global_motion(frames)
    if motion is None:
        return None
    dx, dy, scale, degrees, _ = motion
    h, w = base.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), -degrees, scale)  # about the centre
    turn[:, 2] += (dx * w / frames.width, dy * w / frames.width)
    return turn


def _rescale(warp: np.ndarray, factor: float) -> np.ndarray:
    """A 2x3 map between grids `factor` times smaller, for the grids `factor` times larger
    (pixel centres kept: x_large = factor * (x_small + 0.5) - 0.5)."""
    out = warp.copy()
    offset = 0.5 * factor - 0.5
    out[:, 2] = factor * warp[:, 2] + offset - warp[:, :2] @ np.array([offset, offset])
    return out


def _from_full_resolution(reg_to_edit: np.ndarray, kx: float, ky: float) -> np.ndarray:
    """Compose the original's full-resolution coordinates -> registration grid -> edit."""
    to_reg = np.array([[kx, 0.0, 0.5 * kx - 0.5], [0.0, ky, 0.5 * ky - 0.5], [0.0, 0.0, 1.0]])
    return (np.vstack([reg_to_edit, [0.0, 0.0, 1.0]]) @ to_reg)[:2]


def _drift(reg_to_edit: np.ndarray, w: int, h: int, factor: float) -> tuple[float, float, float]:
    """How far the edit moved the frame's centre (full-resolution pixels), its zoom and turn."""
    centre = np.array([w / 2 - 0.5, h / 2 - 0.5])
    moved = reg_to_edit[:, :2] @ centre + reg_to_edit[:, 2] - centre
    scale = float(np.sqrt(abs(np.linalg.det(reg_to_edit[:, :2]))))
    degrees = float(np.degrees(np.arctan2(reg_to_edit[1, 0], reg_to_edit[0, 0])))
    return float(np.hypot(*moved) * factor), scale - 1.0, degrees


def _change_alpha(base: np.ndarray, aligned: np.ndarray) -> np.ndarray:
    """Where the aligned edit differs from the original: 1 inside the change, a feather band
    around it (outside), 0 elsewhere; float32 on a MASK_SIDE copy of the registration grid."""
    h, w = base.shape[:2]
    factor = min(1.0, MASK_SIDE / max(h, w))
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    a = cv2.GaussianBlur(cv2.resize(base, size, interpolation=cv2.INTER_AREA).astype(np.float32), (0, 0), 1.2)
    b = cv2.GaussianBlur(
        cv2.resize(aligned, size, interpolation=cv2.INTER_AREA).astype(np.float32), (0, 0), 1.2
    )
    # a residual sub-pixel misregistration shows as a difference along the original's edges,
    # proportional to their gradient: that much difference there is not a change
    diff = np.abs(a - b).max(axis=2) - EDGE_SLACK * _gradient(a)
    # hysteresis: strong changes seed regions that grow through weaker connected change
    weak = (diff > GROW_LEVEL).astype(np.uint8)
    weak = cv2.morphologyEx(weak, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    strong = np.unique(labels[diff > SEED_LEVEL])
    keep = np.zeros(count, bool)
    keep[strong] = True
    keep[0] = False
    keep &= stats[:, cv2.CC_STAT_AREA] >= MIN_REGION * diff.size
    mask = keep[labels].astype(np.uint8)
    if not mask.any():
        return np.zeros(diff.shape, np.float32)
    # fill holes (a recoloured object is one region), then grow a margin and feather outwards
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(mask, contours, -1, 1, thickness=cv2.FILLED)
    band = max(2, round(FEATHER * max(size)))
    grown = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1,) * 2))
    distance = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 5)  # 0 inside the change
    alpha = np.clip(1.0 - distance / (band + 1.0), 0.0, 1.0).astype(np.float32)
    alpha[grown == 0] = 0.0
    return alpha


def _gradient(img: np.ndarray) -> np.ndarray:
    """The strongest channel's gradient magnitude (0-255 per pixel)."""
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return cv2.magnitude(gx, gy).max(axis=2)


def _paste(
    original: np.ndarray, edit8: np.ndarray, full_to_edit: np.ndarray, alpha_small: np.ndarray
) -> tuple[np.ndarray, float]:
    """The original with the edit blended in where alpha > 0; the share of pixels changed."""
    height, width = original.shape[:2]
    out = original.copy()
    ys, xs = np.nonzero(alpha_small > 0)
    if ys.size == 0:
        return out, 0.0
    sy, sx = height / alpha_small.shape[0], width / alpha_small.shape[1]
    x0, x1 = max(0, int((xs.min() - 1) * sx)), min(width, int(np.ceil((xs.max() + 2) * sx)))
    y0, y1 = max(0, int((ys.min() - 1) * sy)), min(height, int(np.ceil((ys.max() + 2) * sy)))
    # alpha at full resolution, for the box only (pixel centres kept)
    grid_x = (np.arange(x0, x1, dtype=np.float32) + 0.5) / sx - 0.5
    grid_y = (np.arange(y0, y1, dtype=np.float32) + 0.5) / sy - 0.5
    alpha = cv2.remap(
        alpha_small,
        *np.meshgrid(grid_x, grid_y),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    box_map = full_to_edit.copy()
    box_map[:, 2] += full_to_edit[:, :2] @ np.array([x0, y0], np.float64)
    patch = cv2.warpAffine(
        edit8,
        box_map,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    new = _colour_like(patch, original)
    region = out[y0:y1, x0:x1]
    colour = region if region.ndim == 2 else region[..., : new.shape[2]]  # never the alpha
    if original.dtype == np.uint8:  # OpenCV's per-pixel blend (uint8 only)
        blended = cv2.blendLinear(np.ascontiguousarray(colour), new, 1.0 - alpha, alpha)
    else:
        a = alpha if new.ndim == 2 else alpha[..., None]
        blended = colour.astype(np.float32) * (1.0 - a) + new.astype(np.float32) * a
        blended = np.clip(np.rint(blended), 0, max_value(original)).astype(original.dtype)
    inside = alpha > 0
    np.copyto(colour, blended, where=inside if colour.ndim == 2 else inside[..., None])
    return out, float(inside.sum()) / (height * width)


def _colour_like(edit8: np.ndarray, original: np.ndarray) -> np.ndarray:
    """A BGR uint8 edit as the original's colour: grey (2-D) or BGR, in its dtype."""
    pixels = edit8.astype(original.dtype) * scale_of(original)
    if original.ndim == 2 or original.shape[2] == 1:
        return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    return pixels


def _in_layout(edit8: np.ndarray, original: np.ndarray) -> np.ndarray:
    """A full-size BGR uint8 edit in the original's layout: its channels, dtype and alpha."""
    pixels = _colour_like(edit8, original)
    if original.ndim == 3 and original.shape[2] == 4:
        return np.dstack([pixels, original[..., 3]])
    return pixels.reshape(original.shape)
