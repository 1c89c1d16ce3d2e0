"""How a check makes its Finding: measured against a threshold, or could not measure."""

from __future__ import annotations

from config.contracts import Finding


def finding(check: str, value: float, threshold: float, ok: bool, message: str, spread: float) -> Finding:
    """`spread`: how far from the threshold counts as fully safe (for the confidence)."""
    margin = float(min(1.0, abs(value - threshold) / spread)) if ok else 0.0
    return Finding(check, round(float(value), 4), threshold, bool(ok), message, margin)


def cannot_measure(check: str, message: str) -> Finding:
    """A check that could not measure: never a pass (the item goes to a person)."""
    return Finding(check, None, None, False, f"cannot measure: {message}", 0.0)
