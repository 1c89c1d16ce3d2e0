"""One edit as every measure sees it: the pictures, their working copies, what changed and where,
what was asked (the plan's intent and the scope it implies), and the product's outline.

Made once per check (`PairContext.of`); the measures are pure functions of it. The costly parts
(the product's outline, CIELAB copies) are computed on first use only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from config.contracts import MODEL_OP, Intent, Plan
from config.ops import RESIZING_OPS
from config.thresholds import Thresholds
from routing.normalize import normalise
from routing.scope import scope_of
from routing.vocabulary import load_vocabulary
from tasks.check.colour import lab_of_bgr
from tasks.check.measures import Frames, bgr, changed_mask, difference, grey, high_pass, ssim_map
from tasks.check.subject import product_of_background_edit, subject_mask

REPLACED_LEVEL = 6.0  # grey levels (blurred, small grid) above which a background edit changed a pixel
DETAIL_DROP = 1.5  # grey levels of fine detail a blurred background loses
_PRODUCT = re.compile(r"产品|商品|主体|物体|product|subject|item|object")


def names_the_product(words: str) -> bool:
    """Do these words (a target, a thing to keep) name the product itself?"""
    return bool(_PRODUCT.search(words.lower()))


@dataclass(frozen=True)
class Expectation:
    scope: str  # local | background | global
    region: tuple[tuple[float, float], tuple[float, float]] | None  # where a local edit belongs
    size_may_change: bool


def expectation(instruction: str | None, plan: Plan | None) -> Expectation:
    """What the request lets change: a local part (and where), everything but the product, or
    the whole look (the scope the router put in the intent; read from the words only for a plan
    cached before it did, or for no plan); and whether the frame's size may change."""
    ops = plan.ops if plan else ()
    intent = plan.intent if plan else None
    words = load_vocabulary()
    prompt = normalise((plan.model_prompt if plan else None) or instruction or "")
    if bool(ops) and all(op.name != MODEL_OP for op in ops):
        scope = "global"  # OpenCV edits the whole picture
    elif intent is not None and intent.scope is not None:
        scope = intent.scope
    else:
        scope = scope_of(intent.action if intent else None, prompt, words)
    region = None
    if scope == "local":  # the router's region, from the vocabulary the checks share with it
        named = intent.region if intent else words.region_in(prompt)
        region = named.box if named else None
    return Expectation(scope, region, any(op.name in RESIZING_OPS for op in ops))


@dataclass
class PairContext:
    """`before`/`after` are full size (8-bit BGR); `changed` is on the grid of the small copies."""

    before: np.ndarray
    after: np.ndarray
    frames: Frames
    diff: np.ndarray
    changed: np.ndarray
    intent: Intent | None
    expect: Expectation
    t: Thresholds
    by_model: bool  # a model made the edit (it may invent what OpenCV cannot: words, objects)

    @classmethod
    def of(
        cls,
        before: np.ndarray,
        after: np.ndarray,
        instruction: str | None,
        plan: Plan | None,
        t: Thresholds,
        by_model: bool = True,
    ) -> PairContext:
        frames = Frames.of(before, after)
        diff = difference(frames)
        return cls(
            bgr(before),
            bgr(after),
            frames,
            diff,
            changed_mask(diff, t.changed_level),
            plan.intent if plan else None,
            expectation(instruction, plan),
            t,
            by_model,
        )

    @cached_property
    def faint(self) -> np.ndarray:
        """Where the picture changed at all (a thin, half-transparent watermark removed, a word on
        a print changed): the change mask at the lower no-op level."""
        return changed_mask(self.diff, self.t.noop_level)

    @property
    def action(self) -> str | None:
        return self.intent.action if self.intent else None

    @cached_property
    def subject(self) -> np.ndarray | None:
        """The product in the before picture (small grid), None when none stands out. For a
        background edit, what the edit replaced tells the old backdrop's colours."""
        if self.action in ("background", "blur"):
            found = product_of_background_edit(self.frames.small_before, self.replaced)
            if found is not None:
                return found
        return subject_mask(self.frames.small_before)

    @cached_property
    def replaced(self) -> np.ndarray:
        """What a background edit replaced: every pixel that changed more than a VAE round trip
        changes it (a near-white backdrop made pure white changes by a few levels only)."""
        replaced = self.diff > REPLACED_LEVEL
        if self.action == "blur":  # a blur changes textured parts by their detail, not their colour
            detail = [
                cv2.GaussianBlur(np.abs(high_pass(g, 1.0)), (0, 0), 2.0)
                for g in (self.grey_before, self.grey_after)
            ]
            replaced |= detail[0] - detail[1] > DETAIL_DROP
        return replaced

    @cached_property
    def lab_before(self) -> np.ndarray:
        return lab_of_bgr(self.frames.small_before)

    @cached_property
    def lab_after(self) -> np.ndarray:
        return lab_of_bgr(self.frames.small_after)

    @cached_property
    def grey_before(self) -> np.ndarray:
        return cv2.cvtColor(self.frames.small_before, cv2.COLOR_BGR2GRAY)

    @cached_property
    def grey_after(self) -> np.ndarray:
        return cv2.cvtColor(self.frames.small_after, cv2.COLOR_BGR2GRAY)

    @cached_property
    def structure(self) -> np.ndarray:
        """The SSIM map of the small greys (the product's and the rest's structure kept)."""
        return ssim_map(self.grey_before, self.grey_after)

    @cached_property
    def full_greys(self) -> tuple[np.ndarray, np.ndarray]:
        """The full-size greys, before and after (detail, blocks, faces)."""
        return grey(self.before), grey(self.after)

    @property
    def band(self) -> int:
        """A product's soft edge on the small grid (and the outline's uncertainty): 1.5% of the
        short side, at least 3 pixels."""
        return max(3, round(0.015 * min(self.changed.shape)))
