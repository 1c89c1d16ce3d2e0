"""The learned reader's say where the rules fall back: a model plan it judges unsafe or not an
edit is refused, a request the rules found no edit in that it reads as a model edit goes to the
model, and words beside an OpenCV edit that it does not read as an edit are context."""

from __future__ import annotations

import re

from config.contracts import MODEL_OP, Op, Plan
from routing.intent import read_intent
from routing.library import asked_back
from routing.normalize import fold_width, normalise
from routing.reader import Reader
from routing.request import QUOTE_CHARS, mask_quotes
from routing.safety import sensitive_concepts
from routing.scope import with_scope
from routing.verify import CONFIDENCE_FLOOR, unclear_model_request
from routing.vocabulary import load_vocabulary

_CJK = re.compile(r"[\u3400-\u9fff]")  # a Chinese character says about as much as two letters
# The learned reader (routing/reader.py) is asked only where the rules fell back; the levels were
# set on leave-set-out runs of the case files (benchmarks/router_reader.py evaluate), never on a
# set scored after
READER_REFUSES = 0.7  # a model plan the reader judges unsafe or not an edit at least this surely


READER_NOT_EDIT = 0.5  # naming nothing sensitive: refused when read as no edit at least this surely,


READER_REFUSES_PLAIN = 0.9  # or as no edit or unsafe together this surely


READER_MIN_CHARS = 12  # a shorter request ("add a hat") gives the reader too little to refuse it on


READER_CONFIRMS = 0.7  # an OpenCV plan unsure only for words of context, read as OpenCV this surely


READER_MODEL = 0.7  # a request the rules found no edit in, read as a model edit this surely


READER_CONTEXT = 0.4  # words beside an OpenCV edit read as a model (or unsafe) edit less surely: context


def reads_as_context(text: str, reader: Reader) -> bool:
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


def second_reading(plan: Plan, instruction: str, reader: Reader) -> Plan:
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
        return Plan.reject(reason, refused, **asked_back(said, plan.intent.action if plan.intent else None))
    if plan.route == "reject" and plan.reason.startswith("no image edit recognised"):
        display = fold_width(instruction)
        p = reader.probabilities_of(normalise(display))
        if p["model"] < READER_MODEL:
            return plan
        masked = mask_quotes(display)
        said = normalise(masked.text)
        v = load_vocabulary()
        intent = read_intent(said, masked, (), v)
        if unclear_model_request(intent, said):
            return plan
        plan = Plan(
            "model",
            (Op(MODEL_OP, {"prompt": display}),),
            CONFIDENCE_FLOOR,
            "needs the image model to edit the picture's content "
            f"(read by the learned reader, {p['model']:.2f})",
            intent=intent,
        )
        return with_scope(plan, v)
    return plan
