"""One calibrated risk per edit: the probability that it is wrong, from its measures.

The measures (Findings) say how far each value is past the level a person would call wrong
(`badness`). For each kind of edit (the intent's action: background, recolour, text, ...) a small
logistic model adds up how far past its level each measure is, each with a weight of at least
zero (a measure further past its level never makes an edit look safer, and one inside its level
adds nothing), and an isotonic table maps the sum to the rate of bad edits it stood for in the
corpus it was fitted on (tasks/check/risk_fit.py, `retouch gate fit`). The weights are fitted
towards a prior in which every measure past its level is enough for a review: a measure that
no failure of the corpus exercised keeps that weight, so a new kind of failure that one measure
sees still goes to a person. The fitted parameters are the versioned file risk_model.json
beside this module.

Fail safe: the risk is 1 when a measure the action needs could not be taken, when a rule sends
the edit to a person, or when the frame's size changed unasked. A measure that could not be
taken and is not needed counts as sitting at its threshold: never in the edit's favour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from config.contracts import Finding
from config.thresholds import EXPECTED_BAD_RATE
from tasks.check.findings import BADNESS_RANGE

MODEL_FILE = Path(__file__).with_name("risk_model.json")
# failures no measure can outweigh (the second opinion of a vision-language model is a veto)
HARD = {"rule", "routing", "size", "second-opinion"}
# measures an edit needs when its request calls for them: one that could not be taken means review
REQUIRED = {
    "shift",
    "layout",
    "product",
    "background-colour",
    "recolour",
    "text",
    "text-new",
    "text-old",
    "text-removed",
    "removed",
    "keep",
}


def required(check: str) -> bool:
    return check in REQUIRED or check.startswith("reference-")


def group_of(action: str | None, scope: str) -> str:
    """The part of the model that judges an edit: its action, or its scope when it has none."""
    if action in ("background", "blur", "recolour", "text", "remove", "style"):
        return action
    if action in ("add", "replace", "move", "edit"):
        return "local"
    return "global" if scope == "global" else "local"


@dataclass(frozen=True)
class Part:
    """The model of one group: weights per measure, intercept, and the calibration table."""

    weights: dict[str, float]
    intercept: float
    calibration_x: tuple[float, ...]
    calibration_y: tuple[float, ...]
    prior: float  # the weight of a measure this part was not fitted on

    def weight(self, name: str) -> float:
        return self.weights.get(name, self.prior)

    def score(self, x: dict[str, float]) -> float:
        return self.intercept + sum(self.weight(name) * v for name, v in x.items() if name not in HARD)

    def probability(self, score: float) -> float:
        return float(np.interp(score, self.calibration_x, self.calibration_y))


@dataclass(frozen=True)
class RiskModel:
    version: str
    parts: dict[str, Part]
    calibrated_rate: float = 0.5  # the share of bad edits its calibration assumes

    @classmethod
    def from_dict(cls, data: dict) -> RiskModel:
        if tuple(data.get("badness_range", BADNESS_RANGE)) != tuple(BADNESS_RANGE):
            fitted = data["badness_range"]
            raise ValueError(f"fitted on badness clipped to {fitted}, not {list(BADNESS_RANGE)}")
        parts = {
            name: Part(
                {k: float(v) for k, v in part["weights"].items()},
                float(part["intercept"]),
                tuple(part["calibration"]["x"]),
                tuple(part["calibration"]["y"]),
                float(part["prior"]),
            )
            for name, part in data["parts"].items()
        }
        return cls(data["version"], parts, float(data.get("calibrated_rate", 0.5)))

    def part(self, group: str) -> Part:
        return self.parts.get(group) or self.parts["any"]


@cache
def _load(path: str, mtime_ns: int) -> RiskModel:
    return RiskModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_model(path: Path = MODEL_FILE) -> RiskModel:
    """The fitted model (read once per file version)."""
    try:
        return _load(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(
            f"the gate's risk model {path} cannot be read ({exc}); refit it: retouch gate fit"
        ) from exc


def features(findings: list[Finding]) -> dict[str, float]:
    """What the model reads: how far each measure is past the level a person would call wrong
    (its badness, 0 when it is inside: an edit is wrong when any part of it is, and being very
    right elsewhere does not make up for it); the worst reading when a measure was taken twice;
    a measure that could not be taken counts as 0 (it never counts in the edit's favour)."""
    x: dict[str, float] = {}
    high = BADNESS_RANGE[1]
    for f in findings:
        value = 0.0 if (not f.measured or f.badness is None) else min(high, max(0.0, f.badness))
        x[f.check] = max(x.get(f.check, 0.0), value)
    return x


def hard_failures(findings: list[Finding]) -> list[Finding]:
    """What makes the risk 1 whatever the weights: a hard failure, or a needed measure not taken."""
    return [
        f
        for f in findings
        if (f.check in HARD and f.measured and not f.passed) or (required(f.check) and not f.measured)
    ]


@dataclass(frozen=True)
class Risk:
    value: float
    group: str
    drivers: list[str]


def at_rate(risk: float, calibrated_rate: float, bad_rate: float) -> float:
    """A probability calibrated where `calibrated_rate` of edits were bad, moved to a place where
    `bad_rate` are (Bayes: the odds scale with the prior odds)."""
    if risk >= 1.0 or risk <= 0.0:
        return risk
    odds = risk / (1 - risk) * (bad_rate / (1 - bad_rate)) / (calibrated_rate / (1 - calibrated_rate))
    return odds / (1 + odds)


def assess(
    findings: list[Finding], group: str, model: RiskModel | None = None, bad_rate: float = EXPECTED_BAD_RATE
) -> Risk:
    """The risk of one edit judged by the model's `group` part, at an expected rate of bad edits
    `bad_rate`, and the (up to) three measures that drove it, in words."""
    model = model or load_model()
    part = model.part(group)
    hard = hard_failures(findings)
    if hard:
        return Risk(1.0, group, [f"{f.check}: {f.message}" for f in hard][:3])
    x = features(findings)
    risk = at_rate(part.probability(part.score(x)), model.calibrated_rate, bad_rate)
    contributions = sorted(
        ((part.weight(f.check) * x[f.check], f) for f in findings if f.check not in HARD),
        key=lambda item: -item[0],
    )
    seen: set[str] = set()
    drivers = []
    for contribution, f in contributions:
        if f.check in seen or (contribution <= 0 and drivers):
            continue
        seen.add(f.check)
        drivers.append(f"{f.check}: {f.message}")
        if len(drivers) == 3:
            break
    return Risk(risk, group, drivers)


def in_words(risk: float | None, threshold: float | None, drivers: list[str]) -> list[str]:
    """What a reviewer reads: the risk and the threshold as plain sentences, then what raised it."""
    if risk is None:
        return list(drivers)
    if risk >= 0.999:
        head = "The checks could not clear this edit: a rule or a missing measure sends it to a person."
    else:
        head = f"The checks put the chance that this edit is wrong at {risk:.0%}"
        if threshold is not None:
            head += (
                f"; edits are published only below {threshold:.0%} "
                "(what a review costs against what a wrong published image costs)."
            )
    return [head, *(f"What raised it: {d}" for d in drivers[:3])]
