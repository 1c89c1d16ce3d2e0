"""A request written as a letter: a greeting, sentences of context, the request, a closing and a
signature. Only the sentences that ask for an edit are the request; the others (why, for whom,
when, who signs) are never read as edits of their own.

    Dear team,                                   <- greeting: dropped
    Following our quarterly review, ...          <- context: no edit of its own, dropped
    For SKU EC-0412, please crop it to 1:1.      <- asks for an edit: the request
    The other SKUs will follow next week.        <- context
    Best regards, / Helen Wu                     <- closing and signature: dropped
"""

from __future__ import annotations

import re
from collections.abc import Callable

from routing.normalize import fold_width, normalise
from routing.templates import Templates

MIN_SENTENCES = 3  # fewer is a request with a reason attached, read whole as before
SIGNATURE_CHARS = 40  # a closing is followed only by lines this short (a name, a title)
_SENTENCES = re.compile(r"\n+|(?<=[.!?])\s+|(?<=[。！？；;])")


def sentences(instruction: str) -> list[str]:
    """The lines and sentences of `instruction`, width-folded (a decimal point does not end one)."""
    return [s for s in (fold_width(part) for part in _SENTENCES.split(instruction)) if s]


def body(parts: list[str], t: Templates) -> list[str]:
    """The sentences between a letter's greeting and its closing (both dropped, and the signature
    after the closing: every line from the closing on is short)."""
    if parts and len(parts[0]) <= SIGNATURE_CHARS and t.greetings.match(normalise(parts[0])):
        parts = parts[1:]
    for i, part in enumerate(parts):
        if t.closings.match(normalise(part)) and all(len(p) <= SIGNATURE_CHARS for p in parts[i:]):
            return parts[:i]
    return parts


_GOES_ON = re.compile(r"^\s*(?:(?:and|also|plus|then|oh\s+and)\b|还有|另外|然后|再|并且|顺便)")


def _goes_on(sentence: str) -> bool:
    """Does a sentence go on with the request ("and 1080 wide", "also flip it", "另外转成png")?"""
    return bool(_GOES_ON.search(normalise(sentence)))


def request_in_letter(
    instruction: str,
    t: Templates,
    reads_an_edit: Callable[[str], bool],
    only_parameters: Callable[[str], bool],
) -> str | None:
    """The request of a letter: its sentences that read as an edit on their own
    (`reads_an_edit`), those that ask for it ("please", "could you", "请") when any do; None when
    `instruction` is no letter (under MIN_SENTENCES), every sentence is part of the request, or a
    sentence left out holds only parameters of an edit (`only_parameters`: "direction=down",
    "amount=30%" after "调整项=饱和度"), which the request needs."""
    if len(_SENTENCES.split(instruction, MIN_SENTENCES - 1)) < MIN_SENTENCES:
        return None  # the common case, a request of a sentence or two: nothing folded, nothing read
    parts = sentences(instruction)
    if len(parts) < MIN_SENTENCES:
        return None
    kept = body(parts, t)
    edits = [s for s in kept if reads_an_edit(s)]
    asked = [s for s in edits if t.asks.search(normalise(s))]
    chosen = asked or edits
    if not chosen or len(chosen) == len(parts):
        return None
    if any(s not in chosen and reads_an_edit(s) and _goes_on(s) for s in kept):
        return None  # "cooler pls. and 1080 wide": the edit said after the ask is part of it
    if any(only_parameters(normalise(s)) for s in kept if s not in chosen):
        return None
    return "; ".join(s.rstrip(" ,;，；") for s in chosen)
