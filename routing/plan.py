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
#: What a model edit does, as far as the checks need to know.
ACTIONS = ("blur", "text", "background", "style", "move", "remove", "recolour", "add", "replace",
           "edit")


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
class Colour:
    """A named colour: canonical English name, sRGB value, and whether it means "exactly this"."""

    name: str
    rgb: tuple[int, int, int]
    pure: bool = False
    alpha: int = 255

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "rgb": list(self.rgb)}
        if self.pure:
            out["pure"] = True
        if self.alpha != 255:
            out["alpha"] = self.alpha
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Colour:
        return cls(data["name"], tuple(data["rgb"]), bool(data.get("pure", False)),
                   int(data.get("alpha", 255)))


@dataclass(frozen=True)
class Region:
    """A part of the frame named in words: (x range, y range) as fractions of width and height."""

    name: str
    box: tuple[tuple[float, float], tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "box": [list(self.box[0]), list(self.box[1])]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Region:
        (x0, x1), (y0, y1) = data["box"]
        return cls(data["name"], ((x0, x1), (y0, y1)))


@dataclass(frozen=True)
class Intent:
    """What a model edit asks for, structured for the post-checks to verify.

    `action` is one of ACTIONS; `target` the words naming what is edited; `colour` the colour
    asked for; `old_text`/`new_text` the quoted words of a text edit; `region` where in the frame
    the edit belongs; `keep` what must stay unchanged ("background", "logo", "everything else").
    """

    action: str
    target: str | None = None
    colour: Colour | None = None
    old_text: str | None = None
    new_text: str | None = None
    language: str | None = None  # the language text is to be translated into
    region: Region | None = None
    keep: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action}
        for key in ("target", "old_text", "new_text", "language"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.colour:
            out["colour"] = self.colour.to_dict()
        if self.region:
            out["region"] = self.region.to_dict()
        if self.keep:
            out["keep"] = list(self.keep)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intent:
        return cls(
            action=data["action"], target=data.get("target"),
            colour=Colour.from_dict(data["colour"]) if data.get("colour") else None,
            old_text=data.get("old_text"), new_text=data.get("new_text"),
            language=data.get("language"),
            region=Region.from_dict(data["region"]) if data.get("region") else None,
            keep=tuple(data.get("keep", ())),
        )


@dataclass(frozen=True)
class Plan:
    """What to do with one (instruction, image): the route, the ordered ops, and why.

    `constraints` are what the instruction forbids ("no-crop", "keep-aspect", "keep: 背景");
    `unparsed` the words the router could not explain; `suggestion` the closest canonical
    phrasing when the router was unsure; `intent` the structured request of a model edit.
    """

    route: Route
    ops: tuple[Op, ...]
    confidence: float
    reason: str
    intent: Intent | None = None
    constraints: tuple[str, ...] = ()
    unparsed: tuple[str, ...] = ()
    suggestion: str | None = None

    @property
    def model_prompt(self) -> str | None:
        """The words sent to the image model, or None for an OpenCV-only plan."""
        prompts = [op.params["prompt"] for op in self.ops if op.name == MODEL_OP]
        return "; ".join(prompts) if prompts else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "route": self.route,
            "ops": [op.to_dict() for op in self.ops],
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
        }
        if self.intent:
            out["intent"] = self.intent.to_dict()
        if self.constraints:
            out["constraints"] = list(self.constraints)
        if self.unparsed:
            out["unparsed"] = list(self.unparsed)
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            route=data["route"],
            ops=tuple(Op.from_dict(op) for op in data.get("ops", ())),
            confidence=float(data["confidence"]),
            reason=data["reason"],
            intent=Intent.from_dict(data["intent"]) if data.get("intent") else None,
            constraints=tuple(data.get("constraints", ())),
            unparsed=tuple(data.get("unparsed", ())),
            suggestion=data.get("suggestion"),
        )

    @classmethod
    def reject(cls, reason: str, confidence: float = 0.9, suggestion: str | None = None,
               unparsed: tuple[str, ...] = ()) -> Plan:
        return cls("reject", (), confidence, reason, unparsed=unparsed, suggestion=suggestion)
