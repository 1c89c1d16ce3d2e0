"""What a post-check says: a Finding per check, and the Report that decides publish or review."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Finding:
    check: str
    value: float | None
    threshold: float | None
    passed: bool
    message: str
    margin: float = 1.0  # 0 at the threshold, 1 far inside it

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("margin")
        return out


@dataclass
class Report:
    verdict: str  # publish | review
    confidence: float
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "confidence": round(self.confidence, 3),
                "findings": [f.to_dict() for f in self.findings]}

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]


def finding(check: str, value: float, threshold: float, ok: bool, message: str,
            spread: float) -> Finding:
    """`spread`: how far from the threshold counts as fully safe (for the confidence)."""
    margin = float(min(1.0, abs(value - threshold) / spread)) if ok else 0.0
    return Finding(check, round(float(value), 4), threshold, bool(ok), message, margin)


def cannot_measure(check: str, message: str) -> Finding:
    """A check that could not measure: never a pass (the item goes to a person)."""
    return Finding(check, None, None, False, f"cannot measure: {message}", 0.0)
