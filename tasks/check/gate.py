"""Is an edited image safe to publish, or must a person look at it?

    0. check_pictures  two pictures the measures can read (tasks/pixels/dtypes.py), or a
                 one-line ValueError saying what to give instead
    1. measure   every measure of the edit (tasks/check/*.py): the frame itself, where it
                 changed, and what the request asked for; each a number, or "could not measure"
    2. weigh     one calibrated risk from them (tasks/check/risk.py): the probability that the
                 edit is wrong, judged by the model of its kind of edit
    3. decide    publish below the threshold that what a review and a wrong published image
                 cost set (config/thresholds.py: publish_threshold), review otherwise

The measures are written for the known failures of image editing models (a frame shifted,
zoomed, cast, noisy, blank, blocky, upscaled or tiled; a background half replaced, the wrong
object recoloured, a word misspelt or invented, a removal faded) and tolerate what a good model
output looks like: the whole frame slightly soft and noisy from the VAE round trip, and real
change only where the request points. Most run on copies a few hundred pixels wide; the
detail, face and OCR measures read the full-size pictures.
"""

from __future__ import annotations

import cv2
import numpy as np

from config.contracts import Finding, Plan, Report
from config.thresholds import Publishing, Thresholds
from tasks.check.context import PairContext, expectation
from tasks.check.findings import finding
from tasks.check.frame import detail, frame_sanity, size_finding, tiles
from tasks.check.request import request_findings
from tasks.check.risk import assess, group_of
from tasks.check.scope import drift, extent, layout, outside_the_edit, unedited_part
from tasks.pixels.dtypes import check_pictures

MIN_SIDE = 1  # px: a resize to an icon is checked too (the measures compare it at the original's size)


def check_pair(
    before: np.ndarray,
    after: np.ndarray,
    instruction: str | None = None,
    plan: Plan | None = None,
    thresholds: Thresholds | None = None,
    always_review: str | None = None,
    prior: list[Finding] | None = None,
    publishing: Publishing | None = None,
    by_model: bool = True,
) -> Report:
    """Measure an edit, weigh the measures into one risk, and decide.

    Args:
        before: the original picture (any dtype and channels OpenCV reads).
        after: the edited picture.
        instruction: what was asked, as written.
        plan: the router's plan for it (its intent says which measures apply).
        thresholds: the levels a person would call wrong (config/thresholds.py).
        always_review: a rule that sends the edit to a person whatever it measures.
        prior: measures made before (the drift a composite corrected, tasks/edit/composite_check.py).
        publishing: the publish threshold and the expected rate of wrong edits (default: from
            the default costs, config/thresholds.py).
        by_model: a model made the edit (False for OpenCV's own: it invents no words, so they
            are not looked for).
    """
    check_pictures(MIN_SIDE, "check", before=before, after=after)
    t = thresholds or Thresholds()
    findings, group = measure(before, after, instruction, plan, t, prior, by_model)
    return _decide(findings, plan, group, t, always_review, publishing or Publishing())


def measure(
    before: np.ndarray,
    after: np.ndarray,
    instruction: str | None,
    plan: Plan | None,
    t: Thresholds,
    prior: list[Finding] | None = None,
    by_model: bool = True,
) -> tuple[list[Finding], str]:
    """Every measure of an edit, and the part of the risk model that weighs them."""
    expect = expectation(instruction, plan)
    findings = list(prior or [])
    findings.append(size_finding(before, after, expect.size_may_change))
    if before.shape[:2] != after.shape[:2]:  # the measures below compare like with like only
        resized = cv2.resize(after, (before.shape[1], before.shape[0]), interpolation=cv2.INTER_AREA)
        findings += frame_sanity(PairContext.of(before, resized, instruction, plan, t, by_model))
        return findings, group_of(None, expect.scope)
    ctx = PairContext.of(before, after, instruction, plan, t, by_model)
    findings += frame_sanity(ctx)
    findings += layout(ctx)
    findings += drift(ctx)
    findings += unedited_part(ctx)
    findings += extent(ctx)
    findings += outside_the_edit(ctx)
    if ctx.expect.scope != "global" and ctx.action != "blur":  # a style or a blur may smooth
        findings += detail(ctx)
    findings += tiles(ctx)
    findings += request_findings(ctx, instruction or "")
    return findings, group_of(ctx.action, ctx.expect.scope)


def _decide(
    findings: list[Finding],
    plan: Plan | None,
    group: str,
    t: Thresholds,
    always_review: str | None,
    publishing: Publishing,
) -> Report:
    findings = findings + plan_findings(plan, t, always_review)
    return _verdict(findings, group, publishing)


def _verdict(findings: list[Finding], group: str, publishing: Publishing) -> Report:
    risk = assess(findings, group, bad_rate=publishing.bad_rate)
    verdict = "publish" if risk.value < publishing.threshold else "review"
    return Report(
        verdict, round(1.0 - risk.value, 4), findings, risk.value, publishing.threshold, risk.drivers, group
    )


def reconsider(report: Report, extra: list[Finding], publishing: Publishing) -> Report:
    """The same edit weighed again with more measures (a second opinion taken afterwards)."""
    return _verdict(report.findings + extra, report.model or "any", publishing)


def plan_findings(plan: Plan | None, t: Thresholds, always_review: str | None) -> list[Finding]:
    """The router's confidence in the plan, and a rule that sends the edit to a person."""
    out = []
    if plan is not None:
        ok = plan.confidence >= t.min_plan_confidence
        out.append(
            finding(
                "routing",
                plan.confidence,
                t.min_plan_confidence,
                ok,
                f"routing confidence {plan.confidence:.2f}",
                0.3,
            )
        )
    if always_review:
        out.append(Finding("rule", None, None, False, always_review, 0.0, badness=6.0))
    return out
