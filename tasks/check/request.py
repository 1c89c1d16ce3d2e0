"""Checks that an edit did what was asked, driven by the plan's structured intent.

Pure functions over arrays. Each returns Findings in the shape of tasks/checks.py; a check that
cannot measure (no subject found, an empty change, OCR missing, a kept thing it cannot locate)
returns a failing "cannot measure" finding: the item goes to a person, it never passes.

    background  the new background has the named colour (pure white: nearly every pixel >= 250),
                it reaches the frame's border, and the product found in the before image is kept
    recolour    the changed area's colour is the named one, on one connected object
    text        OCR before and after: the new words are there, the old ones gone
    remove      the named thing changed and is no longer there (OCR for text-like marks)
    keep        what the instruction said to keep is unchanged
    seams       no regular tile seams across the change
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from config.contracts import Finding, Intent
from config.thresholds import Thresholds
from routing.vocabulary import load_vocabulary
from tasks.check import ocr
from tasks.check.colour import (
    ACHROMATIC_CHROMA,
    chroma,
    ciede2000,
    hue_degrees,
    hue_distance,
    lab_of_bgr,
    lab_of_rgb,
)
from tasks.check.findings import cannot_measure, finding
from tasks.check.measures import Frames, bgr

_TEXT_MARKS = re.compile(
    r"水印|文字|字样|字|文案|标语|价格|价签|logo|标志|商标|标签|watermark|text|words?|"
    r"caption|slogan|price|tag|label|logo|stamp|signature|date|\u00a9"
)
_SUBJECT = re.compile(r"产品|商品|主体|物体|product|subject|item|object")
_EVERYTHING_ELSE = "everything else"
FEATHER = 0.03  # share of the short side between a kept product and its new background
KEEP_BORDER = 0.1  # "keep the background": the outer tenth of the frame on every side
SEAM_LEVEL = 2.0  # grey levels of extra edge a seam line carries along most of its length


def needs_subject(intent: Intent | None) -> bool:
    """Does checking this request need the product's outline (tasks/subject.py)?"""
    return intent is not None and (
        intent.action in ("background", "blur") or any(_SUBJECT.search(what) for what in intent.keep)
    )


def request_findings(
    before: np.ndarray,
    after: np.ndarray,
    frames: Frames,
    changed: np.ndarray,
    subject: np.ndarray | None,
    intent: Intent | None,
    t: Thresholds,
) -> list[Finding]:
    """Every check the request calls for. `before`/`after` are full size (OCR reads them),
    `frames` the working copies (`changed` is on the grid of their small copies), `subject` the
    product found in the before image (None when not needed or not found)."""
    findings: list[Finding] = []
    if intent is not None:
        if intent.action == "background":
            findings += background(frames.small_after, changed, subject, intent, t)
        elif intent.action == "blur":
            findings += background_blur(frames, changed, subject, t)
        elif intent.action == "recolour" and intent.colour is not None:
            findings += recolour(frames.small_after, changed, intent, t)
        if intent.action == "text" or (intent.action == "remove" and _text_like(intent)):
            findings += text(before, after, changed, intent)
        if intent.action == "remove":
            findings += removal(changed, t)
        findings += keep(changed, subject, intent, t)
    findings += seams(frames, changed, t)
    return findings


# ------------------------------------------------------------------------------------------------
# background


def background(
    small_after: np.ndarray, changed: np.ndarray, subject: np.ndarray | None, intent: Intent, t: Thresholds
) -> list[Finding]:
    """A new background: at the frame's border, of the named colour, around a kept product."""
    out: list[Finding] = []
    border = _border(changed)
    new = changed.copy()
    if intent.colour is not None:  # a border already of the asked colour needed no change
        asked = lab_of_rgb(intent.colour.rgb)
        new[border] |= ciede2000(lab_of_bgr(small_after[border][:, :3]), asked) <= t.background_de
    covered = float(new[border].mean())
    out.append(
        finding(
            "background-border",
            covered,
            t.border_changed,
            covered >= t.border_changed,
            f"{covered:.0%} of the frame's border changed for a new background",
            0.3,
        )
    )
    if subject is None:
        kept = ~changed
        share = float(kept.mean())
        if share < 0.03:
            out.append(
                cannot_measure(
                    "product",
                    f"no product found in the before image and only {share:.0%} of the frame left unchanged",
                )
            )
        else:
            out.append(
                finding(
                    "product",
                    share,
                    0.03,
                    True,
                    f"{share:.0%} of the frame kept (no separable product found to compare)",
                    0.1,
                )
            )
    else:
        kept_share = float((~changed)[subject].mean())
        out.append(
            finding(
                "product",
                kept_share,
                t.subject_kept,
                kept_share >= t.subject_kept,
                f"{kept_share:.0%} of the product left unchanged"
                + ("" if kept_share >= t.subject_kept else " (product lost or altered)"),
                0.3,
            )
        )
    if intent.colour is not None:
        # the new background, away from the product's soft edge (a feather band of ~3% of the side)
        band = max(4, round(FEATHER * min(changed.shape)))
        region = changed & ~_grow(~changed, band)
        out.append(_colour_of_background(small_after, region, intent, t))
    return out


def _colour_of_background(
    small_after: np.ndarray, region: np.ndarray, intent: Intent, t: Thresholds
) -> Finding:
    colour = intent.colour
    if region.sum() < 50:
        return cannot_measure("background-colour", "too little new background to read its colour")
    pixels = small_after[region][:, :3]
    if colour.pure and colour.rgb == (255, 255, 255):
        share = float((pixels.min(axis=1) >= t.pure_level).mean())
        return finding(
            "background-colour",
            share,
            t.pure_share,
            share >= t.pure_share,
            f"background {share:.0%} pure white (asked: {colour.name}, every channel >= {t.pure_level})",
            0.05,
        )
    got = np.median(lab_of_bgr(pixels), axis=0)
    de = float(ciede2000(got, lab_of_rgb(colour.rgb)))
    return finding(
        "background-colour",
        de,
        t.background_de,
        de <= t.background_de,
        f"background is {_describe(got)} (asked: {colour.name}), CIEDE2000 {de:.1f}",
        t.background_de,
    )


def background_blur(
    frames: Frames, changed: np.ndarray, subject: np.ndarray | None, t: Thresholds
) -> list[Finding]:
    """A blurred background: less detail at the frame's border than before, the product kept."""
    out: list[Finding] = []
    grey_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2GRAY)
    grey_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2GRAY)
    band = _border(changed, max(3, round(KEEP_BORDER * min(changed.shape))))
    if subject is not None:
        band &= ~_grow(subject, 3)
    detail_b = float(np.abs(cv2.Laplacian(grey_b, cv2.CV_32F))[band].mean())
    if detail_b < t.min_detail:
        return [cannot_measure("background-blur", "the background is plain: no detail to blur")]
    ratio = float(np.abs(cv2.Laplacian(grey_a, cv2.CV_32F))[band].mean()) / detail_b
    out.append(
        finding(
            "background-blur",
            ratio,
            t.blurred_detail,
            ratio <= t.blurred_detail,
            f"the background keeps {ratio:.0%} of its detail (asked: blurred)",
            0.2,
        )
    )
    if subject is None:
        out.append(cannot_measure("product", "no product found in the before image"))
    else:
        kept = float((~changed)[subject].mean())
        out.append(
            finding(
                "product",
                kept,
                t.subject_kept,
                kept >= t.subject_kept,
                f"{kept:.0%} of the product left unchanged",
                0.3,
            )
        )
    return out


# ------------------------------------------------------------------------------------------------
# object recolour


def recolour(small_after: np.ndarray, changed: np.ndarray, intent: Intent, t: Thresholds) -> list[Finding]:
    core = cv2.erode(changed.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if core.sum() < 30:
        return [cannot_measure("recolour", "the changed area is too small to read its colour")]
    got = np.median(lab_of_bgr(small_after[core][:, :3]), axis=0)
    want = lab_of_rgb(intent.colour.rgb)
    name = intent.colour.name
    if float(chroma(want)) < ACHROMATIC_CHROMA or float(chroma(got)) < ACHROMATIC_CHROMA:
        de = float(ciede2000(got, want))
        colour_ok = de <= t.recolour_de
        first = finding(
            "recolour",
            de,
            t.recolour_de,
            colour_ok,
            f"changed area is {_describe(got)} (asked: {name}), CIEDE2000 {de:.1f}",
            t.recolour_de,
        )
    else:
        got_hue, want_hue = float(hue_degrees(got)), float(hue_degrees(want))
        apart = hue_distance(got_hue, want_hue)
        # a navy asked and a darker blue made: the same family of hue counts as right
        same_family = _hue_family(got_hue) == _hue_family(want_hue)
        first = finding(
            "recolour",
            apart,
            t.recolour_hue,
            apart <= t.recolour_hue or same_family,
            f"changed area is {_describe(got)} (asked: {name}), hue {apart:.0f}° away",
            t.recolour_hue,
        )
    _, _, stats, _ = cv2.connectedComponentsWithStats(changed.astype(np.uint8), connectivity=8)
    areas = np.sort(stats[1:, cv2.CC_STAT_AREA])[::-1]
    # a piece counts when it is more than a speck: 0.3% of the frame or 5% of the main piece
    pieces = int((areas >= max(0.003 * changed.size, 0.05 * areas[0])).sum()) if areas.size else 0
    share = float(areas[0] / areas.sum()) if areas.size else 0.0
    second = finding(
        "one-object",
        share,
        t.recolour_connected,
        share >= t.recolour_connected and pieces <= t.recolour_pieces,
        f"{share:.0%} of the change is on one connected object ({pieces} separate places)"
        if pieces > 1
        else f"{share:.0%} of the change is on one object",
        0.2,
    )
    return [first, second]


# ------------------------------------------------------------------------------------------------
# text


def text(before: np.ndarray, after: np.ndarray, changed: np.ndarray, intent: Intent) -> list[Finding]:
    """OCR of the changed area (and a margin) before and after."""
    if not changed.any():
        return [cannot_measure("text", "nothing changed where text could be read")]
    box = _scaled_box(changed, before.shape, margin=0.15)
    try:
        lines_before = ocr.read_lines(_crop(before, box))
        lines_after = ocr.read_lines(_crop(after, box))
    except ocr.OcrUnavailable as exc:
        return [cannot_measure("text", f"OCR unavailable: {exc}")]
    read = "; ".join(line.text for line in lines_after) or "nothing"
    out: list[Finding] = []
    if intent.new_text:
        present, closest = ocr.found(intent.new_text, lines_after)
        out.append(
            Finding(
                "text-new",
                None,
                None,
                present,
                f"text reads '{closest or read}', asked '{intent.new_text}'"
                if not present
                else f"'{intent.new_text}' is there",
                1.0 if present else 0.0,
            )
        )
    old = intent.old_text
    if old and intent.action in ("text", "remove"):
        was, _ = ocr.found(old, lines_before)
        old_after = lines_after
        if not was:  # the old words are not where the change is: read the whole frames
            try:
                was, _ = ocr.found(old, ocr.read_lines(bgr(before)))
                old_after = ocr.read_lines(bgr(after)) if was else old_after
            except ocr.OcrUnavailable as exc:
                return [cannot_measure("text", f"OCR unavailable: {exc}")]
        if not was:
            out.append(cannot_measure("text-old", f"'{old}' could not be read in the before image"))
        else:
            still, _ = ocr.found(old, old_after)
            if intent.new_text and ocr.canonical(old) in ocr.canonical(intent.new_text):
                still = False  # "SALE" -> "SALE 50%": the old words live on inside the new
            out.append(
                Finding(
                    "text-old",
                    None,
                    None,
                    not still,
                    f"'{old}' still reads after the edit" if still else f"'{old}' is gone",
                    0.0 if still else 1.0,
                )
            )
    if intent.action == "text" and old:  # other words near the change stay as they were
        others = [
            line.text
            for line in lines_before
            if not ocr.found(old, [line])[0]
            and not (intent.new_text and ocr.found(intent.new_text, [line])[0])
        ]
        changed_words = [text for text in others if not ocr.found(text, lines_after)[0]]
        if others:
            out.append(
                Finding(
                    "text-other",
                    None,
                    None,
                    not changed_words,
                    f"other text changed too: {', '.join(changed_words)}"
                    if changed_words
                    else f"other text kept: {', '.join(others)}",
                    0.0 if changed_words else 1.0,
                )
            )
    if intent.action == "remove" and not old and lines_before:
        kept = [line.text for line in lines_before if ocr.found(line.text, lines_after)[0]]
        out.append(
            Finding(
                "text-removed",
                None,
                None,
                not kept,
                f"text still reads after the removal: {', '.join(kept)}"
                if kept
                else f"'{'; '.join(line.text for line in lines_before)}' no longer reads",
                0.0 if kept else 1.0,
            )
        )
    elif intent.action == "remove" and not old:
        return out  # a mark without letters: the removal check judges it
    if intent.language and not intent.new_text:
        latin = sum(len(re.findall(r"[A-Za-z]", line.text)) for line in lines_after)
        cjk = sum(len(re.findall(r"[\u3400-\u9fff]", line.text)) for line in lines_after)
        ok = (latin >= 2 and cjk == 0) if intent.language == "english" else cjk >= 1
        out.append(
            Finding(
                "text-language",
                None,
                None,
                ok,
                f"text reads '{read}' (asked: {intent.language})",
                1.0 if ok else 0.0,
            )
        )
    if not out:
        out.append(cannot_measure("text", "the instruction names no words to look for"))
    return out


def _text_like(intent: Intent) -> bool:
    """A removal of text or a mark OCR can read: quoted words, a text word in the target, or an
    unnamed target (OCR then tells whether what was there could be read)."""
    return bool(intent.old_text or not intent.target or _TEXT_MARKS.search(intent.target.lower()))


# ------------------------------------------------------------------------------------------------
# removal


def removal(changed: np.ndarray, t: Thresholds) -> list[Finding]:
    """What was removed must be gone where it was: the change covers the whole of the area it
    outlines, not just a ring or a rim around a thing left in place."""
    if changed.sum() < 20:
        return [cannot_measure("removed", "nothing changed, so nothing was removed")]
    core = cv2.erode(changed.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    core = core if core.sum() >= 20 else changed  # undo the changed mask's growth
    covered = float(core.sum() / _fill_holes(core).sum())
    return [
        finding(
            "removed",
            covered,
            t.removal_covered,
            covered >= t.removal_covered,
            f"the change covers {covered:.0%} of the area it outlines"
            + ("" if covered >= t.removal_covered else " (something inside was left as it was)"),
            0.2,
        )
    ]


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask.astype(np.uint8), 1)
    outside = padded.copy()
    cv2.floodFill(outside, None, (0, 0), 1)
    return (mask | (outside[1:-1, 1:-1] == 0)).astype(bool)


# ------------------------------------------------------------------------------------------------
# keep-constraints


def keep(changed: np.ndarray, subject: np.ndarray | None, intent: Intent, t: Thresholds) -> list[Finding]:
    """What the instruction said to keep must not have changed."""
    out: list[Finding] = []
    v = load_vocabulary()
    for what in intent.keep:
        if what in (_EVERYTHING_ELSE, "colour", "size", "aspect"):
            continue  # checked by the scope, colour-cast and size checks
        if what == "font":
            out.append(cannot_measure("keep", "whether the font is kept (no font measure)"))
            continue
        region = v.region_in(what)
        if v.action_of_only("background", what):  # the background is what reaches the edges
            where, label = _border(changed, max(3, round(KEEP_BORDER * min(changed.shape)))), "the background"
        elif intent.action in ("background", "blur") and not region:
            continue  # the product and what is on it: the `product` check of the background edit
        elif _SUBJECT.search(what):
            if subject is None:
                out.append(cannot_measure("keep", f"'{what}': no product found to compare"))
                continue
            where, label = subject, what
        elif region:
            (rx0, rx1), (ry0, ry1) = region.box
            h, w = changed.shape
            where = np.zeros_like(changed)
            where[int(ry0 * h) : int(ry1 * h), int(rx0 * w) : int(rx1 * w)] = True
            label = f"the {region.name} of the frame"
        else:
            out.append(cannot_measure("keep", f"cannot locate '{what}' to check it is kept"))
            continue
        share = float(changed[where].mean()) if where.any() else 0.0
        out.append(
            finding(
                "keep",
                share,
                t.kept_changed,
                share <= t.kept_changed,
                f"{share:.0%} of {label} changed (asked to keep it)",
                0.1,
            )
        )
    return out


# ------------------------------------------------------------------------------------------------
# artifacts: regular tile seams


def seams(frames: Frames, changed: np.ndarray, t: Thresholds) -> list[Finding]:
    """Regular seams (a tiled generation) are straight lines across the whole change, at a
    fixed spacing: columns (or rows) whose extra edge energy is high along most of their length.
    The median along each line ignores letters, objects and texture, which cover only part."""
    if not changed.any():
        return []
    grey_b, grey_a = frames.grey_before, frames.grey_after
    x0, y0, x1, y1 = _scaled_box(changed, grey_a.shape)
    if x1 - x0 < 48 or y1 - y0 < 48:
        return []
    part_b, part_a = grey_b[y0:y1, x0:x1], grey_a[y0:y1, x0:x1]
    inside = cv2.resize(changed.astype(np.uint8), grey_a.shape[::-1], interpolation=cv2.INTER_NEAREST)[
        y0:y1, x0:x1
    ].astype(bool)
    count = max(_regular_lines(part_b, part_a, inside, axis, grey_a.shape[axis]) for axis in (0, 1))
    return [
        finding(
            "seams",
            count,
            t.seams,
            count < t.seams,
            f"{count} regularly spaced straight seams across the change"
            if count >= t.seams
            else "no regular tile seams across the change",
            2,
        )
    ]


def _regular_lines(before: np.ndarray, after: np.ndarray, inside: np.ndarray, axis: int, length: int) -> int:
    """How many evenly spaced lines (columns for axis 0) cross the change as steps in the
    difference image, along the part of their length inside the change, where the before image
    had no line of its own (a tower's lattice or a cat's whiskers are not seams)."""
    difference = after.astype(np.float32) - before.astype(np.float32)
    steps = np.abs(np.diff(difference, axis=1 - axis))
    own = np.abs(np.diff(before.astype(np.float32), axis=1 - axis))
    where = inside[:, 1:] if axis == 0 else inside[1:, :]
    if axis == 1:
        where, steps, own = where.T, steps.T, own.T
    # lines mostly inside the change and long: a fifth of the picture (letters are shorter)
    counted = (where.sum(axis=0) >= 0.3 * where.shape[0]) & (where.sum(axis=0) >= 0.2 * length)
    if counted.sum() < 24:
        return 0

    inside_counts = where[:, counted].sum(axis=0)

    def along(values: np.ndarray) -> np.ndarray:
        """The median of each counted line over its length inside the change (one sort)."""
        ranked = np.sort(np.where(where[:, counted], values[:, counted], np.inf), axis=0)
        out = np.zeros(values.shape[1], np.float32)
        out[counted] = ranked[(inside_counts - 1) // 2, np.arange(ranked.shape[1])]
        return out

    def raised(profile: np.ndarray) -> np.ndarray:
        base = float(np.median(profile[counted]))
        spread = float(np.median(np.abs(profile[counted] - base)))
        return counted & (profile >= base + max(SEAM_LEVEL, 3 * spread))

    seam, mine = along(steps), along(own)
    peaks = np.flatnonzero(raised(seam) & (seam - mine >= SEAM_LEVEL) & ~raised(mine))
    if peaks.size < 3:
        return 0
    runs = np.split(peaks, np.flatnonzero(np.diff(peaks) > 1) + 1)
    lines = [int(run.mean()) for run in runs if run.size <= 6]  # seams are thin; stripes are not
    if len(lines) < 3:
        return 0
    gaps = np.diff(lines)
    step = float(np.median(gaps))
    regular = gaps[np.abs(gaps - step) <= max(2.0, 0.08 * step)]
    return int(regular.size + 1) if step >= 8 and regular.size >= 2 else 0


# ------------------------------------------------------------------------------------------------
# helpers (geometry of masks)


def _border(mask: np.ndarray, width: int = 3) -> np.ndarray:
    border = np.zeros(mask.shape, bool)
    border[:width], border[-width:], border[:, :width], border[:, -width:] = True, True, True, True
    return border


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    size = 2 * pixels + 1
    return cv2.dilate(mask.astype(np.uint8), np.ones((size, size), np.uint8)).astype(bool)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _scaled_box(mask: np.ndarray, shape: tuple[int, ...], margin: float = 0.0) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = _box(mask)
    sy, sx = shape[0] / mask.shape[0], shape[1] / mask.shape[1]
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return (
        max(0, int((x0 - mx) * sx)),
        max(0, int((y0 - my) * sy)),
        min(shape[1], int((x1 + mx) * sx)),
        min(shape[0], int((y1 + my) * sy)),
    )


def _crop(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return bgr(img[y0:y1, x0:x1])


_NAMES = [
    ("pink", 15),
    ("red", 50),
    ("orange", 78),
    ("yellow", 115),
    ("green", 180),
    ("cyan", 240),
    ("blue", 310),
    ("purple", 340),
    ("pink", 361),
]  # by CIE Lab hue angle


_FAMILIES = {
    "red": 40,
    "orange": 64,
    "yellow": 94,
    "green": 141,
    "cyan": 205,
    "blue": 296,
    "purple": 317,
    "magenta": 330,
    "pink": 355,
}  # CIE Lab hue of each family's core


def _hue_family(hue: float) -> str:
    return min(_FAMILIES, key=lambda name: hue_distance(hue, _FAMILIES[name]))


def _describe(lab: np.ndarray) -> str:
    """A plain name for a Lab colour ("light grey", "blue"), for messages."""
    lightness, c = float(lab[0]), float(chroma(lab))
    if c < ACHROMATIC_CHROMA:
        if lightness > 97:
            return "white"
        if lightness > 80:
            return "off-white"
        if lightness > 60:
            return "light grey"
        return "grey" if lightness > 30 else "black"
    hue = float(hue_degrees(lab))
    name = next(n for n, limit in _NAMES if hue < limit)
    return f"{'light ' if lightness > 75 else 'dark ' if lightness < 30 else ''}{name}"
