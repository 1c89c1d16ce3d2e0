"""A request that holds only under a condition on the picture's size ("if it's wider than 500px,
shrink it to 500 wide", "要是图片比1080宽就缩到1080宽，不然保持原样"): the condition, and the request
without it. The condition travels with the plan's ops as their `when` parameter and is tested
on the picture itself when the ops run (tasks/edit/opencv_ops.py), so routing needs no image.

    {"side": "width" | "height" | "longest", "above" | "below": N}
"""

from __future__ import annotations

import re

_EN = re.compile(
    r"^\s*(?:only\s+)?(?:if|in\s+case|when(?:ever)?)\s+"
    r"(?:it'?s|it\s+is|it\s+gets|the\s+(?:image|photo|picture|pic|file)(?:\s+is)?|its\s+(?P<own>width|height)\s+is|"
    r"the\s+(?P<the>width|height|long(?:est)?\s+side)\s+is)?\s*"
    r"(?P<cmp>wider|narrower|taller|shorter|bigger|larger|smaller|over|under|above|below|more\s+than|less\s+than|"
    r"greater\s+than)\s+(?:than\s+)?(?P<n>\d+)\s*(?:px|pixels?)?(?:\s+(?P<dim>wide|tall|high))?\s*(?:,|;|then\b)?"
)
_ZH = re.compile(
    r"^\s*(?:如果|要是|假如|若是?|倘若)\s*(?:图片|图|照片|它)?\s*的?\s*(?P<the>宽度?|高度?|长边)?\s*"
    r"(?P<pre>比|超过|大于|多于|高于|小于|少于|不到|低于|不足)\s*(?P<mid>宽|窄|高|矮)?\s*(?P<n>\d+)\s*(?:像素|px)?\s*"
    r"(?P<post>宽|窄|高|矮|大|小)?"
    r"\s*(?:的话)?\s*[,，;；]?\s*(?:就|那就|则|那么)?"
)
_OTHERWISE = re.compile(r"[,，;；.。]?\s*(?:不然|否则|otherwise|else|if\s+not)(?P<rest>.*)$")
_NO_CHANGE = re.compile(
    r"保持原样|不变|不用动|不动|别动|leave\s+it|keep\s+it|as\s+(?:it\s+)?is|do\s+nothing|unchanged|原样"
)
_ABOVE = {
    "wider",
    "taller",
    "bigger",
    "larger",
    "over",
    "above",
    "more than",
    "greater than",
    "超过",
    "大于",
    "多于",
    "高于",
    "宽",
    "高",
    "大",
}
_SIDES = {
    "width": "width",
    "wide": "width",
    "wider": "width",
    "narrower": "width",
    "height": "height",
    "tall": "height",
    "high": "height",
    "taller": "height",
    "shorter": "height",
    "宽": "width",
    "宽度": "width",
    "窄": "width",
    "高": "height",
    "高度": "height",
    "矮": "height",
    "长边": "longest",
}


class ConditionError(ValueError):
    """A condition this reader understands, with a part it cannot carry out (an "otherwise" edit)."""


def read_condition(said: str) -> tuple[dict, str] | None:
    """(the condition, the request without it) of normalised text `said`, or None when it states
    no condition on the picture's size. Raises ConditionError for an "otherwise" that is itself
    an edit ("…, otherwise crop it"): two plans in one request."""
    m = _EN.match(said)
    if m:
        comparison = " ".join(m.group("cmp").split())
        named = m.group("own") or m.group("the") or m.group("dim") or comparison
    else:
        m = _ZH.match(said)
        if not m:
            return None
        shape = m.group("mid") or m.group("post")  # "比1080宽" is normalised to "比宽 1080"
        comparison = shape if m.group("pre") == "比" else m.group("pre")
        if comparison is None:
            return None
        named = m.group("the") or shape or ""
    side = _SIDES.get(named.split()[0] if named else "", "longest")  # "long side", "bigger": the longest
    rest = said[m.end() :]
    otherwise = _OTHERWISE.search(rest)
    if otherwise:
        if otherwise.group("rest").strip(" ,.;，。") and not _NO_CHANGE.search(otherwise.group("rest")):
            raise ConditionError("it asks for one edit if a condition holds and another if not; ask for one")
        rest = rest[: otherwise.start()]
    way = "above" if comparison in _ABOVE else "below"
    return {"side": side, way: int(m.group("n"))}, rest.strip(" ,;，；")


def describe_condition(when: dict) -> str:
    way = "above" if "above" in when else "below"
    return f"only if its {when['side']} is {'over' if way == 'above' else 'under'} {when[way]} px"
