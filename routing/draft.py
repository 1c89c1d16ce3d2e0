"""The plan as a request's clauses are read: what each clause is in this request (an edit, a
target stated among words, words of context, a reason to refuse), and the edits gathered into
one draft of ops, merged where two clauses ask for one edit. The router settles the draft into a
plan (routing/router.py, steps 4-5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from config.contracts import MODEL_OP, Op, Plan
from config.ops import ORIENTATION_OPS
from routing.assemble import append_merging, idempotent
from routing.library import asked_back
from routing.request import QUOTE_CHARS, Clause, Masked
from routing.slots import PlanError
from routing.templates import Templates
from routing.verify import CONFIDENCE_FLOOR, own_shape

CORRECTED_CONFIDENCE = 0.85  # a clause read only after correcting a typo in an edit word


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


@dataclass
class Draft:
    """The plan as its clauses are read (step 4) and settled (step 5)."""

    unread: list[Clause]  # clauses the plan does not explain
    ops: list[Op] = field(default_factory=list)
    explicit: list[set[str]] = field(default_factory=list)  # the parameters each op's words said
    stated: list[Op] = field(default_factory=list)  # ops that put right what a state said ("upside down")
    model_parts: list[str] = field(default_factory=list)  # the model's words, as shown
    model_text: list[str] = field(default_factory=list)  # ... and as read
    confidences: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read_ops: list[Op] = field(default_factory=list)  # every op read, before merging: do any pull apart?
    restated: list[str] = field(default_factory=list)  # clauses that asked again for the op before them
    unparsed: list[str] = field(default_factory=list)  # the unread clauses, as shown
    forbidden: dict[str, list[Op]] = field(default_factory=dict)  # ways of an op the request forbids

    @property
    def confidence(self) -> float:
        return min(self.confidences) if self.confidences else 0.5


def clause_kinds(
    readings: list,
    constraints: tuple[str, ...],
    image_size: tuple[int, int] | None,
    context: Callable[[str], bool] | None,
    t: Templates,
    v,
) -> list:
    """Step 4: what each clause's reading is in this request: an edit (OpenCV or the model), a
    target stated among other words, words of context, or a reason to refuse the whole request.
    A clause is read against the others: a shape said as what the picture *is* is no command,
    words that only describe beside an edit are context, "cup in the middle" beside a crop is
    where the crop keeps."""
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
    kinds = []
    for clause, reading in readings:
        if isinstance(reading, PlanError):
            kinds.append((clause, "impossible", (), 0.95, f"impossible request: {reading}"))
            continue
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
        kinds.append((clause, kind, found_ops, conf, note))
    return kinds


def gather(draft: Draft, kinds: list, masked: Masked) -> Plan | None:
    """Step 4: the clauses' edits gathered into the draft, in order: the model's words into one
    model op, OpenCV ops merged where two clauses ask for one edit; a refusal ends the request."""
    for clause, kind, found_ops, conf, note in kinds:
        if kind == "impossible":
            return Plan.reject(note, conf)
        if kind == "reject":
            return Plan.reject(
                note, conf, unparsed=(masked.restore(clause.shown),), **asked_back(clause.text)
            )
        if kind == "unknown":
            draft.unread.append(clause)
            continue
        if kind == "skip":
            continue
        if clause.corrections:  # "rotae 90" is run as "rotate 90", and the plan says so
            conf = min(conf, CORRECTED_CONFIDENCE)
            draft.notes.append(
                "read " + ", ".join(f"{wrong!r} as {right!r}" for wrong, right in clause.corrections)
            )
        draft.confidences.append(conf)
        if note:
            draft.notes.append(note)
        ops, explicit = draft.ops, draft.explicit
        if kind == "model":
            draft.model_parts.append(masked.restore(clause.shown))
            draft.model_text.append(clause.text)
            if ops and ops[-1].name == MODEL_OP:
                ops.pop()
                explicit.pop()
            ops.append(Op(MODEL_OP, {"prompt": "; ".join(draft.model_parts)}))
            explicit.append({"prompt"})
            continue
        draft.read_ops.extend(op for op, _ in found_ops)
        for op, keys in found_ops:
            if op.name in ORIENTATION_OPS and (op in draft.stated or (clause.evidence and op in ops)):
                continue  # "拍倒了，转180度回来": the state and the command ask for one turn
            if ops and ops[-1] == op and idempotent(op):  # "the feed is all 4:5 now, crop this one to 4:5"
                draft.restated.append(clause.text)
            append_merging(ops, explicit, op, keys)
            if clause.evidence:
                draft.stated.append(op)
    return None
