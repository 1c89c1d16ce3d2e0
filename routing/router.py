"""Instruction -> Plan: the cheap pre-classifier that decides OpenCV, model or reject.

Pure Python: no Prefect, no image decoding. When the caller knows the image size it is used to
refuse parameters that cannot work on that image (a crop wider than the picture, say).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from config.contracts import MODEL_OP, Intent, Op, Plan
from config.limits import Limits
from config.ops import COLOUR_OPS
from routing.assemble import (
    apply_constraints,
    describe,
    forbidden_ways,
    shape_not_made,
    shape_said_twice,
    shape_stated,
    shape_to_pad,
)
from routing.clauses import STATED_NUMBER, read_op_clause, split_clauses
from routing.conditions import ConditionError, read_condition
from routing.corrections import conditional, corrected
from routing.draft import Draft, clause_kinds, gather
from routing.intent import read_intent
from routing.letter import request_in_letter
from routing.library import asked_back
from routing.normalize import fold_width, normalise
from routing.presets import named_preset, preset_ops
from routing.reader import Reader, load_reader
from routing.request import QUOTE_CHARS, Clause, Masked, mask_quotes, read_clause
from routing.safety import NAMED_PERSON_REASON, named_person, refusal
from routing.scope import with_scope
from routing.second_reading import READER_CONFIRMS, reads_as_context, second_reading
from routing.slots import PlanError
from routing.templates import Templates, load_templates
from routing.verify import (
    CONFIDENCE_FLOOR,
    adjustment_conflict,
    frame_conflict,
    orientation_conflict,
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

KEPT_ATTRIBUTES = ("colour", "size", "aspect", "font", "composition")  # what "keep-…" constraints may name
UNPARSED_CONFIDENCE = 0.8  # a whole clause not understood beside an OpenCV edit
PARAMETER_WORDS = ("cw", "ccw", "horizontal", "vertical", "side", "width", "height", "longest", "shortest")
_CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character says about as much as two letters
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
        plan = second_reading(plan, instruction, learned)
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

    1. refuse   what is empty, too long, unsafe, impossible or an injected command
    2. forms    whole-request forms: a print size, a condition, a preset, a correction
    3. split    into clauses: request, question or constraint (routing/request.py)
    4. read     each request clause: OpenCV ops with their parameters, or words for the model
    5. settle   the ops merged and constrained ("don't crop" pads instead); conflicts asked
    6. plan     a model plan, or an OpenCV plan that uses every number and side said and is
                never run below the confidence floor: asked back with the closest canonical
                forms instead
    """
    limits = limits or Limits()
    t = templates or load_templates()
    v = load_vocabulary()
    # 1. refuse
    if instruction is None or not fold_width(instruction):
        return Plan.reject("empty instruction: say what to change, e.g. 'crop to 1:1'", 1.0)
    if len(instruction) > limits.max_instruction_chars:
        return Plan.reject(
            f"instruction too long ({len(instruction)} characters, limit {limits.max_instruction_chars})", 1.0
        )
    display = fold_width(instruction)
    said = normalise(display)
    refused = _refused(display, said, t)
    if refused is not None:
        return refused
    # 2. forms
    masked = mask_quotes(display)
    formed = _whole_request_form(
        said, display, masked, t, lambda text: _read(text, image_size, limits, t, reader)
    )
    if formed is not None:
        return formed
    # 3. split
    opened = t.openers.match(said)  # "可以亮度和对比度都降低吗？": one request, asked politely
    framed = bool(opened and opened.end())
    clauses = [read_clause(shown, asked, t, v, framed) for shown, asked in split_clauses(masked.text, t)]
    constraints = tuple(dict.fromkeys(c.constraint for c in clauses if c.constraint))
    requests = _slots_carried((c for c in clauses if c.kind == "request"), t)
    if not requests:
        return _nothing_to_do(clauses, display)
    # 4. read
    draft = Draft(unread=[c for c in clauses if c.kind == "question"])  # clauses the plan does not explain
    context = partial(reads_as_context, reader=reader) if reader is not None else None
    readings = []
    for clause in requests:
        try:
            readings.append((clause, read_op_clause(clause.text, t, limits, image_size, context)))
        except PlanError as exc:
            readings.append((clause, exc))
    failed = gather(draft, clause_kinds(readings, constraints, image_size, context, t, v), masked)
    if failed is not None:
        return failed
    draft.unparsed = [masked.restore(c.shown) for c in draft.unread]
    # 5. settle
    failed = _settle(draft, clauses, constraints, said, display, t, limits, image_size)
    if failed is not None:
        return failed
    # 6. plan
    keep = tuple(
        c.split(": ", 1)[1] if c.startswith("keep: ") else c.removeprefix("keep-")
        for c in constraints
        if c.startswith("keep")
    )
    if any(op.name == MODEL_OP for op in draft.ops):
        return _model_plan(draft, constraints, keep, masked, said, v)
    kept_things = [k for k in keep if k not in ("everything else", *KEPT_ATTRIBUTES)]
    if kept_things and any(op.name in COLOUR_OPS for op in draft.ops):
        # "调亮，别动背景": a tone change of everything but one part is a local edit
        ops = ", ".join(op.name for op in draft.ops)
        plan = Plan(
            "model",
            (Op(MODEL_OP, {"prompt": display}),),
            min(draft.confidence, 0.75),
            f"needs the image model: {ops} except {', '.join(kept_things)}",
            intent=Intent("edit", keep=keep),
            constraints=constraints,
        )
        return with_scope(plan, v)
    return _opencv_plan(draft, constraints, masked, said, t, image_size, reader)


def _refused(display: str, said: str, t: Templates) -> Plan | None:
    """Step 1: an unsafe request, an injected command, or an edit no photo can show."""
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
    return None


def _whole_request_form(
    said: str, display: str, masked: Masked, t: Templates, read: Callable[[str], Plan]
) -> Plan | None:
    """Step 2: forms that say what the whole request is: a print size with no model edit (asked
    about), a condition on the picture's size, a marketplace preset, a correction of itself."""
    unit = print_size(said)
    if unit and not t.model_nouns.search(said):  # "put our 2.5 cm logo sticker on the rim": the model's
        return Plan.reject(f"unclear request: {unit}", 0.9, **asked_back(said, "resize"))
    try:
        condition = read_condition(said)  # "if it's wider than 500px, shrink it to 500 wide"
    except ConditionError as exc:
        return Plan.reject(f"unclear request: {exc}", 0.9, **asked_back(said))
    if condition is not None:
        return conditional(condition, read)
    named = named_preset(display)  # "make it Amazon-ready": the marketplace's preset, by OpenCV
    if named is not None:
        return Plan("opencv", preset_ops(named), 0.9, f"preset {named.label}: {named.description}")
    corrections = list(t.self_corrections.finditer(said))
    if corrections:  # "调亮，哦不对，是调暗一点": what follows the last correction stands
        return corrected(said, corrections[-1], masked, t, read)
    return None


def _settle(
    draft: Draft,
    clauses: list[Clause],
    constraints: tuple[str, ...],
    said: str,
    display: str,
    t: Templates,
    limits: Limits,
    image_size: tuple[int, int] | None,
) -> Plan | None:
    """Step 5: the draft's ops made one plan: a shape said twice made once, a crop with no shape
    given the one stated in context, the constraints applied; no edit at all, a rotation with no
    amount, a crop with no shape, a stretch forbidden and ops that pull against each other are
    refused or asked about."""
    shape_said_twice(
        draft.ops, draft.explicit
    )  # "要求1:1正方形，请补白边到正方形": one pad, not a crop and a pad
    shape_to_pad(draft.ops, draft.explicit)
    if any(op.name == "crop" and "margins" in op.params for op in draft.ops):  # "strip the border: 10 px"
        kept = [(op, keys) for op, keys in zip(draft.ops, draft.explicit, strict=True) if op.name != "trim"]
        draft.ops, draft.explicit = [op for op, _ in kept], [keys for _, keys in kept]
    unparsed = tuple(draft.unparsed)
    if not draft.ops:
        text = "; ".join(unparsed) or display
        return Plan.reject(
            f"no image edit recognised in {text!r}", 0.8, **asked_back(normalise(text)), unparsed=unparsed
        )
    draft.forbidden = forbidden_ways(clauses, t, limits, image_size)
    try:
        if any(op.name == "rotate" and not keys for op, keys in zip(draft.ops, draft.explicit, strict=True)):
            raise PlanError(
                "say how far and which way to rotate, e.g. 'rotate 90° clockwise' or '逆时针旋转90度'"
            )
        for i, op in enumerate(draft.ops):
            if op.name == "crop" and not op.params:  # "banners must be 16:9. Crop accordingly."
                found = shape_stated([c.text for c in draft.unread], t)
                if found is None:
                    raise PlanError(
                        "crop needs a ratio, a size or margins (e.g. 'crop to 1:1', '裁掉右边100像素')"
                    )
                index, aspect = found
                draft.ops[i] = Op("crop", {"aspect": aspect, "anchor": "center"})
                del draft.unparsed[index], draft.unread[index]
        draft.ops = apply_constraints(draft.ops, constraints, draft.forbidden)
    except PlanError as exc:  # "crop it": which crop? the crop's own forms are offered
        first = next((op.name for op in draft.ops), None)
        return Plan.reject(
            f"impossible request: {exc}", 0.9, unparsed=tuple(draft.unparsed), **asked_back(said, first)
        )
    unparsed = tuple(draft.unparsed)
    stretched = stretch_conflict(draft.ops, constraints, image_size)  # "宽改成1200，高改成300，不许变形"
    if stretched:
        return Plan.reject(
            f"unclear request: {stretched}", 0.9, unparsed=unparsed, **asked_back(said, "resize")
        )
    conflict = orientation_conflict(draft.ops)
    about = "rotate"
    if conflict is None:  # "brighten it, then darken it"
        conflict = adjustment_conflict(draft.read_ops) or frame_conflict(draft.ops)
        about = draft.read_ops[0].name if draft.read_ops else None
    if conflict:
        return Plan.reject(f"unclear request: {conflict}", 0.9, unparsed=unparsed, **asked_back(said, about))
    return None


def _model_plan(
    draft: Draft, constraints: tuple[str, ...], keep: tuple[str, ...], masked: Masked, said: str, v
) -> Plan:
    """Step 6, the model's plan: the words not read are the model's details ("…, down to the
    knee"), its intent read from all its words; an intent with no clear action or target ("改一下",
    "把那个去掉") is asked back, never guessed on the GPU."""
    ops, model_parts, unparsed = draft.ops, draft.model_parts, draft.unparsed
    if unparsed:
        model_parts += [u for u in unparsed if u not in model_parts]
        ops = [Op(MODEL_OP, {"prompt": "; ".join(model_parts)}) if op.name == MODEL_OP else op for op in ops]
    others = [op.name for op in ops if op.name != MODEL_OP]
    reason = "needs the image model to edit the picture's content"
    if others:
        reason += f" (and OpenCV for {', '.join(others)})"
    intent = read_intent(" ; ".join(draft.model_text + [normalise(u) for u in unparsed]), masked, keep, v)
    unclear = unclear_model_request(intent, " ; ".join(draft.model_text))
    if unclear:
        return Plan.reject(
            f"unclear request: {unclear}", 0.8, unparsed=tuple(unparsed), **asked_back(said, intent.action)
        )
    plan = Plan(
        "model",
        tuple(ops),
        draft.confidence,
        reason + _suffix(draft.notes),
        intent=intent,
        constraints=constraints,
        unparsed=tuple(unparsed),
    )
    return with_scope(plan, v)


def _opencv_plan(
    draft: Draft,
    constraints: tuple[str, ...],
    masked: Masked,
    said: str,
    t: Templates,
    image_size: tuple[int, int] | None,
    reader: Reader | None,
) -> Plan:
    """Step 6, OpenCV's plan: run only when every number and side said is used by a parameter
    (or said again in context), and its confidence is at the floor; words not understood lower
    it, to below the floor when they hold a parameter the plan does not use. The learned reader
    may confirm a plan unsure only for words of context. Otherwise asked back."""
    ops, unparsed, notes = draft.ops, tuple(draft.unparsed), list(draft.notes)
    confidence = draft.confidence
    if unparsed:
        # a number, a side, a direction or a dimension the plan does not use is never dropped
        # silently: below the floor (words of context, "for the listing", only lower it)
        read = without_own_shape(" ".join(c.text for c in draft.unread), image_size)  # states replaced
        parameter = (
            any(not restates(m.group(), ops, image_size) for m in STATED_NUMBER.finditer(read))
            # a side, a direction or a dimension the plan does not already hold
            or unheld_parameter_words(read, ops, {name: t.slots[name] for name in PARAMETER_WORDS})
            or shape_not_made(read, ops, t)  # "朋友圈要正方形的，顺便调亮一点": the square is unread
            # "…对比度都降低吗": an edit named, unread (not one the plan makes: "too harsh, lower contrast")
            or t.names_an_op(read, besides=tuple(op.name for op in ops))
        )
        confidence = min(confidence, 0.3 if parameter else UNPARSED_CONFIDENCE)
        notes.append(f"not understood: {' '.join(unparsed)!r}")
    plan_reason = "OpenCV: " + ", then ".join(describe(op) for op in ops) + _suffix(notes)
    first = ops[0].name
    stated_text = normalise(QUOTE_CHARS.sub(" ", masked.text))
    unused = _unused_numbers(draft, stated_text, image_size)
    sides = unexplained_sides(stated_text, ops, t.slots["side"])
    if sides and not unused:  # a side named, every side cut or padded: which one was meant?
        return Plan.reject(
            f"unclear request: the {' and '.join(sides)} side{'s are' if len(sides) > 1 else ' is'} named "
            f"but the plan ({plan_reason}) changes all four; say which sides",
            0.9,
            **asked_back(said, first),
            unparsed=unparsed,
        )
    if unused:  # "淘宝主图 800*800 不要裁切": a number read by no parameter is never dropped
        return Plan.reject(
            f"unclear request: {', '.join(repr(n) for n in unused)} is not used by the plan "
            f"({plan_reason}); say what {'it is' if len(unused) == 1 else 'they are'} for",
            0.9,
            **asked_back(said, first),
            unparsed=unparsed,
        )
    if CONFIDENCE_FLOOR > confidence >= RESCUE_FLOOR and reader is not None:
        # unsure only for words of context ("the lighting in there is terrible ... brighten it up")
        sure = reader.probabilities_of(said)["opencv"]
        if sure >= READER_CONFIRMS:
            confidence = CONFIDENCE_FLOOR
            plan_reason += f"; read as an OpenCV edit by the learned reader ({sure:.2f})"
    if confidence < CONFIDENCE_FLOOR:
        return Plan.reject(
            f"not sure what to do ({plan_reason}; confidence {confidence:.2f})",
            0.7,
            **asked_back(said, first),
            unparsed=unparsed,
        )
    return Plan("opencv", tuple(ops), confidence, plan_reason, constraints=constraints, unparsed=unparsed)


def _unused_numbers(draft: Draft, stated_text: str, image_size: tuple[int, int] | None) -> list[str]:
    """The numbers said that no parameter uses: not those of a way forbidden ("don't rotate it
    90, rotate it 180"), nor those said again in context ("the feed is all 4:5 now, crop to 4:5")."""
    said_not = [op for ways in draft.forbidden.values() for op in ways]
    unused = list(dict.fromkeys(unused_numbers(stated_text, draft.ops + said_not, image_size)))
    context = " ".join([c.text for c in draft.unread] + draft.restated)
    return [
        n
        for n in unused
        if not (
            re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.])", context) and restates(n, draft.ops, image_size)
        )
    ]


def _nothing_to_do(clauses: list[Clause], display: str) -> Plan:
    """The refusal of an instruction with no request in it: a question, or only constraints."""
    if any(c.kind == "question" for c in clauses):
        return Plan.reject(
            f"not an image edit (a question): {display!r}; to change the picture, "
            "say what to do, e.g. '裁剪为1:1' or 'remove the watermark'",
            0.9,
        )
    if not any(c.kind == "constraint" for c in clauses):  # only why or for what: "for the listing"
        return Plan.reject(f"no image edit recognised in {display!r}", 0.8, **asked_back(normalise(display)))
    return Plan.reject(
        "nothing to do: the instruction only says what to keep "
        f"({', '.join(c.constraint or '' for c in clauses)})",
        0.9,
    )


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


def _suffix(notes: list[str]) -> str:
    return f"; {'; '.join(notes)}" if notes else ""
