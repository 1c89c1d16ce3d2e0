"""The OpenCV path: pure functions from pixels to pixels, one per plan op.

Every function takes and returns OpenCV arrays (HxW grey, HxWx3 BGR, HxWx4 BGRA; uint8 or
uint16). Geometry ops move the alpha channel with the colour; colour ops leave alpha alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from config.contracts import MODEL_OP, Op
from config.limits import Limits
from config.ops import OpError
from routing.presets import Preset
from tasks.edit.conform import conform
from tasks.pixels.dtypes import max_value, scale_of
from tasks.pixels.resize import resize_to


def _split_alpha(img: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if img.ndim == 3 and img.shape[2] == 4:
        return img[..., :3], img[..., 3]
    return img, None


def _join_alpha(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return colour
    if colour.ndim == 2:
        colour = cv2.cvtColor(colour, cv2.COLOR_GRAY2BGR)
    return np.dstack([colour, alpha])


def _luma(colour: np.ndarray) -> np.ndarray:
    return colour if colour.ndim == 2 else cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)


def _apply_curve(img: np.ndarray, curve: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a per-value tone curve to the colour channels (a LUT for 8-bit)."""
    colour, alpha = _split_alpha(img)
    top = max_value(img)
    if img.dtype == np.uint8:
        lut = np.clip(curve(np.arange(256, dtype=np.float32)), 0, 255).round().astype(np.uint8)
        out = cv2.LUT(colour, lut)
    else:
        out = np.clip(curve(colour.astype(np.float32)), 0, top).round().astype(img.dtype)
    return _join_alpha(out, alpha)


# ------------------------------------------------------------------------------------------------
# geometry


def aspect_box(w: int, h: int, aspect: Sequence[float], anchor: str = "center") -> tuple[int, int, int, int]:
    """(x, y, width, height) of the largest window of ratio aspect[0]:aspect[1] in a w x h
    picture, placed by `anchor`."""
    target = aspect[0] / aspect[1]
    if w / h > target:
        new_w, new_h = max(1, round(h * target)), h
    else:
        new_w, new_h = w, max(1, round(w / target))
    x = {"left": 0, "right": w - new_w}.get(anchor, (w - new_w) // 2)
    y = {"top": 0, "bottom": h - new_h}.get(anchor, (h - new_h) // 2)
    return x, y, new_w, new_h


def margins_box(w: int, h: int, margins: dict[str, float], unit: str = "px") -> tuple[int, int, int, int]:
    """(x, y, width, height) left after cutting `margins` (px or percent) off a w x h picture."""

    def px(side: str, base: int) -> int:
        value = float(margins.get(side, 0))
        return round(base * value / 100) if unit == "percent" else round(value)

    left, right, top, bottom = px("left", w), px("right", w), px("top", h), px("bottom", h)
    if min(left, right, top, bottom) < 0:
        raise OpError("crop margins cannot be negative")
    if left + right >= w or top + bottom >= h:
        raise OpError(f"cropping {left}+{right} px by {top}+{bottom} px leaves nothing of a {w}x{h} image")
    return left, top, w - left - right, h - top - bottom


def crop_box(w: int, h: int, params: dict) -> tuple[int, int, int, int]:
    """(x, y, width, height) a crop op keeps of a w x h picture (before any resize it asks)."""
    if "aspect" in params:
        return aspect_box(w, h, params["aspect"], params.get("anchor", "center"))
    return margins_box(w, h, params["margins"], params.get("unit", "px"))


def condition_holds(when: dict | None, w: int, h: int) -> bool:
    """Whether a w x h picture meets an op's condition (routing/conditions.py): {"side": width |
    height | longest, "above" | "below": N}; an op without one always runs."""
    if not when:
        return True
    side = {"width": w, "height": h}.get(when["side"], max(w, h))
    return side > when["above"] if "above" in when else side < when["below"]


def changes_nothing(op: Op, w: int, h: int) -> bool:
    """Whether `op` leaves a w x h picture exactly as it is (a request already satisfied: a
    square photo cropped to 1:1, a resize to its own size, a turn by 360 degrees, an op whose
    condition the picture does not meet)."""
    p = op.params
    if not condition_holds(p.get("when"), w, h):
        return True
    if op.name == "crop" and "size" not in p:
        try:
            return crop_box(w, h, p) == (0, 0, w, h)
        except OpError:
            return False
    if op.name == "resize":
        return target_size(w, h, p) == (w, h)
    if op.name == "rotate":
        return p.get("degrees", 0) % 360 == 0
    return op.name == "format"


def _window(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return img[y : y + h, x : x + w]


def trim(img: np.ndarray, tolerance: float = 12) -> np.ndarray:
    """Cut away a uniform border (the colour of the frame's edge), keeping the content."""
    colour, alpha = _split_alpha(img)
    scale = scale_of(img)
    if alpha is not None and (alpha < 250 * scale).mean() > 0.01:
        content = alpha > 8 * scale  # transparent surroundings
    else:
        edge = np.concatenate([colour[0], colour[-1], colour[:, 0], colour[:, -1]])
        background = np.median(edge.reshape(len(edge), -1), axis=0)
        diff = np.abs(colour.astype(np.float32) - background.astype(np.float32))
        content = (diff.max(axis=-1) if diff.ndim == 3 else diff) > tolerance * scale
    ys, xs = np.nonzero(content)
    if len(xs) == 0:
        return img
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def target_size(w: int, h: int, params: dict) -> tuple[int, int]:
    """Output size of a resize op on a w x h image (keeps the aspect unless both sides given)."""
    if "width" in params and "height" in params:
        return int(params["width"]), int(params["height"])
    if "width" in params:
        s = params["width"] / w
    elif "height" in params:
        s = params["height"] / h
    elif "longest" in params:
        s = params["longest"] / max(w, h)
    elif "shortest" in params:
        s = params["shortest"] / min(w, h)
    else:
        s = float(params["scale"])
    return max(1, round(w * s)), max(1, round(h * s))


def rotate(img: np.ndarray, degrees: float, fill: Sequence[int] = (255, 255, 255)) -> np.ndarray:
    """Rotate clockwise; right angles are exact, others expand the canvas and fill corners."""
    turns = degrees / 90
    if turns == round(turns):
        code = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
        k = int(round(turns)) % 4
        return img if k == 0 else cv2.rotate(img, code[k])
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    border = _fill_value(img, fill, transparent_if_alpha=True)
    return cv2.warpAffine(
        img, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def flip(img: np.ndarray, axis: str) -> np.ndarray:
    return cv2.flip(img, 1 if axis == "horizontal" else 0)


def _fill_value(img: np.ndarray, colour: Sequence[int], transparent_if_alpha: bool = False):
    """An OpenCV border value (BGR[A], scaled to the dtype) for an RGB[A] colour."""
    scale = scale_of(img)
    r, g, b = colour[:3]
    a = colour[3] if len(colour) > 3 else 255
    if transparent_if_alpha and img.ndim == 3 and img.shape[2] == 4:
        a = 0
    if img.ndim == 2:
        return (round(0.299 * r + 0.587 * g + 0.114 * b) * scale,)
    values = (b * scale, g * scale, r * scale, a * scale)
    return values[: img.shape[2]]


def pad(img: np.ndarray, params: dict) -> np.ndarray:
    """Extend the canvas: to an aspect ratio or size (centred), or by margins, in a colour."""
    colour = list(params.get("colour", (255, 255, 255)))
    if len(colour) > 3 and colour[3] < 255 and not (img.ndim == 3 and img.shape[2] == 4):
        img = _add_alpha(img)
    elif img.ndim == 2 and len(set(colour[:3])) > 1:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    h, w = img.shape[:2]
    if "size" in params:
        tw, th = (int(v) for v in params["size"])
        if w > tw or h > th:  # fit inside first, then pad (letterbox)
            s = min(tw / w, th / h)
            img = resize_to(img, max(1, round(w * s)), max(1, round(h * s)))
            h, w = img.shape[:2]
        top, left = (th - h) // 2, (tw - w) // 2
        bottom, right = th - h - top, tw - w - left
    elif "aspect" in params:
        target = params["aspect"][0] / params["aspect"][1]
        tw, th = (round(h * target), h) if w / h < target else (w, round(w / target))
        top, left = (th - h) // 2, (tw - w) // 2
        bottom, right = th - h - top, tw - w - left
    else:
        margins, unit = params.get("margins", {}), params.get("unit", "px")

        def px(side: str) -> int:
            value = float(margins.get(side, 0))
            return round(min(w, h) * value / 100) if unit == "percent" else round(value)

        top, bottom, left, right = px("top"), px("bottom"), px("left"), px("right")
    value = _fill_value(img, colour)
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=value)


def _add_alpha(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    alpha = np.full(img.shape[:2], max_value(img), img.dtype)
    return np.dstack([img, alpha])


# ------------------------------------------------------------------------------------------------
# colour


def brightness(img: np.ndarray, amount: float) -> np.ndarray:
    """Scale values by (1 + amount): +0.15 is 15% brighter."""
    gain = 1.0 + amount
    return _apply_curve(img, lambda v: v * gain)


def contrast(img: np.ndarray, amount: float) -> np.ndarray:
    """Stretch values away from the picture's mean brightness by (1 + amount)."""
    colour, _ = _split_alpha(img)
    mean = float(_luma(colour).mean())
    gain = 1.0 + amount
    return _apply_curve(img, lambda v: (v - mean) * gain + mean)


def saturation(img: np.ndarray, amount: float) -> np.ndarray:
    """Move colours away from (or towards) their own grey by (1 + amount)."""
    colour, alpha = _split_alpha(img)
    if colour.ndim == 2:
        return img
    grey = cv2.cvtColor(_luma(colour), cv2.COLOR_GRAY2BGR)
    out = cv2.addWeighted(colour, 1.0 + amount, grey, -amount, 0)
    return _join_alpha(out, alpha)


def tone(img: np.ndarray, warmth: float) -> np.ndarray:
    """Warmer (warmth > 0: more red, less blue) or cooler (< 0), luma roughly kept."""
    colour, alpha = _split_alpha(img)
    if colour.ndim == 2:
        colour = cv2.cvtColor(colour, cv2.COLOR_GRAY2BGR)
    k = 0.5 * warmth
    matrix = np.diag([1.0 - k, 1.0 - 0.05 * warmth, 1.0 + k]).astype(np.float32)  # B, G, R
    return _join_alpha(cv2.transform(colour, matrix), alpha)


def grey(img: np.ndarray) -> np.ndarray:
    colour, alpha = _split_alpha(img)
    out = _luma(colour)
    if alpha is not None:  # keep transparency: grey stored as BGRA
        return np.dstack([out, out, out, alpha])
    return out


def sharpen(img: np.ndarray, amount: float) -> np.ndarray:
    """Unsharp mask with a radius that grows with the picture."""
    colour, alpha = _split_alpha(img)
    sigma = max(1.0, min(colour.shape[:2]) / 800)
    blurred = cv2.GaussianBlur(colour, (0, 0), sigma)
    out = cv2.addWeighted(colour, 1.0 + amount, blurred, -amount, 0)
    return _join_alpha(out, alpha)


#: the sepia tone's colour matrix (Microsoft's, as most editors use), rows and columns in BGR order
_SEPIA = np.array([[0.131, 0.534, 0.272], [0.168, 0.686, 0.349], [0.189, 0.769, 0.393]], np.float32)


def sepia(img: np.ndarray, strength: float) -> np.ndarray:
    """Grey with a warm brown tint, `strength` of the way from the picture (alpha kept)."""
    colour, alpha = _split_alpha(img)
    if colour.ndim == 2:
        colour = cv2.cvtColor(colour, cv2.COLOR_GRAY2BGR)
    source = colour.astype(np.float32)
    toned = cv2.transform(source, _SEPIA)
    out = np.clip(source + strength * (toned - source), 0, max_value(colour))
    return _join_alpha(out.astype(colour.dtype), alpha)


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), float(sigma))


# ------------------------------------------------------------------------------------------------
# plans


def _check_size(w: int, h: int, max_pixels: int, max_side: int) -> None:
    if w * h > max_pixels or max(w, h) > max_side:
        raise OpError(
            f"the result would be {w}x{h}, above the limit of {max_pixels / 1e6:.0f} MP"
            f" / {max_side} px a side (RETOUCH_MAX_OUTPUT_PIXELS)"
        )


def apply_op(
    img: np.ndarray, op: Op, max_pixels: int = Limits.max_output_pixels, max_side: int = Limits.max_side
) -> np.ndarray:
    """Apply one OpenCV op of a plan (none, when the picture does not meet its condition): its
    params as its spec (config/ops.py) reads them, then its function below, which gets
    them as the spec reads them (its defaults filled in, nothing unset)."""
    if op.name == MODEL_OP:
        raise OpError("this op needs the image model")
    params = op.args.model_dump(exclude_none=True)  # with the spec's defaults
    h, w = img.shape[:2]
    if not condition_holds(params.get("when"), w, h):
        return img
    return APPLY[op.name](img, params, max_pixels, max_side)


def _crop(img: np.ndarray, p: dict, max_pixels: int, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    img = _window(img, crop_box(w, h, p))
    if "size" in p:
        tw, th = (int(v) for v in p["size"])
        _check_size(tw, th, max_pixels, max_side)
        img = resize_to(img, tw, th)
    return img


def _resize(img: np.ndarray, p: dict, max_pixels: int, max_side: int) -> np.ndarray:
    tw, th = target_size(img.shape[1], img.shape[0], p)
    _check_size(tw, th, max_pixels, max_side)
    return resize_to(img, tw, th)


def _rotate(img: np.ndarray, p: dict, max_pixels: int, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    out_w, out_h = (h, w) if abs(p["degrees"]) % 180 == 90 else (w, h)
    _check_size(out_w, out_h, max_pixels * 2, max_side * 2)
    return rotate(img, p["degrees"])


def _checked(make: Callable[[np.ndarray, dict], np.ndarray]):
    """An op whose result's size is known once it is made (a border, a preset)."""

    def apply(img: np.ndarray, p: dict, max_pixels: int, max_side: int) -> np.ndarray:
        out = make(img, p)
        _check_size(out.shape[1], out.shape[0], max_pixels, max_side)
        return out

    return apply


def _conform(img: np.ndarray, p: dict) -> np.ndarray:
    rules = {k: v for k, v in p.items() if k not in ("preset", "version", "when")}
    return conform(img, Preset(name=p["preset"], version=p["version"], **rules))


def _no_larger(make: Callable[[np.ndarray, dict], np.ndarray]):
    """An op whose result is never larger than the picture: no size to check."""
    return lambda img, p, max_pixels, max_side: make(img, p)


#: one function per op of config/ops.py: (pixels, params, max pixels, max side) -> pixels
APPLY: dict[str, Callable[[np.ndarray, dict, int, int], np.ndarray]] = {
    "crop": _crop,
    "trim": _no_larger(lambda img, p: trim(img, p["tolerance"])),
    "resize": _resize,
    "rotate": _rotate,
    "flip": _no_larger(lambda img, p: flip(img, p["axis"])),
    "brightness": _no_larger(lambda img, p: brightness(img, p["amount"])),
    "contrast": _no_larger(lambda img, p: contrast(img, p["amount"])),
    "saturation": _no_larger(lambda img, p: saturation(img, p["amount"])),
    "tone": _no_larger(lambda img, p: tone(img, p["warmth"])),
    "grey": _no_larger(lambda img, p: grey(img)),
    "pad": _checked(pad),
    "sharpen": _no_larger(lambda img, p: sharpen(img, p["amount"])),
    "blur": _no_larger(lambda img, p: blur(img, p["sigma"])),
    "sepia": _no_larger(lambda img, p: sepia(img, p["strength"])),
    "format": _no_larger(lambda img, p: img),  # applied when the result is encoded
    "conform": _checked(_conform),
}


def apply_ops(
    img: np.ndarray,
    ops: Sequence[Op],
    max_pixels: int = Limits.max_output_pixels,
    max_side: int = Limits.max_side,
) -> np.ndarray:
    for op in ops:
        img = apply_op(img, op, max_pixels, max_side)
    return img
