"""What Retouch knows about pixel dtypes, in one place.

Pictures are uint8, or uint16 for 16-bit PNG/TIFF (decoded floats and others become uint16);
measurements and the image model work on uint8; colour values are written on the 0-255 scale
and scaled to the picture's dtype.
"""

from __future__ import annotations

import numpy as np

PICTURE_DTYPES = (np.uint8, np.uint16)


def max_value(img: np.ndarray) -> int:
    """Full scale of the picture's dtype (255, or 65535 for 16-bit)."""
    return 65535 if img.dtype == np.uint16 else 255


def scale_of(img: np.ndarray) -> int:
    """How much one step of the 0-255 scale is worth in the picture's dtype (1, or 257)."""
    return 257 if img.dtype == np.uint16 else 1


def as_uint8(img: np.ndarray) -> np.ndarray:
    """The picture as uint8 (16-bit keeps its top byte)."""
    return img if img.dtype == np.uint8 else (img >> 8).astype(np.uint8)


def as_picture_dtype(arr: np.ndarray) -> np.ndarray:
    """A decoded array in a dtype Retouch edits: uint8 stays, anything else becomes uint16
    (floats in 0-1 are stretched to full scale; NaN becomes 0)."""
    if arr.dtype in PICTURE_DTYPES:
        return arr
    if np.issubdtype(arr.dtype, np.floating):
        top = float(np.nanmax(arr)) if arr.size else 1.0
        arr = np.nan_to_num(arr) * (65535.0 if top <= 1.0 else 1.0)
    return np.clip(arr, 0, 65535).astype(np.uint16)


def check_pictures(min_side: int, what: str, **pictures: np.ndarray) -> None:
    """Raise ValueError, saying what to give instead, unless each picture is one Retouch works on:
    a grey, BGR or BGRA array of uint8 or uint16, at least `min_side` px a side (`what`: to do
    what, for the message)."""
    for name, img in pictures.items():
        if not isinstance(img, np.ndarray):
            raise ValueError(
                f"{name}: expected a numpy array, got {type(img).__name__} (load it with "
                "tasks.pixels.images.load_image)"
            )
        if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
            raise ValueError(f"{name}: expected a grey, BGR or BGRA picture, got shape {img.shape}")
        if img.dtype not in PICTURE_DTYPES:
            raise ValueError(
                f"{name}: expected uint8 or uint16 pixels, got {img.dtype} (load it with "
                "tasks.pixels.images.load_image)"
            )
        if min(img.shape[:2]) < min_side:
            raise ValueError(
                f"{name}: {img.shape[1]}x{img.shape[0]} is too small to {what} (at least "
                f"{min_side} px a side)"
            )
