"""Measures of an object recolour: the changed area has the asked colour, it is the object that
was named (its colour before matches a colour the request names: "the orange suit"), and its
pattern and shading kept (a striped garment stays striped). That the change
follows the object's outline (no spill, no half object) is tasks/check/scope.py: outline.

Pure functions of a PairContext (tasks/check/context.py).
"""

from __future__ import annotations

import numpy as np

from config.contracts import Colour, Finding
from tasks.check.colour import (
    ACHROMATIC_CHROMA,
    chroma,
    ciede2000,
    describe,
    hue_degrees,
    hue_distance,
    lab_of_rgb,
)
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import shrink
from tasks.check.measures import high_pass

MIN_TEXTURE = 3.0  # grey levels of fine structure below which an area has no pattern to keep


def recolour(ctx: PairContext) -> list[Finding]:
    changed = ctx.changed
    core = shrink(changed, 2)
    core = core if core.sum() >= 30 else changed
    if core.sum() < 30:
        return [cannot_measure("recolour", "the changed area is too small to read its colour")]
    intent = ctx.intent
    out = _asked_colour(ctx, core, intent.colour)
    if intent.source_colour is not None:
        out.append(_named_object(ctx, core, intent.source_colour))
    out.append(_pattern(ctx, core))
    return out


def dominant(lab: np.ndarray, want_chroma: bool) -> np.ndarray:
    """The colour of an area: the median Lab of its coloured pixels when a colour is asked (the
    white stripes of a recoloured shirt are not its colour), of all pixels otherwise."""
    if want_chroma:
        coloured = lab[chroma(lab) >= ACHROMATIC_CHROMA]
        if len(coloured) >= 0.2 * len(lab):
            return np.median(coloured, axis=0)
    return np.median(lab, axis=0)


def _asked_colour(ctx: PairContext, core: np.ndarray, colour: Colour) -> list[Finding]:
    t = ctx.t
    want = lab_of_rgb(colour.rgb)
    chromatic = float(chroma(want)) >= ACHROMATIC_CHROMA
    got = dominant(ctx.lab_after[core], chromatic)
    de = float(ciede2000(got, want))
    shade = finding(
        "recolour-shade",
        de,
        t.recolour_de,
        de <= t.recolour_de,
        f"the changed area is {describe(got)} (asked: {colour.name}), CIEDE2000 {de:.1f}",
        t.recolour_de / 2,
    )
    if not chromatic or float(chroma(got)) < ACHROMATIC_CHROMA:
        # white, black, grey asked (or made): lightness and chroma say it, CIEDE2000 measures it
        return [shade, _achromatic(ctx, got, want, colour)]
    apart = hue_distance(float(hue_degrees(got)), float(hue_degrees(want)))
    hue = finding(
        "recolour",
        apart,
        t.recolour_hue,
        apart <= t.recolour_hue,
        f"the changed area is {describe(got)} (asked: {colour.name}), hue {apart:.0f} degrees away",
        t.recolour_hue / 2,
    )
    return [hue, shade]


def _achromatic(ctx: PairContext, got: np.ndarray, want: np.ndarray, colour: Colour) -> Finding:
    gap = (
        abs(float(got[0] - want[0])) + float(chroma(got)) if float(chroma(want)) < ACHROMATIC_CHROMA else 99.0
    )
    return finding(
        "recolour",
        gap,
        ctx.t.recolour_grey,
        gap <= ctx.t.recolour_grey,
        f"the changed area is {describe(got)} (asked: {colour.name}), {gap:.0f} off in lightness and chroma",
        ctx.t.recolour_grey / 2,
    )


def _named_object(ctx: PairContext, core: np.ndarray, source: Colour) -> Finding:
    """The request names the object by its colour ("recolor the orange suit blue"): the changed
    area had that colour before."""
    want = lab_of_rgb(source.rgb)
    before = dominant(ctx.lab_before[core], float(chroma(want)) >= ACHROMATIC_CHROMA)
    if float(chroma(want)) >= ACHROMATIC_CHROMA and float(chroma(before)) >= ACHROMATIC_CHROMA:
        apart = hue_distance(float(hue_degrees(before)), float(hue_degrees(want)))
        de = min(float(ciede2000(before, want)), apart)
    else:
        de = float(ciede2000(before, want))
    return finding(
        "recolour-source",
        de,
        ctx.t.source_de,
        de <= ctx.t.source_de,
        f"the changed object was {describe(before)} before (the request names a {source.name} one)",
        ctx.t.source_de / 2,
    )


def _pattern(ctx: PairContext, core: np.ndarray) -> Finding:
    """The object's own pattern and shading kept: its fine structure before and after correlate."""
    before, after = high_pass(ctx.grey_before)[core], high_pass(ctx.grey_after)[core]
    if before.std() < MIN_TEXTURE:
        return cannot_measure("recolour-pattern", "the object is plain: no pattern to keep")
    if after.std() < 1e-3:
        kept = 0.0
    else:
        kept = float(np.corrcoef(before, after)[0, 1])
    message = f"the object's pattern and shading correlate {kept:.2f} with the original's"
    return finding("recolour-pattern", kept, ctx.t.pattern_kept, kept >= ctx.t.pattern_kept, message, 0.2)
