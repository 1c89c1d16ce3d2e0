"""Measures of where the edit happened: something changed (not a no-op), a local edit stayed
local and where it was asked, the frame did not move, and outside the edit nothing was cast,
smeared or blown out; a whole-look edit kept the picture's layout.

Pure functions of a PairContext (tasks/check/context.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import shrink
from tasks.check.motion import SPECTRAL_TURN_SLACK, global_motion


def drift(ctx: PairContext) -> list[Finding]:
    """Global motion (shift, zoom, turn of the whole frame), measured on what the edit left alone
    (a new background changes most of the frame: then the product's outline registers)."""
    t, frames = ctx.t, ctx.frames
    motion = global_motion(frames, None if ctx.expect.scope == "background" else ctx.changed)
    if motion is None:
        # a local edit leaves most of the frame to register; a new background or a style may not
        name = "shift" if ctx.expect.scope == "local" else "motion"
        return [
            cannot_measure(name, "too little in common between before and after to measure global motion")
        ]
    dx, dy, scale, degrees, precise = motion
    turn_limit = t.max_rotation + (0 if precise else SPECTRAL_TURN_SLACK)
    # the spectral registration resolves about a third of a pixel of its 512-pixel grid
    shift_limit = max(t.max_shift_px, 0 if precise else max(frames.height, frames.width) / 512 / 3 * 2)
    moved = float(np.hypot(dx, dy))
    zoom = abs(scale - 1)
    return [
        finding(
            "shift",
            moved,
            shift_limit,
            moved <= shift_limit,
            f"whole frame moved by ({dx:+.1f}, {dy:+.1f}) px",
            shift_limit,
        ),
        finding(
            "zoom", zoom, t.max_zoom, zoom <= t.max_zoom, f"whole frame scaled by {scale:.3f}", t.max_zoom
        ),
        finding(
            "rotation",
            abs(degrees),
            turn_limit,
            abs(degrees) <= turn_limit,
            f"whole frame turned by {degrees:+.2f} degrees",
            turn_limit,
        ),
    ]


def layout(ctx: PairContext) -> list[Finding]:
    """The picture is still there: its coarse layout correlates with the original's, as
    luminance (a style, a tone, a season keep it) or as edges (a sketch keeps only those);
    noise or another picture does neither."""
    if ctx.expect.scope != "global":
        return []
    grey_before, grey_after = ctx.frames.greys(64)
    grey_after = cv2.resize(grey_after, grey_before.shape[::-1], interpolation=cv2.INTER_AREA)

    def luminance(g: np.ndarray) -> np.ndarray:
        half = cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA).astype(np.float32)
        return cv2.GaussianBlur(half, (0, 0), 1.0)

    def edges(g: np.ndarray) -> np.ndarray:
        smooth = cv2.GaussianBlur(g.astype(np.float32), (0, 0), 1.0)
        gradient = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
        return cv2.GaussianBlur(gradient, (0, 0), 1.0)

    scores = [_correlation(f(grey_before), f(grey_after)) for f in (luminance, edges)]
    if all(score is None for score in scores):
        return [cannot_measure("layout", "a flat frame has no layout to compare")]
    best = max(score for score in scores if score is not None)
    message = f"the picture's layout correlates {best:.2f} with the original's"
    return [finding("layout", best, ctx.t.min_layout, best >= ctx.t.min_layout, message, 0.3), _one_look(ctx)]


def _one_look(ctx: PairContext) -> Finding:
    """A whole-look edit (a style, a grade) is the same everywhere: a colour of the original
    becomes the same colour in one part of the frame (a half, a third) as in the other. A style
    applied to half the frame, or a grade in one band, maps the same colours differently. The
    mapping is read without assuming its form: the mean new colour of each original colour (a
    coarse 3-D histogram), compared where both parts have that colour."""
    before = cv2.resize(ctx.frames.small_before, (96, 72), interpolation=cv2.INTER_AREA)
    after = cv2.resize(ctx.frames.small_after, (96, 72), interpolation=cv2.INTER_AREA).astype(np.float32)
    bins = (before // 32).astype(np.int32)
    index = (bins[..., 0] * 8 + bins[..., 1]) * 8 + bins[..., 2]
    worst, where = 0.0, ""
    for axis, size in ((1, 96), (0, 72)):
        for cut in (size // 3, size // 2, 2 * size // 3):
            part = np.zeros((72, 96), bool)
            if axis == 1:
                part[:, :cut] = True
            else:
                part[:cut] = True
            gap = _mapping_gap(index, after, part)
            if gap > worst:
                worst, where = gap, ("across" if axis == 1 else "down") + f" the frame at {cut / size:.0%}"
    t = ctx.t.look_gap
    message = (
        f"the look changes {where}: the same original colours became colours {worst:.0f} levels apart"
        if worst > t
        else "one look over the whole frame"
    )
    return finding("one-look", worst, t, worst <= t, message, t / 2)


def _mapping_gap(index: np.ndarray, after: np.ndarray, part: np.ndarray) -> float:
    """How far apart (grey levels: the weighted median over the original colours both parts
    have) the new colours of the same original colours are in `part` and in the rest."""
    means = []
    for side in (part, ~part):
        counts = np.bincount(index[side], minlength=512).astype(np.float32)
        sums = np.stack(
            [np.bincount(index[side], after[..., c][side], minlength=512) for c in range(3)], axis=1
        )
        means.append((counts, sums / np.maximum(counts, 1)[:, None]))
    (count_a, mean_a), (count_b, mean_b) = means
    shared = (count_a >= 8) & (count_b >= 8)
    if not shared.any():
        return 0.0
    gaps = np.abs(mean_a[shared] - mean_b[shared]).max(axis=1)
    weights = np.minimum(count_a[shared], count_b[shared])
    order = np.argsort(gaps)
    cumulative = np.cumsum(weights[order])
    return float(gaps[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation of two maps, None when either is flat."""
    if a.std() < 1e-3 or b.std() < 1e-3:
        return None
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def unedited_part(ctx: PairContext) -> list[Finding]:
    """The part the edit left alone must not be blown out (smeared: tasks/check/frame.py, detail)."""
    t, mask = ctx.t, ctx.changed
    small_b, small_a = ctx.grey_before, ctx.grey_after
    kept = ~mask if (~mask).mean() > 0.1 else np.ones_like(mask)
    findings: list[Finding] = []
    if ctx.expect.scope == "local":  # white backgrounds and high-key styles clip on purpose
        clip_a = float(((small_a <= 2) | (small_a >= 253))[kept].mean())
        clip_b = float(((small_b <= 2) | (small_b >= 253))[kept].mean())
        message = f"{clip_a:.0%} of the unedited pixels at black/white (before {clip_b:.0%})"
        findings.append(
            finding(
                "clipped",
                clip_a - clip_b,
                t.clipped_increase,
                clip_a - clip_b <= t.clipped_increase,
                message,
                0.25,
            )
        )
    elif ctx.expect.scope == "global":  # a grade or a style may brighten, not blow out a channel
        colour_a, colour_b = ctx.frames.small_after, ctx.frames.small_before
        clip_a = float(((colour_a >= 254) | (colour_a <= 1)).any(axis=2).mean())
        clip_b = float(((colour_b >= 254) | (colour_b <= 1)).any(axis=2).mean())
        message = f"{clip_a:.0%} of the picture has a channel blown out (before {clip_b:.0%})"
        findings.append(
            finding("blown-out", clip_a - clip_b, t.blown_out, clip_a - clip_b <= t.blown_out, message, 0.2)
        )
    return findings


def extent(ctx: PairContext) -> list[Finding]:
    """Something changed (not a no-op); a local edit stays local and where it was asked."""
    t, mask = ctx.t, ctx.changed
    share = float(mask.mean())
    touched = float(ctx.faint.mean())
    message = f"{touched:.1%} of the frame changed" + (
        "" if touched >= t.min_changed else " (the edit did nothing)"
    )
    findings = []
    if ctx.action != "blur":  # a blur changes detail, not colour: its own measure says if it did
        findings.append(
            finding("no-op", touched, t.min_changed, touched >= t.min_changed, message, t.min_changed * 4)
        )
    if ctx.expect.scope != "local":
        return findings
    message = f"{share:.0%} of the frame changed for a local edit"
    findings.append(
        finding(
            "scope",
            share,
            t.local_max_changed,
            share <= t.local_max_changed,
            message,
            t.local_max_changed / 2,
        )
    )
    if ctx.expect.region and mask.any():
        ys, xs = np.nonzero(mask)
        cx, cy = xs.mean() / mask.shape[1], ys.mean() / mask.shape[0]
        (x0, x1), (y0, y1) = ctx.expect.region
        # how far outside the named part of the frame the change's centre is (0 inside)
        off = max(x0 - cx, cx - x1, y0 - cy, cy - y1, 0.0)
        message = (
            f"the change is centred at ({cx:.0%}, {cy:.0%}) of the frame; the instruction points "
            f"to x {x0:.0%}-{x1:.0%}, y {y0:.0%}-{y1:.0%}"
        )
        findings.append(finding("position", off, t.side_margin, off <= t.side_margin, message, 0.05))
    return findings


def outside_the_edit(ctx: PairContext) -> list[Finding]:
    """Outside the edit: no colour cast, the structure kept (the product only, for a background)."""
    if ctx.expect.scope == "global":
        return []
    t, mask = ctx.t, ctx.changed
    outside = ~mask
    if ctx.expect.scope == "background" and ctx.subject is not None:
        # the product only: what is left of the old backdrop may shift colour with the new one
        core = shrink(ctx.subject, 2)
        outside = core & ~mask if (core & ~mask).mean() > 0.01 else outside
    if outside.mean() <= 0.01:
        return []
    shift_ab = np.abs((ctx.lab_after - ctx.lab_before)[outside].mean(axis=0))
    cast = float(max(shift_ab[1], shift_ab[2]))
    kept = float(ctx.structure[outside].mean())
    return [
        finding(
            "colour-cast",
            cast,
            t.cast,
            cast <= t.cast,
            f"colour moved by {cast:.1f} (Lab a*/b*) outside the edit",
            t.cast,
        ),
        finding(
            "background",
            kept,
            t.background_ssim,
            kept >= t.background_ssim,
            f"SSIM {kept:.2f} outside the edited area",
            0.2,
        ),
    ]


def outline(ctx: PairContext) -> list[Finding]:
    """A change to a thing (a recolour, a removal) follows that thing's outline: its border lies
    on edges of the before picture. A colour spilling onto the backdrop, half an object done, a
    bite out of the product next to a removed prop: the change's border runs where the before
    picture had no edge."""
    tight = cv2.morphologyEx(
        (ctx.diff > ctx.t.changed_level).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    )
    border = tight.astype(bool) & ~shrink(tight.astype(bool), 1)
    if border.sum() < 12:
        return [cannot_measure("outline", "the change is too small to follow its outline")]
    blurred = cv2.GaussianBlur(ctx.grey_before, (0, 0), 1.0)
    edges = cv2.Canny(blurred, 20, 50) > 0
    near = cv2.dilate(edges.astype(np.uint8), np.ones((2 * ctx.band + 1,) * 2, np.uint8)).astype(bool)
    share = float(near[border].mean())
    message = f"{share:.0%} of the change's outline follows an edge of the original"
    return [finding("outline", share, ctx.t.outline_share, share >= ctx.t.outline_share, message, 0.2)]
