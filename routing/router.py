"""Instruction -> Plan: the cheap pre-classifier that decides OpenCV, model or reject.

Pure Python: no Prefect, no image decoding. When the caller knows the image size it is used to
refuse parameters that cannot work on that image (a crop wider than the picture, say).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from config.contracts import MODEL_OP, Intent, Op, Plan
from config.limits import Limits
from routing.intent import read_intent
from routing.library import suggestion
from routing.normalize import fold_width, normalise
from routing.request import QUOTE_CHARS, Clause, mask_quotes, read_clause
from routing.safety import refusal
from routing.templates import Templates, load_templates
from routing.vocabulary import load_vocabulary

ADJUSTABLE = ("brightness", "contrast", "saturation", "sharpen", "tone")
GLOBAL_COLOUR_OPS = ("brightness", "contrast", "saturation", "tone", "grey", "sharpen", "blur")
KEPT_ATTRIBUTES = ("colour", "size", "aspect", "font")  # what "keep-…" constraints may name
CONFIDENCE_FLOOR = 0.6  # an OpenCV plan below this is never run: model or reject instead
UNPARSED_CONFIDENCE = 0.8  # a whole clause not understood beside an OpenCV edit
_OBJECT_AFTER_BA = re.compile(  # 把沙发调亮: the thing between 把 and the verb
    r"(?:把|将|给|让)\s*([\u3400-\u9fff]{1,6}?)(?=的|调|变|改|换|转|弄|加|降|提|增|减|[\s]|$)"
)
_DETERMINER_NOUN = re.compile(r"\b(?:the|her|his|their|its|our|your|only)\s+([a-z][a-z-]+)")
_POSSESSIVE = re.compile(r"\b([a-z]+)'s\b")
_TEXT_EDIT = re.compile(
    r"文字|文案|字样|标题|标语|口号|广告语|"
    r"text|wording|caption|title|headline|slogan|tagline|lettering"
)
_ONLY = re.compile(r"只|仅|单独|only|just\s+the")
_UNIT = re.compile(r"度|°|像素|%|(?<![a-z])(?:px|pixels?|degrees?|percent)(?![a-z])")
_STATED_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_NOTHING_LEFT = re.compile(r"(?:[^\w\ue000-\ue0ff]|[\d_])+")  # digits, punctuation, emoji

ALL_SIDES = ("left", "right", "top", "bottom")
DEFAULT_AMOUNT = 0.15
BIT_AMOUNT = 0.1
LOT_AMOUNT = 0.3
MAX_ASPECT = 10.0


@dataclass
class _Slot:
    name: str
    start: int
    end: int
    groups: tuple[str | None, ...]

    @property
    def value(self) -> str:
        return next((g for g in self.groups if g is not None), "")


@dataclass
class _Found:
    """An operation found in a clause, with the slots given to it."""

    name: str
    start: int
    end: int
    trigger: str
    slots: list[_Slot] = field(default_factory=list)
    parts: list[tuple[int, int]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # the slots the op's builder read

    def get(self, name: str) -> _Slot | None:
        self.used.add(name)
        return next((s for s in self.slots if s.name == name), None)

    def has(self, *names: str) -> bool:
        return any(s.name in names for s in self.slots)


class PlanError(ValueError):
    """An instruction that can be read but not done (impossible or unsafe parameters)."""


# ------------------------------------------------------------------------------------------------
# public entry point


def route(
    instruction: str | None,
    image_size: tuple[int, int] | None = None,
    limits: Limits | None = None,
    templates: Templates | None = None,
) -> Plan:
    """Decide how to carry out `instruction` on an image of `image_size` (width, height).

    1. refuse what is empty, too long, unsafe or an injected command (before anything else);
    2. split into clauses and classify each: request, question, constraint (routing/request.py);
    3. read each request clause: OpenCV ops with their parameters, or words for the model;
    4. apply the constraints ("don't crop" pads instead), score how much was understood, and
       never run an OpenCV plan that is below the confidence floor: it goes to the model when
       semantic words are left over, else it is rejected with the closest canonical form.
    """
    limits = limits or Limits()
    t = templates or load_templates()
    v = load_vocabulary()
    if instruction is None or not fold_width(instruction):
        return Plan.reject("empty instruction: say what to change, e.g. 'crop to 1:1'", 1.0)
    if len(instruction) > limits.max_instruction_chars:
        return Plan.reject(
            f"instruction too long ({len(instruction)} characters, limit {limits.max_instruction_chars})", 1.0
        )
    display = fold_width(instruction)
    rule = refusal(normalise(display))
    if rule:
        prefix = "unsafe request" if rule.kind == "unsafe" else "not an image edit"
        return Plan.reject(f"{prefix}: {rule.reason}", 0.95)

    masked = mask_quotes(display)
    clauses = [read_clause(shown, asked, t, v) for shown, asked in _split(masked.text, t)]
    constraints = tuple(dict.fromkeys(c.constraint for c in clauses if c.constraint))
    requests = [c for c in clauses if c.kind == "request"]
    unparsed = [masked.restore(c.shown) for c in clauses if c.kind == "question"]
    if not requests:
        return _nothing_to_do(clauses, display)

    ops: list[Op] = []
    explicit: list[set[str]] = []
    model_parts: list[str] = []
    model_text: list[str] = []
    confidences: list[float] = []
    notes: list[str] = []
    for clause in requests:
        try:
            kind, found_ops, conf, note = _read_clause(clause.text, t, limits, image_size)
        except PlanError as exc:
            return Plan.reject(f"impossible request: {exc}", 0.95)
        if kind == "reject":
            return Plan.reject(
                note, conf, unparsed=(masked.restore(clause.shown),), suggestion=suggestion(clause.text)
            )
        if kind == "unknown":
            unparsed.append(masked.restore(clause.shown))
            continue
        if kind == "skip":
            continue
        confidences.append(conf)
        if note:
            notes.append(note)
        if kind == "model":
            model_parts.append(masked.restore(clause.shown))
            model_text.append(clause.text)
            if ops and ops[-1].name == MODEL_OP:
                ops.pop()
                explicit.pop()
            ops.append(Op(MODEL_OP, {"prompt": "; ".join(model_parts)}))
            explicit.append({"prompt"})
            continue
        for op, keys in found_ops:
            _append_merging(ops, explicit, op, keys)

    if not ops:
        text = "; ".join(unparsed) or display
        return Plan.reject(
            f"no image edit recognised in {text!r}",
            0.8,
            suggestion=suggestion(normalise(text)),
            unparsed=tuple(unparsed),
        )
    try:
        if any(op.name == "crop" and not op.params for op in ops):
            raise PlanError("crop needs a ratio, a size or margins (e.g. 'crop to 1:1', '裁掉右边100像素')")
        ops = _apply_constraints(ops, constraints)
    except PlanError as exc:
        return Plan.reject(f"impossible request: {exc}", 0.9, unparsed=tuple(unparsed))
    keep = tuple(
        c.split(": ", 1)[1] if c.startswith("keep: ") else c.removeprefix("keep-")
        for c in constraints
        if c.startswith("keep")
    )
    confidence = min(confidences) if confidences else 0.5
    if any(op.name == MODEL_OP for op in ops):
        if unparsed:  # the details of a model edit ("…, down to the knee") are the model's to read
            model_parts += [u for u in unparsed if u not in model_parts]
            ops = [
                Op(MODEL_OP, {"prompt": "; ".join(model_parts)}) if op.name == MODEL_OP else op for op in ops
            ]
        others = [op.name for op in ops if op.name != MODEL_OP]
        reason = "needs the image model to edit the picture's content"
        if others:
            reason += f" (and OpenCV for {', '.join(others)})"
        intent = read_intent(" ; ".join(model_text + [normalise(u) for u in unparsed]), masked, keep, v)
        return Plan(
            "model",
            tuple(ops),
            confidence,
            reason + _suffix(notes),
            intent=intent,
            constraints=constraints,
            unparsed=tuple(unparsed),
        )
    kept_things = [k for k in keep if k not in ("everything else", *KEPT_ATTRIBUTES)]
    if kept_things and any(op.name in GLOBAL_COLOUR_OPS for op in ops):
        # "调亮，别动背景": a tone change of everything but one part is a local edit
        reason = f"needs the image model: {', '.join(op.name for op in ops)} except {', '.join(kept_things)}"
        intent = Intent("edit", keep=keep)
        return Plan(
            "model",
            (Op(MODEL_OP, {"prompt": display}),),
            min(confidence, 0.75),
            reason,
            intent=intent,
            constraints=constraints,
        )
    if unparsed:
        words = " ".join(unparsed)
        # a number the plan does not use is never dropped silently: below the floor
        confidence = min(confidence, 0.3 if _STATED_NUMBER.search(words) else UNPARSED_CONFIDENCE)
        notes.append(f"not understood: {words!r}")
    plan_reason = "OpenCV: " + ", then ".join(describe(op) for op in ops) + _suffix(notes)
    if confidence < CONFIDENCE_FLOOR:
        first = next((op.name for op in ops), None)
        return Plan.reject(
            f"not sure what to do ({plan_reason}; confidence {confidence:.2f})",
            0.7,
            suggestion=suggestion(normalise(display), first),
            unparsed=tuple(unparsed),
        )
    return Plan(
        "opencv", tuple(ops), confidence, plan_reason, constraints=constraints, unparsed=tuple(unparsed)
    )


def _nothing_to_do(clauses: list[Clause], display: str) -> Plan:
    """The refusal of an instruction with no request in it: a question, or only constraints."""
    if any(c.kind == "question" for c in clauses):
        return Plan.reject(
            f"not an image edit (a question): {display!r}; to change the picture, "
            "say what to do, e.g. '裁剪为1:1' or 'remove the watermark'",
            0.9,
        )
    return Plan.reject(
        "nothing to do: the instruction only says what to keep "
        f"({', '.join(c.constraint or '' for c in clauses)})",
        0.9,
    )


def _apply_constraints(ops: list[Op], constraints: tuple[str, ...]) -> list[Op]:
    """ "don't crop": a crop to a ratio or size becomes padding to it (white unless a pad colour
    was given); a crop of margins contradicts the constraint. "don't resize" likewise."""
    if "no-crop" in constraints:
        pad_colour = next((op.params["colour"] for op in ops if op.name == "pad"), [255, 255, 255])
        out: list[Op] = []
        for op in ops:
            if op.name == "crop":
                if "margins" in op.params:
                    raise PlanError("the instruction asks both to crop and not to crop")
                shape = (
                    {"size": op.params["size"]} if "size" in op.params else {"aspect": op.params["aspect"]}
                )
                op = Op("pad", {**shape, "colour": pad_colour})
            if op.name == "pad" and out and out[-1].name == "pad":
                out[-1] = Op("pad", {**op.params, **out[-1].params})
                continue
            out.append(op)
        ops = out
    for constraint in constraints:
        name = constraint.removeprefix("no-")
        if constraint.startswith("no-") and any(op.name == name for op in ops) and name != "crop":
            raise PlanError(f"the instruction asks both to {name} and not to {name}")
    return ops


def _suffix(notes: list[str]) -> str:
    return f"; {'; '.join(notes)}" if notes else ""


def describe(op: Op) -> str:
    """A short human description of an OpenCV op, for reasons and summaries."""
    p = op.params
    if op.name in ("brightness", "contrast", "saturation", "sharpen"):
        return f"{op.name} {p['amount']:+.0%}"
    if op.name == "tone":
        return f"{'warmer' if p['warmth'] > 0 else 'cooler'} tone {abs(p['warmth']):.0%}"
    if op.name == "rotate":
        return f"rotate {p['degrees']:g}° clockwise"
    if op.name == "flip":
        return f"flip {p['axis']}"
    details = ", ".join(f"{k}={v}" for k, v in p.items())
    return f"{op.name} ({details})" if details else op.name


def _append_merging(ops: list[Op], explicit: list[set[str]], op: Op, keys: set[str]) -> None:
    """Merge "扩展画布为正方形，填充白色" into one pad; inherit a direction for "… and contrast"."""
    if ops and op.name != MODEL_OP and (ops[-1] == op or _same_direction(ops[-1], op)):
        # "降低饱和度，别太艳了" asks once, in two ways: the one with an amount stands
        if "amount" in keys and "amount" not in explicit[-1]:
            ops[-1], explicit[-1] = op, keys
        return
    if ops and ops[-1].name == op.name and not (explicit[-1] & keys) and op.name != MODEL_OP:
        merged = {**ops[-1].params, **{k: v for k, v in op.params.items() if k in keys}}
        ops[-1] = Op(op.name, merged)
        explicit[-1] |= keys
        return
    if (
        op.name in ("brightness", "contrast", "saturation")
        and "amount" not in keys
        and ops
        and ops[-1].name in ("brightness", "contrast", "saturation")
        and "amount" in explicit[-1]
    ):
        op = Op(op.name, {**op.params, "amount": ops[-1].params["amount"]})
        keys = keys | {"amount"}
    ops.append(op)
    explicit.append(keys)


def _same_direction(last: Op, op: Op) -> bool:
    """ "调高饱和度，颜色太淡了": a second adjustment of the same op, the same way."""
    amount = {"brightness": "amount", "contrast": "amount", "saturation": "amount", "tone": "warmth"}.get(
        op.name
    )
    return (
        amount is not None and last.name == op.name and (last.params[amount] > 0) == (op.params[amount] > 0)
    )


# ------------------------------------------------------------------------------------------------
# clauses


def _split(display: str, t: Templates) -> list[tuple[str, bool]]:
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


def _read_clause(text: str, t: Templates, limits: Limits, image_size: tuple[int, int] | None):
    """Return (kind, [(Op, explicit keys)], confidence, note) for one request clause.

    kind: opencv | model | reject | unknown (no edit recognised) | skip (nothing but glue).
    """
    if QUOTE_CHARS.search(text) or (t.model_words.search(text) and _TEXT_EDIT.search(text)):
        return "model", [], 0.85, ""  # a text edit: the quoted words are the model's to write
    found = _find_ops(text, t)
    if not found:
        found = _implicit_crop(text, t)
    if not found:
        return _read_non_op_clause(text, t)
    if _orphan_unit(text):
        return "reject", [], 0.9, f"impossible request: a unit without a readable number in {text!r}"
    spans = [part for f in found for part in f.parts]
    _fill_slots(text, found, t, spans)
    leftover = _leftover(text, spans, t)
    if _local(leftover, t) or _names_an_object(text, spans, t):
        return "model", [], 0.75, ""
    leftover = _ONLY.sub(" ", leftover)  # "只调亮度": only that op
    built = [_build(f, limits, image_size) for f in found]
    vague = any(not keys and op.name in (*ADJUSTABLE, "rotate", "resize") for op, keys in built)
    confidence = 0.8 if vague else 0.95
    if found[0].trigger == "":
        confidence = 0.7
    note = ""
    residue = _residue(leftover)
    if residue:
        number = _STATED_NUMBER.search(leftover)
        if number:  # never run an op that leaves out a number the user gave
            return "opencv", built, 0.3, f"did not understand the number {number.group()!r}"
        if t.model_nouns.search(residue):  # "crop to 1:1 with the logo bigger": words for the model
            return "model", [], 0.7, ""
        meaningful = len(_residue(_strip_words(text, t)).replace(" ", "")) or 1
        share = len(residue.replace(" ", "")) / meaningful
        # an op with no parameter beside words we cannot read ("rotate by banana"): no guessing
        unreadable = vague and re.search(r"[a-z]{3,}|[\u4e00-\u9fff]{2,}", residue)
        confidence = min(confidence, 0.95 - 0.6 * share, 0.5 if unreadable else 1.0)
        note = f"ignored words: {residue!r}"
    return "opencv", built, confidence, note


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


def _implicit_crop(text: str, t: Templates) -> list[_Found]:
    """A bare "1:1", "正方形" or "800x800" asks for that frame: a crop."""
    for name in ("ratio", "size", "square"):
        m = t.slots[name].search(text)
        if m and not _residue(_strip_words(text[: m.start()] + text[m.end() :], t)):
            return [_Found("crop", m.start(), m.start(), "")]
    return []


def _read_non_op_clause(text: str, t: Templates):
    if t.non_edit.search(text) and not _TEXT_EDIT.search(text):
        return "reject", [], 0.9, f"not an image edit: {text!r}"
    if t.model_words.search(t.context.sub(" ", text)):  # "拿来做banner底图" is context, not 拿
        return "model", [], 0.85, ""
    if _residue(_strip_words(text, t)) or _STATED_NUMBER.search(text):
        return "unknown", [], 0.8, ""
    return "skip", [], 1.0, ""


def _find_ops(text: str, t: Templates) -> list[_Found]:
    """Non-overlapping trigger matches, longest first, merged per op when adjacent."""
    candidates = []
    for order, op in enumerate(t.ops):
        for m in op.triggers.finditer(text):
            if m.end() > m.start():
                candidates.append((-(m.end() - m.start()), order, m.start(), m.end(), op.name))
    taken: list[_Found] = []
    for _, _, start, end, name in sorted(candidates):
        if all(end <= f.start or start >= f.end for f in taken):
            taken.append(_Found(name, start, end, text[start:end], parts=[(start, end)]))
    taken.sort(key=lambda f: f.start)
    merged: list[_Found] = []
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
    "longest",
    "shortest",
    "width",
    "height",
    "cw",
    "ccw",
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
    "cw",
    "ccw",
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


_NUMERIC_SLOTS = ("ratio", "size", "fraction", "percent", "factor", "degrees", "stops", "pixels", "quality")


def _fill_slots(text: str, found: list[_Found], t: Templates, spans: list[tuple[int, int]]) -> None:
    templates = {op.name: op for op in t.ops}
    for f in found:  # words of the trigger itself that are also parameters: 逆时针, 缩小, width
        for name in _WORD_SLOTS:
            if name in templates[f.name].slots:
                for m in t.slots[name].finditer(f.trigger):
                    f.slots.append(_Slot(name, f.start + m.start(), f.start + m.end(), m.groups()))
    wanted = {s for f in found for s in templates[f.name].slots}
    for name in _SLOT_ORDER:
        if name not in wanted:
            continue
        for m in t.slots[name].finditer(text):
            if m.end() == m.start() or any(m.start() < e and m.end() > s for s, e in spans):
                continue
            takers = [f for f in found if name in templates[f.name].slots]
            # nearest operation; one written before the slot wins a tie ("旋转90度")
            owner = min(
                takers, key=lambda f: (max(f.start - m.end(), m.start() - f.end, 0), f.start > m.start())
            )
            same = next((slot for slot in owner.slots if slot.name == name), None)
            if name in _NUMERIC_SLOTS and same and same.groups != m.groups():
                raise PlanError(
                    f"two values for one {owner.name}: {same.value!r} and "
                    f"{next((g for g in m.groups() if g), '')!r}"
                )
            owner.slots.append(_Slot(name, m.start(), m.end(), m.groups()))
            spans.append((m.start(), m.end()))


def _strip_words(text: str, t: Templates) -> str:
    text = load_vocabulary().whole_image.sub(" ", text)
    text = t.filler.sub(" ", text)
    return t.context.sub(" ", text)


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


# ------------------------------------------------------------------------------------------------
# building ops from slots

MAX_NUMBER = 1e9  # no parameter of any op is meaningful beyond this


def _number(value: str) -> float:
    number = float(value.replace(" ", ""))
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise PlanError(f"the number {value[:20]}{'...' if len(value) > 20 else ''} is too large")
    return number


def _side(value: str) -> str:
    """left/right/top/bottom/center for a side word ("左边", "the left"), else the word itself."""
    region = load_vocabulary().region_in(value.strip())
    return region.name if region else value.strip()


def _ratio(f: _Found) -> tuple[float, float] | None:
    square = f.get("square")
    for name in ("ratio", "fraction"):
        slot = f.get(name)
        if slot:
            w, h = (_number(g) for g in slot.groups[:2])
            if w <= 0 or h <= 0 or max(w / h, h / w) > MAX_ASPECT:
                raise PlanError(f"aspect ratio {slot.groups[0]}:{slot.groups[1]} is not possible")
            if square and w != h:
                raise PlanError(f"a square is not {slot.groups[0]}:{slot.groups[1]}")
            return (w, h)
    return (1.0, 1.0) if square else None


def _size(f: _Found, limits: Limits) -> tuple[int, int] | None:
    slot = f.get("size")
    if not slot:
        return None
    w, h = (_number(g) for g in slot.groups[:2])
    if w < 1 or h < 1:
        raise PlanError(f"size {slot.groups[0]}x{slot.groups[1]} is empty")
    _check_output(int(w), int(h), limits)
    return int(w), int(h)


def _check_output(width: float, height: float, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise PlanError(f"the result would be {width:.0f}x{height:.0f} pixels")
    if width * height > limits.max_output_pixels or max(width, height) > limits.max_side:
        raise PlanError(
            f"{width:.0f}x{height:.0f} is above the limit of "
            f"{limits.max_output_pixels / 1e6:.0f} MP / {limits.max_side} px a side "
            "(RETOUCH_MAX_OUTPUT_PIXELS)"
        )


def _sides(f: _Found) -> tuple[str, ...]:
    """The sides a margin applies to: "from the left", "右边", "四周" (all)."""
    sides = [_side(s.value) for s in f.slots if s.name in ("side", "anchor")]
    if not sides or any(s not in ALL_SIDES for s in sides):
        return ALL_SIDES
    return tuple(dict.fromkeys(sides))


def _amount(f: _Found, negative_words: tuple[str, ...] = ()) -> tuple[float, set[str]]:
    """Signed strength of an adjustment, and whether the user gave one."""
    explicit: set[str] = set()
    magnitude = DEFAULT_AMOUNT
    if f.has("bit"):
        magnitude = BIT_AMOUNT
    if f.has("lot"):
        magnitude = LOT_AMOUNT
    sign = -1.0 if any(w in f.trigger for w in negative_words) else 1.0
    if f.has("less"):
        sign = -1.0
    if f.has("more"):
        sign = 1.0 if not f.has("less") else sign
    stops = f.get("stops")
    if not stops and f.get("pixels") and re.search(r"曝光|expos", f.trigger):
        stops = f.get("pixels")
    value = f.get("percent") or f.get("pixels")
    if stops:
        factor = 2 ** (_number(stops.value) / 2.2)  # EV stops in linear light, applied to sRGB
        return factor - 1, {"amount"}
    if value:
        number = _number(value.value)
        if f.has("absolute") and number > 0 and not value.value.strip().startswith("+"):
            magnitude, sign = abs(number / 100 - 1), (1.0 if number >= 100 else -1.0)
        else:
            magnitude = abs(number) / 100
            if number < 0:
                sign = -1.0
        explicit.add("amount")
    elif f.has("more", "less"):
        explicit.add("direction")
    if f.has("bit", "lot"):
        explicit.add("amount")
    return sign * magnitude, explicit


def _build(f: _Found, limits: Limits, image_size: tuple[int, int] | None) -> tuple[Op, set[str]]:
    builder = _BUILDERS[f.name]
    op, keys = builder(f, limits)
    unused = next((slot for slot in f.slots if slot.name in _NUMERIC_SLOTS and slot.name not in f.used), None)
    if unused:  # "1%2裁": a number the op has no use for is never dropped silently
        raise PlanError(f"the number {unused.value!r} does not fit '{f.trigger or f.name}'")
    if image_size:
        _check_against_image(op, image_size, limits)
    return op, keys


def _build_crop(f: _Found, limits: Limits):
    anchor_slot = f.get("anchor")
    anchor = _side(anchor_slot.value) if anchor_slot else "center"
    size = _size(f, limits)
    if size and max(size) <= 32:  # "crop to 16x9" is a ratio, "crop to 800x600" a size
        return Op("crop", {"aspect": list(size), "anchor": anchor}), {"aspect"}
    if size:
        return Op("crop", {"aspect": list(size), "anchor": anchor, "size": list(size)}), {"aspect"}
    ratio = _ratio(f)
    if ratio:
        return Op("crop", {"aspect": [*ratio], "anchor": anchor}), {"aspect"}
    amount = f.get("percent") or f.get("pixels")
    if amount:
        value = abs(_number(amount.value))
        unit = "percent" if amount.name == "percent" else "px"
        if value <= 0:
            raise PlanError("a crop of 0 does nothing")
        if unit == "percent" and value >= 50:
            raise PlanError(f"cropping {value:g}% from a side leaves nothing in the middle")
        return Op("crop", {"margins": {s: value for s in _sides(f)}, "unit": unit}), {"margins"}
    if f.has("side"):  # "裁成16:9，裁掉上下": which sides a ratio crop takes from
        return Op("crop", {}), set()
    raise PlanError("crop needs a ratio, a size or margins (e.g. 'crop to 1:1', '裁掉右边100像素')")


def _build_trim(f: _Found, limits: Limits):
    return Op("trim", {"tolerance": 12}), set()


def _build_resize(f: _Found, limits: Limits):
    shrink = bool(re.search(r"缩小|缩|shrink|smaller|down", f.trigger)) or f.has("less")
    if not f.slots and not re.search(r"缩|放大|shrink|enlarge|bigger|smaller|larger|up|down", f.trigger):
        raise PlanError(
            "resize needs a size, a side length or a scale (e.g. 'resize to 800 wide', '缩小一半')"
        )
    size = _size(f, limits)
    if size:
        return Op("resize", {"width": size[0], "height": size[1]}), {"size"}
    px = f.get("pixels")
    for dim in ("longest", "shortest", "width", "height"):
        if f.has(dim) and px:
            value = int(_number(px.value))
            if value < 1:
                raise PlanError(f"a {dim} of {value} px is empty")
            if value > limits.max_side:
                _check_output(value, value, limits)
            return Op("resize", {dim: value}), {"size"}
    scale = None
    factor = f.get("factor")
    if factor:
        word = factor.groups[1]
        scale = {"double": 2, "twice": 2, "triple": 3, "half": 0.5, "halve": 0.5, "quarter": 0.25}.get(
            word or ""
        )
        if scale is None:
            scale = _number(factor.groups[0])
            if shrink and scale > 1:
                scale = 1 / scale
    elif f.get("percent"):
        pct = _number(f.get("percent").value) / 100
        if f.has("absolute") or not re.search(
            r"缩小|放大|shrink|enlarge|bigger|smaller|larger|up|down", f.trigger
        ):
            scale = pct
        else:
            scale = 1 - pct if shrink else 1 + pct
    elif f.get("fraction"):
        a, b = (_number(g) for g in f.get("fraction").groups[:2])
        scale = a / b if b else 0
    elif px:
        value = int(_number(px.value))
        if value < 1:
            raise PlanError(f"a size of {value} px is empty")
        return Op("resize", {"longest": value}), {"size"}
    if scale is None:
        scale = 0.5 if shrink else 2.0
        keys: set[str] = set()
    else:
        keys = {"size"}
    if scale <= 0:
        raise PlanError(f"a scale of {scale:g} leaves no image")
    if scale > math.sqrt(limits.max_output_pixels):
        _check_output(scale, scale, limits)
    return Op("resize", {"scale": round(scale, 6)}), keys


def _build_rotate(f: _Found, limits: Limits):
    deg = f.get("degrees") or f.get("pixels")
    degrees = _number(deg.value) if deg else 90.0
    if f.has("ccw") or re.search(r"逆时针|counter|anti", f.trigger):
        degrees = -degrees
    degrees = ((degrees + 180) % 360) - 180 or 0.0
    if degrees == -180:
        degrees = 180.0
    return Op("rotate", {"degrees": degrees}), ({"degrees"} if deg else set())


def _build_flip(f: _Found, limits: Limits):
    vertical = f.has("vertical") or bool(re.search(r"upside|倒过来|颠倒|倒置", f.trigger))
    return Op("flip", {"axis": "vertical" if vertical else "horizontal"}), {"axis"}


def _build_grey(f: _Found, limits: Limits):
    return Op("grey", {}), set()


def _build_adjust(name: str, negative_words: tuple[str, ...], floor: float = -0.95):
    def build(f: _Found, limits: Limits):
        amount, keys = _amount(f, negative_words)
        if amount <= floor:
            raise PlanError(f"{name} {amount:+.0%} would leave a blank image")
        return Op(name, {"amount": round(amount, 4)}), keys

    return build


def _build_saturation(f: _Found, limits: Limits):
    amount, keys = _amount(f, ("褪色", "muted", "desaturat"))
    if amount <= -1:
        return Op("grey", {}), keys
    return Op("saturation", {"amount": round(amount, 4)}), keys


def _build_tone(f: _Found, limits: Limits):
    text = f.trigger + " " + " ".join(s.value for s in f.slots if s.name in ("warm", "cool"))
    cool = f.has("cool") or bool(re.search(r"冷|cool|cold|蓝|青|blu", f.trigger))
    warm = f.has("warm") or bool(re.search(r"暖|warm|黄|橙|golden|yellow", f.trigger))
    if not (cool or warm):
        if f.has("more"):
            warm = True  # raising colour temperature warms the picture
        elif f.has("less"):
            cool = True
        else:
            raise PlanError(f"say which way to shift the colour tone ({text.strip()!r}: warmer or cooler?)")
    amount, keys = _amount(f)
    warmth = abs(amount) * (-1 if cool and not warm else 1)
    return Op("tone", {"warmth": round(warmth, 4)}), keys | {"warmth"}


def _colour(f: _Found) -> list[int] | None:
    slot = f.get("colour")
    text = slot.value.strip() if slot else ""
    if not text and re.search(r"白|white", f.trigger):
        text = "white"
    found = load_vocabulary().colour_in(text) if text else None
    if not found:
        return None
    colour = found[0]
    return [*colour.rgb, colour.alpha] if colour.alpha != 255 else list(colour.rgb)


def _build_pad(f: _Found, limits: Limits):
    colour = _colour(f)
    params: dict = {}
    keys: set[str] = set()
    size = _size(f, limits)
    ratio = _ratio(f) if not size else None
    amount = f.get("pixels") or f.get("percent")
    if size:
        params["size"] = list(size)
    elif ratio:
        params["aspect"] = list(ratio)
    elif amount:
        value = abs(_number(amount.value))
        params["margins"] = {s: value for s in _sides(f)}
        params["unit"] = "percent" if amount.name == "percent" else "px"
    if params:
        keys.add("shape")
    else:
        params["margins"] = {s: 5.0 for s in ALL_SIDES}
        params["unit"] = "percent"
    params["colour"] = colour or [255, 255, 255]
    if colour:
        keys.add("colour")
    return Op("pad", params), keys


def _build_sharpen(f: _Found, limits: Limits):
    amount, keys = _amount(f)
    return Op("sharpen", {"amount": round(abs(amount) * (1 if amount >= 0 else -1) / 0.3, 4)}), keys


def _build_blur(f: _Found, limits: Limits):
    px = f.get("pixels")
    sigma = _number(px.value) if px else (1.0 if f.has("bit") else 3.0 if f.has("lot") else 2.0)
    if not 0 < sigma <= 200:
        raise PlanError(f"a blur of {sigma:g} px is not possible")
    return Op("blur", {"sigma": sigma}), {"sigma"} if px else set()


def _build_format(f: _Found, limits: Limits):
    params: dict = {}
    fmt = f.get("fmt")
    if fmt:
        name = fmt.value.lower()
        params["format"] = {"jpg": "jpeg", "tif": "tiff", "tiff": "tiff"}.get(name, name)
    quality = f.get("quality")
    if quality:
        q = int(quality.value)
        if not 1 <= q <= 100:
            raise PlanError(f"JPEG quality {q} is outside 1-100")
        params["quality"] = q
    elif re.search(r"压缩|compress", f.trigger):
        params["quality"] = 80
    if not params:
        raise PlanError("say which format (png, jpeg, webp) or quality to use")
    return Op("format", params), set(params)


_BUILDERS = {
    "crop": _build_crop,
    "trim": _build_trim,
    "resize": _build_resize,
    "rotate": _build_rotate,
    "flip": _build_flip,
    "grey": _build_grey,
    "brightness": _build_adjust("brightness", ("暗", "dark", "dim")),
    "contrast": _build_adjust("contrast", ()),
    "saturation": _build_saturation,
    "tone": _build_tone,
    "pad": _build_pad,
    "sharpen": _build_sharpen,
    "blur": _build_blur,
    "format": _build_format,
}


def _check_against_image(op: Op, image_size: tuple[int, int], limits: Limits) -> None:
    """Refuse what cannot work on this picture: crops wider than it, results above the limit."""
    width, height = image_size
    p = op.params
    if op.name == "crop" and "margins" in p and p.get("unit") == "px":
        m = {s: p["margins"].get(s, 0) for s in ALL_SIDES}
        if m["left"] + m["right"] >= width or m["top"] + m["bottom"] >= height:
            raise PlanError(f"cropping {p['margins']} px leaves nothing of a {width}x{height} image")
    if op.name == "resize":
        if "scale" in p:
            _check_output(width * p["scale"], height * p["scale"], limits)
        for dim, base, other in (("width", width, height), ("height", height, width)):
            if dim in p and len(p) == 1:
                _check_output(p[dim], other * p[dim] / base, limits)
        if "longest" in p:
            s = p["longest"] / max(width, height)
            _check_output(width * s, height * s, limits)
        if "shortest" in p:
            s = p["shortest"] / min(width, height)
            _check_output(width * s, height * s, limits)
    if op.name == "pad" and "margins" in p and p.get("unit") == "px":
        m = {s: p["margins"].get(s, 0) for s in ALL_SIDES}
        _check_output(width + m["left"] + m["right"], height + m["top"] + m["bottom"], limits)
