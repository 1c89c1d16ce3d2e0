"""Does an op fit: a result of at least a pixel and within the output limits, and, when the
picture's size is known, a crop that leaves something of it. The builders refuse what does not
(routing/builders.py), before any pixel is touched."""

from __future__ import annotations

from config.contracts import Op
from config.limits import Limits
from routing.slots import ALL_SIDES, PlanError


def check_output(width: float, height: float, limits: Limits) -> None:
    """Refuse a result of no pixels, or above the output limits."""
    if width < 1 or height < 1:
        raise PlanError(f"the result would be {width:.0f}x{height:.0f} pixels")
    if width * height > limits.max_output_pixels or max(width, height) > limits.max_side:
        raise PlanError(
            f"{width:.0f}x{height:.0f} is above the limit of "
            f"{limits.max_output_pixels / 1e6:.0f} MP / {limits.max_side} px a side "
            "(RETOUCH_MAX_OUTPUT_PIXELS)"
        )


def check_against_image(op: Op, image_size: tuple[int, int], limits: Limits) -> None:
    """Refuse what cannot work on this picture: crops wider than it, results above the limit."""
    width, height = image_size
    p = op.params
    if op.name == "crop" and "margins" in p and p.get("unit") == "px":
        m = {s: p["margins"].get(s, 0) for s in ALL_SIDES}
        if m["left"] + m["right"] >= width or m["top"] + m["bottom"] >= height:
            raise PlanError(f"cropping {p['margins']} px leaves nothing of a {width}x{height} image")
    if op.name == "resize":
        if "scale" in p:
            check_output(width * p["scale"], height * p["scale"], limits)
        for dim, base, other in (("width", width, height), ("height", height, width)):
            if dim in p and len(p) == 1:
                check_output(p[dim], other * p[dim] / base, limits)
        if "longest" in p:
            s = p["longest"] / max(width, height)
            check_output(width * s, height * s, limits)
        if "shortest" in p:
            s = p["shortest"] / min(width, height)
            check_output(width * s, height * s, limits)
    if op.name == "pad" and "margins" in p and p.get("unit") == "px":
        m = {s: p["margins"].get(s, 0) for s in ALL_SIDES}
        check_output(width + m["left"] + m["right"], height + m["top"] + m["bottom"], limits)
