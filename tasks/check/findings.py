"""How a measure makes its Finding: a value against the level a person would call wrong, a
yes/no reading (OCR: the words are there or not), or could not measure."""

from __future__ import annotations

from config.contracts import Finding

BADNESS_RANGE = (-3.0, 6.0)  # what the risk model reads is clipped to this


def finding(check: str, value: float, threshold: float, ok: bool, message: str, spread: float) -> Finding:
    """A measured value. `ok` says on which side of `threshold` good edits lie (the caller's
    comparison); `spread` is how far from the threshold counts as clearly on one side."""
    distance = abs(float(value) - threshold) / max(spread, 1e-9)
    badness = -distance if ok else distance
    margin = float(min(1.0, distance)) if ok else 0.0
    low, high = BADNESS_RANGE
    return Finding(
        check,
        round(float(value), 4),
        threshold,
        bool(ok),
        message,
        margin,
        badness=round(min(high, max(low, badness)), 4),
    )


def reading(check: str, ok: bool, message: str) -> Finding:
    """A yes/no measure (the asked words read or not): value 1 or 0, badness -1 or +1."""
    return Finding(
        check, 1.0 if ok else 0.0, None, bool(ok), message, 1.0 if ok else 0.0, badness=-1.0 if ok else 1.0
    )


def cannot_measure(check: str, message: str) -> Finding:
    """A measure that could not be taken: never a pass, never counted in the edit's favour."""
    return Finding(check, None, None, False, f"cannot measure: {message}", 0.0, measured=False)
