"""Instruction -> Plan: the cheap pre-classifier that decides OpenCV, model or reject.

Pure Python: no Prefect, no image decoding. When the caller knows the image size it is used to
refuse parameters that cannot work on that image (a crop wider than the picture, say).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

from config.contracts import MODEL_OP, Intent, Op, Plan
from config.limits import Limits
from routing.builders import turn
from routing.clauses import IMPLICIT, STATED_NUMBER, read_op_clause, split_clauses
from routing.conditions import ConditionError, describe_condition, read_condition
from routing.intent import read_intent
from routing.letter import request_in_letter
from routing.library import choices, suggestion
from routing.normalize import fold_width, normalise
from routing.presets import named_preset, preset_ops
from routing.reader import Reader, load_reader
from routing.request import QUOTE_CHARS, Clause, Masked, mask_quotes, read_clause
from routing.safety import NAMED_PERSON_REASON, named_person, refusal, sensitive_concepts
from routing.slots import PlanError
from routing.templates import Templates, load_templates
from routing.verify import (
    ADJUSTMENT_AMOUNT,
    ORIENTATION_OPS,
    adjustment_conflict,
    aspect_of,
    frame_conflict,
    orientation_conflict,
    own_shape,
    print_size,
    restates,
    stretch_conflict,
    unclear_model_request,
    unexplained_sides,
    unheld_parameter_words,
    unused_numbers,
    without_own_shape,
)
from routing.vocabulary import load_vocabulary

GLOBAL_COLOUR_OPS = ("brightness", "contrast", "saturation", "tone", "grey", "sharpen", "blur")
KEPT_ATTRIBUTES = ("colour", "size", "aspect", "font", "composition")  # what "keep-…" constraints may name
_CHANGES = {"keep-size": {"resize"}, "keep-colour": {"grey"}}  # ops that undo what a constraint keeps
CONFIDENCE_FLOOR = 0.6  # an OpenCV plan below this is never run: model or reject instead
UNPARSED_CONFIDENCE = 0.8  # a whole clause not understood beside an OpenCV edit
PARAMETER_WORDS = ("cw", "ccw", "horizontal", "vertical", "side", "width", "height", "longest", "shortest")
_ADJUSTED = ("brightness", "contrast", "saturation")  # adjustments that share a way in one breath
CORRECTED_CONFIDENCE = 0.85  # a clause read only after correcting a typo in an edit word
# The learned reader (routing/reader.py) is asked only where the rules fell back; the levels were
# set on leave-set-out runs of the case files (benchmarks/router_reader.py evaluate), never on a
# set scored after
READER_REFUSES = 0.7  # a model plan the reader judges unsafe or not an edit at least this surely
READER_NOT_EDIT = 0.5  # naming nothing sensitive: refused when read as no edit at least this surely,
READER_REFUSES_PLAIN = 0.9  # or as no edit or unsafe together this surely
READER_MIN_CHARS = 12  # a shorter request ("add a hat") gives the reader too little to refuse it on
_CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character says about as much as two letters
READER_CONFIRMS = 0.7  # an OpenCV plan unsure only for words of context, read as OpenCV this surely
READER_MODEL = 0.7  # a request the rules found no edit in, read as a model edit this surely
READER_CONTEXT = 0.4  # words beside an OpenCV edit read as a model (or unsafe) edit less surely: context
DEGREE_CLAUSE_WORDS = 3  # "like a lot", "a bit more": a degree carried to the edit beside it
LETTER_PARAMETER_WORDS = 3  # "direction=down", "amount: 30%", "角度：180": parameters, not context
RESCUE_FLOOR = 0.31  # below this (0.3) an OpenCV plan left out a number, a side or an edit: never run


def route(
    instruction: str | None,
    image_size: tuple[int, int] | None = None,
    limits: Limits | None = None,
    templates: Templates | None = None,
    reader: Reader | None | bool = True,
) -> Plan:
    """Decide how to carry out `instruction` on an image of `image_size` (width, height).

    `reader`: the learned reader asked where the rules fall back (True: the shipped one; False:
    the rules alone).
    """
    learned = load_reader() if reader is True else reader or None
    plan = _read(instruction, image_size, limits, templates, learned)
    if instruction is None or plan.reason.startswith(("unsafe request", "not an image edit: ")):
        return plan
    if learned is not None:
        plan = _second_reading(plan, instruction, learned)
    t = templates or load_templates()
    focus = request_in_letter(
        instruction,
        t,
        lambda s: _names_an_edit(s, image_size, limits, templates),
        lambda s: len(s.split()) <= LETTER_PARAMETER_WORDS and _only_parameters(s, t),
    )
    if focus is None:
        return plan
    # a letter: its request read alone, when that is an edit ("Dear team, ... please crop it to 1:1 ...")
    focused = route(focus, image_size, limits, templates, learned or False)
    if focused.route == "reject":
        return plan
    return replace(focused, reason=f"{focused.reason}; the request read in a letter: {focus!r}")


def _shape_said_twice(ops: list[Op], explicit: list[set[str]]) -> None:
    """Drop a crop read from a bare shape ("1:1正方形") when another op makes that shape in a way
    the request says ("补白边到正方形"): the shape was the target, the other op how to reach it."""
    for i in range(len(ops) - 1, -1, -1):
        if IMPLICIT not in explicit[i] or set(ops[i].params) - {"anchor"} != {"aspect"}:  # a size stays
            continue
        shape = aspect_of(ops[i].params["aspect"])
        if any(
            j != i and IMPLICIT not in explicit[j] and aspect_of(op.params.get("aspect", (0, 1))) == shape
            for j, op in enumerate(ops)
        ):
            del ops[i], explicit[i]


def _shape_not_made(text: str, ops: list[Op], t: Templates) -> bool:
    """Does `text` state a shape ("正方形", "3:4", "800x800") that no op of the plan makes?"""
    made = {aspect_of(op.params["aspect"]) for op in ops if isinstance(op.params.get("aspect"), list)}
    made |= {
        aspect_of((op.params["width"], op.params["height"]))
        for op in ops
        if "height" in op.params and "width" in op.params
    }
    if t.slots["square"].search(text) and 1.0 not in made:
        return True
    shapes = [m for name in ("ratio", "size") for m in t.slots[name].finditer(text)]
    return any(float(m.group(2)) and aspect_of((m.group(1), m.group(2))) not in made for m in shapes)


def _idempotent(op: Op) -> bool:
    """Is asking twice for `op` asking once? A crop to a ratio or a resize to a size, said again,
    is the same edit; a turn, a flip, a border or an adjustment said again may be a second one."""
    return op.name == "crop" and "aspect" in op.params or op.name == "resize" and "scale" not in op.params


def _reads_as_context(text: str, reader: Reader) -> bool:
    """Words the rules would send to the model, beside an OpenCV edit, that say why or how the
    picture is rather than what to change in it: the learned reader does not read them as a model
    edit, nor as an unsafe one when they name something sensitive (routing/safety.toml [meaning]
    sensitive); quotes are always the model's (a text edit)."""
    if QUOTE_CHARS.search(text):
        return False
    p = reader.probabilities_of(text)
    if p["model"] >= READER_CONTEXT:
        return False
    # the reader's "unsafe" of words about nothing sensitive is mostly "worded unusually"
    return p["unsafe"] < READER_CONTEXT or not sensitive_concepts(text)  # never "also make him Elon"


#: a thing kept in the middle ("杯子放中间", "keep the cup centred"): beside a crop or a pad, where
#: the frame is cut or grown evenly around it (their anchor is the centre), not a move of the thing
_CENTRED = re.compile(
    r"(?:把|将|让)?\s*[\u4e00-\u9fff]{1,6}?\s*(?:放|摆|保持|留|位于|处于|在)?在?\s*(?:画面|图片|图)?\s*(?:正?中间|正中|中央|居中|中心)(?:位置)?|"
    r"(?:keep(?:ing)?\s+)?(?:the|our|my)\s+[a-z]+(?:\s+[a-z]+)?\s+(?:(?:is|stays?)\s+)?(?:cent(?:er|re)d|in\s+the\s+(?:middle|cent(?:er|re)))"
)
_CHANGED = re.compile(  # a thing said to become something: "the cup bigger", "杯子大一点", "更亮"
    r"[a-z]+er\s+than|\b(?:bigger|smaller|larger|wider|narrower|taller|shorter|higher|lower|longer|thinner|"
    r"thicker|brighter|darker|lighter|sharper|softer|cleaner|whiter|redder)\b|"
    r"(?:更|再|变|调|弄)[\u4e00-\u9fff]|[大小高低宽窄长短亮暗深浅粗细][一点些]|"
    r"\b(?:should|must|needs?\s+to|has\s+to|have\s+to)\s+be\b|要(?:是|变|有|换|改)|应该"
)


def _describes(text: str, t: Templates, v) -> bool:
    """Does a clause the rules would send to the model, beside an OpenCV edit, only describe — the
    picture, the customer, the shop ("客人买了2个，反馈说listing图太暗沉了", "下面空了一大块桌面",
    "我们第3家店下个月开业")? It names no model action (no verb of one, no thing the model edits:
    background, text, logo, ...), no colour, no part of the picture alone, and says of nothing what
    it should become ("the cup bigger", "杯子大一点"): words of context, not a second edit."""
    return not (
        QUOTE_CHARS.search(text)
        or t.model_verbs.search(text)
        or t.model_nouns.search(text)
        or t.local_words.search(text)
        or v.colours_in(text)
        or _CHANGED.search(text)
    )


def _names_an_edit(
    sentence: str, image_size: tuple[int, int] | None, limits: Limits | None, templates: Templates | None
) -> bool:
    """Whether the rules read an edit in `sentence` alone (one they may still be unsure of)."""
    plan = _read(sentence, image_size, limits, templates, None)
    return plan.route != "reject" or plan.reason.startswith(("not sure", "unclear", "impossible request"))


def _read(
    instruction: str | None,
    image_size: tuple[int, int] | None,
    limits: Limits | None,
    templates: Templates | None,
    reader: Reader | None,
) -> Plan:
    """The rules' reading of `instruction`.

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
    said = normalise(display)
    if named_person(display):  # "Put Jackie Chan holding the cup"
        return Plan.reject(f"unsafe request: {NAMED_PERSON_REASON}", 0.95)
    rule = refusal(said)
    if rule:
        prefix = "unsafe request" if rule.kind == "unsafe" else "not an image edit"
        return Plan.reject(f"{prefix}: {rule.reason}", 0.95)

    if t.not_in_a_picture.search(said):  # "make the coffee taste less bitter", "show the back"
        return Plan.reject(
            "impossible request: an edit of a photo cannot change how a thing tastes, smells, sounds "
            "or feels, spin it in 3D, or show a side the photo was not taken from",
            0.9,
        )
    unit = print_size(said)
    if unit and not t.model_nouns.search(said):  # "put our 2.5 cm logo sticker on the rim": the model's
        return Plan.reject(f"unclear request: {unit}", 0.9, **_asked(said, "resize"))
    try:
        condition = read_condition(said)  # "if it's wider than 500px, shrink it to 500 wide"
    except ConditionError as exc:
        return Plan.reject(f"unclear request: {exc}", 0.9, **_asked(said))
    if condition is not None:
        return _conditional(condition, image_size, limits, t, reader)
    named = named_preset(display)  # "make it Amazon-ready": the marketplace's preset, by OpenCV
    if named is not None:
        return Plan("opencv", preset_ops(named), 0.9, f"preset {named.label}: {named.description}")

    masked = mask_quotes(display)
    corrections = list(t.self_corrections.finditer(said))
    if corrections:  # "调亮，哦不对，是调暗一点": what follows the last correction stands
        return _corrected(said, corrections[-1], masked, image_size, limits, t, reader)
    opened = t.openers.match(said)  # "可以亮度和对比度都降低吗？": one request, asked politely
    framed = bool(opened and opened.end())
    clauses = [read_clause(shown, asked, t, v, framed) for shown, asked in split_clauses(masked.text, t)]
    constraints = tuple(dict.fromkeys(c.constraint for c in clauses if c.constraint))
    requests = _slots_carried((c for c in clauses if c.kind == "request"), t)
    unread = [c for c in clauses if c.kind == "question"]  # clauses the plan does not explain
    if not requests:
        return _nothing_to_do(clauses, display)

    ops: list[Op] = []
    explicit: list[set[str]] = []
    stated: list[Op] = []  # ops that put right what a state said ("upside down" -> rotate 180)
    model_parts: list[str] = []
    model_text: list[str] = []
    confidences: list[float] = []
    notes: list[str] = []
    readings = []
    read_ops: list[Op] = []  # every op read, before merging: do any pull against each other?
    restated: list[str] = []  # clauses that asked again for the op before them, in the same words
    context = partial(_reads_as_context, reader=reader) if reader is not None else None
    for clause in requests:
        try:
            readings.append((clause, read_op_clause(clause.text, t, limits, image_size, context)))
        except PlanError as exc:
            readings.append((clause, exc))
    # a target stated among other words ("小红书是3:4竖图") is the request only when nothing else is
    commanded = any(not isinstance(r, PlanError) and r[0] in ("opencv", "model") for _, r in readings)
    opencv = [r for _, r in readings if not isinstance(r, PlanError) and r[0] == "opencv"]
    edits = any(conf >= CONFIDENCE_FLOOR for _, _, conf, _ in opencv)
    found_anywhere = [(op, keys) for _, found, _, _ in opencv for op, keys in found]
    # a pad with no shape of its own, or "don't crop": a shape stated among words is what it pads to
    padded = "no-crop" in constraints or any(
        op.name == "pad" and "shape" not in keys for op, keys in found_anywhere
    )
    framed = any(op.name in ("crop", "pad") for op, _ in found_anywhere)
    for clause, reading in readings:
        if isinstance(reading, PlanError):
            return Plan.reject(f"impossible request: {reading}", 0.95)
        kind, found_ops, conf, note = reading
        if kind == "implied" and any(
            isinstance(op.params.get("aspect"), list)
            and "size" not in op.params  # "150 x 100" is a size to make, whatever its shape
            and own_shape(op.params["aspect"], image_size)
            for op, _ in found_ops
        ):
            kind = "unknown"  # "main image is 3:2": the picture's own shape, said as what it is
        if kind == "implied" and commanded and padded:
            kind, conf = "opencv", max(conf, CONFIDENCE_FLOOR)  # "1000x1000, white-padded, no cropping"
        if kind == "implied":
            kind = "unknown" if commanded else "opencv"
        if (
            kind == "model"
            and edits
            and (context is not None and context(clause.text) or _describes(clause.text, t, v))
        ):
            kind = "unknown"  # "The picture color is too much dark, please make it bright": why, not what
        if kind == "model" and framed and _CENTRED.fullmatch(clause.text.strip()):
            kind = "skip"  # "裁成正方形，杯子放中间": where a crop to the middle keeps it, not a move
        if kind == "reject":
            return Plan.reject(note, conf, unparsed=(masked.restore(clause.shown),), **_asked(clause.text))
        if kind == "unknown":
            unread.append(clause)
            continue
        if kind == "skip":
            continue
        if clause.corrections:  # "rotae 90" is run as "rotate 90", and the plan says so
            conf = min(conf, CORRECTED_CONFIDENCE)
            notes.append(
                "read " + ", ".join(f"{wrong!r} as {right!r}" for wrong, right in clause.corrections)
            )
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
        read_ops.extend(op for op, _ in found_ops)
        for op, keys in found_ops:
            if op.name in ORIENTATION_OPS and (op in stated or (clause.evidence and op in ops)):
                continue  # "拍倒了，转180度回来": the state and the command ask for one turn
            if ops and ops[-1] == op and _idempotent(op):  # "the feed is all 4:5 now, crop this one to 4:5"
                restated.append(clause.text)
            _append_merging(ops, explicit, op, keys)
            if clause.evidence:
                stated.append(op)

    _shape_said_twice(ops, explicit)  # "要求1:1正方形，请补白边到正方形": one pad, not a crop and a pad
    _shape_to_pad(ops, explicit)
    if any(op.name == "crop" and "margins" in op.params for op in ops):  # "strip the border: 10 px"
        explicit = [keys for op, keys in zip(ops, explicit, strict=True) if op.name != "trim"]
        ops = [op for op in ops if op.name != "trim"]
    unparsed = [masked.restore(c.shown) for c in unread]
    if not ops:
        text = "; ".join(unparsed) or display
        return Plan.reject(
            f"no image edit recognised in {text!r}",
            0.8,
            **_asked(normalise(text)),
            unparsed=tuple(unparsed),
        )
    forbidden = _forbidden(clauses, t, limits, image_size)
    try:
        if any(op.name == "rotate" and not keys for op, keys in zip(ops, explicit, strict=True)):
            raise PlanError(
                "say how far and which way to rotate, e.g. 'rotate 90° clockwise' or '逆时针旋转90度'"
            )
        for i, op in enumerate(ops):
            if op.name == "crop" and not op.params:  # "banners must be 16:9. Crop accordingly."
                found = _shape_stated([c.text for c in unread], t)
                if found is None:
                    raise PlanError(
                        "crop needs a ratio, a size or margins (e.g. 'crop to 1:1', '裁掉右边100像素')"
                    )
                index, aspect = found
                ops[i] = Op("crop", {"aspect": aspect, "anchor": "center"})
                del unparsed[index], unread[index]
        ops = _apply_constraints(ops, constraints, forbidden)
    except PlanError as exc:  # "crop it": which crop? the crop's own forms are offered
        first = next((op.name for op in ops), None)
        return Plan.reject(f"impossible request: {exc}", 0.9, unparsed=tuple(unparsed), **_asked(said, first))
    stretched = stretch_conflict(ops, constraints, image_size)  # "宽改成1200，高改成300，不许变形"
    if stretched:
        return Plan.reject(
            f"unclear request: {stretched}", 0.9, unparsed=tuple(unparsed), **_asked(said, "resize")
        )
    conflict = orientation_conflict(ops)
    about = "rotate"
    if conflict is None:  # "brighten it, then darken it"
        conflict = adjustment_conflict(read_ops) or frame_conflict(ops)
        about = read_ops[0].name if read_ops else None
    if conflict:
        return Plan.reject(
            f"unclear request: {conflict}", 0.9, unparsed=tuple(unparsed), **_asked(said, about)
        )
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
        unclear = unclear_model_request(intent, " ; ".join(model_text))
        if unclear:  # "改一下", "把那个去掉": asked back, never guessed on the GPU
            return Plan.reject(
                f"unclear request: {unclear}",
                0.8,
                unparsed=tuple(unparsed),
                **_asked(said, intent.action),
            )
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
        # a number, a side, a direction or a dimension the plan does not use is never dropped
        # silently: below the floor (words of context, "for the listing", only lower it)
        read = without_own_shape(" ".join(c.text for c in unread), image_size)  # states replaced
        parameter = (
            any(not restates(m.group(), ops, image_size) for m in STATED_NUMBER.finditer(read))
            # a side, a direction or a dimension the plan does not already hold
            or unheld_parameter_words(read, ops, {name: t.slots[name] for name in PARAMETER_WORDS})
            or _shape_not_made(read, ops, t)  # "朋友圈要正方形的，顺便调亮一点": the square is unread
            # "…对比度都降低吗": an edit named, unread (not one the plan makes: "too harsh, lower contrast")
            or t.names_an_op(read, besides=tuple(op.name for op in ops))
        )
        confidence = min(confidence, 0.3 if parameter else UNPARSED_CONFIDENCE)
        notes.append(f"not understood: {words!r}")
    plan_reason = "OpenCV: " + ", then ".join(describe(op) for op in ops) + _suffix(notes)
    first = ops[0].name
    stated_text = normalise(QUOTE_CHARS.sub(" ", masked.text))
    # the numbers of a way forbidden ("don't rotate it 90, rotate it 180") are held by it
    said_not = [op for ways in forbidden.values() for op in ways]
    unused = list(dict.fromkeys(unused_numbers(stated_text, ops + said_not, image_size)))
    context = " ".join([c.text for c in unread] + restated)  # numbers said again there are no new ones
    unused = [
        n
        for n in unused
        if not (re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.])", context) and restates(n, ops, image_size))
    ]
    sides = unexplained_sides(stated_text, ops, t.slots["side"])
    if sides and not unused:  # a side named, every side cut or padded: which one was meant?
        return Plan.reject(
            f"unclear request: the {' and '.join(sides)} side{'s are' if len(sides) > 1 else ' is'} named "
            f"but the plan ({plan_reason}) changes all four; say which sides",
            0.9,
            **_asked(said, first),
            unparsed=tuple(unparsed),
        )
    if unused:  # "淘宝主图 800*800 不要裁切": a number read by no parameter is never dropped
        return Plan.reject(
            f"unclear request: {', '.join(repr(n) for n in unused)} is not used by the plan "
            f"({plan_reason}); say what {'it is' if len(unused) == 1 else 'they are'} for",
            0.9,
            **_asked(said, first),
            unparsed=tuple(unparsed),
        )
    if confidence < CONFIDENCE_FLOOR and reader is not None and confidence >= RESCUE_FLOOR:
        # unsure only for words of context ("the lighting in there is terrible ... brighten it up")
        sure = reader.probabilities_of(said)["opencv"]
        if sure >= READER_CONFIRMS:
            confidence = CONFIDENCE_FLOOR
            plan_reason += f"; read as an OpenCV edit by the learned reader ({sure:.2f})"
    if confidence < CONFIDENCE_FLOOR:
        return Plan.reject(
            f"not sure what to do ({plan_reason}; confidence {confidence:.2f})",
            0.7,
            **_asked(said, first),
            unparsed=tuple(unparsed),
        )
    return Plan(
        "opencv", tuple(ops), confidence, plan_reason, constraints=constraints, unparsed=tuple(unparsed)
    )


def _conditional(
    condition: tuple[dict, str],
    image_size: tuple[int, int] | None,
    limits: Limits | None,
    t: Templates,
    reader: Reader | None,
) -> Plan:
    """The plan of a request that holds only under a condition on the picture's size: its OpenCV
    ops carry the condition (`when`), tested on the picture when they run; a model edit under a
    condition is asked about (the GPU is not spent on a guess)."""
    when, rest = condition
    plan = _read(rest, image_size, limits, t, reader)
    if plan.route == "reject":
        return plan
    if plan.route == "model":
        return Plan.reject(
            "unclear request: a model edit under a condition on the picture's size is not carried "
            "out; ask for it without the condition",
            0.9,
            **_asked(rest),
        )
    ops = tuple(Op(op.name, {**op.params, "when": when}) for op in plan.ops)
    return replace(plan, ops=ops, reason=f"{plan.reason}; {describe_condition(when)}")


def _corrected(
    said: str,
    last: re.Match[str],
    masked: Masked,
    image_size: tuple[int, int] | None,
    limits: Limits | None,
    t: Templates,
    reader: Reader | None,
) -> Plan:
    """The plan of a request that corrects itself: what follows its last correction, when that
    is a whole request of its own, with numbers of its own if numbers were said before it ("make
    the background grey, no wait, a light oak texture", "crop to 1:1, scratch that, 4:5");
    otherwise ("rotate left, no wait, right. 90 degrees", "加个20像素的黑边，算了还是白边吧": which part
    of the first still holds?) it is asked about."""
    before, after = said[: last.start()], said[last.end() :]
    swapped = _parameter_corrected(before, after, t)  # "rotate left, no wait, right. 90 degrees"
    if swapped is not None and not masked.quotes:
        plan = _read(swapped, image_size, limits, t, reader)
        if plan.route == "opencv":
            note = f"read the correction ({last.group().strip()!r}) as {swapped.strip(' ,.;')!r}"
            return replace(plan, reason=f"{plan.reason}; {note}")
    # numbers said before stand corrected only by numbers of its own ("1:1, scratch that, 4:5")
    if not masked.quotes and (STATED_NUMBER.search(after) or not STATED_NUMBER.search(before)):
        plan = _read(after, image_size, limits, t, reader)
        if plan.route != "reject":
            note = f"read the correction ({last.group().strip()!r}): {after.strip(' ,.;')!r}"
            if plan.route == "model":  # the model reads the whole request: "make it …" says what "it" is
                whole = Op(MODEL_OP, {"prompt": masked.text})
                plan = replace(plan, ops=tuple(whole if op.name == MODEL_OP else op for op in plan.ops))
            return replace(plan, reason=f"{plan.reason}; {note}")
    return Plan.reject(
        f"unclear request: it corrects itself ({last.group().strip()!r}); say only the edit you want",
        0.9,
        **_asked(said),
    )


# the parameters a correction may put right, each with the slots that say the value it replaces
_CORRECTABLE = (("cw", "ccw"), ("horizontal", "vertical"), ("warm", "cool"), ("more", "less"))
_CORRECTING_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:px|pixels?|像素|%|度|degrees?|°)?")


def _parameter_corrected(before: str, after: str, t: Templates) -> str | None:
    """A correction of one parameter ("rotate left, no wait, right", "800 wide - sorry, 900",
    "flip it vertically - I mean horizontally") as the request it makes: the words before it with
    that parameter replaced, then the rest. None when what follows the correction is not one
    parameter of a kind said before it."""
    after = after.strip(" ,-")
    first = re.match(r"([^,.;!]*?)(?:\s*[,.;!]\s*|\s+-\s+|$)", after)
    head, rest = first.group(1).strip(), after[first.end() :]
    for group in _CORRECTABLE:
        if any(t.slots[n].fullmatch(head) for n in group) and any(t.slots[n].search(before) for n in group):
            for name in group:
                before = t.slots[name].sub(" ", before)
            return f"{before.rstrip(' ,-')} {head}, {rest}"
    number = _CORRECTING_NUMBER.fullmatch(head)
    stated = list(STATED_NUMBER.finditer(before))
    if number and stated:
        last = stated[-1]
        return f"{before[: last.start()]}{number.group(1)}{before[last.end() :].rstrip(' ,-')}, {rest}"
    return None


def _second_reading(plan: Plan, instruction: str, reader: Reader) -> Plan:
    """Where the rules fell back, the learned reader decides: a model plan it judges unsafe or not
    an edit is refused (the rules send anything with nouns to the model), as unsafe only when it
    names something sensitive (routing/safety.toml [meaning] sensitive): the reader's "unsafe" of a
    request about nothing sensitive is mostly "worded unusually", and counts only when
    overwhelming (READER_REFUSES_PLAIN); a request the rules found
    no edit in that it reads as a model edit goes to the model, when its intent is clear."""
    if plan.route == "model":
        said = normalise(fold_width(instruction))
        p = reader.probabilities_of(said)
        refused = p["unsafe"] + p["not_edit"]
        concerns = sensitive_concepts(said)  # unsafe only about something: a person, a brand, ...
        sure = (
            refused >= READER_REFUSES
            if concerns
            else (p["not_edit"] >= READER_NOT_EDIT or refused >= READER_REFUSES_PLAIN)
        )
        if not sure or len(said) + len(_CJK.findall(said)) < READER_MIN_CHARS:
            return plan
        if concerns and p["unsafe"] >= p["not_edit"]:
            reason = (
                "unsafe request: it reads like the requests Retouch refuses "
                f"(learned reader, {refused:.2f}); if it is an ordinary product edit, say plainly what "
                "to change"
            )
        else:
            reason = (
                "not an image edit of this picture, or too vague to carry out "
                f"(learned reader, {refused:.2f}); say what to change in it"
            )
        return Plan.reject(reason, refused, **_asked(said, plan.intent.action if plan.intent else None))
    if plan.route == "reject" and plan.reason.startswith("no image edit recognised"):
        display = fold_width(instruction)
        p = reader.probabilities_of(normalise(display))
        if p["model"] < READER_MODEL:
            return plan
        masked = mask_quotes(display)
        said = normalise(masked.text)
        intent = read_intent(said, masked, (), load_vocabulary())
        if unclear_model_request(intent, said):
            return plan
        return Plan(
            "model",
            (Op(MODEL_OP, {"prompt": display}),),
            CONFIDENCE_FLOOR,
            "needs the image model to edit the picture's content "
            f"(read by the learned reader, {p['model']:.2f})",
            intent=intent,
        )
    return plan


def _nothing_to_do(clauses: list[Clause], display: str) -> Plan:
    """The refusal of an instruction with no request in it: a question, or only constraints."""
    if any(c.kind == "question" for c in clauses):
        return Plan.reject(
            f"not an image edit (a question): {display!r}; to change the picture, "
            "say what to do, e.g. '裁剪为1:1' or 'remove the watermark'",
            0.9,
        )
    if not any(c.kind == "constraint" for c in clauses):  # only why or for what: "for the listing"
        return Plan.reject(f"no image edit recognised in {display!r}", 0.8, **_asked(normalise(display)))
    return Plan.reject(
        "nothing to do: the instruction only says what to keep "
        f"({', '.join(c.constraint or '' for c in clauses)})",
        0.9,
    )


def _forbidden(
    clauses: list[Clause], t: Templates, limits: Limits, image_size: tuple[int, int] | None
) -> dict[str, list[Op]]:
    """The ops that clauses forbid in a way they say ("don't flip it horizontally", "not
    warmer"), by name: forbidding one way of an op is not forbidding the op."""
    found: dict[str, list[Op]] = {}
    for clause in clauses:
        if not clause.forbids:
            continue
        try:
            kind, read, _, _ = read_op_clause(clause.forbids, t, limits, image_size)
        except PlanError:
            continue
        if kind == "opencv":
            for op, keys in read:
                if keys - {IMPLICIT}:  # said which way: that way only
                    found.setdefault(op.name, []).append(op)
    return found


def _apply_constraints(
    ops: list[Op], constraints: tuple[str, ...], forbidden: dict[str, list[Op]] | None = None
) -> list[Op]:
    """ "don't crop": a crop to a ratio or size becomes padding to it (white unless a pad colour
    was given); a crop of margins contradicts the constraint. "don't resize" likewise. A
    constraint that forbids one way of an op (`forbidden`: "don't flip it horizontally — flip it
    vertically", "not warmer. Cooler.") contradicts only that way."""
    forbidden = forbidden or {}

    def another_way(constraint: str) -> bool:  # only a way of the op not asked for is forbidden
        ways = forbidden.get(constraint.removeprefix("no-"), [])
        asked = [op for op in ops if op.name == constraint.removeprefix("no-")]
        return bool(ways and asked) and not any(
            op == way or _same_direction(way, op) for op in asked for way in ways
        )

    constraints = tuple(c for c in constraints if not (c.startswith("no-") and another_way(c)))
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
        changed = {op.name for op in ops} & _CHANGES.get(constraint, set())
        if changed:  # "放大一点，但是尺寸不要变", "转黑白，颜色不变"
            kept = constraint.replace("-", " the ")
            raise PlanError(f"the instruction asks to {', '.join(sorted(changed))} and to {kept}")
    return ops


def _shape_stated(texts: list[str], t: Templates) -> tuple[int, list[float]] | None:
    """The first aspect ratio a clause the parser could not read states ("banner images require a
    16:9 aspect ratio", "boss say must be 1:1 lah"), and which clause: (index, [w, h])."""
    for index, text in enumerate(texts):
        ratio = t.slots["ratio"].search(text)
        if ratio:
            w, h = float(ratio.group(1)), float(ratio.group(2))
            if w > 0 and h > 0:
                return index, [w, h]
        if t.slots["square"].search(text):
            return index, [1.0, 1.0]
    return None


def _slots_carried(clauses, t: Templates) -> list[Clause]:
    """One frame per request: a clause with no edit of its own but the parameters of one ("Mirror.
    Horizontal.", "亮度，再高一点", "旋转90度，逆时针") is read with the clause before it (or, first,
    the one after)."""
    out: list[Clause] = []
    pending: Clause | None = None
    for clause in clauses:
        if pending is not None:
            clause = replace(
                clause, text=f"{pending.text} {clause.text}", shown=f"{pending.shown}, {clause.shown}"
            )
            pending = None
        if _only_parameters(clause.text, t):
            if out:
                last = out[-1]
                out[-1] = replace(
                    last, text=f"{last.text} {clause.text}", shown=f"{last.shown}, {clause.shown}"
                )
            else:
                pending = clause
            continue
        out.append(clause)
    if pending is not None:
        out.append(pending)
    return out


def _only_parameters(text: str, t: Templates) -> bool:
    """Parameters of an edit (a side, a direction, an axis, a dimension, a number, where to keep)
    and no edit; "居中" alone beside a crop is where it keeps, not a composition for the model."""
    anchor = t.slots["anchor"].search(text)
    if anchor and not re.sub(r"[\W_]+", "", text[: anchor.start()] + text[anchor.end() :]):
        return True
    if not text.strip() or t.names_an_op(text) or t.model_words.search(text):
        return False
    if any(t.slots[name].search(text) for name in ("ratio", "size", "square", "fmt")):
        return False  # "1:1", "800x800", "JPG q85": a shape or a format, an edit of its own
    if any(
        t.slots[name].search(text) for name in (*PARAMETER_WORDS, "more", "less", "anchor")
    ) or STATED_NUMBER.search(text):
        return True
    # a degree alone ("like a lot", "再多一点"): a short clause, not words that hold one ("the wrong
    # way round")
    short = len(text.split()) <= DEGREE_CLAUSE_WORDS and len(_CJK.findall(text)) <= 2 * DEGREE_CLAUSE_WORDS
    return short and any(t.slots[name].search(text) for name in ("bit", "lot"))


def _asked(text: str, op: str | None = None) -> dict:
    """What an unsure plan offers: the closest canonical phrasing and the ranked choices."""
    return {"suggestion": suggestion(text, op), "choices": choices(text, op)}


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
    if ops and op.name == "rotate" == ops[-1].name and {"degrees", "direction"} == explicit[-1] ^ keys:
        # "旋转90度，逆时针": the amount in one clause (read clockwise), the way in the other
        amount, way = (ops[-1], op) if "degrees" in explicit[-1] else (op, ops[-1])
        degrees = amount.params["degrees"]
        ops[-1] = Op("rotate", {"degrees": degrees if way.params["degrees"] > 0 else turn(-degrees)})
        explicit[-1] = {"degrees", "direction"}
        return
    if (
        ops
        and op.name == ops[-1].name not in (MODEL_OP, "rotate")
        and explicit[-1] < keys
        and all(ops[-1].params.get(k) == op.params.get(k) for k in explicit[-1] if k in op.params)
    ):  # "统一加白边，四周各加30像素白色边框": the same edit said again, in more detail
        ops[-1], explicit[-1] = op, keys
        return
    if ops and op.name != MODEL_OP and (ops[-1] == op or _same_direction(ops[-1], op)):
        # "降低饱和度，别太艳了" asks once, in two ways: the one with an amount stands
        if "amount" in keys and "amount" not in explicit[-1]:
            ops[-1], explicit[-1] = op, keys
        return
    if (
        ops
        and op.name == ops[-1].name == "resize"
        and {*ops[-1].params, *op.params} == {"width", "height"}
        and set(ops[-1].params) != set(op.params)
    ):  # "宽改成1200，高改成300": one size, not a width kept in proportion and then a height
        ops[-1] = Op("resize", {**ops[-1].params, **op.params})
        explicit[-1] |= keys
        return
    if ops and ops[-1].name == op.name and not (explicit[-1] & keys) - {"way"} and op.name != MODEL_OP:
        merged = {**ops[-1].params, **{k: v for k, v in op.params.items() if k in keys}}
        ops[-1] = Op(op.name, merged)
        explicit[-1] |= keys
        return
    if (
        op.name in _ADJUSTED
        and "amount" not in keys
        and ops
        and ops[-1].name in _ADJUSTED
        and explicit[-1] & {"amount", "direction", "way"}
    ):
        # "降低亮度和对比度": the second takes the first's way and amount; "lower the saturation a
        # bit, then brighten it": its own way, the first's amount
        before = ops[-1].params["amount"]
        own_way = keys & {"direction", "way"}
        amount = abs(before) * (1 if op.params["amount"] > 0 else -1) if own_way else before
        op = Op(op.name, {**op.params, "amount": amount})
        keys = keys | {"amount"}
    elif (
        op.name in _ADJUSTED
        and keys & {"amount", "direction", "way"}
        and ops
        and ops[-1].name in _ADJUSTED
        and not explicit[-1]
    ):  # "亮度和对比度都降低": the bare first takes the way and amount of the one after it
        ops[-1] = Op(ops[-1].name, {"amount": op.params["amount"]})
        explicit[-1] = set(keys)
    ops.append(op)
    explicit.append(keys)


def _shape_to_pad(ops: list[Op], explicit: list[set[str]]) -> None:
    """ "Square. White padding.": a bare shape beside a pad with no shape of its own is the pad's
    shape, not a crop."""
    shape = next((i for i, op in enumerate(ops) if op.name == "crop" and IMPLICIT in explicit[i]), None)
    pad = next((i for i, op in enumerate(ops) if op.name == "pad" and "shape" not in explicit[i]), None)
    if shape is None or pad is None:
        return
    crop = ops[shape].params
    form = {"size": crop["size"]} if "size" in crop else {"aspect": crop["aspect"]}
    ops[pad] = Op("pad", {**form, "colour": ops[pad].params["colour"]})
    explicit[pad] = explicit[pad] | {"shape"}
    del ops[shape], explicit[shape]


def _same_direction(last: Op, op: Op) -> bool:
    """ "调高饱和度，颜色太淡了": a second adjustment of the same op, the same way."""
    amount = ADJUSTMENT_AMOUNT.get(op.name)
    return (
        amount is not None and last.name == op.name and (last.params[amount] > 0) == (op.params[amount] > 0)
    )
