"""Colour science for the checks: sRGB to CIE Lab, CIEDE2000 and hue distances. Pure functions."""

from __future__ import annotations

import cv2
import numpy as np

#: Below this chroma (C*ab) a colour has no meaningful hue: white, black and greys.
ACHROMATIC_CHROMA = 12.0


def lab_of_bgr(bgr: np.ndarray) -> np.ndarray:
    """CIE Lab (D65; L 0-100) of uint8 BGR pixels, any shape ending in 3."""
    pixels = np.asarray(bgr, np.float32).reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2Lab).reshape(np.shape(bgr)[:-1] + (3,))


def lab_of_rgb(rgb: tuple[int, int, int] | list[int]) -> np.ndarray:
    """Lab of one sRGB colour given as (r, g, b)."""
    r, g, b = rgb[:3]
    return lab_of_bgr(np.array([[b, g, r]], np.uint8))[0]


def chroma(lab: np.ndarray) -> np.ndarray:
    return np.hypot(lab[..., 1], lab[..., 2])


def hue_degrees(lab: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360


def hue_distance(a: float, b: float) -> float:
    """Shortest angle between two hues, 0-180 degrees."""
    d = abs(a - b) % 360
    return float(min(d, 360 - d))


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (kL = kC = kH = 1) between Lab arrays that broadcast."""
    L1, a1, b1 = (np.asarray(lab1, np.float64)[..., i] for i in range(3))
    L2, a2, b2 = (np.asarray(lab2, np.float64)[..., i] for i in range(3))
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = L2 - L1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (L1 + L2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) > 180, np.where(hsum < 360, hsum + 360, hsum - 360), hsum) / 2
    h_mean = np.where(c1p * c2p == 0, hsum, h_mean)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    sl = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    sc = 1 + 0.045 * cp_mean
    sh = 1 + 0.015 * cp_mean * t
    rt = (
        -2
        * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
    )
    return np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2 + rt * (dc / sc) * (dhh / sh))


_NAMES = [
    ("pink", 15),
    ("red", 50),
    ("orange", 78),
    ("yellow", 115),
    ("green", 180),
    ("cyan", 240),
    ("blue", 310),
    ("purple", 340),
    ("pink", 361),
]  # the upper CIE Lab hue angle of each name


def describe(lab: np.ndarray) -> str:
    """A plain name for a Lab colour ("light grey", "dark blue"), for messages."""
    lightness, c = float(lab[0]), float(chroma(lab))
    if c < ACHROMATIC_CHROMA:
        if lightness > 97:
            return "white"
        if lightness > 80:
            return "off-white"
        if lightness > 60:
            return "light grey"
        return "grey" if lightness > 30 else "black"
    hue = float(hue_degrees(lab))
    name = next(n for n, limit in _NAMES if hue < limit)
    return f"{'light ' if lightness > 75 else 'dark ' if lightness < 30 else ''}{name}"
