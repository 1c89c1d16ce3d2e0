"""Measures of text in the picture, read by OCR (tasks/check/ocr.py): for a text edit, the new
words written exactly, the old ones gone (also read with their local contrast stretched, where
a ghost of them could be left), the other words kept and nothing else written; for a removal of
words or a mark, nothing of them legible where they were; for any other edit, no words invented.

OCR reads the changed area (and a margin) of both pictures, at full resolution. Without OCR a
text edit cannot be measured (review); the check for invented words is then not taken.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from config.contracts import Finding, Intent
from tasks.check import ocr
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding, reading
from tasks.check.masks import crop, resized, scaled_box
from tasks.check.measures import grey

MARGIN = 0.15  # of the changed area's size, read around it
TRUSTED = 0.8  # recognition score of words counted as written (invented or left behind)
INVENTED_SIDE = 720  # the changed area is read at most this size when looking for invented words
INK_UNTOUCHED = 10.0  # grey levels within which a line's letters count as left as they were
_TEXT_MARKS = re.compile(
    r"水印|文字|字样|字|文案|标语|价格|价签|logo|标志|商标|标签|watermark|text|words?|"
    r"caption|slogan|price|tag|label|stamp|signature|date|\u00a9"
)


def text_like(intent: Intent) -> bool:
    """A removal of words or a mark OCR can read: quoted words, a text word in the target, or an
    unnamed target (OCR then tells whether what was there could be read)."""
    return bool(intent.old_text or not intent.target or _TEXT_MARKS.search(intent.target.lower()))


def _where(ctx: PairContext) -> np.ndarray:
    """Where the picture changed, or changed at all when the change is faint (a word on a print)."""
    return ctx.changed if ctx.changed.any() else ctx.faint


def _reads(ctx: PairContext) -> tuple[tuple[int, int, int, int], list[ocr.Line], list[ocr.Line]]:
    """The box read (full-size pixels) and the lines read in it before and after: the changed
    area, widened along its rows (a word changed inside a line of text: the whole line is read)."""
    x0, y0, x1, y1 = scaled_box(_where(ctx), ctx.before.shape, margin=MARGIN)
    height, width = ctx.before.shape[:2]
    wide = max((x1 - x0) // 2, width // 10)
    tall = (y1 - y0) // 4
    frame_box = (max(0, x0 - wide), max(0, y0 - tall), min(width, x1 + wide), min(height, y1 + tall))
    return frame_box, ocr.read_lines(crop(ctx.before, frame_box)), ocr.read_lines(crop(ctx.after, frame_box))


def text_edit(ctx: PairContext) -> list[Finding]:
    intent = ctx.intent
    if not _where(ctx).any():
        return [cannot_measure("text", "nothing changed where text could be read")]
    try:
        frame_box, before, after = _reads(ctx)
        out: list[Finding] = []
        if intent.new_text:
            out.append(_new_words(intent.new_text, after))
        if intent.old_text:
            out += _old_words(ctx, intent, frame_box, before, after)
        out += _other_words(intent, before, after)
        if intent.language and not intent.new_text:
            out.append(_language(intent.language, before, after))
    except ocr.OcrUnavailable as exc:
        return [cannot_measure("text", f"OCR unavailable: {exc}")]
    return out or [cannot_measure("text", "the instruction names no words to look for")]


def _new_words(new: str, after: list[ocr.Line]) -> Finding:
    if ocr.exact(new, after):
        return reading("text-new", True, f"'{new}' is written")
    _, closest = ocr.found(new, after, at_least=0.0)
    read = closest or "; ".join(line.text for line in after) or "nothing"
    return reading("text-new", False, f"text reads '{read}', asked '{new}'")


def _old_words(
    ctx: PairContext,
    intent: Intent,
    frame_box: tuple[int, int, int, int],
    before: list[ocr.Line],
    after: list[ocr.Line],
) -> list[Finding]:
    """The old words are gone: not read after, not read with the local contrast stretched where
    they were, and their strokes not left showing between the new letters (a ghost)."""
    found = _old_read(ctx, intent, frame_box, before, after)
    if not found.measured or not found.passed:
        return [found]
    before_all = before if ocr.found(intent.old_text, before)[0] else ocr.read_lines(ctx.before)
    origin = frame_box if before_all is before else (0, 0, ctx.before.shape[1], ctx.before.shape[0])
    return [found, _ghost_strokes(ctx, _line_box(intent.old_text, before_all, origin))]


def _ghost_strokes(ctx: PairContext, where: tuple[int, int, int, int]) -> Finding:
    """Where the old letters' strokes were and no new letter now is, is the after picture the
    plain background of the line, or do the old strokes still show (in the same polarity)?"""
    x0, y0, x1, y1 = where
    before = grey(ctx.before[y0:y1, x0:x1]).astype(np.float32)
    after = grey(ctx.after[y0:y1, x0:x1]).astype(np.float32)
    if before.size < 64:
        return cannot_measure("text-ghost", "the old words' place is too small to look at")
    size = min(255, max(5, (y1 - y0) // 2 * 2 + 1))  # the line's own background: its shading, not its letters
    offset_b = before - cv2.medianBlur(before.astype(np.uint8), size).astype(np.float32)
    offset_a = after - cv2.medianBlur(after.astype(np.uint8), size).astype(np.float32)
    old_ink = np.abs(offset_b) >= max(20.0, float(np.percentile(np.abs(offset_b), 80)))
    strong = max(25.0, 0.6 * float(np.percentile(np.abs(offset_a), 99)))  # the new letters, not a faint ghost
    new_ink = cv2.dilate((np.abs(offset_a) >= strong).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(
        bool
    )
    strokes = old_ink & ~new_ink
    plain = ~old_ink & ~new_ink
    if strokes.sum() < 30 or plain.sum() < 30:
        return cannot_measure("text-ghost", "the new words cover the old ones")
    showing = float(np.median((offset_a * np.sign(offset_b))[strokes]) - np.median(np.abs(offset_a[plain])))
    limit = ctx.t.text_ghost
    message = (
        f"the old letters' strokes still show by {showing:.0f} grey levels"
        if showing > limit
        else "no ghost of the old words"
    )
    return finding("text-ghost", showing, limit, showing <= limit, message, limit / 2)


def _old_read(
    ctx: PairContext,
    intent: Intent,
    frame_box: tuple[int, int, int, int],
    before: list[ocr.Line],
    after: list[ocr.Line],
) -> Finding:
    """The old words are gone, also from a contrast-stretched reading of where they were."""
    old = intent.old_text
    was, _ = ocr.found(old, before)
    if not was:  # the old words are not where the change is: read the whole frames
        before, after = ocr.read_lines(ctx.before), ocr.read_lines(ctx.after)
        frame_box = (0, 0, ctx.before.shape[1], ctx.before.shape[0])
        was, _ = ocr.found(old, before)
    if not was:
        return cannot_measure("text-old", f"'{old}' could not be read in the before picture")
    if intent.new_text and ocr.canonical(old) in ocr.canonical(intent.new_text):
        return reading("text-old", True, f"'{old}' lives on inside '{intent.new_text}', as asked")
    still, _ = ocr.found(old, after)
    if not still:
        where = _line_box(old, before, frame_box)
        still, _ = ocr.found(old, ocr.read_lines(ocr.enhanced(crop(ctx.after, where))), at_least=0.8)
        if still:
            return reading("text-old", False, f"a ghost of '{old}' is still legible under the new text")
    return reading(
        "text-old", not still, f"'{old}' still reads after the edit" if still else f"'{old}' is gone"
    )


def _line_box(
    words: str, lines: list[ocr.Line], frame_box: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """The full-size box of the line that reads `words` (lines read in a crop at `frame_box`)."""
    line = max(lines, key=lambda ln: ocr.similarity(words, ln.text))
    x0, y0, x1, y1 = line.box
    pad = max(4, (y1 - y0) // 2)
    ox, oy = frame_box[0], frame_box[1]
    return (max(0, ox + x0 - pad), max(0, oy + y0 - pad), ox + x1 + pad, oy + y1 + pad)


def _part_of(line: ocr.Line, words: str | None) -> bool:
    """Is this line (a piece of) `words`: the whole, or a piece OCR read on its own."""
    if not words:
        return False
    text, whole = ocr.canonical(line.text), ocr.canonical(words)
    return bool(text) and (text in whole or ocr.similarity(line.text, words) >= 0.8)


def _trusted(line: ocr.Line) -> bool:
    return line.score >= TRUSTED and len(ocr.canonical(line.text)) >= 2


def _other_words(intent: Intent, before: list[ocr.Line], after: list[ocr.Line]) -> list[Finding]:
    """Other words near the change stay as they were, and none is invented."""
    out = []
    others = [
        line.text
        for line in before
        if _trusted(line) and not _part_of(line, intent.old_text) and not _part_of(line, intent.new_text)
    ]
    if others:
        lost = [text for text in others if not ocr.found(text, after, at_least=0.8)[0]]
        message = (
            f"other text changed too: {', '.join(lost)}" if lost else f"other text kept: {', '.join(others)}"
        )
        out.append(reading("text-other", not lost, message))
    translated = intent.language if not intent.new_text else None
    extra = [
        line.text
        for line in after
        if _trusted(line)
        and not _part_of(line, intent.new_text)
        and not _part_of(line, intent.old_text)
        and not ocr.found(line.text, before, at_least=0.8)[0]
        and not (translated and _in_language(line.text, translated))
    ]
    message = f"text nobody asked for: {', '.join(extra)}" if extra else "no other words written"
    out.append(reading("text-extra", not extra, message))
    return out


def _in_language(text: str, language: str) -> bool:
    latin = len(re.findall(r"[A-Za-z]", text))
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return (latin >= 2 and cjk == 0) if language == "english" else cjk >= 1


def _language(language: str, before: list[ocr.Line], after: list[ocr.Line]) -> Finding:
    """The words the edit wrote (read after, not before) are in the asked language."""
    new = [
        line.text for line in after if _trusted(line) and not ocr.found(line.text, before, at_least=0.8)[0]
    ]
    ok = bool(new) and all(_in_language(text, language) for text in new)
    read = "; ".join(new) or "nothing new"
    return reading("text-language", ok, f"the new text reads '{read}' (asked: {language})")


def words_removed(ctx: PairContext) -> list[Finding]:
    """A removal of words or a mark: what was legible where the picture changed is not, even
    with its local contrast stretched. The quoted words when the request names them; else every
    line read in the changed area, except one whose letters did not change at all (the product's
    own print under a removed watermark, left as it was)."""
    if not _where(ctx).any():
        return []
    try:
        frame_box, before, plain = _reads(ctx)
        old = ctx.intent.old_text
        if old:
            targets = [line for line in before if ocr.found(old, [line])[0]]
            if not targets and not ocr.found(old, before)[0]:
                return []  # not legible before (a diagonal, faint mark): the removal measures judge it
            targets = targets or before
        else:
            targets = _in_change(ctx, before, frame_box)
            if not targets:
                return []  # a mark without letters: the removal measures judge it
        stretched = ocr.read_lines(ocr.enhanced(crop(ctx.after, frame_box)))
    except ocr.OcrUnavailable as exc:
        return [cannot_measure("text-removed", f"OCR unavailable: {exc}")]
    left = []
    for line in targets:
        words = old or line.text
        remnant = any(_trusted(piece) and _part_of(piece, words) for piece in plain)
        if not (remnant or ocr.found(words, plain)[0] or ocr.found(words, stretched, at_least=0.8)[0]):
            continue
        if not old and _ink_untouched(ctx, line, frame_box):
            continue  # its letters are exactly as they were: kept content, not the removed mark
        left.append(words)
    message = (
        f"text still legible after the removal: {', '.join(dict.fromkeys(left))}"
        if left
        else f"'{'; '.join(dict.fromkeys(old or line.text for line in targets))}' no longer reads"
    )
    return [reading("text-removed", not left, message)]


def _ink_untouched(ctx: PairContext, line: ocr.Line, frame_box: tuple[int, int, int, int]) -> bool:
    """Are the letters of a line (its darkest or brightest pixels against the line's own
    background) the same before and after, to the grey level?"""
    x0, y0, x1, y1 = line.box
    ox, oy = frame_box[0], frame_box[1]
    box = (slice(max(0, oy + y0), oy + y1), slice(max(0, ox + x0), ox + x1))
    after = grey(ctx.after[box]).astype(np.float32)
    before = grey(ctx.before[box]).astype(np.float32)
    if after.size < 16:
        return False
    contrast = np.abs(after - np.median(after))
    ink = contrast >= np.percentile(contrast, 75)
    return float(np.median(np.abs(after - before)[ink])) < INK_UNTOUCHED


def _in_change(
    ctx: PairContext, lines: list[ocr.Line], frame_box: tuple[int, int, int, int]
) -> list[ocr.Line]:
    """The lines (read in the crop at `frame_box`) the change touched (a fifth of their box or more)."""
    changed = resized(_where(ctx), ctx.before.shape)
    ox, oy = frame_box[0], frame_box[1]
    out = []
    for line in lines:
        x0, y0, x1, y1 = line.box
        area = changed[max(0, oy + y0) : oy + y1, max(0, ox + x0) : ox + x1]
        if area.size and area.mean() >= 0.2:
            out.append(line)
    return out


def invented(ctx: PairContext) -> list[Finding]:
    """An edit that was not about text wrote none: no line is legible where the picture changed
    that was not there before (a model's made-up caption, a fake brand). The changed area is
    read once; a line there is looked for in the before picture at the same place."""
    if ctx.changed.mean() < 0.002:
        return []
    frame_box = scaled_box(ctx.changed, ctx.before.shape, margin=MARGIN)
    try:
        after = ocr.read_lines(crop(ctx.after, frame_box), max_side=INVENTED_SIDE)
        changed = resized(ctx.changed, ctx.before.shape)
        new = []
        for line in after:
            if line.score < TRUSTED or len(ocr.canonical(line.text)) < 2:
                continue
            where = _line_box(line.text, [line], frame_box)
            x0, y0, x1, y1 = where
            if changed[y0:y1, x0:x1].mean() < 0.3:
                continue  # the words were not touched: they were there before
            if not ocr.found(line.text, ocr.read_lines(crop(ctx.before, where)), at_least=0.7)[0]:
                new.append(line.text)
    except ocr.OcrUnavailable as exc:
        return [cannot_measure("text-invented", f"OCR unavailable: {exc}")]
    message = f"words nobody asked for: {', '.join(new)}" if new else "no words invented"
    return [reading("text-invented", not new, message)]
