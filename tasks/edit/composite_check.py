"""A model's output, composited onto the original and then checked: the step of the model path
between the edit and the decision. The drift the composite corrected is measured here (the
checks know nothing of how a composite is made), then every measure runs on the composited
picture (tasks/check/gate.py)."""

from __future__ import annotations

import numpy as np

from config.contracts import Finding, Plan, Report
from config.thresholds import Publishing, Thresholds
from tasks.check.context import expectation
from tasks.check.findings import finding
from tasks.check.gate import check_pair
from tasks.check.identity import references_kept
from tasks.edit.composite import Composite, composite


def check_composite(
    before: np.ndarray,
    edited: np.ndarray,
    instruction: str | None = None,
    plan: Plan | None = None,
    thresholds: Thresholds | None = None,
    always_review: str | None = None,
    references: tuple[np.ndarray, ...] = (),
    publishing: Publishing | None = None,
) -> tuple[Composite, Report]:
    """Composite a model's `edited` output onto `before` (tasks/edit/composite.py), then check it:
    the drift the composite corrected must be within limits, and every measure runs on the
    composited picture. A whole-look request (a style, the overall tone) takes the whole frame.
    The products of `references` (pictures 2, 3... of a multi-image edit) must be themselves
    in the result (tasks/check/identity.py)."""
    t = thresholds or Thresholds()
    result = composite(before, edited, whole_look=expectation(instruction, plan).scope == "global")
    prior = corrected_drift(result, max(before.shape[:2]), t) if result.aligned else []
    prior += references_kept(list(references), result.pixels)
    return result, check_pair(before, result.pixels, instruction, plan, t, always_review, prior, publishing)


def corrected_drift(result: Composite, long_side: int, t: Thresholds) -> list[Finding]:
    """The whole-frame shift, zoom and turn the composite undid: small drift is the model's
    known habit and is corrected; a large one means the model did something else."""
    shift = result.shift_px / long_side
    return [
        finding(
            "drift-shift",
            shift,
            t.max_corrected_shift,
            shift <= t.max_corrected_shift,
            f"the model moved the frame by {result.shift_px:.1f} px (corrected)",
            t.max_corrected_shift,
        ),
        finding(
            "drift-zoom",
            abs(result.zoom),
            t.max_corrected_zoom,
            abs(result.zoom) <= t.max_corrected_zoom,
            f"the model scaled the frame by {1 + result.zoom:.3f} (corrected)",
            t.max_corrected_zoom,
        ),
        finding(
            "drift-rotation",
            abs(result.rotation),
            t.max_corrected_rotation,
            abs(result.rotation) <= t.max_corrected_rotation,
            f"the model turned the frame by {result.rotation:+.2f} degrees (corrected)",
            t.max_corrected_rotation,
        ),
    ]
