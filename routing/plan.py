"""The router's output: a plan of typed operations, shared by the CLI, the flows and the checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Route = Literal["opencv", "model", "reject"]

#: Operations done by OpenCV in-process, in the order they are documented in the README.
OPENCV_OPS = (
    "crop", "trim", "resize", "rotate", "flip", "brightness", "contrast", "saturation", "tone",
    "grey", "pad", "sharpen", "blur", "format",
)
#: The one operation that needs the image model: an edit described in words.
MODEL_OP = "model"


@dataclass(frozen=True)
class Op:
    """One step of a plan: `name` is an entry of OPENCV_OPS or MODEL_OP, `params` its arguments."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.name, **self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Op:
        params = dict(data)
        return cls(params.pop("op"), params)


@dataclass(frozen=True)
class Plan:
    """What to do with one (instruction, image): the route, the ordered ops, and why."""

    route: Route
    ops: tuple[Op, ...]
    confidence: float
    reason: str

    @property
    def model_prompt(self) -> str | None:
        """The words sent to the image model, or None for an OpenCV-only plan."""
        prompts = [op.params["prompt"] for op in self.ops if op.name == MODEL_OP]
        return "; ".join(prompts) if prompts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "ops": [op.to_dict() for op in self.ops],
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            route=data["route"],
            ops=tuple(Op.from_dict(op) for op in data.get("ops", ())),
            confidence=float(data["confidence"]),
            reason=data["reason"],
        )

    @classmethod
    def reject(cls, reason: str, confidence: float = 0.9) -> Plan:
        return cls("reject", (), confidence, reason)
