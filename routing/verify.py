"""The plan read back against the request before it runs, and what is asked back instead:
- an OpenCV plan: every number the request states is held by a parameter of its own, no side it
  names is ignored by a margin taking all four, and orientation ops that cancel each other or
  compound into a different edit are asked about, never run (a flip and a half turn together are
  the other flip; two flips along one axis, or turns that add up to nothing, change nothing);
- a model plan: a request that names no change, colour, words or thing, or another picture, is
  asked back rather than guessed on the GPU."""

from __future__ import annotations

import math
import re

from config.contracts import Intent, Op
from config.ops import ADJUSTMENT_AMOUNT
from routing.builders import side_words
from routing.print_sizes import PRINT_UNITS
from routing.slots import ALL_SIDES

CONFIDENCE_FLOOR = 0.6  # an OpenCV plan below this is never run: model or reject instead


def orientation_conflict(ops: list[Op]) -> str | None:
    """Why these ops, done together, are not what anyone asks for; None when they are."""
    turns = [op.params["degrees"] for op in ops if op.name == "rotate"]
    flips = [op.params["axis"] for op in ops if op.name == "flip"]
    if flips and any(abs(t) == 180 for t in turns):
        return (
            "a flip and a half turn together are the other flip; say which one is wanted "
            "(e.g. 'rotate 180°' or 'flip vertically')"
        )
    if len(flips) >= 2 and len(set(flips)) < len(flips):
        return "two flips along the same axis cancel out; say it once"
    if len(set(flips)) == 2:
        return "a horizontal and a vertical flip together are a half turn; say 'rotate 180°' if so"
    if len(turns) >= 2 and sum(turns) % 360 == 0:
        return "the turns asked for add up to nothing; say the one that is wanted"
    return None


#: the parameter that says which way an adjustment goes (its sign) and how far


def aspect_of(pair) -> float:
    """A width:height pair as one comparable number (3 decimals; 0 for a zero height)."""
    w, h = (float(v) for v in pair)
    return round(w / h, 3) if h else 0.0


def adjustment_conflict(ops: list[Op]) -> str | None:
    """Why adjustments asked for pull one way and the other ("brighten it, then darken it",
    "looks cold and bluish" read as warmer and cooler); None when they do not."""
    for name, key in ADJUSTMENT_AMOUNT.items():
        signs = {op.params[key] > 0 for op in ops if op.name == name and op.params.get(key)}
        if len(signs) == 2:
            what = "colour temperature" if name == "tone" else name
            return f"it asks both to raise and to lower the {what}; say which"
    return None


def frame_conflict(ops: list[Op]) -> str | None:
    """Why two frames asked for in one request cannot both be meant ("make it 800x600 and also
    1000x1000", "make it square but keep it exactly 600x400"): the second undoes the first. Crops
    to one shape said twice ("16:9, 1280x720"), a width and a height, crops of margins and a scale
    after a size agree or add up."""
    aspects = [op.params["aspect"] for op in ops if op.name == "crop" and "aspect" in op.params]
    shapes = {aspect_of((a, b)): (a, b) for a, b in aspects if b}
    if len(shapes) > 1:
        shown = " and ".join(f"{a:g}:{b:g}" for a, b in shapes.values())
        return f"two shapes to crop to in one request ({shown}); say the one that is wanted"
    for key in ("width", "height", "size", "longest", "shortest"):
        values = {str(op.params[key]) for op in ops if op.name == "resize" and key in op.params}
        if len(values) > 1:
            both = " and ".join(sorted(values))
            return f"two sizes in one request ({key} {both}); say the one that is wanted"
    return None


_PRINT_UNIT = re.compile(rf"(?<![\d.])\d+(?:\.\d+)?\s*(?:{PRINT_UNITS})")


def print_size(text: str) -> str | None:
    """A size given in inches or centimetres with no dpi ("4 inches wide"): it is no number of
    pixels, and reading it as one would make a 4-pixel picture."""
    m = _PRINT_UNIT.search(text)
    if m is None:
        return None
    example = "'4 inches at 300 dpi'"
    return f"{m.group().strip()!r} is a print size; say it in pixels, or give the dpi (e.g. {example})"


_FRACTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)(?![\d.])")
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?(?![\d.])")
_RATIO = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[:：]\s*(\d+(?:\.\d+)?)(?!\d|\.\d)")
_NOT_A_PARAMETER = re.compile(  # numbers no parameter keeps: exposure stops (read as an amount)
    r"-?\d+(?:\.\d+)?\s*(?:ev|档|挡|stops?)\b|[+-]?\d+(?:\.\d+)?\s*(?:ev|档|挡)"
)


def unused_numbers(text: str, ops: list[Op], image_size: tuple[int, int] | None = None) -> list[str]:
    """The numbers stated in `text` (normalised) that no parameter of `ops` holds. Each must be
    held by a parameter of its own (two 300s need two): "800" by a width of 800, "50%" by a scale
    of 0.5, "270" by a turn of -90, "1/10" of a side by a margin of 10%; or the plan is not what
    was asked. The picture's own width and height (`image_size`) may each be stated once as what
    it is ("rejected for being only 600px; upscale to 1000 wide")."""
    values = [v for op in ops for v in _numbers_in(op.params)] + [float(n) for n in image_size or ()]
    text = _restatements_dropped(_NOT_A_PARAMETER.sub(" ", text))
    text = without_own_shape(text, image_size)
    unused = []

    def take(holds) -> bool:  # each stated number is held by a parameter of its own
        index = next((i for i, v in enumerate(values) if holds(v)), None)
        if index is None:
            return False
        values.pop(index)
        return True

    for m in _FRACTION.finditer(text):
        a, b = float(m.group(1)), float(m.group(2))
        if b and not take(lambda v, a=a, b=b: _holds_share(v, a / b)):
            unused.append(m.group())
    text = _FRACTION.sub(" ", text)
    for m in _NUMBER.finditer(text):
        stated = float(m.group())
        if not take(lambda v, n=stated: _means(v, n)):
            unused.append(m.group())
    return unused


def own_shape(pair, image_size: tuple[int, int] | None) -> bool:
    """Is the width:height `pair` the picture's own shape?"""
    return bool(image_size) and float(pair[1]) != 0 and aspect_of(pair) == aspect_of(image_size)


def without_own_shape(text: str, image_size: tuple[int, int] | None) -> str:
    """`text` without the picture's own shape said as what it is ("当前为3:2", "main image is 3:2"):
    a ratio that is the picture's aspect explains nothing the plan must hold."""
    return _RATIO.sub(lambda m: " " if own_shape(m.groups(), image_size) else m.group(), text)


def stretch_conflict(
    ops: list[Op], constraints: tuple[str, ...], image_size: tuple[int, int] | None
) -> str | None:
    """Why a resize to a width and a height cannot be done when the request keeps the proportions
    ("resize to 1200x300, keep the aspect ratio", "宽改成1200，高改成300，不许变形"): that size is
    another shape, reached only by stretching; None when it is not asked for."""
    if "keep-aspect" not in constraints or not image_size:
        return None
    for op in ops:
        size = (op.params.get("width"), op.params.get("height"))
        if op.name == "resize" and None not in size and not own_shape(size, image_size):
            return (
                f"{size[0]}x{size[1]} is not the picture's shape, so it cannot be reached without "
                "stretching it; say whether to crop, pad or stretch"
            )
    return None


def restates(number: str, ops: list[Op], image_size: tuple[int, int] | None) -> bool:
    """Is `number`, said in words of context, a value the plan already holds ("the feed is all
    4:5 now, crop this one to 4:5") or the picture's own width or height ("rejected for being
    only 600px")? Said there it explains nothing new; said in a request it needs its own parameter."""
    values = [v for op in ops for v in _numbers_in(op.params)]
    if "/" in number:  # a fraction of a side: held as a share or a percentage
        a, b = (float(part) for part in number.split("/"))
        return bool(b) and any(_holds_share(v, a / b) for v in values)
    stated = float(number)
    return stated in (image_size or ()) or any(_means(v, stated) for v in values)


def _holds_share(value: float, share: float) -> bool:
    """Does a parameter hold a share of a side or a size ("1/10" of a side is a margin of 10%; "a
    third smaller" a scale of 2/3, "a quarter bigger" one of 5/4)?"""
    return any(_same(value, v) for v in (100 * share, share, 1 - share, 1 + share))


def _numbers_in(params) -> list[float]:
    if isinstance(params, bool):
        return []
    if isinstance(params, int | float):
        return [float(params)]
    if isinstance(params, dict):
        return [v for value in params.values() for v in _numbers_in(value)]
    if isinstance(params, list | tuple):
        return [v for value in params for v in _numbers_in(value)]
    return []


def _means(value: float, stated: float) -> bool:
    """Does a parameter `value` hold the number `stated`? As itself, as a percentage (an amount
    of 0.15 is "15%", a scale of 0.75 is "75%" or "25% smaller"), a factor (a scale of 0.25 is
    "by a factor of 4") or a turn the other way (-90 is "270")."""
    candidates = [value, abs(value), 100 * value, 100 * abs(value), 360 - abs(value)]
    if value:  # a zero (a colour's channel) is no scale: "100" is never "100% smaller"
        candidates += [100 * abs(1 - value), 1 / abs(value)]
    return any(_same(c, abs(stated)) for c in candidates) or _same(value, stated)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=0.51 if b >= 10 else 1e-3)


def unexplained_sides(text: str, ops: list[Op], side_slot: re.Pattern[str]) -> tuple[str, ...]:
    """Sides the request names ("on the right", "上下") that a margin op taking all four sides
    ignores: "too much space on the right, trim 100px off that side" must not cut every side."""
    named: set[str] = set()
    for m in side_slot.finditer(text):
        sides = side_words(m.group(1) or m.group())
        if sides == ALL_SIDES:
            return ()
        named.update(sides or ())
    margins = [op for op in ops if "margins" in op.params]
    if named and margins and all(set(op.params["margins"]) == set(ALL_SIDES) for op in margins):
        return tuple(side for side in ALL_SIDES if side in named)
    return ()


def _holds_word(slot: str, value: str, ops: list[Op]) -> bool:
    """Does the plan already do what a parameter word of slot `slot` says ("底部" with a crop of
    the bottom, "clockwise" with a clockwise turn, "width" with a new width)?"""
    if slot == "side":
        sides = side_words(value)
        used = {side for op in ops for side, amount in op.params.get("margins", {}).items() if amount}
        return bool(sides) and set(sides) <= used
    turns = [op.params["degrees"] for op in ops if op.name == "rotate"]
    axes = {op.params["axis"] for op in ops if op.name == "flip"}
    resized = {key for op in ops if op.name == "resize" for key in op.params}
    return {
        "cw": any(t > 0 for t in turns),
        "ccw": any(t < 0 or t == 180 for t in turns),
        "horizontal": "horizontal" in axes,
        "vertical": "vertical" in axes or 180 in turns,
        "width": "width" in resized,
        "height": "height" in resized,
        "longest": "longest" in resized,
        "shortest": "shortest" in resized,
    }.get(slot, False)


def _said(m: re.Match[str]) -> str:
    return (m.group(1) if m.re.groups else None) or m.group()


def unheld_parameter_words(text: str, ops: list[Op], slots: dict[str, re.Pattern[str]]) -> list[str]:
    """The parameter words (sides, directions, axes, dimensions) of words of context that the plan
    does not already hold: "底部那块桌子露得太多了 … crop 掉底部 20%" names the bottom the plan crops
    (said again, it explains nothing new), "the photo came out wide … crop to 1:1" names nothing a
    crop to a ratio holds. A word held under one reading is held ("right" is a side and a way to
    turn)."""
    for name, pattern in slots.items():
        text = pattern.sub(lambda m, n=name: " " if _holds_word(n, _said(m), ops) else m.group(), text)
    return [m.group() for pattern in slots.values() for m in pattern.finditer(text)]


_ASIDE = re.compile(r"[(（]([^()（）]*)[)）]")


def _restatements_dropped(text: str) -> str:
    """Text without asides that only restate numbers said outside them ("缩放到四分之一大小（宽高各
    四分之一）": one quarter, said twice)."""
    outside = _ASIDE.sub(" ", text)
    said = set(_FRACTION.findall(outside)) | set(_NUMBER.findall(_FRACTION.sub(" ", outside)))

    def drop(m: re.Match[str]) -> str:
        inner = m.group(1)
        stated = set(_FRACTION.findall(inner)) | set(_NUMBER.findall(_FRACTION.sub(" ", inner)))
        return " " if stated and stated <= said else m.group()

    return _ASIDE.sub(drop, text)


_DEICTIC = re.compile(
    r"^(?:那个|这个|那|这|它|那些|这些|this|that|it|them|those|these|the\s+thing|that\s+thing|this\s+thing)$"
)
_VERB_AND_PRONOUN = re.compile(  # "remove it", "把它去掉": which thing?
    r"^(?:remove|delete|erase|replace|change|move|hide|get\s+rid\s+of|take\s+out|去掉|删掉|删除|移除|换掉|p掉)\s*"
    r"(?:it|this|that|them|它|这个|那个)(?:\s*(?:please|pls|thanks))?$|^把?(?:它|这个|那个)(?:去掉|删掉|删除|移除|换掉|p掉)$"
)
_OTHER_PICTURE = re.compile(
    r"(?:like|same\s+as|match(?:ing|es)?|consistent\s+with)\s+(?:\w+\s+){0,4}?(?:the|our|their|a)\s+(?:\w+\s+)?"
    r"(?:other|previous|last|first|earlier|competitor\x27?s?|rest\s+of\s+the)\s+(?:\w+\s+)?"
    r"(?:ones?|images?|photos?|pictures?|pics?|shots?|set|gallery|listing)|"
    r"(?:跟|和|像|按|照)\S{0,6}(?:上一张|上次|那张|之前那张|另一张|别的图|其他图|其他几张|那几张|竞品)\S{0,12}(?:一样|一致|统一|同样|那样)"
)
_ONLY_VERB = re.compile(
    r"^(?:改|弄|调|修|动|换|处理|优化|美化|p)(?:一下|下|改)?$|^(?:change|edit|fix|improve|enhance|tweak|adjust|modify)"
    r"\s+(?:it|this|that|the\s+(?:image|photo|picture|pic))$|^make\s+it\s+(?:better|nicer|look\s+good|pop)$"
)


_COLOUR_ONLY = re.compile(  # a recolour that names no colour at all (an unknown colour word is the model's)
    r"^(?:把\S{0,8})?(?:换|改|变)(?:个|一个|一下|下)?(?:颜色|色)(?:吧|呗)?$|"
    r"^(?:change|switch)\s+(?:the\s+)?colou?rs?(?:\s+of\s+(?:the\s+)?\w+)?$|^recolou?r\s+(?:the\s+|it|this)\s*\w*$"
)
_TEXT_ONLY = re.compile(
    r"^(?:change|edit|update|replace|fix|rewrite|redo)\s+(?:the\s+|this\s+|that\s+)?(?:text|wording|words|caption|copy)$|"
    r"^(?:把)?(?:文字|文案|字|标题)?(?:改|换|修改|更改|改改|换换)(?:一下|下)?(?:文字|文案|字|标题)?$"
)


def unclear_model_request(intent: Intent, words: str) -> str | None:
    """Why a model edit cannot be carried out as asked without asking back, or None: the words
    name no change ("改一下"), a recolour no colour ("换个颜色吧"), a text edit no words ("change the
    text"), a thing only as "that" ("把那个去掉"), or a picture that is not here ("like the other one")."""
    target = (intent.target or "").strip().lower()
    if _OTHER_PICTURE.search(words):
        return "it refers to another picture that was not given; describe the change instead"
    if _ONLY_VERB.match(words.strip()):
        return "it says to change the picture but not what or how; say the change, e.g. '把背景换成白色'"
    if (target and _DEICTIC.match(target)) or _VERB_AND_PRONOUN.match(words.strip()):
        return (
            f"'{intent.target or words.strip()}' does not say which thing; name it, e.g. 'remove the spoon'"
        )
    if intent.action == "recolour" and intent.colour is None and _COLOUR_ONLY.match(words.strip()):
        return "it asks for another colour but not which one; name the colour"
    if intent.action == "text" and not (intent.new_text or intent.old_text or intent.language):
        if _TEXT_ONLY.match(words.strip()):
            return "it asks to change the text but not to what; give the new words in quotes"
    return None
