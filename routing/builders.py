"""Ops from slots: each op's builder reads the slots found for it (numbers, sides, colours,
sizes) and checks what it builds against the limits and, when known, the image's size."""

from __future__ import annotations

import math
import re

from config.contracts import Op
from config.limits import Limits
from routing.fits import check_against_image, check_output
from routing.slots import ALL_SIDES, NUMERIC_SLOTS, Found, PlanError
from routing.vocabulary import load_vocabulary

DEFAULT_AMOUNT = 0.15
BIT_AMOUNT = 0.1
LOT_AMOUNT = 0.3
MAX_ASPECT = 10.0


MAX_NUMBER = 1e9  # no parameter of any op is meaningful beyond this


def _number(value: str) -> float:
    number = float(value.replace(" ", ""))
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise PlanError(f"the number {value[:20]}{'...' if len(value) > 20 else ''} is too large")
    return number


def _side(value: str) -> str:
    """left/right/top/bottom/center for a side word ("左边", "the left"), else the word itself."""
    region = load_vocabulary().region_in(value.strip())
    return region.name if region else value.strip()


def _ratio(f: Found) -> tuple[float, float] | None:
    square = f.get("square")
    for name in ("ratio",):  # "1/10" is an amount of a side (a tenth), never a ratio
        slot = f.get(name)
        if slot:
            w, h = (_number(g) for g in slot.groups[:2])
            if w <= 0 or h <= 0 or max(w / h, h / w) > MAX_ASPECT:
                raise PlanError(f"aspect ratio {slot.groups[0]}:{slot.groups[1]} is not possible")
            if square and w != h:
                raise PlanError(f"a square is not {slot.groups[0]}:{slot.groups[1]}")
            return (w, h)
    return (1.0, 1.0) if square else None


def _size(f: Found, limits: Limits) -> tuple[int, int] | None:
    slot = f.get("size")
    if not slot:
        return None
    w, h = (_number(g) for g in slot.groups[:2])
    if w < 1 or h < 1:
        raise PlanError(f"size {slot.groups[0]}x{slot.groups[1]} is empty")
    check_output(int(w), int(h), limits)
    return int(w), int(h)


# side words, Chinese single characters and pairs included ("上下各裁掉十分之一": top and bottom)
_SIDE_WORDS = (
    (re.compile(r"上下|top\s+and\s+bottom|bottom\s+and\s+top"), ("top", "bottom")),
    (re.compile(r"左右|left\s+and\s+right|right\s+and\s+left"), ("left", "right")),
    (
        re.compile(
            r"四周|四边|各边|每边|周围|all\s+(?:four\s+)?(?:sides|edges)|(?:each|every)\s+(?:side|edge)|around"
        ),
        ALL_SIDES,
    ),
    (re.compile(r"左|left"), ("left",)),
    (re.compile(r"右|right"), ("right",)),
    (re.compile(r"上|顶|top"), ("top",)),
    (re.compile(r"下|底|bottom"), ("bottom",)),
)


def side_words(value: str) -> tuple[str, ...] | None:
    """The sides a side word names ("右边" -> right, "上下" -> top and bottom), None if none."""
    return next((sides for pattern, sides in _SIDE_WORDS if pattern.search(value)), None)


def _sides(f: Found) -> tuple[str, ...]:
    """The sides a margin applies to: "from the left", "右边", "上下" (top and bottom), "四周" (all)."""
    named = [side_words(s.value) for s in f.slots if s.name in ("side", "anchor")]
    if not named or any(n is None for n in named):
        return ALL_SIDES
    return tuple(dict.fromkeys(side for n in named for side in n))


# the trigger's own upward way ("调亮", "boost"), not the name of the setting ("亮度", "brightness")
_UPWARD = re.compile(
    r"亮(?!度)|提|增|加|强|鲜艳|bright(?!ness)|lighten|boost|increase|raise|add|pop|vivid|punch"
)


def _amount(f: Found, negative_words: tuple[str, ...] = ()) -> tuple[float, set[str]]:
    """Signed strength of an adjustment, and whether the user gave one."""
    explicit: set[str] = set()
    magnitude = DEFAULT_AMOUNT
    if f.has("bit"):
        magnitude = BIT_AMOUNT
    if f.has("lot"):
        magnitude = LOT_AMOUNT
    # the trigger's own way ("暗", "darken" down; "调亮", "boost" up); "less" words go down ("less
    # bright", "降低亮度", "dim it down"); "more" goes further the trigger's way ("更暗" is darker)
    base = -1.0 if any(w in f.trigger for w in negative_words) else 1.0
    sign = -1.0 if f.has("less") else base
    if base < 0 or _UPWARD.search(f.trigger):
        explicit.add("way")  # the trigger says which way, if not how far
    stops = f.get("stops")
    if not stops and f.get("pixels") and re.search(r"曝光|expos", f.trigger):
        stops = f.get("pixels")
    value = f.get("percent") or f.get("pixels")
    if stops:
        value = _number(stops.value)
        if f.has("less") and value > 0 and not stops.value.strip().startswith("+"):
            value = -value  # "曝光降低一档", "lower the exposure by 1 stop"
        factor = 2 ** (value / 2.2)  # EV stops in linear light, applied to sRGB
        return factor - 1, {"amount"}
    if value:
        number = _number(value.value)
        if f.has("absolute") and number > 0 and not value.value.strip().startswith("+"):
            magnitude, sign = abs(number / 100 - 1), (1.0 if number >= 100 else -1.0)
        else:
            magnitude = abs(number) / 100
            if number < 0:
                sign = -1.0
            if number < 0 or value.value.strip().startswith("+"):
                explicit.add("way")  # "saturation -30", "亮度 +15%": a signed amount says which way
        explicit.add("amount")
    elif f.has("more", "less"):
        explicit.add("direction")
    if f.has("bit", "lot"):
        explicit.add("amount")
    return sign * magnitude, explicit


def build(f: Found, limits: Limits, image_size: tuple[int, int] | None) -> tuple[Op, set[str]]:
    builder = BUILDERS[f.name]
    op, keys = builder(f, limits)
    unused = next((slot for slot in f.slots if slot.name in NUMERIC_SLOTS and slot.name not in f.used), None)
    if unused:  # "1%2裁": a number the op has no use for is never dropped silently
        raise PlanError(f"the number {unused.value!r} does not fit '{f.trigger or f.name}'")
    if image_size:
        check_against_image(op, image_size, limits)
    return op, keys


def _build_crop(f: Found, limits: Limits):
    anchor_slot = f.get("anchor")
    anchor = _side(anchor_slot.value) if anchor_slot else "center"
    size = _size(f, limits)
    if size and max(size) <= 32:  # "crop to 16x9" is a ratio, "crop to 800x600" a size
        return Op("crop", {"aspect": list(size), "anchor": anchor}), {"aspect"}
    if size:
        return Op("crop", {"aspect": list(size), "anchor": anchor, "size": list(size)}), {"aspect"}
    ratio = _ratio(f)
    if ratio:
        return Op("crop", {"aspect": [*ratio], "anchor": anchor}), {"aspect"}
    fraction = f.get("fraction")
    if fraction:  # "cut a tenth off the top and bottom", "裁掉左边五分之一": that share of those sides
        if not f.has("side", "anchor"):
            raise PlanError(
                f"which side is {'/'.join(fraction.groups[:2])} of the picture cut from? say it, "
                "e.g. 'cut a tenth off the top' or '裁掉左边五分之一'"
            )
        a, b = (_number(g) for g in fraction.groups[:2])
        if b <= 0 or a <= 0:
            raise PlanError(f"{'/'.join(fraction.groups[:2])} of a side is not a share that can be cut")
        value, sides = 100 * a / b, _sides(f)
        if _nothing_left(dict.fromkeys(sides, value)):
            raise PlanError(f"cutting {'/'.join(fraction.groups[:2])} from {', '.join(sides)} leaves nothing")
        return Op("crop", {"margins": {s: round(value, 4) for s in sides}, "unit": "percent"}), {"margins"}
    amounts = [slot for slot in f.slots if slot.name in ("percent", "pixels")]
    if len(amounts) > 1:  # "crop 25 off the left and 75 off the right": each side its own amount
        return _side_amounts(f, amounts), {"margins"}
    amount = f.get("percent") or f.get("pixels")
    if amount:
        value = abs(_number(amount.value))
        unit = "percent" if amount.name == "percent" else "px"
        if value <= 0:
            raise PlanError("a crop of 0 does nothing")
        sides = _sides(f)
        if unit == "percent" and _nothing_left(dict.fromkeys(sides, value)):
            raise PlanError(f"cropping {value:g}% from {', '.join(sides)} leaves nothing")
        return Op("crop", {"margins": dict.fromkeys(sides, value), "unit": unit}), {"margins"}
    # "裁成16:9，裁掉上下" (which sides a ratio crop takes from), "一比一的，帮我裁" (the ratio is in
    # another clause): the crop takes its parameters from the clause beside it, or is refused
    return Op("crop", {}), set()


def _side_amounts(f: Found, amounts: list) -> Op:
    """Margins side by side, the n-th side named with the n-th amount stated, in one unit."""
    f.used.update(("percent", "pixels"))
    sides = sorted((slot for slot in f.slots if slot.name in ("side", "anchor")), key=lambda slot: slot.start)
    named = [side_words(slot.value) for slot in sides]
    if len(named) != len(amounts) or any(n is None or len(n) != 1 for n in named):
        raise PlanError("say one amount for each side, e.g. 'crop 25px off the left and 75px off the right'")
    units = {"percent" if slot.name == "percent" else "px" for slot in amounts}
    if len(units) > 1:
        raise PlanError("give the sides' amounts in one unit (pixels or percent)")
    margins = {}
    for (side,), slot in zip(named, sorted(amounts, key=lambda slot: slot.start), strict=True):
        value = _number(slot.value)
        if value <= 0:
            raise PlanError(f"a crop of {slot.value} from the {side} is not possible")
        margins[side] = value
    unit = units.pop()
    if unit == "percent" and _nothing_left(margins):
        raise PlanError(f"cutting {margins} % leaves nothing")
    return Op("crop", {"margins": margins, "unit": unit})


def _nothing_left(percent: dict[str, float]) -> bool:
    """Do margins in percent of the picture cut it away across (left + right, or top + bottom)?"""
    return any(
        percent.get(a, 0) + percent.get(b, 0) >= 100 for a, b in (("left", "right"), ("top", "bottom"))
    )


def _build_trim(f: Found, limits: Limits):
    return Op("trim", {"tolerance": 12}), set()


def _build_resize(f: Found, limits: Limits):
    shrink = bool(re.search(r"缩小|缩|shrink|smaller|down", f.trigger)) or f.has("less")
    if not f.slots and not re.search(r"缩|放大|shrink|enlarge|bigger|smaller|larger|up|down", f.trigger):
        raise PlanError(
            "resize needs a size, a side length or a scale (e.g. 'resize to 800 wide', '缩小一半')"
        )
    size = _size(f, limits)
    if size:
        return Op("resize", {"width": size[0], "height": size[1]}), {"size"}
    px = f.get("pixels")
    numbers = [slot for slot in f.slots if slot.name == "pixels"]
    if f.has("width") and f.has("height") and len(numbers) >= 2:  # "宽800高600", "width 800 height 600"
        if len(numbers) > 2:
            raise PlanError("more numbers than a width and a height")
        dims = sorted(
            (slot for slot in f.slots if slot.name in ("width", "height")), key=lambda slot: slot.start
        )
        first, second = (int(_number(slot.value)) for slot in sorted(numbers, key=lambda slot: slot.start))
        w, h = (first, second) if dims[0].name == "width" else (second, first)
        if min(w, h) < 1:
            raise PlanError(f"size {w}x{h} is empty")
        check_output(w, h, limits)
        return Op("resize", {"width": w, "height": h}), {"size"}
    for dim in ("longest", "shortest", "width", "height"):
        if f.has(dim) and px:
            value = int(_number(px.value))
            if value < 1:
                raise PlanError(f"a {dim} of {value} px is empty")
            if value > limits.max_side:
                check_output(value, value, limits)
            return Op("resize", {dim: value}), {"size"}
    scale = None
    factor = f.get("factor")
    if factor:
        word = factor.groups[1]
        scale = {"double": 2, "twice": 2, "triple": 3, "half": 0.5, "halve": 0.5, "quarter": 0.25}.get(
            word or ""
        )
        if scale is None:
            scale = _number(factor.groups[0])
            if scale <= 0:
                raise PlanError(
                    f"a scale of {factor.groups[0]}x leaves no picture; say how much larger or smaller"
                )
            if shrink and scale > 1:
                scale = 1 / scale
    elif f.get("percent"):
        pct = _number(f.get("percent").value) / 100
        if f.has("absolute") or not re.search(
            r"缩小|放大|shrink|enlarge|bigger|smaller|larger|up|down", f.trigger
        ):
            scale = pct
        else:
            scale = 1 - pct if shrink else 1 + pct
    elif f.get("fraction"):  # like a percentage: "a third smaller" is 2/3, "shrink it to a third" 1/3
        a, b = (_number(g) for g in f.get("fraction").groups[:2])
        share = a / b if b else 0
        if f.has("absolute") or not re.search(
            r"缩小|放大|shrink|enlarge|bigger|smaller|larger|up|down", f.trigger
        ):
            scale = share
        else:
            scale = 1 - share if shrink else 1 + share
    elif px:
        value = int(_number(px.value))
        if value < 1:
            raise PlanError(f"a size of {value} px is empty")
        return Op("resize", {"longest": value}), {"size"}
    if scale is None:
        scale = 0.5 if shrink else 2.0
        keys: set[str] = set()
    else:
        keys = {"size"}
    if scale <= 0:
        raise PlanError(f"a scale of {scale:g} leaves no image")
    if scale > math.sqrt(limits.max_output_pixels):
        check_output(scale, scale, limits)
    return Op("resize", {"scale": round(scale, 6)}), keys


def _build_rotate(f: Found, limits: Limits):
    deg = f.get("degrees") or f.get("pixels")
    degrees = _number(deg.value) if deg else 90.0
    ccw = f.has("ccw") or bool(re.search(r"逆时针|counter|anti", f.trigger))
    if ccw:
        degrees = -degrees
    keys = ({"degrees"} if deg else set()) | (
        {"direction"} if ccw or f.has("cw") or "顺时针" in f.trigger else set()
    )
    return Op("rotate", {"degrees": turn(degrees)}), keys


def turn(degrees: float) -> float:
    """A turn in (-180, 180] degrees, clockwise positive."""
    degrees = ((degrees + 180) % 360) - 180 or 0.0
    return 180.0 if degrees == -180 else degrees


def _build_flip(f: Found, limits: Limits):
    vertical = f.has("vertical") or bool(re.search(r"upside|倒过来|颠倒|倒置", f.trigger))
    said = vertical or f.has("horizontal") or bool(re.search(r"镜像|mirror|左右|水平", f.trigger))
    # "flip it" is a horizontal flip by default: only an axis named is said
    return Op("flip", {"axis": "vertical" if vertical else "horizontal"}), {"axis"} if said else set()


def _build_grey(f: Found, limits: Limits):
    return Op("grey", {}), set()


def _build_adjust(name: str, negative_words: tuple[str, ...], floor: float = -0.95):
    def build(f: Found, limits: Limits):
        amount, keys = _amount(f, negative_words)
        if amount <= floor:
            raise PlanError(f"{name} {amount:+.0%} would leave a blank image")
        return Op(name, {"amount": round(amount, 4)}), keys

    return build


def _build_saturation(f: Found, limits: Limits):
    amount, keys = _amount(f, ("褪色", "muted", "desaturat"))
    if amount <= -1:
        return Op("grey", {}), keys
    return Op("saturation", {"amount": round(amount, 4)}), keys


def _build_tone(f: Found, limits: Limits):
    text = f.trigger + " " + " ".join(s.value for s in f.slots if s.name in ("warm", "cool"))
    cool = f.has("cool") or bool(re.search(r"冷|cool|cold|蓝|青|blu", f.trigger))
    warm = f.has("warm") or bool(re.search(r"暖|warm|黄|橙|golden|yellow", f.trigger))
    if not (cool or warm):
        if f.has("more"):
            warm = True  # raising colour temperature warms the picture
        elif f.has("less"):
            cool = True
        else:
            raise PlanError(f"say which way to shift the colour tone ({text.strip()!r}: warmer or cooler?)")
    amount, keys = _amount(f)
    warmth = abs(amount) * (-1 if cool and not warm else 1)
    return Op("tone", {"warmth": round(warmth, 4)}), keys | {"warmth"}


def _colour(f: Found) -> list[int] | None:
    slot = f.get("colour")
    text = slot.value.strip() if slot else ""
    if not text and re.search(r"白|white", f.trigger):
        text = "white"
    found = load_vocabulary().colour_in(text) if text else None
    if not found:
        return None
    colour = found[0]
    return [*colour.rgb, colour.alpha] if colour.alpha != 255 else list(colour.rgb)


def _build_pad(f: Found, limits: Limits):
    colour = _colour(f)
    params: dict = {}
    keys: set[str] = set()
    size = _size(f, limits)
    ratio = _ratio(f) if not size else None
    amount = f.get("pixels") or f.get("percent")
    if size:
        params["size"] = list(size)
    elif ratio:
        params["aspect"] = list(ratio)
    elif amount:
        value = _number(amount.value)
        if value <= 0:
            raise PlanError(
                f"a border of {amount.value.strip()} is not possible (to cut the edges, say 'crop')"
            )
        params["margins"] = {s: value for s in _sides(f)}
        params["unit"] = "percent" if amount.name == "percent" else "px"
    if params:
        keys.add("shape")
    else:
        params["margins"] = {s: 5.0 for s in ALL_SIDES}
        params["unit"] = "percent"
    params["colour"] = colour or [255, 255, 255]
    if colour:
        keys.add("colour")
    return Op("pad", params), keys


def _build_sharpen(f: Found, limits: Limits):
    amount, keys = _amount(f)
    return Op("sharpen", {"amount": round(abs(amount) * (1 if amount >= 0 else -1) / 0.3, 4)}), keys


def _build_sepia(f: Found, limits: Limits):
    percent = f.get("percent")
    strength = _number(percent.value) / 100 if percent else (0.5 if f.has("bit") else 1.0)
    if not 0 < strength <= 1:
        raise PlanError(f"a sepia tone of {strength:.0%} is not possible (say up to 100%)")
    return Op("sepia", {"strength": strength}), {"strength"} if percent else set()


def _build_blur(f: Found, limits: Limits):
    px = f.get("pixels")
    sigma = _number(px.value) if px else (1.0 if f.has("bit") else 3.0 if f.has("lot") else 2.0)
    if not 0 < sigma <= 200:
        raise PlanError(f"a blur of {sigma:g} px is not possible")
    return Op("blur", {"sigma": sigma}), {"sigma"} if px else set()


def _build_format(f: Found, limits: Limits):
    params: dict = {}
    fmt = f.get("fmt")
    if fmt:
        name = fmt.value.lower()
        params["format"] = {"jpg": "jpeg", "tif": "tiff", "tiff": "tiff"}.get(name, name)
    quality = f.get("quality")
    if quality:
        q = int(quality.value)
        if not 1 <= q <= 100:
            raise PlanError(f"JPEG quality {q} is outside 1-100")
        params["quality"] = q
    elif re.search(r"压缩|compress", f.trigger) and not f.get("filesize"):
        params["quality"] = 80
    size = f.get("filesize")
    if size:  # "jpg under 300KB", "压缩到200KB以内": the encoder finds the quality that fits
        amount, unit = _number(size.value), size.groups[1].lower()
        if amount <= 0:
            raise PlanError(f"a file of {size.value} {unit} is not possible")
        if params.get("format") in ("png", "tiff", "bmp"):
            raise PlanError(f"a {params['format']} cannot be made to fit a file size; ask for jpeg or webp")
        params["max_kb" if unit in ("kb", "k") else "max_mb"] = amount  # "200k以内": kilobytes
    if not params:
        raise PlanError("say which format (png, jpeg, webp) or quality to use")
    return Op("format", params), set(params)


BUILDERS = {
    "crop": _build_crop,
    "trim": _build_trim,
    "resize": _build_resize,
    "rotate": _build_rotate,
    "flip": _build_flip,
    "grey": _build_grey,
    "brightness": _build_adjust("brightness", ("暗", "dark", "dim")),
    "contrast": _build_adjust("contrast", ()),
    "saturation": _build_saturation,
    "tone": _build_tone,
    "pad": _build_pad,
    "sharpen": _build_sharpen,
    "blur": _build_blur,
    "sepia": _build_sepia,
    "format": _build_format,
}
