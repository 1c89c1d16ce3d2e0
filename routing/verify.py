"""The plan read back against the request before it runs (OpenCV's part): every number the
request states is held by a parameter, and orientation ops that cancel each other or compound
into a different edit are asked about, never run (a flip and a half turn together are the other
flip; two flips along one axis, or turns that add up to nothing, leave the picture as it was)."""

from __future__ import annotations

import math
import re

from config.contracts import Op
from routing.builders import ALL_SIDES, side_words

ORIENTATION_OPS = ("rotate", "flip")


def orientation_conflict(ops: list[Op]) -> str | None:
    """Why these ops, done together, are not what anyone asks for; None when they are."""
    turns = [op.params["degrees"] for op in ops if op.name == "rotate"]
    flips = [op.params["axis"] for op in ops if op.name == "flip"]
    if flips and any(abs(t) == 180 for t in turns):
        return (
            "a flip and a half turn together are the other flip; say which one is wanted "
            "(e.g. 'rotate 180°' or 'flip vertically')"
        )
    if len(flips) >= 2 and len(set(flips)) < len(flips):
        return "two flips along the same axis cancel out; say it once"
    if len(set(flips)) == 2:
        return "a horizontal and a vertical flip together are a half turn; say 'rotate 180°' if so"
    if len(turns) >= 2 and sum(turns) % 360 == 0:
        return "the turns asked for add up to nothing; say the one that is wanted"
    return None


_FRACTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)(?![\d.])")
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d.])")
_NOT_A_PARAMETER = re.compile(  # numbers no parameter keeps: exposure stops (read as an amount)
    r"-?\d+(?:\.\d+)?\s*(?:ev|档|挡|stops?)\b|[+-]?\d+(?:\.\d+)?\s*(?:ev|档|挡)"
)


def unused_numbers(text: str, ops: list[Op]) -> list[str]:
    """The numbers stated in `text` (normalised) that no parameter of `ops` holds. Each must be
    held by a parameter of its own (two 300s need two): "800" by a width of 800, "50%" by a scale
    of 0.5, "270" by a turn of -90, "1/10" of a side by a margin of 10%; or the plan is not what
    was asked."""
    values = [v for op in ops for v in _numbers_in(op.params)]
    text = _restatements_dropped(_NOT_A_PARAMETER.sub(" ", text))
    unused = []

    def take(holds) -> bool:  # each stated number is held by a parameter of its own
        index = next((i for i, v in enumerate(values) if holds(v)), None)
        if index is None:
            return False
        values.pop(index)
        return True

    for m in _FRACTION.finditer(text):
        a, b = float(m.group(1)), float(m.group(2))
        if b and not take(lambda v, a=a, b=b: _same(v, 100 * a / b) or _same(v, a / b)):
            unused.append(m.group())
    text = _FRACTION.sub(" ", text)
    for m in _NUMBER.finditer(text):
        stated = float(m.group())
        if not take(lambda v, n=stated: _means(v, n)):
            unused.append(m.group())
    return unused


def _numbers_in(params) -> list[float]:
    if isinstance(params, bool):
        return []
    if isinstance(params, int | float):
        return [float(params)]
    if isinstance(params, dict):
        return [v for value in params.values() for v in _numbers_in(value)]
    if isinstance(params, list | tuple):
        return [v for value in params for v in _numbers_in(value)]
    return []


def _means(value: float, stated: float) -> bool:
    """Does a parameter `value` hold the number `stated`? As itself, as a percentage (an amount
    of 0.15 is "15%", a scale of 0.75 is "75%" or "25% smaller"), a factor (a scale of 0.25 is
    "by a factor of 4") or a turn the other way (-90 is "270")."""
    candidates = [value, abs(value), 100 * value, 100 * abs(value), 100 * abs(1 - value), 360 - abs(value)]
    if value:
        candidates.append(1 / abs(value))
    return any(_same(c, abs(stated)) for c in candidates) or _same(value, stated)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=0.51 if b >= 10 else 1e-3)


def unexplained_sides(text: str, ops: list[Op], side_slot: re.Pattern[str]) -> tuple[str, ...]:
    """Sides the request names ("on the right", "上下") that a margin op taking all four sides
    ignores: "too much space on the right, trim 100px off that side" must not cut every side."""
    named: set[str] = set()
    for m in side_slot.finditer(text):
        sides = side_words(m.group(1) or m.group())
        if sides == ALL_SIDES:
            return ()
        named.update(sides or ())
    margins = [op for op in ops if "margins" in op.params]
    if named and margins and all(set(op.params["margins"]) == set(ALL_SIDES) for op in margins):
        return tuple(side for side in ALL_SIDES if side in named)
    return ()


_ASIDE = re.compile(r"[(（]([^()（）]*)[)）]")


def _restatements_dropped(text: str) -> str:
    """Text without asides that only restate numbers said outside them ("缩放到四分之一大小（宽高各
    四分之一）": one quarter, said twice)."""
    outside = _ASIDE.sub(" ", text)
    said = set(_FRACTION.findall(outside)) | set(_NUMBER.findall(_FRACTION.sub(" ", outside)))

    def drop(m: re.Match[str]) -> str:
        inner = m.group(1)
        stated = set(_FRACTION.findall(inner)) | set(_NUMBER.findall(_FRACTION.sub(" ", inner)))
        return " " if stated and stated <= said else m.group()

    return _ASIDE.sub(drop, text)
