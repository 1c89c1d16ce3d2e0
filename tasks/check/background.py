"""Measures of a background edit: the new background everywhere around the product, of the
asked colour and even, nothing of the old backdrop left; the product itself kept, whole and
unaltered. Also a blurred background.

The product is the one found in the before picture (tasks/check/subject.py). "Around the
product" is every pixel farther than a feather band from it, wherever it is (corners, strips,
inside a handle), not only where the picture changed: a near-white backdrop made pure white
changes little and is right; an old backdrop left in a corner changes nothing and is wrong.

Pure functions of a PairContext (tasks/check/context.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from config.contracts import Colour, Finding
from tasks.check.colour import ACHROMATIC_CHROMA, chroma, ciede2000, describe, hue_degrees, lab_of_rgb
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import border, grow, shrink

NEAR_ASKED = 10.0  # CIEDE2000 within which a pixel already has the asked colour
PRODUCT_SHARE = 0.3  # an unchanged part this much of the found product holds the product
BACKDROP_LIKE = 8.0  # CIELAB distance within which a colour is one of the old backdrop's
HUE_SPAN = 30.0  # degrees of CIE hue within which a pixel has an asked hue
STRICT_COLOURS = {"white", "pure white", "black", "pure black"}  # no shade of these is another


def product_and_surroundings(ctx: PairContext) -> tuple[np.ndarray, np.ndarray] | None:
    """(product core, surroundings) on the small grid: the product found in the before picture
    shrunk by a pixel, and every pixel farther than the feather band from what the edit kept of
    it (the unchanged parts that hold the product, with whatever of the old backdrop hugs it);
    None when no product stands out."""
    if ctx.subject is None:
        return None
    return _surroundings(ctx, kept_product(ctx)[0])


def _surroundings(ctx: PairContext, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return shrink(ctx.subject, 1), ~grow(kept, ctx.band)


def kept_product(ctx: PairContext) -> tuple[np.ndarray, np.ndarray]:
    """(what the edit kept of the product, what it left of the old backdrop), small grid.

    The unchanged parts of the frame are taken whole. The largest is the product (with any old
    backdrop hugging it), unless it lies on the frame's border and is not the product found in
    the before picture; any other part that is not mostly that product is old backdrop left (a
    corner, a strip along an edge). Inside a well-found product, patches of the old backdrop's
    colours that nothing replaced reaches are old backdrop left too (the hole of a handle)."""
    unchanged = ~ctx.replaced
    count, labels, stats, _ = cv2.connectedComponentsWithStats(unchanged.astype(np.uint8), connectivity=8)
    least = 0.002 * unchanged.size
    kept = np.zeros_like(unchanged)
    left = np.zeros_like(unchanged)
    edge = border(unchanged.shape, 1)
    parts = [n for n in range(1, count) if stats[n, cv2.CC_STAT_AREA] >= least]
    largest = max(parts, key=lambda n: stats[n, cv2.CC_STAT_AREA], default=None)
    for n in parts:
        part = labels == n
        product = ctx.subject[part].mean() >= PRODUCT_SHARE
        (kept if product or (n == largest and not (part & edge).any()) else left)[part] = True
    if kept.any() and ctx.subject[kept].mean() >= 0.5:
        left |= _holes(ctx, kept, least)
    return kept, left


def _holes(ctx: PairContext, kept: np.ndarray, least: float) -> np.ndarray:
    """Patches inside the kept product of the old backdrop's colours (those of what the edit
    replaced) that touch nothing replaced."""
    replaced = ctx.lab_before[ctx.replaced]
    if len(replaced) < 50:
        return np.zeros_like(kept)
    sample = replaced[:: max(1, len(replaced) // 4000)].astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # OpenCV's global generator: the same pair measures the same
    _, _, centres = cv2.kmeans(sample, min(6, len(sample)), None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    inside = ctx.lab_before[kept]
    nearest = np.min(np.linalg.norm(inside[:, None, :] - centres[None], axis=2), axis=1)
    like = np.zeros_like(kept)
    like[kept] = nearest <= BACKDROP_LIKE
    count, labels, stats, _ = cv2.connectedComponentsWithStats(like.astype(np.uint8), connectivity=8)
    hole = stats[:, cv2.CC_STAT_AREA] >= least / 4
    hole[0] = False
    hole[np.unique(labels[grow(ctx.replaced, 1) & like])] = False  # touching something replaced
    return hole[labels]


def _sampled(mask: np.ndarray, most: int = 20000) -> np.ndarray:
    """At most `most` pixels of a mask, evenly spread (colour statistics need no more)."""
    step = max(1, int(np.ceil(mask.sum() / most)))
    if step == 1:
        return mask
    thinned = np.zeros_like(mask)
    ys, xs = np.nonzero(mask)
    thinned[ys[::step], xs[::step]] = True
    return thinned


def background(ctx: PairContext) -> list[Finding]:
    """A new background: everywhere around a kept product, of the asked colour."""
    colour = ctx.intent.colour
    if ctx.subject is None:
        return [cannot_measure("product", "no product stands out in the before picture")]
    kept, left = kept_product(ctx)
    core, around = _surroundings(ctx, kept)
    if around.mean() < 0.02:
        return [cannot_measure("background-colour", "too little background around the product to read")]
    out = product_kept(ctx, core)
    around = _sampled(around)
    out.append(_old_backdrop(ctx, left, colour))
    if colour is not None:
        out += _colour(ctx, around, colour)
        out.append(_ring(ctx, kept, colour))
    return out


def _asked_distance(lab: np.ndarray, colour: Colour) -> np.ndarray:
    return ciede2000(lab, lab_of_rgb(colour.rgb))


def _colour(ctx: PairContext, around: np.ndarray, colour: Colour) -> list[Finding]:
    """Of the asked colour and even. Pure white: every channel at the marketplace level; another
    white, grey or black: within a small CIEDE2000 of it; a hue (pink, sage, royal blue): that
    hue, whatever its lightness (a named colour comes in many shades), and not too far in
    CIEDE2000 (navy is not royal blue)."""
    t = ctx.t
    lab = ctx.lab_after[around]
    want = lab_of_rgb(colour.rgb)
    median = np.median(lab, axis=0)
    if colour.pure and tuple(colour.rgb) == (255, 255, 255):
        share = float((ctx.frames.small_after[around].min(axis=1) >= t.pure_level).mean())
        message = f"{share:.0%} of the background is pure white (every channel >= {t.pure_level})"
    elif float(chroma(want)) >= ACHROMATIC_CHROMA:
        hues = np.abs((hue_degrees(lab) - float(hue_degrees(want)) + 180) % 360 - 180)
        share = float(((hues <= HUE_SPAN) & (chroma(lab) >= 0.3 * float(chroma(want)))).mean())
        message = f"{share:.0%} of the background has the hue of {colour.name}"
    else:
        share = float((_asked_distance(lab, colour) <= NEAR_ASKED).mean())
        message = f"{share:.0%} of the background is {colour.name}"
    de = float(ciede2000(median, want))
    limit = t.strict_background_de if colour.name in STRICT_COLOURS else t.background_de
    spread = float(np.percentile(ciede2000(lab, median), 90))
    return [
        finding("background-colour", share, t.pure_share, share >= t.pure_share, message, 0.1),
        finding(
            "background-shade",
            de,
            limit,
            de <= limit,
            f"the background is {describe(median)} (asked: {colour.name}), CIEDE2000 {de:.1f}",
            limit,
        ),
        finding(
            "background-even",
            spread,
            t.background_spread,
            spread <= t.background_spread,
            f"the background varies by {spread:.1f} (CIEDE2000, 90th percentile)",
            t.background_spread,
        ),
    ]


def _old_backdrop(ctx: PairContext, left: np.ndarray, colour: Colour | None) -> Finding:
    """What is left of the old backdrop (`left`, from kept_product): parts the edit did not
    replace that are not the product, and did not already have the asked colour."""
    left = left.copy()
    if colour is not None and left.any():
        left[left] = _asked_distance(ctx.lab_before[left], colour) > NEAR_ASKED
    share = float(left.mean())
    message = f"{share:.0%} of the frame is old backdrop the edit left" + (
        " (corners, strips, holes)" if share > 0.005 else ""
    )
    return finding("background-left", share, ctx.t.backdrop_left, share <= ctx.t.backdrop_left, message, 0.05)


def _ring(ctx: PairContext, kept: np.ndarray, colour: Colour) -> Finding:
    """Right around what the edit kept of the product (a halo, a fringe, the old backdrop hugging
    it): the share of the asked colour in the ring just outside the feather band."""
    ring = grow(kept, 2 * ctx.band) & ~grow(kept, ctx.band)
    if ring.sum() < 20:
        return cannot_measure("background-ring", "no room around the product")
    near = _asked_distance(ctx.lab_after[ring], colour) <= 2 * NEAR_ASKED
    share = float(near.mean())
    message = f"{share:.0%} of the ring around the product is {colour.name}"
    return finding("background-ring", share, ctx.t.ring_share, share >= ctx.t.ring_share, message, 0.2)


def product_kept(ctx: PairContext, core: np.ndarray) -> list[Finding]:
    """The product unaltered: most of it unchanged, its structure (SSIM) kept everywhere on it,
    in the worst part too (a logo lost, an edge eaten), and its colour."""
    t = ctx.t
    if core.sum() < 30:
        return [cannot_measure("product", "the product is too small to compare")]
    kept = float((~ctx.changed)[core].mean())
    structure = ctx.structure
    worst = _worst_part(structure, core)
    shift = float(np.median(ciede2000(ctx.lab_before[core], ctx.lab_after[core])))
    return [
        finding(
            "product",
            kept,
            t.subject_kept,
            kept >= t.subject_kept,
            f"{kept:.0%} of the product left unchanged" + ("" if kept >= t.subject_kept else " (altered)"),
            0.3,
        ),
        finding(
            "product-worst",
            worst,
            t.product_worst_ssim,
            worst >= t.product_worst_ssim,
            f"the least kept part of the product has SSIM {worst:.2f}",
            0.2,
        ),
        finding(
            "product-colour",
            shift,
            t.product_colour_de,
            shift <= t.product_colour_de,
            f"the product's colour moved by {shift:.1f} (CIEDE2000)",
            t.product_colour_de,
        ),
    ]


def _worst_part(structure: np.ndarray, core: np.ndarray, cells: int = 4) -> float:
    """The lowest mean SSIM over the cells of a grid on the product's box (cells mostly product)."""
    ys, xs = np.nonzero(core)
    y_edges = np.linspace(ys.min(), ys.max() + 1, cells + 1).astype(int)
    x_edges = np.linspace(xs.min(), xs.max() + 1, cells + 1).astype(int)
    worst = 1.0
    for y0, y1 in zip(y_edges[:-1], y_edges[1:], strict=True):
        for x0, x1 in zip(x_edges[:-1], x_edges[1:], strict=True):
            inside = core[y0:y1, x0:x1]
            if inside.sum() >= max(12, 0.4 * inside.size):
                worst = min(worst, float(structure[y0:y1, x0:x1][inside].mean()))
    return worst


def background_blur(ctx: PairContext) -> list[Finding]:
    """A blurred background: less detail around the product than before, all around it (each
    half of the frame on its own: one side left sharp is not a blurred background), the
    product kept."""
    t = ctx.t
    parts = product_and_surroundings(ctx)
    if parts is None:
        return [cannot_measure("product", "no product stands out in the before picture")]
    core, around = parts
    detail_before = np.abs(cv2.Laplacian(ctx.grey_before, cv2.CV_32F))
    detail_after = np.abs(cv2.Laplacian(ctx.grey_after, cv2.CV_32F))
    if not around.any() or float(detail_before[around].mean()) < t.min_detail:
        return [
            cannot_measure("background-blur", "the background is plain: no detail to blur")
        ] + product_kept(ctx, core)
    h, w = around.shape
    ratios = {}
    for name, part in (("", around), *((f" ({side})", around & half) for side, half in _halves(h, w))):
        if part.sum() >= 0.15 * around.sum() and float(detail_before[part].mean()) >= t.min_detail:
            ratios[name] = float(detail_after[part].mean() / detail_before[part].mean())
    if not ratios:
        return [cannot_measure("background-blur", "too little background around the product")] + product_kept(
            ctx, core
        )
    where, ratio = max(ratios.items(), key=lambda item: item[1])
    message = f"the background{where} keeps {ratio:.0%} of its detail (asked: blurred)"
    out = [finding("background-blur", ratio, t.blurred_detail, ratio <= t.blurred_detail, message, 0.2)]
    return out + product_kept(ctx, core)


def _halves(h: int, w: int):
    """The four halves of a frame (left, right, top, bottom) as masks."""
    for side, box in (
        ("left", (slice(None), slice(0, w // 2))),
        ("right", (slice(None), slice(w // 2, None))),
        ("top", (slice(0, h // 2), slice(None))),
        ("bottom", (slice(h // 2, None), slice(None))),
    ):
        mask = np.zeros((h, w), bool)
        mask[box] = True
        yield side, mask
