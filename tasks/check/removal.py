"""Measures of a removal: the named thing changed all over its outline, nothing of it is left
(no faded ghost of it: its structure no longer correlates with what is there now), and what
fills its place matches the surroundings in colour and texture (no new object, no smeared
blotch). That the change follows the thing's outline (the product beside it not bitten into)
is tasks/check/scope.py: outline.

Pure functions of a PairContext (tasks/check/context.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import fill_holes, grow, shrink

MIN_STRUCTURE = 1.5  # grey levels of fine structure below which the removed thing had none
FOREIGN = 12.0  # CIELAB distance from every colour of the surroundings: a colour they do not have


def removal(ctx: PairContext) -> list[Finding]:
    changed = ctx.changed if ctx.changed.sum() >= 20 else ctx.faint  # a faint mark changes little
    if changed.sum() < 20:
        return [cannot_measure("removed", "nothing changed, so nothing was removed")]
    core = shrink(changed, 3)
    core = core if core.sum() >= 20 else changed  # undo the changed mask's growth
    filled = _surroundings_fill(ctx.grey_after, changed)
    out = [_covered(ctx, core), _ghost(ctx, core, filled), _blends_in(ctx, changed, core)]
    if _compact(changed, core):  # a thing's place, not the thin strokes of a mark
        out.append(_texture(ctx, changed, core))
    return out


def _surroundings_fill(grey: np.ndarray, changed: np.ndarray) -> np.ndarray:
    """What the surroundings of the changed area predict inside it (a smooth fill from its edge)."""
    return cv2.inpaint(grey, changed.astype(np.uint8), 3, cv2.INPAINT_TELEA).astype(np.float32)


def _compact(changed: np.ndarray, core: np.ndarray) -> bool:
    return bool(core.sum() >= 0.35 * changed.sum())


def _covered(ctx: PairContext, core: np.ndarray) -> Finding:
    """The change covers the whole of the area it outlines, not just a ring or a rim around a
    thing left in place."""
    covered = float(core.sum() / fill_holes(core).sum())
    message = f"the change covers {covered:.0%} of the area it outlines" + (
        "" if covered >= ctx.t.removal_covered else " (something inside was left as it was)"
    )
    return finding("removed", covered, ctx.t.removal_covered, covered >= ctx.t.removal_covered, message, 0.2)


def _ghost(ctx: PairContext, core: np.ndarray, filled: np.ndarray) -> Finding:
    """Nothing of the removed thing left: what the edit took away (before - after) does not show
    in what is there now beyond what the surroundings predict (after - fill). A faded copy does;
    a clean fill, or the product's own print kept under a removed watermark, does not."""
    removed = (ctx.grey_before.astype(np.float32) - ctx.grey_after.astype(np.float32))[core]
    left = (ctx.grey_after.astype(np.float32) - filled)[core]
    if removed.std() < MIN_STRUCTURE:
        return cannot_measure("removal-ghost", "the removed thing had no structure to look for")
    ghost = max(0.0, float(np.corrcoef(removed, left)[0, 1])) if left.std() > 1e-3 else 0.0
    message = f"what was removed still shows through at {ghost:.2f}"
    return finding("removal-ghost", ghost, ctx.t.removal_ghost, ghost <= ctx.t.removal_ghost, message, 0.15)


def _blends_in(ctx: PairContext, changed: np.ndarray, core: np.ndarray) -> Finding:
    """What fills the place (`changed`: where the edit changed it, faintly for a faint mark) is
    made of its surroundings' colours: a new object, a sticker, a patch of another tone brings
    colours the surroundings do not have (a fill, however it was made, takes them from around)."""
    ring = grow(changed, max(4, 2 * ctx.band)) & ~changed
    if ring.sum() < 30:
        return cannot_measure("removal-foreign", "no surroundings left to compare the filled area with")
    around = ctx.lab_after[ring][:: max(1, int(ring.sum()) // 3000)].astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # OpenCV's global generator: the same pair measures the same
    _, _, centres = cv2.kmeans(around, min(8, len(around)), None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    inside = ctx.lab_after[core].astype(np.float32)
    nearest = np.min(np.linalg.norm(inside[:, None, :] - centres[None], axis=2), axis=1)
    share = float((nearest > FOREIGN).mean())
    t = ctx.t.removal_foreign
    message = f"{share:.0%} of the filled area has colours its surroundings do not have"
    return finding("removal-foreign", share, t, share <= t, message, t)


def _texture(ctx: PairContext, changed: np.ndarray, core: np.ndarray) -> Finding:
    """A thing's place is no busier than its surroundings (a new object is; a fill flatter than its
    surroundings is how many good removals look, so flatter does not count)."""
    ring = grow(changed, max(3, round(0.5 * np.sqrt(changed.sum())))) & ~changed
    laplacian = np.abs(cv2.Laplacian(ctx.grey_after, cv2.CV_32F))
    inside, around = float(laplacian[core].mean()), float(laplacian[ring].mean()) if ring.any() else 0.0
    texture = float(np.log((inside + 1.0) / (around + 1.0)))
    return finding(
        "removal-texture",
        texture,
        ctx.t.removal_texture,
        texture <= ctx.t.removal_texture,
        f"the filled area has {(inside + 1) / (around + 1):.1f}x the texture around it",
        ctx.t.removal_texture / 2,
    )
