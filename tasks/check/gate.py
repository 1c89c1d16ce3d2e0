"""Post-checks: is an edited image safe to publish, or must a person look at it?

Pure functions on OpenCV arrays. Each check returns a Finding (value, threshold, passed,
message); the Report's verdict is `review` if any check fails, and its confidence is the
smallest margin left by any check. They are written for the known failure modes of image
editing models (Qwen-Image-Edit-2509 shifts or zooms the whole frame by a few pixels, casts a
colour, changes the resolution, or returns noise, a blank or a blocky frame, or nothing at all),
while tolerating what a good model output looks like: the whole frame slightly soft and
slightly noisy from the VAE round trip, and real change only where the instruction points.

Most measurements run on copies scaled to WORK_SIDE pixels on the long side, so a pair of
1 MP images takes a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from config.contracts import MODEL_OP, Finding, Intent, Plan, Report
from config.thresholds import Thresholds
from routing.normalize import normalise
from routing.vocabulary import load_vocabulary
from tasks.check.findings import cannot_measure, finding
from tasks.check.identity import references_kept
from tasks.check.measures import (
    Frames,
    blockiness,
    centre_block,
    changed_mask,
    difference,
    grey,
    noise_sigma,
    sharpness,
    ssim,
)
from tasks.check.motion import SPECTRAL_TURN_SLACK, global_motion
from tasks.check.request import needs_subject, request_findings
from tasks.check.subject import subject_mask
from tasks.composite import Composite, composite

GEOMETRY_OPS = {"crop", "trim", "resize", "rotate", "pad"}


# ------------------------------------------------------------------------------------------------
# the instruction's expectations


@dataclass(frozen=True)
class Expectation:
    scope: str  # local | background | global
    region: tuple[tuple[float, float], tuple[float, float]] | None  # where a local edit belongs
    size_may_change: bool


def expectation(instruction: str | None, plan: Plan | None) -> Expectation:
    text = normalise(instruction or "")
    ops = plan.ops if plan else ()
    prompt = normalise(plan.model_prompt or "") if plan and plan.model_prompt else text
    opencv_only = bool(ops) and all(op.name != MODEL_OP for op in ops)
    intent = plan.intent if plan else None
    words = load_vocabulary()
    if opencv_only or (intent and intent.action == "style") or words.global_scope.search(prompt):
        scope = "global"
    elif (intent and intent.action in ("background", "blur")) or words.background_scope.search(prompt):
        scope = "background"
    else:
        scope = "local"
    region = None
    if scope == "local":  # the router's region, from the vocabulary the checks share with it
        named = intent.region if intent else words.region_in(prompt)
        region = named.box if named else None
    return Expectation(scope, region, any(op.name in GEOMETRY_OPS for op in ops))


# ------------------------------------------------------------------------------------------------
# the checks


def check_pair(
    before: np.ndarray,
    after: np.ndarray,
    instruction: str | None = None,
    plan: Plan | None = None,
    thresholds: Thresholds | None = None,
    always_review: str | None = None,
    prior: list[Finding] | None = None,
) -> Report:
    """Run every check on an edit; `always_review` names a rule that forces review; `prior`
    are findings made before (the drift a composite corrected).

    The artifact and drift checks run on every edit; the plan's intent adds the checks of what
    was asked (tasks/request_checks.py). A check that cannot measure fails (review).
    """
    t = thresholds or Thresholds()
    expect = expectation(instruction, plan)
    intent = plan.intent if plan else None
    frames = Frames.of(before, after)
    findings = list(prior or []) + frame_sanity(before, after, frames, t)
    findings.append(size_finding(before, after, expect))
    if before.shape[:2] != after.shape[:2]:  # the checks below compare like with like only
        return _report(findings, plan, t, always_review)
    diff = difference(frames)  # what changed, and where
    mask = changed_mask(diff, t.changed_level)
    subject = subject_mask(frames.small_before) if needs_subject(intent) else None
    if expect.scope == "global":  # a local edit's rest is checked pixel by pixel, a scene's product
        findings.append(layout_finding(frames, t))
    findings += drift(frames, mask, expect, t)
    findings += unedited_part(frames, mask, expect, intent, t)
    findings += extent(diff, mask, expect, t)
    findings += outside_the_edit(frames, mask, subject, expect, t)
    findings += request_findings(before, after, frames, mask, subject, intent, t)
    return _report(findings, plan, t, always_review)


def check_composite(
    before: np.ndarray,
    edited: np.ndarray,
    instruction: str | None = None,
    plan: Plan | None = None,
    thresholds: Thresholds | None = None,
    always_review: str | None = None,
    references: tuple[np.ndarray, ...] = (),
) -> tuple[Composite, Report]:
    """Composite a model's `edited` output onto `before` (tasks/composite.py), then check it:
    the drift the composite corrected must be within limits, and every check runs on the
    composited picture. A whole-look request (a style, the overall tone) takes the whole frame.
    The products of `references` (pictures 2, 3... of a multi-image edit) must be themselves
    in the result (tasks/identity.py)."""
    t = thresholds or Thresholds()
    result = composite(before, edited, whole_look=expectation(instruction, plan).scope == "global")
    prior = corrected_drift(result, max(before.shape[:2]), t) if result.aligned else []
    prior += references_kept(list(references), result.pixels)
    return result, check_pair(before, result.pixels, instruction, plan, t, always_review, prior)


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


def frame_sanity(before: np.ndarray, after: np.ndarray, frames: Frames, t: Thresholds) -> list[Finding]:
    """A blank, noisy or blocky frame (the model returning noise, grey, or a broken encode)."""
    findings: list[Finding] = []
    small_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2GRAY)
    small_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2GRAY)
    gb, ga = grey(before), grey(after)
    std = float(small_a.std())
    blank_ok = std > t.blank_std or small_b.std() <= t.blank_std
    findings.append(
        finding(
            "blank",
            std,
            t.blank_std,
            blank_ok,
            f"luma spread {std:.1f}" + (" (a blank frame)" if std <= t.blank_std else ""),
            20,
        )
    )
    crop_b, crop_a = centre_block(gb), centre_block(ga)  # full resolution, 8x8-aligned
    na, nb = noise_sigma(crop_a), noise_sigma(crop_b)
    findings.append(
        finding(
            "noise",
            na - nb,
            t.noise_increase,
            na - nb <= t.noise_increase,
            f"noise sigma {na:.1f} (before {nb:.1f})",
            5,
        )
    )
    (ba, excess), (bb, _) = blockiness(crop_a), blockiness(crop_b)
    block_ok = ba <= max(t.blockiness, bb * 1.15) or excess <= t.block_excess
    findings.append(
        finding(
            "blockiness",
            ba,
            t.blockiness,
            block_ok,
            f"8x8 block edges {ba:.2f}x in-block energy (before {bb:.2f})",
            0.5,
        )
    )

    return findings


def size_finding(before: np.ndarray, after: np.ndarray, expect: Expectation) -> Finding:
    """A size change only where the plan resizes, crops, pads or turns."""
    gb, ga = before.shape[:2], after.shape[:2]
    same_size = ga == gb
    size_ok = same_size or expect.size_may_change
    return Finding(
        "size",
        None,
        None,
        size_ok,
        f"{gb[1]}x{gb[0]} -> {ga[1]}x{ga[0]}" + ("" if size_ok else " (a size change nobody asked for)"),
        1.0 if size_ok else 0.0,
    )


def layout_finding(frames: Frames, t: Thresholds) -> Finding:
    """The picture is still there: its coarse layout correlates with the original's, as
    luminance (a style, a tone, a season keep it) or as edges (a sketch keeps only those);
    noise or another picture does neither."""
    grey_before, grey_after = frames.greys(64)
    grey_after = cv2.resize(grey_after, grey_before.shape[::-1], interpolation=cv2.INTER_AREA)

    def luminance(g: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(
            cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA).astype(np.float32), (0, 0), 1.0
        )

    def edges(g: np.ndarray) -> np.ndarray:
        smooth = cv2.GaussianBlur(g.astype(np.float32), (0, 0), 1.0)
        return cv2.GaussianBlur(
            cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1)),
            (0, 0),
            1.0,
        )

    scores = [_correlation(f(grey_before), f(grey_after)) for f in (luminance, edges)]
    if all(score is None for score in scores):
        return cannot_measure("layout", "a flat frame has no layout to compare")
    best = max(score for score in scores if score is not None)
    return finding(
        "layout",
        best,
        t.min_layout,
        best >= t.min_layout,
        f"the picture's layout correlates {best:.2f} with the original's",
        0.3,
    )


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation of two maps, None when either is flat."""
    if a.std() < 1e-3 or b.std() < 1e-3:
        return None
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def drift(frames: Frames, mask: np.ndarray, expect: Expectation, t: Thresholds) -> list[Finding]:
    """Global motion (shift, zoom, turn of the whole frame), measured on what the edit left alone
    (a new background changes most of the frame: then the product's outline registers)."""
    findings: list[Finding] = []
    motion = global_motion(frames, None if expect.scope == "background" else mask)
    if motion is None:
        findings.append(
            cannot_measure("shift", "too little in common between before and after to measure global motion")
        )
    else:
        dx, dy, scale, degrees, precise = motion
        turn_limit = t.max_rotation + (0 if precise else SPECTRAL_TURN_SLACK)
        # the spectral registration resolves about a third of a pixel of its 512-pixel grid
        shift_limit = max(t.max_shift_px, 0 if precise else max(frames.height, frames.width) / 512 / 3 * 2)
        moved = float(np.hypot(dx, dy))
        findings.append(
            finding(
                "shift",
                moved,
                shift_limit,
                moved <= shift_limit,
                f"whole frame moved by ({dx:+.1f}, {dy:+.1f}) px",
                shift_limit,
            )
        )
        zoom = abs(scale - 1)
        findings.append(
            finding(
                "zoom", zoom, t.max_zoom, zoom <= t.max_zoom, f"whole frame scaled by {scale:.3f}", t.max_zoom
            )
        )
        findings.append(
            finding(
                "rotation",
                abs(degrees),
                turn_limit,
                abs(degrees) <= turn_limit,
                f"whole frame turned by {degrees:+.2f} degrees",
                turn_limit,
            )
        )

    return findings


def unedited_part(
    frames: Frames, mask: np.ndarray, expect: Expectation, intent: Intent | None, t: Thresholds
) -> list[Finding]:
    """The part the edit left alone must not be blown out or smeared."""
    findings: list[Finding] = []
    small_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2GRAY)
    small_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2GRAY)
    kept = ~mask if (~mask).mean() > 0.1 else np.ones_like(mask)
    if expect.scope == "local":  # white backgrounds and high-key styles clip on purpose
        clip_a = float(((small_a <= 2) | (small_a >= 253))[kept].mean())
        clip_b = float(((small_b <= 2) | (small_b >= 253))[kept].mean())
        findings.append(
            finding(
                "clipped",
                clip_a - clip_b,
                t.clipped_increase,
                clip_a - clip_b <= t.clipped_increase,
                f"{clip_a:.0%} of the unedited pixels at black/white (before {clip_b:.0%})",
                0.25,
            )
        )
    # a new style may smooth on purpose (watercolour, cartoon), and so does a background blur
    if expect.scope != "global" and not (intent and intent.action == "blur"):
        detail = float(np.abs(cv2.Laplacian(small_b, cv2.CV_32F))[kept].mean())
        ratio = sharpness(small_a, kept) / max(sharpness(small_b, kept), 1e-6)
        if detail < t.min_detail:  # a plain studio backdrop or product: nothing there to smear
            findings.append(
                finding(
                    "blur",
                    detail,
                    t.min_detail,
                    True,
                    f"the unedited part is plain (detail {detail:.1f} grey levels): nothing to blur",
                    0.5,
                )
            )
        else:
            findings.append(
                finding(
                    "blur",
                    ratio,
                    t.blur_ratio,
                    ratio >= t.blur_ratio,
                    f"detail {ratio:.0%} of the original's outside the edit",
                    0.4,
                )
            )
    return findings


def extent(diff: np.ndarray, mask: np.ndarray, expect: Expectation, t: Thresholds) -> list[Finding]:
    """Something changed (not a no-op); a local edit stays local and where it was asked."""
    findings: list[Finding] = []
    share = float(mask.mean())
    touched = float(changed_mask(diff, t.noop_level).mean())
    findings.append(
        finding(
            "no-op",
            touched,
            t.min_changed,
            touched >= t.min_changed,
            f"{touched:.1%} of the frame changed"
            + ("" if touched >= t.min_changed else " (the edit did nothing)"),
            t.min_changed * 4,
        )
    )
    if expect.scope == "local":
        findings.append(
            finding(
                "scope",
                share,
                t.local_max_changed,
                share <= t.local_max_changed,
                f"{share:.0%} of the frame changed for a local edit",
                t.local_max_changed / 2,
            )
        )
        if expect.region and mask.any():
            ys, xs = np.nonzero(mask)
            cx, cy = xs.mean() / mask.shape[1], ys.mean() / mask.shape[0]
            (x0, x1), (y0, y1) = expect.region
            m = t.side_margin
            inside = bool(x0 - m <= cx <= x1 + m and y0 - m <= cy <= y1 + m)
            findings.append(
                Finding(
                    "position",
                    round(float(cx), 3),
                    None,
                    inside,
                    f"the change is centred at ({cx:.0%}, {cy:.0%}) of the frame;"
                    f" the instruction points to x {x0:.0%}-{x1:.0%}, "
                    f"y {y0:.0%}-{y1:.0%}",
                    1.0 if inside else 0.0,
                )
            )

    return findings


def outside_the_edit(
    frames: Frames, mask: np.ndarray, subject: np.ndarray | None, expect: Expectation, t: Thresholds
) -> list[Finding]:
    """Outside the edit: no colour cast, the structure kept (the product only, for a background)."""
    findings: list[Finding] = []
    small_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2GRAY)
    small_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2GRAY)
    if expect.scope != "global":
        outside = ~mask
        if expect.scope == "background" and subject is not None:
            # the product only: what is left of the old backdrop may shift colour with the new one
            core = cv2.erode(subject.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            outside = core & ~mask if (core & ~mask).mean() > 0.01 else outside
        if outside.mean() > 0.01:
            lab_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2LAB).astype(np.float32)
            lab_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2LAB).astype(np.float32)
            shift_ab = np.abs((lab_a - lab_b)[outside].mean(axis=0))
            cast = float(max(shift_ab[1], shift_ab[2]))
            findings.append(
                finding(
                    "colour-cast",
                    cast,
                    t.cast,
                    cast <= t.cast,
                    f"colour moved by {cast:.1f} (Lab a*/b*) outside the edit",
                    t.cast,
                )
            )
            kept = ssim(small_b, small_a, outside)
            findings.append(
                finding(
                    "background",
                    kept,
                    t.background_ssim,
                    kept >= t.background_ssim,
                    f"SSIM {kept:.2f} outside the edited area",
                    0.2,
                )
            )
    return findings


def _report(findings: list[Finding], plan: Plan | None, t: Thresholds, always_review: str | None) -> Report:
    if plan is not None:
        ok = plan.confidence >= t.min_plan_confidence
        findings.append(
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
        findings.append(Finding("rule", None, None, False, always_review, 0.0))
    failed = [f for f in findings if not f.passed]
    confidence = min((f.margin for f in findings), default=1.0)
    return Report("review" if failed else "publish", confidence if not failed else 0.0, findings)
