"""The plan read back before it runs: orientation ops that cancel each other or compound into a
different edit are asked about, never run (a flip and a half turn together are the other flip;
two flips along one axis, or turns that add up to nothing, leave the picture as it was)."""

from __future__ import annotations

from config.contracts import Op

ORIENTATION_OPS = ("rotate", "flip")


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
