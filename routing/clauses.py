"""Clauses: split an instruction into clauses, find the OpenCV ops in one, give them their slots,
and say what is left over (words that name an object, units without a number)."""

from __future__ import annotations

import re
from collections.abc import Callable

from config.limits import Limits
from routing.builders import build
from routing.normalize import NUMBER_WORDS
from routing.request import ASPECT_KEEP, QUOTE_CHARS
from routing.slots import NUMERIC_SLOTS, Found, PlanError, Slot
from routing.templates import Templates
from routing.vocabulary import load_vocabulary

ADJUSTABLE = ("brightness", "contrast", "saturation", "sharpen", "tone")
_OBJECT_AFTER_BA = re.compile(  # 把沙发调亮: the thing between 把 and the verb
    r"(?:把|将|给|让)\s*([\u3400-\u9fff]{1,6}?)(?=的|调|变|改|换|转|弄|加|降|提|增|减|[\s]|$)"
)
_DETERMINER_NOUN = re.compile(r"\b(?:the|her|his|their|its|our|your|only)\s+([a-z][a-z-]+)")
_POSSESSIVE = re.compile(r"\b([a-z]+)'s\b")
_TEXT_EDIT = re.compile(
    r"文字|文案|字样|标题|标语|口号|广告语|上的?(?:英文|中文|日文|韩文|外文|字)|"
    r"text|wording|caption|title|headline|slogan|tagline|lettering"
)
_ONLY = re.compile(r"只|仅|单独|only|just\s+the")
_UNIT = re.compile(r"度|°|像素|%|(?<![a-z])(?:px|pixels?|degrees?|percent)(?![a-z])")
STATED_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER_AND_UNIT = re.compile(r"\d+(?:\.\d+)?\s*(?:px|pixels?|像素)?|[=:/]")
_ABBREVIATION = re.compile(r"[a-z]{1,2}")  # "L", "t", "lr": a side or a dimension, abbreviated
_CONTEXT_WORDS = 3  # words (or twice as many Chinese characters) beside an op that may be context
IMPLIED_CONFIDENCE = 0.5  # an op only implied by a target among other words: the reader decides
_HOLDS_TRIGGER = ("quality",)  # slots whose form starts with their op's word: "质量设为85", "quality of 80"
_DIMENSIONS = ("width", "height", "longest", "shortest")
# "在右侧空白处放一个柠檬", "put a lemon in the empty space": a thing added, beside an op's words
_PLACES_A_THING = re.compile(
    r"(?:放|摆|添加|加上|贴上|画上)(?:一|个|只|块|颗|朵|些|上)+\S|"
    r"\b(?:put|place|add|insert|draw)\s+(?:a|an|some|two|three) "
    r"(?!(?:bit|little|touch|tad|more|less|thin|thick|small|big|large|wide|narrow|nice|clean|simple|plain|subtle|"
    r"border|frame|margin|padding|white|black)\b)[a-z]"
)
IMPLICIT = "implicit"  # the explicit key of an op read from a bare shape ("1:1", "Square.")
_DIRECTION_WORDS = ("soften",)
_MAKE_IT = re.compile(r"\b(?:make|scale|blow)\s+(?:it|this|the\s+(?:picture|photo|image))(?:\s+up)?\b")
_MAKE_SHAPE = re.compile(r"make|改成|改为|变成|做成")  # "make it square" names a shape, not how to get it
_NOTHING_LEFT = re.compile(r"(?:[^\w\ue000-\ue0ff]|[\d_])+")  # digits, punctuation, emoji


def split_clauses(display: str, t: Templates) -> list[tuple[str, bool]]:
    """Split into (displayed clause, ended with a question mark) pairs at the separators.

    The displayed text keeps the user's case and wording for the model prompt. A separator
    inside an operation's own wording ("black and white", "b&w") does not split.
    """
    low = display.lower()
    if len(low) != len(display):
        low = display
    protected = [m.span() for op in t.ops for m in op.triggers.finditer(low)]
    cuts = [
        m.span()
        for m in t.separators.finditer(low)
        if not any(m.start() < e and m.end() > s for s, e in protected)
    ]
    clauses, pos = [], 0
    for start, end in cuts + [(len(display), len(display))]:
        shown = display[pos:start].strip()
        if re.search(r"\w|[\ue000-\ue0ff]", shown):
            clauses.append((shown, "?" in display[start:end]))
        pos = end
    return clauses


# "为此咖啡杯图片", "the attached espresso image": the picture named by what it shows, not a part of it
_PICTURE_OF_ZH = re.compile(r"[\u4e00-\u9fff]{1,6}?(?=的?(?:图片|照片|相片|主图|商品图|产品图))")
_PICTURE_OF_EN = re.compile(
    r"\b(the|this|that|our|my|your)\s+(?:(?!(?:background|backdrop|bg|left|right|top|bottom)\b)[a-z-]+\s+){1,3}"
    r"(?=(?:image|photo|picture|shot|pic)s?\b)"
)
_NOT_THE_PICTURE = re.compile(r"背景|前景|底")


def picture_named(text: str, t: Templates) -> str:
    """`text` with the words that name the picture by its subject dropped ("把咖啡杯图片调亮" is a
    brightening of the picture, not of the cup); a background picture stays one, and so do words
    of an edit ("转成黑白照片", "the black and white image")."""

    def subject(m: re.Match[str], keep: str) -> str:
        words = m.group()
        if _NOT_THE_PICTURE.search(words) or not t.local_words.search(words):
            return words
        if t.names_an_op(words):
            return words
        return keep

    text = _PICTURE_OF_ZH.sub(lambda m: subject(m, " "), text)
    return _PICTURE_OF_EN.sub(lambda m: subject(m, m.group(1) + " "), text)


def read_op_clause(
    text: str,
    t: Templates,
    limits: Limits,
    image_size: tuple[int, int] | None,
    context: Callable[[str], bool] | None = None,
):
    """Return (kind, [(Op, explicit keys)], confidence, note) for one request clause.

    kind: opencv | model | reject | unknown (no edit recognised) | skip (nothing but glue) |
    implied (an op only implied by a target among other words: "I need 4:5").
    `context`: whether words left beside an op that name things are context, not a model edit
    ("this one needs rotating 90° counter-clockwise like the others in the album").
    """
    text = picture_named(text, t)
    if not QUOTE_CHARS.search(text) and t.not_this_picture.search(text):
        return (
            "reject",
            [],
            0.9,
            f"not an image edit (writing copy or a new picture, not a change to this one): {text!r}",
        )
    if QUOTE_CHARS.search(text) or (t.model_words.search(text) and _TEXT_EDIT.search(text)):
        return "model", [], 0.85, ""  # a text edit: the quoted words are the model's to write
    found = _find_ops(text, t)
    if any(f.name == "pad" for f in found):  # "pad it with white to make it square": the pad's goal
        found = [f for f in found if not (f.name == "crop" and _MAKE_SHAPE.match(f.trigger))]
    if len(found) > 1:  # "soften the contrast", "flatten the colours": a direction, not a blur
        found = [f for f in found if not (f.name == "blur" and f.trigger in _DIRECTION_WORDS)] or found
    implied, kind = False, ("unknown", [], 0.8, "")
    if not found:
        found = _implicit_op(text, t)
    if not found:
        kind = _read_non_op_clause(text, t)
        # "the width has to be 1000 px", "I need 4:5": a target stated among words of context
        found = _implicit_op(text, t, strict=False) if kind[0] == "unknown" else []
        if not found:
            return kind
        implied = True
    if _orphan_unit(text):
        return "reject", [], 0.9, f"impossible request: a unit without a readable number in {text!r}"
    spans = [part for f in found for part in f.parts]
    _fill_slots(text, found, t, spans)
    leftover = _leftover(text, spans, t)
    things = _names_an_object(text, spans, t) or _PLACES_A_THING.search(_blank(text, spans))
    if _local(leftover, t) or (things and not _a_sentence_of_context(_residue(leftover), t, context)):
        return kind if implied else ("model", [], 0.75, "")  # a thing named: not a bare target
    leftover = _ONLY.sub(" ", leftover)  # "只调亮度": only that op
    built = [build(f, limits, image_size) for f in found]
    vague = any(not keys - {"way"} and op.name in (*ADJUSTABLE, "rotate", "resize") for op, keys in built)
    confidence = 0.8 if vague else 0.95
    if found[0].trigger == "":
        confidence = 0.7
        built = [(op, keys | {IMPLICIT}) for op, keys in built]  # a bare "1:1": a shape, not yet how
    note = ""
    residue = _residue(leftover)
    if residue:
        number = STATED_NUMBER.search(leftover) or NUMBER_WORDS.search(leftover)
        if number:  # never run an op that leaves out a number the user gave
            return "opencv", built, 0.3, f"did not understand the number {number.group()!r}"
        beside = next(
            (w for w in residue.split() if _ABBREVIATION.fullmatch(w) and _beside_a_number(w, text)), None
        )
        if beside:  # "crop L 100px": a letter unread beside a number is what the number is for
            return "opencv", built, 0.3, f"did not understand {beside!r} beside a number"
        if t.model_nouns.search(load_vocabulary().whole_image.sub(" ", residue)):
            # "crop to 1:1 with the logo bigger": words for the model ("the picture colour" is not one)
            return kind if implied else ("model", [], 0.7, "")
        if implied:  # never run on the rules alone: the learned reader must read it as OpenCV too
            return "implied", built, IMPLIED_CONFIDENCE, f"read as a target among {residue!r}"
        meaningful = len(_residue(_strip_words(text, t)).replace(" ", "")) or 1
        share = len(residue.replace(" ", "")) / meaningful
        # an op with no parameter beside words we cannot read ("rotate by banana"): no guessing
        unreadable = vague and re.search(r"[a-z]{3,}|[\u4e00-\u9fff]{2,}", residue)
        confidence = min(confidence, 0.95 - 0.6 * share, 0.5 if unreadable else 1.0)
        note = f"ignored words: {residue!r}"
    return "opencv", built, confidence, note


def _a_sentence_of_context(residue: str, t: Templates, context: Callable[[str], bool] | None) -> bool:
    """Are the words left beside an op a sentence of context ("I'm going through the whole album:
    this one needs rotating 90° like the others")? A word or two, or words that name a part of a
    picture, are what the op is done to ("把沙发调亮", "让自家品牌的标志颜色更鲜艳"): never context."""
    if t.model_nouns.search(residue):
        return False
    long = (
        len(residue.split()) >= _CONTEXT_WORDS
        or len(re.findall(r"[\u4e00-\u9fff]", residue)) >= 2 * _CONTEXT_WORDS
    )
    return long and context is not None and context(residue)


def _beside_a_number(word: str, text: str) -> bool:
    """Is `word` written right before or after a number (and its unit)?"""
    w = re.escape(word)
    return bool(
        re.search(rf"(?<![\w]){w}\s*[=:]?\s*\d", text)
        or re.search(rf"\d\s*(?:px|pixels?|%|像素|度|°)?\s*{w}(?![a-z])", text)
    )


def _local(leftover: str, t: Templates) -> bool:
    """Do the words left over make a global op local? "只" or "only" does so only when a thing
    follows ("只调鞋子"), not when an op does ("只调亮度", "only brighten it")."""
    for m in t.local_words.finditer(leftover):
        if not _ONLY.fullmatch(m.group()) or leftover[m.end() : m.end() + 4].strip():
            return True
    return False


def _orphan_unit(text: str) -> bool:
    """ "旋转 ¥%#@ 度": a unit whose number is missing or unreadable (亮度, 宽度 are words)."""
    for m in _UNIT.finditer(text):
        before = text[: m.start()].rstrip().removesuffix("个").rstrip()
        if not before or not before[-1].isdigit():
            if m.group().strip() in ("度", "°") and before and before[-1].isalpha():
                continue
            return True
    return False


def _implicit_op(text: str, t: Templates, strict: bool = True) -> list[Found]:
    """A bare "1:1", "正方形" or "800x800" asks for that frame: a crop; a bare "webp" or "JPG q85" that
    format. A bare dimension with its
    number ("w=800", "宽750", "H 600 / W proportional") asks for that size: a resize. Not `strict`:
    the same among other words ("I need 4:5", "the width has to be 1000 px")."""
    shapes = [m for name in ("ratio", "size", "square") for m in t.slots[name].finditer(text)]
    if shapes and (not strict or not _residue(_strip_words(_blank(text, [m.span() for m in shapes]), t))):
        square = any(m.re is t.slots["square"] for m in shapes)
        other = [(float(m.group(1)), float(m.group(2))) for m in shapes if m.re is not t.slots["square"]]
        if square and any(b and a / b != 1 for a, b in other):  # "square 800x600", "做成600x400的正方形"
            if not strict:
                return []  # among words of context: no target at all
            raise PlanError(f"{other[0][0]:g}x{other[0][1]:g} is not a square; say which shape is wanted")
        return [Found("crop", shapes[0].start(), shapes[0].start(), "")]  # "a 1000x1000 square": one shape
    fmt = t.slots["fmt"].search(text)  # a bare "webp", "JPG q85": that format
    if fmt and strict:
        spans = [fmt.span()] + [m.span() for m in t.slots["quality"].finditer(text)]
        if not _residue(_strip_words(_blank(text, spans), t)):
            return [Found("format", fmt.start(), fmt.start(), "")]
    if not STATED_NUMBER.search(text):
        return []
    factor = t.slots["factor"].search(text)  # a bare "2x", "make it -2x": a scale
    if (
        factor
        and factor.group(1)
        and not _residue(_strip_words(_MAKE_IT.sub(" ", _blank(text, [factor.span()])), t))
    ):
        return [Found("resize", factor.start(), factor.start(), "")]
    spans = [m.span() for name in _DIMENSIONS for m in t.slots[name].finditer(text)]
    rest = _blank(text, spans + [m.span() for m in _NUMBER_AND_UNIT.finditer(text)])
    rest = ASPECT_KEEP.sub(" ", rest)
    if spans and (not strict or not _residue(_strip_words(rest, t))):
        start = min(s for s, _ in spans)
        return [Found("resize", start, start, "")]
    return []


def _read_non_op_clause(text: str, t: Templates):
    if t.non_edit.search(text) and not _TEXT_EDIT.search(text):
        return "reject", [], 0.9, f"not an image edit: {text!r}"
    if t.model_words.search(t.context.sub(" ", text)):  # "拿来做banner底图" is context, not 拿
        return "model", [], 0.85, ""
    if _residue(_strip_words(text, t)) or STATED_NUMBER.search(text):
        return "unknown", [], 0.8, ""
    return "skip", [], 1.0, ""


def _find_ops(text: str, t: Templates) -> list[Found]:
    """Non-overlapping trigger matches, longest first, merged per op when adjacent."""
    candidates = []
    for order, op in enumerate(t.ops):
        for m in op.triggers.finditer(text):
            if m.end() > m.start():
                candidates.append((-(m.end() - m.start()), order, m.start(), m.end(), op.name))
    taken: list[Found] = []
    for _, _, start, end, name in sorted(candidates):
        if all(end <= f.start or start >= f.end for f in taken):
            taken.append(Found(name, start, end, text[start:end], parts=[(start, end)]))
    taken.sort(key=lambda f: f.start)
    merged: list[Found] = []
    for f in taken:
        if merged and merged[-1].name == f.name:
            merged[-1].end = f.end
            merged[-1].trigger += " " + f.trigger
            merged[-1].parts += f.parts
        else:
            merged.append(f)
    return merged


# slots searched most specific first; `pixels` (a bare number) last
_WORD_SLOTS = (
    "fmt",  # "a webp version": the format named in the trigger
    "longest",
    "shortest",
    "width",
    "height",
    "ccw",  # before cw: "counter-clockwise" holds "clockwise"
    "cw",
    "horizontal",
    "vertical",
    "warm",
    "cool",
    "more",
    "less",
    "colour",
    "quality",
    "factor",
)
_SLOT_ORDER = (
    "anchor",
    "filesize",
    "quality",
    "fmt",
    "ratio",
    "size",
    "fraction",
    "percent",
    "factor",
    "degrees",
    "stops",
    "square",
    "colour",
    "longest",
    "shortest",
    "width",
    "height",
    "ccw",  # before cw: "counter-clockwise" holds "clockwise"
    "cw",
    "horizontal",
    "vertical",
    "side",
    "warm",
    "cool",
    "more",
    "less",
    "bit",
    "lot",
    "absolute",
    "pixels",
)


def _fill_slots(text: str, found: list[Found], t: Templates, spans: list[tuple[int, int]]) -> None:
    templates = {op.name: op for op in t.ops}
    for f in found:  # words of the trigger itself that are also parameters: 逆时针, 缩小, width
        for name in _WORD_SLOTS:
            if name in templates[f.name].slots:
                for m in t.slots[name].finditer(f.trigger):
                    f.slots.append(Slot(name, f.start + m.start(), f.start + m.end(), m.groups()))
    wanted = {s for f in found for s in templates[f.name].slots}
    for name in _SLOT_ORDER:
        if name not in wanted:
            continue
        for m in t.slots[name].finditer(text):
            if m.end() == m.start() or any(
                m.start() < e
                and m.end() > s
                and not (name in _HOLDS_TRIGGER and m.start() <= s and e <= m.end())
                for s, e in spans
            ):
                continue  # a slot may hold its op's whole trigger only where its form says so ("质量设为85")
            takers = [f for f in found if name in templates[f.name].slots]
            # nearest operation; one written before the slot wins a tie ("旋转90度")
            owner = min(
                takers, key=lambda f: (max(f.start - m.end(), m.start() - f.end, 0), f.start > m.start())
            )
            same = next((slot for slot in owner.slots if slot.name == name), None)
            if name == "pixels" and owner.has("width") and owner.has("height"):
                same = None  # "宽800高600": a number for each dimension (two at most: see builders)
            if (
                name in ("pixels", "percent")
                and len([s for s in owner.slots if s.name in ("side", "anchor")]) > 1
            ):
                same = None  # "裁掉左边80像素和下面40像素": an amount for each side (paired in builders)
            if name in NUMERIC_SLOTS and same and same.groups != m.groups():
                raise PlanError(
                    f"two values for one {owner.name}: {same.value!r} and "
                    f"{next((g for g in m.groups() if g), '')!r}"
                )
            owner.slots.append(Slot(name, m.start(), m.end(), m.groups()))
            spans.append((m.start(), m.end()))


def _strip_words(text: str, t: Templates) -> str:
    text = ASPECT_KEEP.sub(" ", load_vocabulary().whole_image.sub(" ", text))  # a resize keeps it anyway
    text = t.context.sub(" ", text)  # first: "on my phone" is context before "on" and "my" are glue
    return t.filler.sub(" ", text)


def _leftover(text: str, spans: list[tuple[int, int]], t: Templates) -> str:
    return _strip_words(_blank(text, spans), t)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _residue(text: str) -> str:
    return _NOTHING_LEFT.sub(" ", text).strip()


def _names_an_object(text: str, spans: list[tuple[int, int]], t: Templates) -> bool:
    """Does the clause apply a global op to a named thing ("把沙发调亮", "brighten the shoes")?

    Words for the whole picture (整张图, the whole photo) and context ("for the Shopee listing")
    never count as a thing.
    """
    v = load_vocabulary()
    spans = spans + [m.span() for m in t.context.finditer(text) if m.end() - m.start() > 1]
    spans += [m.span() for m in v.whole_image.finditer(text)]

    def free(m: re.Match[str]) -> bool:
        word = m.group(1)
        return (
            not any(m.start(1) < e and m.end(1) > s for s, e in spans)
            and not t.filler.fullmatch(word)
            and not t.context.fullmatch(word)
            and not v.whole_image.fullmatch(word)
        )

    if any(free(m) for m in _OBJECT_AFTER_BA.finditer(text)):
        return True
    if any(free(m) for m in _DETERMINER_NOUN.finditer(text)):
        return True
    return any(free(m) for m in _POSSESSIVE.finditer(text))
