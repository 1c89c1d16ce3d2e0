"""Requests that hold only under a condition ("if it's wider than 500px, shrink it to 500 wide")
or that correct themselves ("crop to 1:1, scratch that, 4:5"): each read as the request it makes,
by the router's own reading (`read`), or asked about."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from config.contracts import MODEL_OP, Op, Plan
from routing.clauses import STATED_NUMBER
from routing.conditions import describe_condition
from routing.library import asked_back
from routing.request import Masked
from routing.scope import with_scope
from routing.templates import Templates
from routing.vocabulary import load_vocabulary


def conditional(condition: tuple[dict, str], read: Callable[[str], Plan]) -> Plan:
    """The plan of a request that holds only under a condition on the picture's size: its OpenCV
    ops carry the condition (`when`), tested on the picture when they run; a model edit under a
    condition is asked about (the GPU is not spent on a guess)."""
    when, rest = condition
    plan = read(rest)
    if plan.route == "reject":
        return plan
    if plan.route == "model":
        return Plan.reject(
            "unclear request: a model edit under a condition on the picture's size is not carried "
            "out; ask for it without the condition",
            0.9,
            **asked_back(rest),
        )
    ops = tuple(Op(op.name, {**op.params, "when": when}) for op in plan.ops)
    return replace(plan, ops=ops, reason=f"{plan.reason}; {describe_condition(when)}")


def corrected(
    said: str, last: re.Match[str], masked: Masked, t: Templates, read: Callable[[str], Plan]
) -> Plan:
    """The plan of a request that corrects itself: what follows its last correction, when that
    is a whole request of its own, with numbers of its own if numbers were said before it ("make
    the background grey, no wait, a light oak texture", "crop to 1:1, scratch that, 4:5");
    otherwise ("rotate left, no wait, right. 90 degrees", "加个20像素的黑边，算了还是白边吧": which part
    of the first still holds?) it is asked about."""
    before, after = said[: last.start()], said[last.end() :]
    swapped = _parameter_corrected(before, after, t)  # "rotate left, no wait, right. 90 degrees"
    if swapped is not None and not masked.quotes:
        plan = read(swapped)
        if plan.route == "opencv":
            note = f"read the correction ({last.group().strip()!r}) as {swapped.strip(' ,.;')!r}"
            return replace(plan, reason=f"{plan.reason}; {note}")
    # numbers said before stand corrected only by numbers of its own ("1:1, scratch that, 4:5")
    if not masked.quotes and (STATED_NUMBER.search(after) or not STATED_NUMBER.search(before)):
        plan = read(after)
        if plan.route != "reject":
            note = f"read the correction ({last.group().strip()!r}): {after.strip(' ,.;')!r}"
            if plan.route == "model":  # the model reads the whole request: "make it …" says what "it" is
                whole = Op(MODEL_OP, {"prompt": masked.text})
                plan = replace(plan, ops=tuple(whole if op.name == MODEL_OP else op for op in plan.ops))
                plan = with_scope(plan, load_vocabulary())  # "make it oak": of the background
            return replace(plan, reason=f"{plan.reason}; {note}")
    return Plan.reject(
        f"unclear request: it corrects itself ({last.group().strip()!r}); say only the edit you want",
        0.9,
        **asked_back(said),
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
