"""Image measures shared by the checks: working copies and pure functions over arrays (16-bit
pictures are measured as 8-bit: tasks/dtypes.py)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.dtypes import as_uint8

WORK_SIDE = 384  # most measurements run on copies this size on the long side


def grey(img: np.ndarray) -> np.ndarray:
    img = as_uint8(img)
    if img.ndim == 3:
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
    return img


def bgr(img: np.ndarray) -> np.ndarray:
    img = as_uint8(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img[..., :3]


def small(img: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    h, w = img.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Frames:
    """The copies every measurement works on, made once per check: greys at 1024 pixels on the
    long side (and smaller ones taken from them), colour copies at WORK_SIDE, and the full-size
    width that pixel distances are reported in."""

    grey_before: np.ndarray  # <= 1024 px
    grey_after: np.ndarray
    small_before: np.ndarray  # BGR, WORK_SIDE
    small_after: np.ndarray
    width: int

    @classmethod
    def of(cls, before: np.ndarray, after: np.ndarray) -> Frames:
        return cls(
            small(grey(before), 1024),
            small(grey(after), 1024),
            small(bgr(before)),
            small(bgr(after)),
            before.shape[1],
        )

    def greys(self, side: int) -> tuple[np.ndarray, np.ndarray]:
        return small(self.grey_before, side), small(self.grey_after, side)


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean structural similarity of two greys (Gaussian window), over `mask` if given."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (0, 0), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    if mask is not None:
        return float(s[mask].mean()) if mask.any() else 1.0
    return float(s.mean())
