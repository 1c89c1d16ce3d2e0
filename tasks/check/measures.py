"""Image measures shared by the checks: working copies and pure functions over arrays (16-bit
pictures are measured as 8-bit: tasks/pixels/dtypes.py)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.pixels.dtypes import as_uint8

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
    size that pixel distances are reported in."""

    grey_before: np.ndarray  # <= 1024 px
    grey_after: np.ndarray
    small_before: np.ndarray  # BGR, WORK_SIDE
    small_after: np.ndarray
    width: int
    height: int

    @classmethod
    def of(cls, before: np.ndarray, after: np.ndarray) -> Frames:
        return cls(
            small(grey(before), 1024),
            small(grey(after), 1024),
            small(bgr(before)),
            small(bgr(after)),
            before.shape[1],
            before.shape[0],
        )

    def greys(self, side: int) -> tuple[np.ndarray, np.ndarray]:
        return small(self.grey_before, side), small(self.grey_after, side)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Structural similarity of two greys at every pixel (Gaussian window, sigma 1.5)."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (0, 0), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean structural similarity of two greys (Gaussian window), over `mask` if given."""
    s = ssim_map(a, b)
    if mask is not None:
        return float(s[mask].mean()) if mask.any() else 1.0
    return float(s.mean())


def centre_block(grey: np.ndarray, side: int = 512) -> np.ndarray:
    """The central side x side pixels at full resolution, on the 8x8 JPEG grid."""
    h, w = grey.shape
    y = max(0, (h - side) // 2) // 8 * 8
    x = max(0, (w - side) // 2) // 8 * 8
    return grey[y : y + side, x : x + side]


def noise_sigma(grey: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (robust: median of |Laplacian| on flat areas)."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(cv2.filter2D(grey.astype(np.float32), -1, kernel))[1:-1, 1:-1]
    edges = cv2.Canny(grey, 60, 160)[1:-1, 1:-1] > 0
    flat = response[~cv2.dilate(edges.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)]
    values = flat if flat.size > 1000 else response.ravel()
    return float(np.median(values) * np.sqrt(np.pi / 2) / 6)


def blockiness(grey: np.ndarray) -> tuple[float, float]:
    """Energy across 8x8 block edges relative to inside blocks (JPEG at very low quality), and
    the excess in grey levels (a smooth studio backdrop has a high ratio of tiny numbers)."""
    g = grey.astype(np.float32)
    dx = np.abs(np.diff(g, axis=1))
    dy = np.abs(np.diff(g, axis=0))
    cols = np.arange(dx.shape[1])
    rows = np.arange(dy.shape[0])
    edge = dx[:, cols % 8 == 7].mean() + dy[rows % 8 == 7, :].mean()
    inner = dx[:, cols % 8 != 7].mean() + dy[rows % 8 != 7, :].mean()
    return float(edge / max(inner, 1e-3)), float(edge - inner)


def difference(frames: Frames) -> np.ndarray:
    """Per-pixel change on small copies, blurred first so VAE softness and noise do not count."""
    a = cv2.GaussianBlur(frames.small_before.astype(np.float32), (0, 0), 1.5)
    b = cv2.GaussianBlur(frames.small_after.astype(np.float32), (0, 0), 1.5)
    return np.abs(a - b).max(axis=2)


def changed_mask(diff: np.ndarray, level: float) -> np.ndarray:
    """Where the picture really changed: above `level`, specks removed, edges grown a little."""
    mask = (diff > level).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.dilate(mask, np.ones((7, 7), np.uint8)).astype(bool)


def high_pass(grey_img: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """The fine structure of a grey picture: itself less its blur (pattern, shading edges, text)."""
    values = grey_img.astype(np.float32)
    return values - cv2.GaussianBlur(values, (0, 0), sigma)
