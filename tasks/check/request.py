"""Which measures an edit's request calls for, read from the plan's structured intent.

    background  tasks/check/background.py  the new background around a kept product
    blur        tasks/check/background.py  a blurred background, the product kept
    recolour    tasks/check/recolour.py    the named object in the asked colour, nothing else
    text        tasks/check/text.py        the new words exactly, the old ones gone
    remove      tasks/check/removal.py     the thing gone without a trace (text.py: its words)
    keep        here                       what the request said to keep is unchanged
    faces       tasks/check/face.py        a face the request does not name is the same
    any edit    tasks/check/text.py        no words invented (OCR)

A measure that cannot be taken says so (tasks/check/findings.py): it never counts in the
edit's favour, and the risk model (tasks/check/risk.py) sends the edit to a person when a
measure its action needs is missing.
"""

from __future__ import annotations

import re

import numpy as np

from config.contracts import Finding
from routing.vocabulary import load_vocabulary
from tasks.check.background import background, background_blur
from tasks.check.context import PairContext, names_the_product
from tasks.check.face import face_kept, names_a_face
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import border
from tasks.check.recolour import recolour
from tasks.check.removal import removal
from tasks.check.scope import outline
from tasks.check.text import invented, text_edit, text_like, words_removed

_EVERYTHING_ELSE = "everything else"
KEEP_BORDER = 0.1  # "keep the background": the outer tenth of the frame on every side
# what to keep that the measures of the rest check (the structure and colour outside the edit, the
# product's look, the layout): no place of its own to compare
_MEASURED_ELSEWHERE = re.compile(
    r"阴影|影子|倒影|高光|反光|光影|光泽|纹理|质感|图案|花纹|条纹|格子|褶皱|印花|构图|位置|大小|比例|角度|姿势|形状|样式|"
    r"shadows?|reflections?|highlights?|shading|gloss|texture|patterns?|stripes?|checks?|folds?|wrinkles?|"
    r"print|composition|position|layout|framing|angle|pose|shape|proportions?|style|look"
)


def request_findings(ctx: PairContext, instruction: str) -> list[Finding]:
    """Every measure the request calls for (`instruction` as written, for the words the intent
    does not structure: a face named or not)."""
    findings: list[Finding] = []
    intent = ctx.intent
    action = ctx.action
    if intent is not None:
        if action == "background":
            findings += background(ctx)
        elif action == "blur":
            findings += background_blur(ctx)
        elif action == "recolour" and intent.colour is not None:
            findings += recolour(ctx) + outline(ctx)
        if action == "text":
            findings += text_edit(ctx)
        elif action == "remove":
            findings += removal(ctx) + outline(ctx)
            if text_like(intent):
                findings += words_removed(ctx)
        if action not in ("text", "style") and ctx.by_model:
            findings += invented(ctx)
        findings += keep(ctx)
    findings += face_kept(ctx, instruction)
    return findings


def keep(ctx: PairContext) -> list[Finding]:
    """What the instruction said to keep must not have changed."""
    out: list[Finding] = []
    v = load_vocabulary()
    changed, intent, t = ctx.changed, ctx.intent, ctx.t
    for what in intent.keep:
        if what in (_EVERYTHING_ELSE, "colour", "size", "aspect"):
            continue  # checked by the scope, colour-cast and size measures
        if what == "font":
            out.append(cannot_measure("keep", "whether the font is kept (no font measure)"))
            continue
        if names_a_face(what) or _MEASURED_ELSEWHERE.search(what.lower()):
            continue  # a face: the face measure; a look or a layout: the measures of the rest
        region = v.region_in(what)
        if v.action_of_only("background", what):  # the background is what reaches the edges
            where, label = (
                border(changed.shape, max(3, round(KEEP_BORDER * min(changed.shape)))),
                "the background",
            )
        elif intent.action in ("background", "blur") and not region:
            continue  # the product and what is on it: the product measures of the background edit
        elif names_the_product(what):
            if ctx.subject is None:
                out.append(cannot_measure("keep", f"'{what}': no product found to compare"))
                continue
            where, label = ctx.subject, what
        elif region:
            (rx0, rx1), (ry0, ry1) = region.box
            h, w = changed.shape
            where = np.zeros_like(changed)
            where[int(ry0 * h) : int(ry1 * h), int(rx0 * w) : int(rx1 * w)] = True
            label = f"the {region.name} of the frame"
        else:  # a thing the checks cannot find by name: kept if nothing outside the edit changed
            continue
        share = float(changed[where].mean()) if where.any() else 0.0
        message = f"{share:.0%} of {label} changed (asked to keep it)"
        out.append(finding("keep", share, t.kept_changed, share <= t.kept_changed, message, 0.1))
    return out
