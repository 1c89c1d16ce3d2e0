"""The structured intent of a model edit: action, target, colour, old/new text, region, keep.

Read from the words of the model clauses (normalised, quotes masked) with the shared vocabulary,
so that the post-checks can verify the result against what was asked.
"""

from __future__ import annotations

import re

from config.contracts import Intent
from routing.request import QUOTE_CHARS, Masked
from routing.vocabulary import Vocabulary

# the part of a request that says what something becomes: "换成X", "change … to X", "make it X"
_BECOMES = re.compile(
    r"换成|换为|改成|改为|变成|变为|替换成|替换为|染成|调成|弄成|做成|刷成|涂成|成为|"
    r"换一?[条件个双只顶款张把台套身]|"
    r"(?<![a-z])(?:to|into|with|for)(?![a-z])|->|→"
)
_LANGUAGES = {
    "english": re.compile(r"英文|英语|english"),
    "chinese": re.compile(r"中文|汉语|chinese"),
    "japanese": re.compile(r"日文|日语|japanese"),
    "korean": re.compile(r"韩文|韩语|korean"),
}
_TARGET_ZH = re.compile(
    r"(?:把|将|给|让)\s*(.{1,12}?)(?=换|改|变|替|删|去|移|挪|染|调|弄|做|放|加|清|抹|擦|p掉|翻译|$)"
)
_TARGET_EN = re.compile(
    r"(?:replace|swap|change|make|turn|recolou?r|paint|remove|erase|delete|move|shift|add|put|"
    r"translate|clean|brighten|darken|get\s+rid\s+of)\s+(?:up\s+)?((?:the|a|an|this|that|her|his|their|"
    r"our|my)\s+[a-z][\w' -]{0,30}?)(?=\s+(?:to|into|with|for|from|on|in|at|so|and|a|an)\b|'s\b|[,.;]|$)"
)


def read_intent(text: str, masked: Masked, keep: tuple[str, ...], v: Vocabulary) -> Intent:
    """The intent of the model part of a request (`text` normalised, quotes masked)."""
    quotes = masked.inner(text)
    action = "text" if quotes else (v.action_of(QUOTE_CHARS.sub(" ", text)) or "edit")
    if action == "text" and not quotes and v.action_of_only("remove", text):
        action = "remove"  # "get rid of the watermark text": a removal of text
    becomes = _last_becomes(text)
    if action == "background" and becomes is None and v.action_of_only("remove", text):
        action = "remove"  # "去掉背景里的杂物": a removal in the background
    colour_at = v.colour_in(text[becomes:]) if becomes is not None else v.colour_in(text)
    colour = colour_at[0] if colour_at else None
    if action in ("replace", "edit", "add") and colour and _only_a_colour(text, becomes, colour_at[1][1]):
        action = "recolour"
    old_text = new_text = None
    if action == "text":
        old_text, new_text = _texts(text, quotes, becomes, v)
    language = next((name for name, p in _LANGUAGES.items() if p.search(text)), None)
    if action == "text" and language is None and new_text is None and re.search(r"翻译|译成|translat", text):
        language = "english"
    region = v.region_in(QUOTE_CHARS.sub(" ", text))
    only = v.only.search(text)
    keep_all = keep + (("everything else",) if only and "everything else" not in " ".join(keep) else ())
    return Intent(
        action=action,
        target=_target(text, masked, v),
        colour=colour,
        old_text=old_text,
        new_text=new_text,
        language=language if action == "text" else None,
        region=region,
        keep=tuple(dict.fromkeys(keep_all)),
    )


def _last_becomes(text: str) -> int | None:
    found = list(_BECOMES.finditer(QUOTE_CHARS.sub("q", text)))
    return found[-1].end() if found else None


def _only_a_colour(text: str, becomes: int | None, colour_end: int) -> bool:
    """Is the new value just a colour ("换成蓝色", "make the mug navy", "to red")?"""
    if becomes is None:
        return True  # "make the shirt red", "把天空调蓝一点": the colour is the change
    rest = text[becomes:][colour_end:]
    rest = re.sub(
        r"[\s,.!~]|的|色|款|一点|一些|点|吧|了|colou?r(?:ed)?|shade|tone|one|please|instead|"
        r"a\s+bit",
        "",
        rest,
    )
    return not rest


def _texts(text: str, quotes: list[str], becomes: int | None, v: Vocabulary) -> tuple[str | None, str | None]:
    """(old, new) text of a text edit: two quotes are old then new ("把'A'改成'B'", "replace 'A'
    with 'B'", "swap 'A' for 'B'"); one quote is new when written after the change word or with an
    adding verb, old when it is removed or translated."""
    if len(quotes) >= 2:
        return quotes[0], quotes[1]
    if not quotes:
        return None, None
    position = QUOTE_CHARS.search(text).start()
    if becomes is not None and position >= becomes - 1:
        return None, quotes[0]
    if v.action_of(text[:position]) == "add" or re.search(r"写|加|添|add|write|put|insert", text[:position]):
        return None, quotes[0]
    return quotes[0], None


def _target(text: str, masked: Masked, v: Vocabulary) -> str | None:
    """The words naming what is edited: "把[杯子]换成…", "make [the shirt] navy"."""
    m = _TARGET_ZH.search(text) or _TARGET_EN.search(text)
    if not m:
        return None
    words = m.group(1)
    colour = v.colour_in(words)
    if colour and colour[1][0] > 0:  # "the shirt navy blue": the colour is the new value
        words = words[: colour[1][0]]
    target = masked.restore(words).strip(" ,.")
    return target or None
