"""One edit, whatever its route: settle it (bad row, rejected instruction), OpenCV or the model.

The batch flow groups OpenCV items into chunk tasks for speed, but decides each item the same
way (settle_without_editing first); the review flow's re-edit and other single-item callers use
edit_item, so a reviewer's "crop to 1:1" is an OpenCV edit like any other.

Model edits go where the configuration says, from every entry point (a batch, `retouch edit`,
the API, a session round, a review's re-edit, a preset's fallback): with RETOUCH_MODEL_WORKER=
task-worker to the GPU task worker (`retouch serve --gpu`), the one process that holds the
pipeline; in-process otherwise (the embedded default, one machine).
"""

from __future__ import annotations

import time
from concurrent.futures import Future

from prefect.utilities.annotations import quote

from config.contracts import Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.edit.model_path import model_edit, model_job
from tasks.edit.opencv_path import edit_chunk
from tasks.infra.errors import one_line
from tasks.infra.storage import safe_name

TASK_WORKER_PATIENCE_S = 30.0  # how long a finished task-worker run may go unrecorded by the API
MODEL_WAIT_S = 1800.0  # how long one model edit may wait for the GPU task worker before it fails


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
    if plan.route == "model" and settings.model_worker == "task-worker":
        return model_result(job, submit_model(job, out_dir, settings))
    if plan.route == "model":
        return model_job(job, out_dir, settings)
    return edit_chunk([job], out_dir, settings)[0]


def submit_model(job: Job, out_dir: str, settings: Settings) -> Future:
    """A model edit as a task run: on the GPU task worker (with the worker's own settings) when
    one is configured, else in this process."""
    if settings.model_worker == "task-worker":
        return model_edit.delay(job, out_dir)
    return model_edit.submit(quote(job), out_dir, quote(settings))


def model_result(job: Job, future: Future, wait_s: float = MODEL_WAIT_S) -> ItemResult:
    """The result of a submitted model edit; a task that broke (a crashed worker), or that no
    worker took up within `wait_s`, is the item's failed result, not a raise or a wait forever."""
    try:
        return settled_value(future, wait_s)
    except TimeoutError:
        return task_failed(
            job,
            TimeoutError(
                f"no GPU task worker finished it in {wait_s:g} s: is `retouch serve --gpu` running?"
            ),
        )
    except Exception as exc:
        return task_failed(job, exc)


def task_failed(job: Job, exc: BaseException) -> ItemResult:
    """The result of an item whose task broke."""
    return ItemResult(
        id=job.item.id,
        status="failed",
        route=job.plan.route,
        image=job.item.image,
        instruction=job.item.instruction,
        requested_by=job.item.requested_by,
        error=f"task failed: {one_line(exc)}",
    )


def settled_value(future: Future, wait_s: float | None = None) -> object:
    """The value of a finished task (waiting at most `wait_s`: TimeoutError). A task worker's
    completion event can reach this flow before the API has recorded the task run's state
    (Prefect's events are eventually consistent, see PrefectHQ/prefect#18278): its "has no state"
    error is read again for a while, not taken as the task's failure."""
    deadline = time.monotonic() + TASK_WORKER_PATIENCE_S
    while True:
        try:
            return future.result(timeout=wait_s)
        except RuntimeError as exc:
            if "has no state" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.25)
