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

import queue
import time
from collections.abc import Iterator
from concurrent.futures import Future

from prefect import get_run_logger
from prefect.exceptions import MissingContextError
from prefect.utilities.annotations import quote

from config.contracts import Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.edit.model_path import model_edit, model_job
from tasks.edit.opencv_path import edit_chunk
from tasks.infra.errors import one_line
from tasks.infra.storage import safe_name

TASK_WORKER_PATIENCE_S = 30.0  # how long a finished task-worker run may go unrecorded by the API
POLL_S = 2.0  # how often waiting edits are looked at for a stall

Chunk = list[tuple[int, Job]]  # the items of one task: (their place in the batch, the job)


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
        return await_model(job, submit_model(job, out_dir, settings), out_dir, settings)
    if plan.route == "model":
        return model_job(job, out_dir, settings)
    return edit_chunk([job], out_dir, settings)[0]


def submit_model(job: Job, out_dir: str, settings: Settings) -> Future:
    """A model edit as a task run: on the GPU task worker (with the worker's own settings) when
    one is configured, else in this process."""
    if settings.model_worker == "task-worker":
        return model_edit.delay(job, out_dir)
    return model_edit.submit(quote(job), out_dir, quote(settings))


def await_model(job: Job, future: Future, out_dir: str, settings: Settings) -> ItemResult:
    """The result of a submitted model edit; a task that broke (a crashed worker), or that no
    GPU task worker ended (`settle`), is the item's failed result, not a raise or a wait forever."""
    ((_, (result,)),) = settle({future: [(0, job)]}, out_dir, settings)
    return result


def settle(futures: dict[Future, Chunk], out_dir: str, settings: Settings) -> Iterator[tuple[Chunk, list]]:
    """Each task's items with their results, as the tasks end; a task that broke is its items'
    failed results.

    A GPU task worker that dies (kill -9, a lost host) leaves the edits it had taken without an
    end, and Prefect gives them to no other worker. So when no model edit sent to the task
    workers has ended for `settings.model_stall_seconds` while some are out, those are sent
    again, once (a live worker takes them; their old task runs are marked Crashed), and after a
    second such stall they fail, saying why. A worker that is merely slow costs a second edit
    of the same picture at worst (outputs are content-addressed: the same file)."""
    ended: queue.SimpleQueue[Future] = queue.SimpleQueue()
    pending: dict[Future, Chunk] = {}
    remote: set[Future] = set()
    sent_again: set[int] = set()

    def watch(future: Future, chunk: Chunk, is_remote: bool) -> None:
        pending[future] = chunk
        if is_remote:
            remote.add(future)
        _when_done(future, ended.put)  # once per future (each call may ask the API)

    for future, chunk in futures.items():
        watch(future, chunk, settings.model_worker == "task-worker" and _is_model(chunk))
    moved = time.monotonic()
    while pending:
        try:
            future = ended.get(timeout=POLL_S)
        except queue.Empty:
            future = None
        if future is not None and future in pending:
            chunk = pending.pop(future)
            if future in remote:
                moved = time.monotonic()
            yield chunk, _values(future, chunk)
        out = [f for f in pending if f in remote]
        if not out or time.monotonic() - moved < settings.model_stall_seconds:
            continue
        for future in out:
            chunk = pending.pop(future)
            _give_up(future)
            ((index, job),) = chunk
            if index in sent_again:
                why = (
                    f"no GPU task worker ended it in 2 x {settings.model_stall_seconds:g} s "
                    "(sent twice): is `retouch serve --gpu` running?"
                )
                yield chunk, [task_failed(job, TimeoutError(why))]
            else:
                sent_again.add(index)
                _log("model edit of %s: no GPU task worker ended it; sent again", job.item.id)
                watch(submit_model(job, out_dir, settings), chunk, True)
        moved = time.monotonic()


def _when_done(future: Future, callback) -> None:
    """future.add_done_callback, for a task run just sent to a task worker too: Prefect reads the
    run to see whether it already ended, and one the API has not recorded yet has no state
    (AttributeError inside Prefect: PrefectHQ/prefect#18278, as in settled_value): read again."""
    deadline = time.monotonic() + TASK_WORKER_PATIENCE_S
    while True:
        try:
            return future.add_done_callback(callback)
        except AttributeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _is_model(chunk: Chunk) -> bool:
    return len(chunk) == 1 and chunk[0][1].plan.route == "model"


def _values(future: Future, chunk: Chunk) -> list:
    try:
        value = settled_value(future)
        return value if isinstance(value, list) else [value]
    except Exception as exc:  # the task itself broke (a crashed worker, say): record it
        _log("task %s failed: %s", getattr(future, "task_run_id", "?"), one_line(exc))
        return [task_failed(job, exc) for _, job in chunk]


def _give_up(future: Future) -> None:
    """Mark a task run whose worker stopped Crashed (it would show Running for good)."""
    from prefect import get_client
    from prefect.states import Crashed

    try:
        with get_client(sync_client=True) as client:
            client.set_task_run_state(
                future.task_run_id, Crashed(message="its GPU task worker stopped: sent again"), force=True
            )
    except Exception as exc:  # the record only: the edit is sent again all the same
        _log("could not mark task run %s crashed: %s", future.task_run_id, one_line(exc))


def _log(message: str, *args: object) -> None:
    try:
        get_run_logger().warning(message, *args)
    except MissingContextError:  # outside a flow run (a test)
        pass


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


def settled_value(future: Future) -> object:
    """The value of a finished task. A task worker's completion event can reach this flow before
    the API has recorded the task run's state (Prefect's events are eventually consistent, see
    PrefectHQ/prefect#18278): its "has no state" error is read again for a while, not taken as
    the task's failure."""
    deadline = time.monotonic() + TASK_WORKER_PATIENCE_S
    while True:
        try:
            return future.result()
        except RuntimeError as exc:
            if "has no state" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.25)
