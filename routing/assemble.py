"""One plan's ops from its clauses' readings: two clauses that ask for one edit merged into one
op, a bare shape given to the op that makes it, the constraints applied ("don't crop" pads
instead), and ways of an op the request forbids. Pure functions over lists of `Op`s."""

from __future__ import annotations

from config.contracts import MODEL_OP, Op
from config.limits import Limits
from config.ops import ADJUSTMENT_AMOUNT
from routing.builders import turn
from routing.clauses import IMPLICIT, read_op_clause
from routing.request import Clause
from routing.slots import PlanError
from routing.templates import Templates
from routing.verify import aspect_of

_CHANGES = {"keep-size": {"resize"}, "keep-colour": {"grey"}}  # ops that undo what a constraint keeps


#: adjustments that share a way in one breath ("降低亮度和对比度")
_ADJUSTED = tuple(name for name, key in ADJUSTMENT_AMOUNT.items() if key == "amount")


def shape_said_twice(ops: list[Op], explicit: list[set[str]]) -> None:
    """Drop a crop read from a bare shape ("1:1正方形") when another op makes that shape in a way
    the request says ("补白边到正方形"): the shape was the target, the other op how to reach it."""
    for i in range(len(ops) - 1, -1, -1):
        if IMPLICIT not in explicit[i] or set(ops[i].params) - {"anchor"} != {"aspect"}:  # a size stays
            continue
        shape = aspect_of(ops[i].params["aspect"])
        if any(
            j != i and IMPLICIT not in explicit[j] and aspect_of(op.params.get("aspect", (0, 1))) == shape
            for j, op in enumerate(ops)
        ):
            del ops[i], explicit[i]


def shape_not_made(text: str, ops: list[Op], t: Templates) -> bool:
    """Does `text` state a shape ("正方形", "3:4", "800x800") that no op of the plan makes?"""
    made = {aspect_of(op.params["aspect"]) for op in ops if isinstance(op.params.get("aspect"), list)}
    made |= {
        aspect_of((op.params["width"], op.params["height"]))
        for op in ops
        if "height" in op.params and "width" in op.params
    }
    if t.slots["square"].search(text) and 1.0 not in made:
        return True
    shapes = [m for name in ("ratio", "size") for m in t.slots[name].finditer(text)]
    return any(float(m.group(2)) and aspect_of((m.group(1), m.group(2))) not in made for m in shapes)


def idempotent(op: Op) -> bool:
    """Is asking twice for `op` asking once? A crop to a ratio or a resize to a size, said again,
    is the same edit; a turn, a flip, a border or an adjustment said again may be a second one."""
    return op.name == "crop" and "aspect" in op.params or op.name == "resize" and "scale" not in op.params


def shape_stated(texts: list[str], t: Templates) -> tuple[int, list[float]] | None:
    """The first aspect ratio a clause the parser could not read states ("banner images require a
    16:9 aspect ratio", "boss say must be 1:1 lah"), and which clause: (index, [w, h])."""
    for index, text in enumerate(texts):
        ratio = t.slots["ratio"].search(text)
        if ratio:
            w, h = float(ratio.group(1)), float(ratio.group(2))
            if w > 0 and h > 0:
                return index, [w, h]
        if t.slots["square"].search(text):
            return index, [1.0, 1.0]
    return None


def forbidden_ways(
    clauses: list[Clause], t: Templates, limits: Limits, image_size: tuple[int, int] | None
) -> dict[str, list[Op]]:
    """The ops that clauses forbid in a way they say ("don't flip it horizontally", "not
    warmer"), by name: forbidding one way of an op is not forbidding the op."""
    found: dict[str, list[Op]] = {}
    for clause in clauses:
        if not clause.forbids:
            continue
        try:
            kind, read, _, _ = read_op_clause(clause.forbids, t, limits, image_size)
        except PlanError:
            continue
        if kind == "opencv":
            for op, keys in read:
                if keys - {IMPLICIT}:  # said which way: that way only
                    found.setdefault(op.name, []).append(op)
    return found


def apply_constraints(
    ops: list[Op], constraints: tuple[str, ...], forbidden: dict[str, list[Op]] | None = None
) -> list[Op]:
    """ "don't crop": a crop to a ratio or size becomes padding to it (white unless a pad colour
    was given); a crop of margins contradicts the constraint. "don't resize" likewise. A
    constraint that forbids one way of an op (`forbidden`: "don't flip it horizontally — flip it
    vertically", "not warmer. Cooler.") contradicts only that way."""
    forbidden = forbidden or {}

    def another_way(constraint: str) -> bool:  # only a way of the op not asked for is forbidden
        ways = forbidden.get(constraint.removeprefix("no-"), [])
        asked = [op for op in ops if op.name == constraint.removeprefix("no-")]
        return bool(ways and asked) and not any(
            op == way or _same_direction(way, op) for op in asked for way in ways
        )

    constraints = tuple(c for c in constraints if not (c.startswith("no-") and another_way(c)))
    if "no-crop" in constraints:
        pad_colour = next((op.params["colour"] for op in ops if op.name == "pad"), [255, 255, 255])
        out: list[Op] = []
        for op in ops:
            if op.name == "crop":
                if "margins" in op.params:
                    raise PlanError("the instruction asks both to crop and not to crop")
                shape = (
                    {"size": op.params["size"]} if "size" in op.params else {"aspect": op.params["aspect"]}
                )
                op = Op("pad", {**shape, "colour": pad_colour})
            if op.name == "pad" and out and out[-1].name == "pad":
                out[-1] = Op("pad", {**op.params, **out[-1].params})
                continue
            out.append(op)
        ops = out
    for constraint in constraints:
        name = constraint.removeprefix("no-")
        if constraint.startswith("no-") and any(op.name == name for op in ops) and name != "crop":
            raise PlanError(f"the instruction asks both to {name} and not to {name}")
        changed = {op.name for op in ops} & _CHANGES.get(constraint, set())
        if changed:  # "放大一点，但是尺寸不要变", "转黑白，颜色不变"
            kept = constraint.replace("-", " the ")
            raise PlanError(f"the instruction asks to {', '.join(sorted(changed))} and to {kept}")
    return ops


def append_merging(ops: list[Op], explicit: list[set[str]], op: Op, keys: set[str]) -> None:
    """Merge "扩展画布为正方形，填充白色" into one pad; inherit a direction for "… and contrast"."""
    if ops and op.name == "rotate" == ops[-1].name and {"degrees", "direction"} == explicit[-1] ^ keys:
        # "旋转90度，逆时针": the amount in one clause (read clockwise), the way in the other
        amount, way = (ops[-1], op) if "degrees" in explicit[-1] else (op, ops[-1])
        degrees = amount.params["degrees"]
        ops[-1] = Op("rotate", {"degrees": degrees if way.params["degrees"] > 0 else turn(-degrees)})
        explicit[-1] = {"degrees", "direction"}
        return
    if (
        ops
        and op.name == ops[-1].name not in (MODEL_OP, "rotate")
        and explicit[-1] < keys
        and all(ops[-1].params.get(k) == op.params.get(k) for k in explicit[-1] if k in op.params)
    ):  # "统一加白边，四周各加30像素白色边框": the same edit said again, in more detail
        ops[-1], explicit[-1] = op, keys
        return
    if ops and op.name != MODEL_OP and (ops[-1] == op or _same_direction(ops[-1], op)):
        # "降低饱和度，别太艳了" asks once, in two ways: the one with an amount stands
        if "amount" in keys and "amount" not in explicit[-1]:
            ops[-1], explicit[-1] = op, keys
        return
    if (
        ops
        and op.name == ops[-1].name == "resize"
        and {*ops[-1].params, *op.params} == {"width", "height"}
        and set(ops[-1].params) != set(op.params)
    ):  # "宽改成1200，高改成300": one size, not a width kept in proportion and then a height
        ops[-1] = Op("resize", {**ops[-1].params, **op.params})
        explicit[-1] |= keys
        return
    if ops and ops[-1].name == op.name and not (explicit[-1] & keys) - {"way"} and op.name != MODEL_OP:
        merged = {**ops[-1].params, **{k: v for k, v in op.params.items() if k in keys}}
        ops[-1] = Op(op.name, merged)
        explicit[-1] |= keys
        return
    if (
        op.name in _ADJUSTED
        and "amount" not in keys
        and ops
        and ops[-1].name in _ADJUSTED
        and explicit[-1] & {"amount", "direction", "way"}
    ):
        # "降低亮度和对比度": the second takes the first's way and amount; "lower the saturation a
        # bit, then brighten it": its own way, the first's amount
        before = ops[-1].params["amount"]
        own_way = keys & {"direction", "way"}
        amount = abs(before) * (1 if op.params["amount"] > 0 else -1) if own_way else before
        op = Op(op.name, {**op.params, "amount": amount})
        keys = keys | {"amount"}
    elif (
        op.name in _ADJUSTED
        and keys & {"amount", "direction", "way"}
        and ops
        and ops[-1].name in _ADJUSTED
        and not explicit[-1]
    ):  # "亮度和对比度都降低": the bare first takes the way and amount of the one after it
        ops[-1] = Op(ops[-1].name, {"amount": op.params["amount"]})
        explicit[-1] = set(keys)
    ops.append(op)
    explicit.append(keys)


def shape_to_pad(ops: list[Op], explicit: list[set[str]]) -> None:
    """ "Square. White padding.": a bare shape beside a pad with no shape of its own is the pad's
    shape, not a crop."""
    shape = next((i for i, op in enumerate(ops) if op.name == "crop" and IMPLICIT in explicit[i]), None)
    pad = next((i for i, op in enumerate(ops) if op.name == "pad" and "shape" not in explicit[i]), None)
    if shape is None or pad is None:
        return
    crop = ops[shape].params
    form = {"size": crop["size"]} if "size" in crop else {"aspect": crop["aspect"]}
    ops[pad] = Op("pad", {**form, "colour": ops[pad].params["colour"]})
    explicit[pad] = explicit[pad] | {"shape"}
    del ops[shape], explicit[shape]


def _same_direction(last: Op, op: Op) -> bool:
    """ "调高饱和度，颜色太淡了": a second adjustment of the same op, the same way."""
    amount = ADJUSTMENT_AMOUNT.get(op.name)
    return (
        amount is not None and last.name == op.name and (last.params[amount] > 0) == (op.params[amount] > 0)
    )


def describe(op: Op) -> str:
    """A short human description of an OpenCV op, for reasons and summaries."""
    p = op.params
    if op.name in ("brightness", "contrast", "saturation", "sharpen"):
        return f"{op.name} {p['amount']:+.0%}"
    if op.name == "tone":
        return f"{'warmer' if p['warmth'] > 0 else 'cooler'} tone {abs(p['warmth']):.0%}"
    if op.name == "rotate":
        return f"rotate {p['degrees']:g}° clockwise"
    if op.name == "flip":
        return f"flip {p['axis']}"
    details = ", ".join(f"{k}={v}" for k, v in p.items())
    return f"{op.name} ({details})" if details else op.name
