"""One edit, whatever its route: settle it (bad row, rejected instruction), OpenCV or the model.

The batch flow groups OpenCV items into chunk tasks for speed, but decides each item the same
way (settle_without_editing first); the review flow's re-edit and other single-item callers use
edit_item, so a reviewer's "crop to 1:1" is an OpenCV edit like any other.
"""

from __future__ import annotations

from typing import Any

from routing import Plan
from tasks.model_path import model_job
from tasks.opencv_path import edit_chunk
from tasks.results import ItemResult
from tasks.storage import safe_name


def settle_without_editing(item: dict[str, Any], plan: Plan) -> ItemResult | None:
    """The result of an item that needs no editing (a bad row, a rejected instruction)."""
    base = {"id": item["id"], "image": item.get("image"), "instruction": item.get("instruction")}
    error = item.get("error")
    if not error:
        try:
            safe_name(item["id"])
        except ValueError as exc:
            error = str(exc)
    if error:
        return ItemResult(status="failed", error=error, **base)
    planned = {"route": plan.route, "ops": [op.to_dict() for op in plan.ops],
               "reason": plan.reason, "confidence": plan.confidence}
    if plan.route == "reject":
        return ItemResult(status="rejected", error=plan.reason, **base, **planned)
    return None


def edit_item(item: dict[str, Any], plan: Plan, out_dir: str) -> dict[str, Any]:
    """Edit one item on the path its plan names; always one result, never a raise."""
    settled = settle_without_editing(item, plan)
    if settled:
        return settled.to_dict()
    job = {"item": item, "plan": plan.to_dict()}
    if plan.route == "model":
        return model_job(job, out_dir)
    return edit_chunk([job], out_dir)[0]
