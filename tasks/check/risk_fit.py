"""Fitting the gate's risk model (tasks/check/risk.py) on before/after pairs labelled good or bad,
and measuring it leave-family-out: fit without a family, score that family.

    retouch gate fit PAIRS.jsonl [...] [--out FILE]   (benchmarks/gate_eval.py for the corpus)

Each pair is measured once by the checks themselves (tasks/check/gate.py: measure). For each
part of the model (the edits of one action) a logistic regression is fitted on the measures'
badness with every weight held at zero or above, each family of pairs weighing the same and
good and bad edits weighing the same; its scores are then calibrated by isotonic regression on
scores the part made for families it was not fitted on (5 folds by family), so that a risk says
how often edits like it were wrong. Needs scikit-learn and SciPy (`pip install 'retouch[gate]'`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from config.contracts import Finding
from config.thresholds import Thresholds
from tasks.check.findings import BADNESS_RANGE
from tasks.check.risk import HARD, MODEL_FILE, RiskModel, assess, features, hard_failures

L2 = 0.2  # how strongly the weights are held to the prior (per unit of family weight)
PRIOR = 3.0  # the prior weight of every measure: one past its level by its spread is a review
FOLDS = 5
MIN_PART = 40  # pairs a part needs to be fitted on its own (else the pooled part, "any", judges)


@dataclass(frozen=True)
class Measured:
    """One labelled pair, measured: what the model is fitted on and scored against."""

    id: str
    family: str
    bad: bool
    group: str
    findings: list[dict]

    def finding_objects(self) -> list[Finding]:
        return [Finding(**f) for f in self.findings]

    @property
    def decided_by_rule(self) -> bool:
        """A hard failure or a needed measure not taken: the risk is 1 whatever the weights."""
        return bool(hard_failures(self.finding_objects()))


def _load(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"cannot read {path}")
    return img


def measure_row(row: dict) -> Measured:
    """Measure one pair row {id, before, after, instruction, expect, family}."""
    from routing import route
    from tasks.check.gate import measure, plan_findings

    t = Thresholds()
    instruction = row.get("instruction")
    plan = route(instruction) if instruction else None
    findings, group = measure(_load(row["before"]), _load(row["after"]), instruction, plan, t)
    findings += plan_findings(plan, t, None)
    keep = ("check", "value", "threshold", "passed", "message", "measured", "badness")
    return Measured(
        row["id"],
        row.get("family", "?"),
        row["expect"] == "review",
        group,
        [{k: getattr(f, k) for k in keep} for f in findings],
    )


def measure_rows(rows: list[dict], processes: int | None = None, progress=None) -> list[Measured]:
    """Measure many pairs on every core (OCR and OpenCV run one thread each)."""
    processes = processes or os.cpu_count() or 1
    out = []
    if processes == 1 or len(rows) < 8:
        for row in rows:
            out.append(measure_row(row))
            if progress:
                progress(len(out))
        return out
    # spawned, not forked: the caller may hold threads (Prefect's clients, a server) whose locks
    # a forked child would inherit taken
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_one_thread) as pool:
        for measured in pool.map(measure_row, rows, chunksize=4):
            out.append(measured)
            if progress:
                progress(len(out))
    return out


def _one_thread() -> None:
    cv2.setNumThreads(1)


# ------------------------------------------------------------------------------------------------
# fitting


def _matrix(records: list[Measured], names: list[str]) -> np.ndarray:
    rows = [features(r.finding_objects()) for r in records]
    return np.array([[x.get(name, 0.0) for name in names] for x in rows], np.float64)


def _sample_weights(records: list[Measured]) -> np.ndarray:
    """Each family weighs the same, and bad and good edits weigh the same in all."""
    per_family = defaultdict(int)
    for r in records:
        per_family[r.family] += 1
    weights = np.array([1.0 / per_family[r.family] for r in records])
    bad = np.array([r.bad for r in records])
    for label in (True, False):
        chosen = bad == label
        if chosen.any():
            weights[chosen] *= 0.5 / weights[chosen].sum()
    return weights * len(records)


def _logistic(x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Weights (all >= 0) and intercept of a weighted logistic regression whose weights are held
    to PRIOR (an L2 penalty on their distance from it)."""
    from scipy.optimize import minimize

    n, k = x.shape
    scale = weights.sum()

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:k], params[k]
        z = x @ w + b
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        value = -(weights * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum() / scale
        value += l2 * ((w - PRIOR) @ (w - PRIOR))
        residual = weights * (p - y) / scale
        gradient = np.append(x.T @ residual + 2 * l2 * (w - PRIOR), residual.sum())
        return value, gradient

    start = np.append(np.full(k, PRIOR), 0.0)
    bounds = [(0.0, None)] * k + [(None, None)]
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return result.x[:k], float(result.x[k])


def _fit_part(records: list[Measured], l2: float) -> dict:
    names = sorted({f["check"] for r in records for f in r.findings} - HARD)
    x, y = _matrix(records, names), np.array([r.bad for r in records], float)
    weights = _sample_weights(records)
    w, b = _logistic(x, y, weights, l2)
    scores = _out_of_fold_scores(records, x, y, weights, l2)
    return {
        "weights": {name: round(float(v), 5) for name, v in zip(names, w, strict=True)},
        "prior": PRIOR,
        "intercept": round(b, 5),
        "calibration": _calibration(scores, y, weights),
        "pairs": len(records),
    }


def _out_of_fold_scores(
    records: list[Measured], x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float
) -> np.ndarray:
    """Each pair's score from a part fitted without its family's fold."""
    families = sorted({r.family for r in records})
    fold_of = {family: i % FOLDS for i, family in enumerate(families)}
    folds = np.array([fold_of[r.family] for r in records])
    scores = np.zeros(len(records))
    for fold in range(FOLDS):
        test = folds == fold
        train = ~test
        if not test.any() or len(set(y[train])) < 2:
            continue
        w, b = _logistic(x[train], y[train], weights[train], l2)
        scores[test] = x[test] @ w + b
    return scores


def _calibration(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> dict:
    """Score -> rate of bad edits (isotonic), as the knots of a piecewise-linear table."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(scores, y, sample_weight=weights)
    knots_x, knots_y = iso.X_thresholds_, iso.y_thresholds_
    # keep the table monotone and strictly increasing in x, and let no score be fully certain
    low, high = 0.002, 0.998
    return {
        "x": [round(float(v), 5) for v in knots_x],
        "y": [round(float(min(high, max(low, v))), 5) for v in knots_y],
    }


def fit(records: list[Measured], l2: float = L2, version: str | None = None) -> dict:
    """The model file's content: one part per group with enough pairs, and the pooled `local`."""
    usable = [r for r in records if not r.decided_by_rule]
    by_group = defaultdict(list)
    for r in usable:
        by_group[r.group].append(r)
    parts = {"any": _fit_part(usable, l2)}
    for group, members in sorted(by_group.items()):
        if len(members) >= MIN_PART and len({r.bad for r in members}) == 2:
            parts[group] = _fit_part(members, l2)
    return {
        "version": version or datetime.now(UTC).strftime("%Y-%m-%d.%H%M"),
        "badness_range": list(BADNESS_RANGE),
        "calibrated_rate": 0.5,  # good and bad edits weigh the same in the fit and the calibration
        "pairs": len(records),
        "families": len({r.family for r in records}),
        "parts": parts,
    }


def risk_of(model: RiskModel, record: Measured) -> float:
    return assess(record.finding_objects(), record.group, model, bad_rate=0.5).value


def leave_family_out(records: list[Measured], l2: float = L2) -> dict[str, float]:
    """{pair id: risk} with each family scored by a model fitted without it."""
    out: dict[str, float] = {}
    for family in sorted({r.family for r in records}):
        model = RiskModel.from_dict(fit([r for r in records if r.family != family], l2))
        for r in records:
            if r.family == family:
                out[r.id] = risk_of(model, r)
    return out


def write_model(content: dict, path: Path = MODEL_FILE) -> Path:
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def save_measures(records: Iterable[Measured], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")


def load_measures(path: Path) -> list[Measured]:
    return [
        Measured(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
