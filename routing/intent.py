"""The structured intent of a model edit: action, target, colour, old/new text, region, keep.

Read from the words of the model clauses (normalised, quotes masked) with the shared vocabulary,
so that the post-checks can verify the result against what was asked.
"""

from __future__ import annotations

import re

from config.contracts import Colour, Intent
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
    if (
        action == "text"
        and v.action_of_only("remove", text)
        and (not quotes or _only_removes(text, quotes, v))
    ):
        action = "remove"  # "get rid of the watermark text", "把'SAMPLE'水印去掉": a removal of text
    becomes = _last_becomes(text)
    if (
        action == "background"
        and becomes is None
        and v.action_of_only("remove", text)
        and not _NEW_BACKGROUND.search(text)
    ) or (action == "background" and _FILL_BACKGROUND.search(text) and v.action_of_only("remove", text)):
        action = "remove"  # "去掉背景里的杂物", "erase the ball and fill the background": a removal
    colour, source, colour_end = _colours(text, becomes, v)
    if action in ("replace", "edit") and colour and _only_a_colour(text, becomes, colour_end):
        action = "recolour"
    if (
        action == "background"
        and colour
        and (not _only_a_colour(text, becomes, colour_end) or _GRADIENT.search(text))
    ):
        colour = None  # "a soft pink gradient", "green grass outdoors": a scene, not a colour
    old_text = new_text = None
    language = next((name for name, p in _LANGUAGES.items() if p.search(text)), None)
    if action == "text":
        old_text, new_text = (
            _texts(text, quotes, becomes, v) if quotes else _unquoted_texts(masked.text, language, v)
        )
    elif action == "remove" and quotes:
        old_text = quotes[0]  # the words to remove
    if action == "text" and language is None and new_text is None and re.search(r"翻译|译成|translat", text):
        language = "english"
    region = v.region_in(QUOTE_CHARS.sub(" ", text))
    only = v.only.search(text)
    keep_all = keep + (("everything else",) if only and "everything else" not in " ".join(keep) else ())
    return Intent(
        action=action,
        target=_target(text, masked, v),
        colour=colour,
        source_colour=source if action in ("recolour", "replace", "edit") else None,
        old_text=old_text,
        new_text=new_text,
        language=language if action == "text" else None,
        region=region,
        keep=tuple(dict.fromkeys(keep_all)),
    )


def _colours(text: str, becomes: int | None, v: Vocabulary) -> tuple[Colour | None, Colour | None, int]:
    """(the colour asked for, the colour naming the object, where the asked one ends in the
    text after `becomes`): "把白色T恤改成红色" and "change the red shirt to green" name the new
    colour after the change word; "recolor the orange suit blue" and "make the white mug black"
    have none, so the last colour is the new one and an earlier one names the object."""
    if becomes is not None:
        after, before = v.colours_in(text[becomes:]), v.colours_in(text[:becomes])
        if after:
            return after[0][0], before[0][0] if before else None, after[0][1][1]
        return None, None, 0
    found = v.colours_in(text)
    if not found:
        return None, None, 0
    return found[-1][0], found[0][0] if len(found) >= 2 else None, found[-1][1][1]


def _only_removes(text: str, quotes: list[str], v: Vocabulary) -> bool:
    """One quoted string, removed and replaced by nothing ("把'SAMPLE'水印去掉", "remove the
    'DEMO' watermark"): a removal, not a text edit."""
    return len(quotes) == 1 and _last_becomes(text) is None and not v.action_of_only("add", text)


def _last_becomes(text: str) -> int | None:
    found = list(_BECOMES.finditer(QUOTE_CHARS.sub("q", text)))
    return found[-1].end() if found else None


def _only_a_colour(text: str, becomes: int | None, colour_end: int) -> bool:
    """Is the new value just a colour ("换成蓝色", "make the mug navy", "to red")?"""
    if becomes is None:
        return True  # "make the shirt red", "把天空调蓝一点": the colour is the change
    rest = text[becomes:][colour_end:]
    rest = re.sub(
        r"[\s,.!~，。]|的|色|款|一点|一些|点|吧|了|背景|底色?|纯色|colou?r(?:ed)?|shade|tone|one|please|instead|"
        r"a\s+bit|backgrounds?|backdrops?|bg|plain|solid|studio|seamless|paper|sweep|setting",
        "",
        rest,
    )
    return not rest


def _texts(text: str, quotes: list[str], becomes: int | None, v: Vocabulary) -> tuple[str | None, str | None]:
    """(old, new) text of a text edit: two quotes are old then new ("把'A'改成'B'", "replace 'A'
    with 'B'", "swap 'A' for 'B'"); one quote is new when written after the change word or with an
    adding verb, old when it is removed or translated."""
    if len(quotes) >= 2:
        between = text[QUOTE_CHARS.search(text).end() :]
        if _INSTEAD.match(between):  # "reads 'A' instead of 'B'", "用'A'代替'B'"
            return quotes[1], quotes[0]
        return quotes[0], quotes[1]
    if not quotes:
        return None, None
    position = QUOTE_CHARS.search(text).start()
    if becomes is not None and position >= becomes - 1:
        return None, quotes[0]
    if v.action_of(text[:position]) == "add" or re.search(r"写|加|添|add|write|put|insert", text[:position]):
        return None, quotes[0]
    return quotes[0], None


# "remove the background and use white instead": a new background, not a removal
_NEW_BACKGROUND = re.compile(r"\b(?:use|with|instead)\b|换成|改成|替换")
_FILL_BACKGROUND = re.compile(
    r"fill\s+(?:in\s+)?(?:the\s+)?(?:background|gap|space)|背景补全|补上背景|用背景填"
)
_GRADIENT = re.compile(r"渐变|渐层|gradient|ombre|fade")
_INSTEAD = re.compile(
    r"\s*(?:instead\s+of|rather\s+than|in\s+place\s+of|代替|替代|取代)\s*\W?\s*[\ue000-\uf8ff]"
)
_ARROW = re.compile(r"(?:^|[:：])\s*([^:：\n]{1,40}?)\s*(?:->|→|=>|⇒)\s*([^,，;；。\n]{1,40})")
_FROM_TO = re.compile(
    r"(?:from|从)\s*([^\s,，;；]{1,20}?)\s*(?:to|改成|改为|换成|变成)\s*([^\s,，;；]{1,20})"
)
_SAY_INSTEAD = re.compile(
    r"(?:say|read)s?\s+([^\s,，;；]{1,20})\s+instead\s+of\s+([^\s,，;；]{1,20})", re.IGNORECASE
)
_AFTER_COLON = re.compile(
    r"(?:字|文字|文案|字样|标题|标语|写|text|caption|wording|words?|slogan|label|title|reads?)[^:：]{0,12}[:：]\s*"
    r"([^,，;；。\n]{1,40})",
    re.IGNORECASE,
)


def _unquoted_texts(display: str, language: str | None, v: Vocabulary) -> tuple[str | None, str | None]:
    """(old, new) text written without quotes: "caption: A -> B"; "加一行字：A" (new) or
    "把文字改成英文：A" (the words to translate, old)."""
    arrow = _ARROW.search(display)
    if arrow:
        return arrow.group(1).strip(), arrow.group(2).strip()
    changed = _FROM_TO.search(display)  # "change the price from ¥199 to ¥149", "从99改成79"
    if changed:
        return changed.group(1).strip(), changed.group(2).strip()
    instead = _SAY_INSTEAD.search(display)  # "make the sticker say $89 instead of $120"
    if instead:
        return instead.group(2).strip(), instead.group(1).strip()
    colon = _AFTER_COLON.search(display)
    if not colon:
        return None, None
    words = colon.group(1).strip()
    if language or v.action_of_only("remove", display.lower()):
        return words, None
    return None, words


def _target(text: str, masked: Masked, v: Vocabulary) -> str | None:
    """The words naming what is edited: "把[杯子]换成…", "make [the shirt] navy"."""
    m = _TARGET_ZH.search(text) or _TARGET_EN.search(text)
    if not m:
        return None
    words = m.group(1)
    colours = v.colours_in(words)
    if colours and colours[-1][1][0] > 0 and not words[colours[-1][1][1] :].strip():
        words = words[: colours[-1][1][0]]  # "the shirt navy blue": the colour is the new value
    target = masked.restore(words).strip(" ,.")
    return target or None
