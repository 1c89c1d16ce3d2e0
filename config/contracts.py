"""The typed contracts passed between steps: the router's Plan, an Item, a Job, a check's
Finding and Report, an ItemResult with its Cost, and a ReviewDecision.

They are serialised only at the edges (results.jsonl, artifacts, webhooks, the CLI's JSON), and
by pydantic both ways; `docs/results.schema.json` is generated from ItemResult (`python -m
config.contracts`). Plans and findings are pydantic dataclasses (positional construction in the
router and the checks); the rest are pydantic models.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.dataclasses import dataclass

from config.ops import MODEL_OP, MODEL_SPEC, ROUTABLE_OPS, Params, spec_of

Route = Literal["opencv", "model", "reject"]
#: what an edit may change: a local part, everything but the product, or the whole look
Scope = Literal["local", "background", "global"]

#: Operations done by OpenCV in-process that a request may name (config/ops.py: one spec each).
OPENCV_OPS = ROUTABLE_OPS
#: What a model edit does, as far as the checks need to know.
ACTIONS = ("blur", "text", "background", "style", "move", "remove", "recolour", "add", "replace", "edit")


class _Serialised:
    """JSON at the edges by pydantic, for the contracts that are pydantic dataclasses: `to_dict`
    leaves out the fields at their defaults when `_compact` (a plan, an intent), and `from_dict`
    validates what it reads (a cached plan, a session's round)."""

    _compact: ClassVar[bool] = True

    def to_dict(self) -> dict[str, Any]:
        return _adapter(type(self)).dump_python(self, mode="json", exclude_defaults=self._compact)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return _adapter(cls).validate_python(data)


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


#: an op as JSON, read and written: {"op": name, **params}
_OP_JSON = {
    "type": "object",
    "description": "one step: the op's name, then its parameters (config/ops.py)",
    "properties": {"op": {"type": "string", "description": "an OpenCV op or 'model'"}},
    "required": ["op"],
    "additionalProperties": True,
}


@dataclass(frozen=True)
class Op(_Serialised):
    """One step of a plan: `name` is an entry of OPENCV_OPS or MODEL_OP, `params` its arguments;
    `args` is them as the op's spec reads them (config/ops.py), or OpError naming the parameter
    that is wrong. A draft may hold an op still missing its parameters (the router fills them from
    another clause or asks back); a Plan never does. As JSON: {"op": name, **params}."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_flat(cls, data: Any) -> Any:
        if isinstance(data, dict) and "op" in data:
            params = dict(data)
            return {"name": params.pop("op"), "params": params}
        return data

    @model_serializer(mode="wrap")
    def _flat(self, handler) -> dict[str, Any]:
        data = handler(self)
        return {"op": data["name"], **data.get("params", {})}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return dict(_OP_JSON)  # what is read and written (a flow's parameters are checked by it)

    @property
    def args(self) -> Params:
        """The params as the op's pydantic model (ModelParams for the image model's step)."""
        return (MODEL_SPEC if self.name == MODEL_OP else spec_of(self.name)).check(self.params)


@dataclass(frozen=True)
class Colour(_Serialised):
    """A named colour: canonical English name, sRGB value, and whether it means "exactly this"."""

    name: str
    rgb: tuple[int, int, int]
    pure: bool = False
    alpha: int = 255


@dataclass(frozen=True)
class Region(_Serialised):
    """A part of the frame named in words: (x range, y range) as fractions of width and height."""

    name: str
    box: tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Intent(_Serialised):
    """What a model edit asks for, structured for the post-checks to verify.

    `action` is one of ACTIONS; `target` the words naming what is edited; `colour` the colour
    asked for; `source_colour` the colour that names the object ("the orange suit", "白色T恤");
    `old_text`/`new_text` the quoted words of a text edit; `region` where in the frame the edit
    belongs; `keep` what must stay unchanged ("background", "logo", "everything else"); `scope`
    what the edit may change: a local part, everything but the product, or the whole look (set
    by the router, routing/scope.py; None in plans cached before it was).
    """

    action: str
    target: str | None = None
    colour: Colour | None = None
    source_colour: Colour | None = None
    old_text: str | None = None
    new_text: str | None = None
    language: str | None = None  # the language text is to be translated into
    region: Region | None = None
    keep: tuple[str, ...] = ()
    scope: Scope | None = None


@dataclass(frozen=True)
class Plan(_Serialised):
    """What to do with one (instruction, image): the route, the ordered ops, and why.

    `constraints` are what the instruction forbids ("no-crop", "keep-aspect", "keep: 背景");
    `unparsed` the words the router could not explain; `suggestion` the closest canonical
    phrasing when the router was unsure, and `choices` the closest ones ranked (the "did you
    mean …" buttons); `intent` the structured request of a model edit.
    """

    route: Route
    ops: tuple[Op, ...]
    confidence: float
    reason: str
    intent: Intent | None = None
    constraints: tuple[str, ...] = ()
    unparsed: tuple[str, ...] = ()
    suggestion: str | None = None
    choices: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _well_formed(self) -> Plan:
        for op in self.ops:
            op.args  # noqa: B018 (OpError, a ValueError, naming the parameter that is wrong)
        return self

    @field_serializer("confidence")
    def _rounded(self, value: float) -> float:
        return round(value, 3)

    @property
    def model_prompt(self) -> str | None:
        """The words sent to the image model, or None for an OpenCV-only plan."""
        prompts = [op.params["prompt"] for op in self.ops if op.name == MODEL_OP]
        return "; ".join(prompts) if prompts else None

    @classmethod
    def reject(
        cls,
        reason: str,
        confidence: float = 0.9,
        suggestion: str | None = None,
        unparsed: tuple[str, ...] = (),
        choices: tuple[str, ...] = (),
    ) -> Plan:
        return cls(
            "reject", (), confidence, reason, unparsed=unparsed, suggestion=suggestion, choices=choices
        )


# ---------------------------------------------------------------------------------------------
# What a post-check says


@dataclass
class Finding(_Serialised):
    """One measure of an edit: its value, the level a person would call wrong (`threshold`),
    whether it is inside it, and why, in words.

    `measured` is False when the measure could not be taken (no product found, OCR missing...):
    it then never counts in the edit's favour. `badness` is the value's distance past the
    threshold in units of the measure's spread (negative inside, positive outside): what the
    risk model (tasks/check/risk.py) reads.
    """

    _compact: ClassVar[bool] = False

    check: str
    value: float | None
    threshold: float | None
    passed: bool
    message: str
    margin: float = Field(1.0, exclude=True)  # 0 at the threshold, 1 far inside it
    measured: bool = True
    badness: float | None = None


@dataclass
class Report(_Serialised):
    """All findings of one edit, the risk they add up to, and the verdict.

    `risk` is the calibrated probability that the edit is wrong (tasks/check/risk.py); the edit
    is published when it is below `threshold` (set by what a review and a wrong published image
    cost). `drivers` are the measures that raised the risk most, in plain words.
    """

    _compact: ClassVar[bool] = False

    verdict: Literal["publish", "review"]
    confidence: float
    findings: list[Finding] = Field(default_factory=list)
    risk: float = 0.0
    threshold: float = 1.0
    drivers: list[str] = Field(default_factory=list)
    model: str | None = None  # which of the risk model's parts judged it (the intent's action)

    @field_serializer("confidence")
    def _three_places(self, value: float) -> float:
        return round(value, 3)

    @field_serializer("risk", "threshold")
    def _four_places(self, value: float) -> float:
        return round(value, 4)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]


# ---------------------------------------------------------------------------------------------
# Items, jobs and results

Status = Literal["published", "review", "rejected", "failed", "deferred"]


class Item(BaseModel):
    """One row of a manifest (or one CLI/API/upload request): a picture and what to do to it.

    Extra manifest columns (priority, sku...) travel along unchanged; `error` marks a row that
    cannot be used (it still gets its one result); `requested_by` is the audit's `who`.
    """

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    image: str | None = None
    instruction: str | None = None
    line: int | None = None  # the manifest line it came from
    error: str | None = None
    tags: list[str] = Field(default_factory=list)
    format: str | None = None  # output format of this item (jpeg, png, webp)
    seed: int | None = None  # model seed of this item
    requested_by: str | None = None
    own_folder: bool = False  # the output folder holds this item alone (an upload): no <id>/ level
    references: list[str] = Field(default_factory=list)  # pictures 2, 3... of a multi-image edit
    preset: str | None = None  # a marketplace preset to meet (routing/presets.toml), after the edit

    @property
    def folder(self) -> str:
        """Where its outputs go under published/ and review/: a folder named by its id, or
        none when the whole output folder is its own (published/<hash>.jpg)."""
        return "" if self.own_folder else self.id or ""

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: Any) -> list[str]:
        """A manifest cell "a; b, c" or a list: the tags as a list."""
        if value is None:
            return []
        if isinstance(value, str):
            return [t.strip() for t in value.replace(";", ",").split(",") if t.strip()]
        return [str(t) for t in value]

    @field_validator("references", mode="before")
    @classmethod
    def _split_references(cls, value: Any) -> list[str]:
        """A manifest cell "a.jpg|b.jpg" or a list: the reference pictures, in order."""
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [r.strip() for r in value.split("|") if r.strip()]
        return [str(r) for r in value]

    @field_validator("format", "requested_by", "preset", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("seed", mode="before")
    @classmethod
    def _blank_seed(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class Job(BaseModel):
    """One item and its plan, on its way to an editing path."""

    item: Item
    plan: Plan


class Cost(BaseModel):
    """What one item cost: which path, CPU and GPU seconds, and the price in USD."""

    path: Literal["opencv", "model", "review"] | None = None
    gpu_s: float | None = None
    gpu_type: str | None = None
    cpu_s: float | None = None
    usd: float = 0.0

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class ReviewAnswer(BaseModel):
    """What a reviewer answers, wherever they answer: the Prefect form (flows/review.py:
    ReviewForm), the review page and `retouch review` (retouch/review_page.py); kept in the
    record of the review (ReviewDecision)."""

    decision: Literal["approve", "reject", "re-edit"] | None = None  # None: not answered yet
    reviewer: str = "anonymous"
    note: str = ""
    instruction: str | None = None  # re-edit: what the model should do instead
    candidate: int | None = None  # approve: which model output tried (best-of-N), if not the shown one


class ReviewDecision(ReviewAnswer):
    """A review of one item: the run waiting for a person, then what the person answered."""

    flow_run: str | None = None  # the review-edit run
    item: str | None = None
    at: str | None = None  # ISO time of the decision (UTC)
    output: str | None = None  # where the decided picture is now
    re_edit_status: Status | None = None
    next_review: str | None = None  # the review run of a re-edit that needs a person again

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        data = handler(self)
        if self.decision is None:  # still waiting: nobody has answered anything
            data = {k: v for k, v in data.items() if k not in ReviewAnswer.model_fields}
        return {k: v for k, v in data.items() if v is not None}


class ModelRun(BaseModel):
    """How the image model made an edit (`ItemResult.model`): what ran, where, with what and how
    long. Keys of older records that it no longer names are kept as they were."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None  # the hub id or weights folder
    version: str | None = None  # the weights' snapshot
    seed: int | None = None
    steps: int | None = None
    true_cfg_scale: float | None = None
    working_size: str | None = None  # "WxH", the size the pipeline ran at
    device: str | None = None  # cuda | cpu
    gpu: str | None = None  # the device's name (what a GPU-second costs)
    seconds: float = 0.0  # the model's time, every candidate together
    process: int | None = None  # the process that ran it (a GPU worker's)
    pipeline_loads: int | None = None  # pipelines that process had loaded by then
    pictures: int = 1  # the edited picture and its references
    oom_retry: str | None = None  # out of GPU memory once, retried smaller
    candidates: int = 1  # outputs tried (best-of-N)
    notice: str | None = None  # what a reader must know of the weights (the test model: noise)
    composite: dict[str, Any] | None = None  # how it was composited (Composite.summary)
    references: list[str] | None = None  # pictures 2, 3... of a multi-image edit

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class Candidate(BaseModel):
    """One model output tried for an item (best-of-N): its seed, the checks' verdict, risk and
    findings, and where it was written (candidates of an item that waits for review)."""

    seed: int
    verdict: Literal["publish", "review"]
    confidence: float = 0.0
    risk: float | None = None
    findings: list[Finding] = Field(default_factory=list)
    output: str | None = None
    gpu_s: float = 0.0


class ItemResult(BaseModel):
    """One line of results.jsonl: exactly one per item, whatever happened to it."""

    id: str | None
    status: Status
    route: Route | None = None
    output: str | None = None
    error: str | None = None
    cost: Cost = Field(default_factory=Cost)
    checks: list[Finding] = Field(default_factory=list)
    image: str | None = None
    instruction: str | None = None
    ops: list[Op] = Field(default_factory=list)
    reason: str | None = None
    confidence: float | None = None
    width: int | None = None
    height: int | None = None
    seconds: float = 0.0
    notes: list[str] = Field(default_factory=list)
    model: ModelRun | None = None  # model path: what ran, where, how long
    check_confidence: float | None = None  # the gate: 1 - risk
    risk: float | None = None  # the gate: probability that the edit is wrong (tasks/check/risk.py)
    risk_threshold: float | None = None  # ... published below this (the costs of review and of a wrong image)
    risk_drivers: list[str] = Field(default_factory=list)  # ... the measures that drove the risk, in words
    review: ReviewDecision | None = None
    cache_hit: bool = False  # the same edit was done before: its result, at no GPU cost
    requested_by: str | None = None  # who asked (the audit's `who`)
    candidates: list[Candidate] = Field(default_factory=list)  # model edits: every output tried
    preset: str | None = None  # the marketplace preset applied, with its version: "amazon-main@1"

    def to_dict(self) -> dict[str, Any]:
        """The JSON line (results.jsonl, webhooks, the CLI's --json)."""
        return self.model_dump(mode="json")


def results_schema() -> dict[str, Any]:
    """The JSON Schema of a results.jsonl line."""
    return ItemResult.model_json_schema(mode="serialization")


if __name__ == "__main__":
    print(json.dumps(results_schema(), indent=2, ensure_ascii=False))
