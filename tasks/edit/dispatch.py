"""One edit, whatever its route: settle it (bad row, rejected instruction), OpenCV or the model.

The batch flow groups OpenCV items into chunk tasks for speed, but decides each item the same
way (settle_without_editing first); the review flow's re-edit and other single-item callers use
edit_item, so a reviewer's "crop to 1:1" is an OpenCV edit like any other.
"""

from __future__ import annotations

from config.contracts import Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.edit.model_path import model_job
from tasks.edit.opencv_path import edit_chunk
from tasks.infra.storage import safe_name


def settle_without_editing(item: Item, plan: Plan) -> ItemResult | None:
    """The result of an item that needs no editing (a bad row, a rejected instruction)."""
    base = {
        "id": item.id,
        "image": item.image,
        "instruction": item.instruction,
        "requested_by": item.requested_by,
    }
    error = item.error
    if not error:
        try:
            safe_name(item.id or "")
        except ValueError as exc:
            error = str(exc)
    if error:
        return ItemResult(status="failed", error=error, **base)
    if plan.route == "reject":
        return ItemResult(
            status="rejected",
            error=plan.reason,
            route=plan.route,
            ops=list(plan.ops),
            reason=plan.reason,
            confidence=plan.confidence,
            **base,
        )
    return None


def edit_item(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one item on the path its plan names; always one result, never a raise."""
    settled = settle_without_editing(item, plan)
    if settled:
        return settled
    job = Job(item=item, plan=plan)
    if plan.route == "model":
        return model_job(job, out_dir, settings)
    return edit_chunk([job], out_dir, settings)[0]
