"""The OpenCV operations, one `OpSpec` each: its name, its kind, its parameters as a pydantic model
and what the router and the checks need to know of it. Every list of ops is derived from here:
the plan contract's op names (config/contracts.py), the checks' "may change the size"
(tasks/check/context.py), the router's tone edits and the verifier's orientation and adjustment
ops (routing/), a preset's rules (routing/presets.py). The three places an op lives are keyed by
its name and held to this registry by tests/test_ops.py: how it is read (a builder in
routing/builders.py and phrasing in routing/templates.toml [ops.NAME]) and how it is done (a
function in tasks/edit/opencv_ops.py). Layers keep those apart: the router never imports OpenCV.

An op's params stay a plain dict in `Op` (JSON at the edges, cached plans, results), checked
against its spec's model whenever a `Plan` is made (`OpSpec.check`; a draft's op may still lack
its parameters), so a malformed plan says which parameter is wrong where it is made instead of
failing with a KeyError where it is used; `Op.args` is them as that model. The image model's
step has a spec of its own (MODEL_SPEC).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Kind = Literal["geometry", "colour", "format", "preset", "model"]
Pair = tuple[float, float]


class OpError(ValueError):
    """An op that cannot be carried out on this picture (or a malformed one); one line."""


class Params(BaseModel):
    """What every op may carry: a condition on the picture's size (routing/conditions.py)."""

    model_config = ConfigDict(extra="forbid")

    when: dict[str, Any] | None = Field(None, description="run only when the picture meets this")


class CropParams(Params):
    aspect: Pair | None = Field(None, description="a ratio to cut to, [w, h]")
    anchor: str | None = Field(None, description="what the ratio keeps: center, left, top, ...")
    size: tuple[int, int] | None = Field(None, description="then resized to exactly [w, h] px")
    margins: dict[str, float] | None = Field(None, description="what to cut off each side")
    unit: Literal["px", "percent"] | None = Field(None, description="the margins' unit (default px)")

    @model_validator(mode="after")
    def _a_shape(self) -> CropParams:
        if self.aspect is None and self.margins is None:
            raise ValueError("a crop needs an aspect or margins")
        return self


class TrimParams(Params):
    tolerance: int = Field(12, ge=0, le=255, description="how far from the border colour is still border")


class ResizeParams(Params):
    width: int | None = Field(None, ge=1)
    height: int | None = Field(None, ge=1)
    longest: int | None = Field(None, ge=1, description="the long side, in px")
    shortest: int | None = Field(None, ge=1, description="the short side, in px")
    scale: float | None = Field(None, gt=0, description="a factor of the current size")

    @model_validator(mode="after")
    def _a_size(self) -> ResizeParams:
        if not any(v is not None for v in (self.width, self.height, self.longest, self.shortest, self.scale)):
            raise ValueError("a resize needs a width, a height, a side or a scale")
        return self


class RotateParams(Params):
    degrees: float = Field(description="clockwise; negative turns counter-clockwise")


class FlipParams(Params):
    axis: Literal["horizontal", "vertical"]


class AmountParams(Params):
    amount: float = Field(description="a share: +0.2 is 20% more, -0.2 20% less")


class ToneParams(Params):
    warmth: float = Field(description="+ warmer, - cooler, as a share")


class NoParams(Params):
    pass


class SepiaParams(Params):
    strength: float = Field(1.0, gt=0, le=1, description="1: fully sepia, 0.5: half way")


class PadParams(Params):
    aspect: Pair | None = Field(None, description="a ratio to pad out to, [w, h]")
    size: tuple[int, int] | None = Field(None, description="a canvas of [w, h] px")
    margins: dict[str, float] | None = Field(None, description="what to add to each side")
    unit: Literal["px", "percent"] | None = None
    colour: tuple[int, ...] | None = Field(None, description="the border's sRGB(A), default white")


class BlurParams(Params):
    sigma: float = Field(gt=0, le=200, description="the Gaussian's sigma, in px")


class FormatParams(Params):
    format: str | None = Field(None, description="png, jpeg, webp, tiff or bmp")
    quality: int | None = Field(None, ge=1, le=100)
    max_kb: float | None = Field(None, gt=0, description="the encoder finds the quality that fits")
    max_mb: float | None = Field(None, gt=0)


class ModelParams(Params):
    prompt: str = Field(min_length=1, description="what the image model is asked to do, in words")


class PresetRules(BaseModel):
    """What a marketplace preset may require (routing/presets.toml; None or False: no such rule).
    A preset is these rules with a name (routing/presets.py: Preset); the conform op carries them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    background: str | None = Field(None, description="'white': a pure white background")
    fill: float | None = Field(None, description="the product's share of the frame")
    longest: int | None = Field(None, description="the long side, in px")
    min_longest: int | None = Field(None, description="at least this long side (refused below)")
    min_side: int | None = Field(None, description="at least this short side (refused below)")
    size: tuple[int, int] | None = Field(None, description="exactly [w, h] px")
    aspect: Pair | None = None
    format: str | None = None
    no_text: bool = Field(False, description="no text on the picture (audited)")


class ConformParams(Params, PresetRules):
    """A marketplace preset's rules, carried out by tasks/edit/conform.py."""

    preset: str
    version: int


class OpSpec(BaseModel):
    """One OpenCV operation: what it is, what it takes, and what the router and checks know of it."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Kind
    params: type[Params]
    summary: str
    routable: bool = True  # said in a request (False: made by something else, e.g. a preset)
    resizes: bool = False  # may change the picture's size (the checks compare like with like)
    orientation: bool = False  # turns or mirrors the picture (a state "upside down" asks for it)
    adjusts: str | None = None  # the signed parameter of an adjustment that goes one way

    def check(self, params: dict[str, Any]) -> Params:
        """`params` as this op's model, or OpError naming the parameter that is wrong."""
        try:
            return self.params.model_validate(params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "params"
            raise OpError(f"{self.name}: {where}: {first['msg']} (given {params})") from None


SPECS = (
    OpSpec(
        name="crop", kind="geometry", params=CropParams, resizes=True, summary="cut to a ratio or by margins"
    ),
    OpSpec(name="trim", kind="geometry", params=TrimParams, resizes=True, summary="cut away a plain border"),
    OpSpec(name="resize", kind="geometry", params=ResizeParams, resizes=True, summary="scale to a size"),
    OpSpec(
        name="rotate", kind="geometry", params=RotateParams, resizes=True, orientation=True, summary="turn"
    ),
    OpSpec(name="flip", kind="geometry", params=FlipParams, orientation=True, summary="mirror"),
    OpSpec(
        name="brightness", kind="colour", params=AmountParams, adjusts="amount", summary="lighter or darker"
    ),
    OpSpec(
        name="contrast", kind="colour", params=AmountParams, adjusts="amount", summary="more or less contrast"
    ),
    OpSpec(
        name="saturation", kind="colour", params=AmountParams, adjusts="amount", summary="more or less colour"
    ),
    OpSpec(name="tone", kind="colour", params=ToneParams, adjusts="warmth", summary="warmer or cooler"),
    OpSpec(name="grey", kind="colour", params=NoParams, summary="black and white"),
    OpSpec(name="pad", kind="geometry", params=PadParams, resizes=True, summary="a border or a canvas"),
    OpSpec(name="sharpen", kind="colour", params=AmountParams, summary="unsharp mask"),
    OpSpec(name="blur", kind="colour", params=BlurParams, summary="Gaussian blur"),
    OpSpec(name="sepia", kind="colour", params=SepiaParams, summary="grey with a warm brown tint"),
    OpSpec(name="format", kind="format", params=FormatParams, summary="file format, quality, file size"),
    OpSpec(
        name="conform",
        kind="preset",
        params=ConformParams,
        routable=False,
        resizes=True,
        summary="meet a marketplace preset",
    ),
)
OPS: dict[str, OpSpec] = {spec.name: spec for spec in SPECS}
#: the one step that needs the image model: an edit described in words
MODEL_OP = "model"
MODEL_SPEC = OpSpec(
    name=MODEL_OP, kind="model", params=ModelParams, routable=False, summary="an edit in words, on the GPU"
)


def spec_of(name: str) -> OpSpec:
    """The spec of an OpenCV op, or OpError listing the ops there are."""
    spec = OPS.get(name)
    if spec is None:
        raise OpError(f"unknown op {name!r} (the OpenCV ops: {', '.join(OPS)})")
    return spec


#: the ops a request may name, in the order the README documents them
ROUTABLE_OPS = tuple(spec.name for spec in SPECS if spec.routable)
#: ops that may change the picture's size
RESIZING_OPS = frozenset(spec.name for spec in SPECS if spec.resizes)
#: ops that turn or mirror the picture
ORIENTATION_OPS = tuple(spec.name for spec in SPECS if spec.orientation)
#: tone and colour edits of the whole picture
COLOUR_OPS = tuple(spec.name for spec in SPECS if spec.kind == "colour")
#: adjustments that go one way, and the signed parameter that says which
ADJUSTMENT_AMOUNT = {spec.name: spec.adjusts for spec in SPECS if spec.adjusts}
#: the rules a marketplace preset may set
PRESET_RULES = tuple(PresetRules.model_fields)
