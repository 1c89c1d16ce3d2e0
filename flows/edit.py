"""The workhorse flow: one flow run per batch of (image, instruction) items.

route every item -> settle the ones that need no edit -> OpenCV jobs in chunks (a task per
chunk, all workers busy) and model jobs -> one result per item, in manifest order -> reviews
asked for -> results.jsonl, ledger, Prefect artifacts, webhook.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from config.contracts import Item, ItemResult, Job, Plan, ReviewDecision
from config.limits import Limits
from config.settings import Settings, get_settings
from flows.progress import report_progress
from flows.review import request_review
from flows.runner import WorkerThreads
from routing import route
from routing.presets import PresetError, preset, preset_ops
from tasks.edit.conform import MODEL_FIRST
from tasks.edit.dispatch import settle, settle_without_editing, submit_model
from tasks.edit.opencv_path import opencv_edit_chunk
from tasks.infra.notify import notify
from tasks.infra.storage import sweep_partial_writes
from tasks.record.ledger.costs import ledger_rows, record_batch
from tasks.record.results import write_results_file

TABLE_ROWS = 500  # rows shown in the results artifact; results.jsonl has them all
PROGRESS_SECONDS = 2.0  # the progress artifact in the UI is updated at most this often
NO_REVIEW_DEPLOYMENT = (
    "waiting in review/: no review-edit deployment on this Prefect server "
    "(run `retouch serve`, then re-run the batch)"
)


def route_batch(items: list[Item], limits: Limits) -> list[Plan]:
    """Plan every item (pure and cheap, microseconds an item: part of the flow run itself, not
    a task run of its own, whose bookkeeping would cost more than the routing)."""
    plans: dict[str | None, Plan] = {}  # catalogs repeat the same few instructions
    for item in items:
        if item.instruction not in plans:
            plans[item.instruction] = route(item.instruction, limits=limits)
    return [plans[item.instruction] for item in items]


@task(name="request-reviews", cache_policy=NO_CACHE)
def request_reviews(
    waiting: list[tuple[Item, ItemResult]], out_dir: str, page: str | None
) -> list[str | None]:
    """Start a review-edit run for each result that needs a person; their ids (None: none)."""
    return [request_review(item, result, out_dir, page) for item, result in waiting]


@task(name="record-costs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def record_costs(results: list[ItemResult], settings: Settings) -> dict[str, dict[str, float]]:
    """Ledger and audit rows for the batch; returns its totals per path (for the artifact)."""
    from prefect.runtime import flow_run

    batch = str(flow_run.id) if flow_run.id else None
    # model edits wrote their rows as they finished (the GPU budget reads them)
    record_batch(
        settings.ledger_url, [r for r in results if r.route != "model"], batch, settings.price_version
    )
    per_path: dict[str, dict[str, float]] = {}
    for row in ledger_rows(results, batch, settings.price_version):
        totals = per_path.setdefault(
            row["path"], {"items": 0, "cpu_s": 0.0, "gpu_s": 0.0, "usd": 0.0, "cache_hits": 0}
        )
        totals["items"] += 1
        totals["cache_hits"] += row["cache_hit"]
        for name in ("cpu_s", "gpu_s", "usd"):
            totals[name] += row[name]
    return per_path


def apply_presets(
    items: list[Item], plans: list[Plan], settings: Settings, default: str | None
) -> list[Plan]:
    """Each item's plan with its marketplace preset (its `preset` column, else `default`) added
    after its OpenCV ops: an item with no instruction gets the preset alone. A model plan with a
    preset is refused: the preset applies to the model's output, in a run of its own."""
    planned = []
    for item, plan in zip(items, plans, strict=True):
        name = item.preset or default
        if not name:
            planned.append(plan)
            continue
        try:
            spec = preset(name, settings.presets_file)
        except PresetError as exc:
            planned.append(Plan("reject", (), 0.0, str(exc)))
            continue
        ops = preset_ops(spec)
        label = f"preset {spec.label}: {spec.description}"
        if not (item.instruction or "").strip():
            planned.append(Plan("opencv", ops, 1.0, label))
        elif plan.route == "opencv":
            planned.append(Plan("opencv", (*plan.ops, *ops), plan.confidence, f"{plan.reason}; then {label}"))
        elif plan.route == "model":
            planned.append(
                Plan(
                    "reject",
                    (),
                    0.0,
                    f"{spec.label} applies after OpenCV edits: run the model edit first, then the "
                    "preset on its output (an item with the preset and no instruction)",
                )
            )
        else:
            planned.append(plan)
    return planned


def note_preset(plan: Plan, result: ItemResult) -> None:
    """Which preset (and version) a published result meets, on the result."""
    conformed = next((op.params for op in plan.ops if op.name == "conform"), None)
    if conformed and result.status == "published" and result.route == "opencv":  # not the model's stand-in
        result.preset = f"{conformed['preset']}@{conformed['version']}"


WHITE_BY_MODEL = "把背景换成纯白"


def background_by_model(item: Item, plan: Plan, result: ItemResult) -> Job | None:
    """A preset alone (no edit of its own) that OpenCV could not meet because the backdrop is not
    plain: the model's job making the background white (the preset's framing can follow on its
    output), else None."""
    if not (result.status == "failed" and MODEL_FIRST in (result.error or "")):
        return None
    if any(op.name not in ("conform", "format") for op in plan.ops):
        return None
    return Job(item=item.model_copy(update={"instruction": WHITE_BY_MODEL}), plan=route(WHITE_BY_MODEL))


def with_model_background(job: Job, result: ItemResult, edited: ItemResult) -> ItemResult:
    """The model's result for a preset OpenCV could not meet, saying so."""
    edited.notes.append(
        f"{result.error.split(':')[0]}: the backdrop is not plain, so the model made the background "
        "white; the preset's framing and size follow when its output is run with the preset again"
    )
    edited.instruction = result.instruction
    return edited


def chunk_size(jobs: int, workers: int, configured: int = 0) -> int:
    """Images per OpenCV task: about four chunks per worker, 4-250 images each (a task run is a
    few tens of ms of the server's work: a chunk should be worth far more than that)."""
    if configured:
        return configured
    return max(4, min(250, math.ceil(jobs / (4 * max(1, workers)))))


def summary_rows(results: list[ItemResult]) -> list[dict[str, object]]:
    return [
        {
            "id": r.id,
            "status": r.status,
            "route": r.route or "",
            "output": r.output or "",
            "error": r.error or "",
            "seconds": r.seconds,
        }
        for r in results[:TABLE_ROWS]
    ]


@dataclass
class Sorted:
    """A batch sorted by what happens to each item: its place in the batch and its job."""

    settled: dict[int, ItemResult] = field(default_factory=dict)
    opencv: list[tuple[int, Job]] = field(default_factory=list)
    model: list[tuple[int, Job]] = field(default_factory=list)


def name_items(items: list[Item], requested_by: str | None) -> list[Item]:
    """An id for each item that has none (`item-<n>`, n its place in the batch), and who asked
    for it (the item's own `requested_by` column first)."""
    return [
        item.model_copy(
            update={"id": item.id or f"item-{n}", "requested_by": item.requested_by or requested_by}
        )
        for n, item in enumerate(items, 1)
    ]


def sort_items(items: list[Item], plans: list[Plan]) -> Sorted:
    """Settle what needs no edit (bad rows, refusals); the rest become OpenCV or model jobs."""
    batch = Sorted()
    for index, (item, plan) in enumerate(zip(items, plans, strict=True)):
        settled = settle_without_editing(item, plan)
        if settled:
            batch.settled[index] = settled
        elif plan.route == "model":
            batch.model.append((index, Job(item=item, plan=plan)))
        else:
            batch.opencv.append((index, Job(item=item, plan=plan)))
    return batch


def submit_edits(batch: Sorted, out_dir: str, settings: Settings) -> dict[Future, list[tuple[int, Job]]]:
    """OpenCV chunks first (model edits take seconds each and must not hold them back)."""
    size = chunk_size(len(batch.opencv), settings.workers, settings.chunk_size)
    chunks = [batch.opencv[i : i + size] for i in range(0, len(batch.opencv), size)]
    get_run_logger().info(
        "%d OpenCV jobs in %d chunks of <= %d, %d model jobs (%s), %d settled without editing",
        len(batch.opencv),
        len(chunks),
        size,
        len(batch.model),
        settings.model_worker,
        len(batch.settled),
    )
    futures = {
        opencv_edit_chunk.submit(quote([job for _, job in chunk]), out_dir, quote(settings)): chunk
        for chunk in chunks
    }
    for index, job in batch.model:
        futures[submit_model(job, out_dir, settings)] = [(index, job)]
    return futures


def collect_edits(
    futures: dict[Future, list[tuple[int, Job]]],
    results: list[ItemResult | None],
    done: int,
    out_dir: str,
    settings: Settings,
) -> None:
    """Each result into its place as its task ends; a broken task fails its items only, and a
    model edit whose GPU worker died is sent again (tasks/edit/dispatch.py: settle)."""
    total = len(results)
    progress_id = create_progress_artifact(
        progress=100.0 * done / max(1, total), key="edit-batch-progress", description=f"{total} items"
    )
    report_progress(done, total)
    shown = time.monotonic()
    for chunk, values in settle(futures, out_dir, settings):
        for (index, _), result in zip(chunk, values, strict=True):
            results[index] = result
        done += len(chunk)
        report_progress(done, total)
        if time.monotonic() - shown >= PROGRESS_SECONDS or done == total:  # the UI's bar, not a flood
            update_progress_artifact(progress_id, progress=100.0 * done / max(1, total))
            shown = time.monotonic()


def ask_for_reviews(items: list[Item], results: list[ItemResult], out_dir: str, settings: Settings) -> None:
    """A review run for each result that waits for a person (its id on the result)."""
    waiting = [(items[i], r) for i, r in enumerate(results) if r.status == "review"]
    if not waiting:
        return
    runs = request_reviews(quote(waiting), out_dir, settings.review_page_url)
    for (_, result), run_id in zip(waiting, runs, strict=True):
        if run_id:
            result.review = ReviewDecision(flow_run=run_id)
        else:
            result.notes.append(NO_REVIEW_DEPLOYMENT)


def report_batch(
    results: list[ItemResult], uri: str, per_path: dict[str, dict[str, float]], settings: Settings
) -> None:
    """Artifacts (cost per path, results table), the log line and the webhook."""
    create_table_artifact(
        [
            {"path": path, **{k: round(v, 6) for k, v in values.items()}}
            for path, values in sorted(per_path.items())
        ],
        key="edit-batch-cost",
        description=f"cost per path (price model {settings.price_version}); "
        f"total ${sum(v['usd'] for v in per_path.values()):.6f}",
    )
    counts = Counter(r.status for r in results)
    description = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    create_table_artifact(
        summary_rows(results),
        key="edit-batch-results",
        description=f"{description or 'no items'}; all rows in {uri}",
    )
    get_run_logger().info("batch done: %s; results in %s", description or "no items", uri)
    notify(
        {
            "event": "batch.completed",
            "results_uri": uri,
            "counts": dict(counts),
            "items": [
                r.model_dump(mode="json", include={"id", "status", "route", "output", "error"})
                for r in results
            ],
        },
        settings,
    )


def run_batch(
    items: list[Item],
    out_dir: str,
    settings: Settings,
    merge_results: bool = False,
    requested_by: str | None = None,
    preset_name: str | None = None,
) -> list[ItemResult]:
    """Route, edit and record a batch; called inside a flow run. `preset_name` is the
    marketplace preset of the items that name none."""
    swept = sweep_partial_writes(out_dir)
    if swept:
        get_run_logger().warning("removed %d half-written files left by an interrupted run", swept)
    items = name_items(items, requested_by)
    plans = apply_presets(items, route_batch(items, settings.limits), settings, preset_name)
    batch = sort_items(items, plans)
    results: list[ItemResult | None] = [batch.settled.get(i) for i in range(len(items))]
    collect_edits(submit_edits(batch, out_dir, settings), results, len(batch.settled), out_dir, settings)
    second = {i: job for i, r in enumerate(results) if (job := background_by_model(items[i], plans[i], r))}
    if second:  # presets OpenCV could not meet: the model makes the background white
        get_run_logger().info("%d items go to the model: their backdrop is not plain", len(second))
        futures = {submit_model(job, out_dir, settings): [(i, job)] for i, job in second.items()}
        for ((i, job),), (edited,) in settle(futures, out_dir, settings):
            results[i] = with_model_background(job, results[i], edited)
    final = [r for r in results if r is not None]
    assert len(final) == len(items), "every item must have exactly one result"
    for plan, result in zip(plans, final, strict=True):
        note_preset(plan, result)
    ask_for_reviews(items, final, out_dir, settings)
    uri = write_results_file(final, out_dir, merge_results)
    report_batch(final, uri, record_costs(quote(final), quote(settings)), settings)
    return final


@flow(name="edit-batch", task_runner=WorkerThreads())
def edit_batch(items: list[Item], out_dir: str, requested_by: str | None = None) -> list[ItemResult]:
    """Edit a batch of `{id, image, instruction}` items into `out_dir`; `requested_by` is who
    asked (the audit's `who`) for items that do not say."""
    return run_batch(items, out_dir, get_settings(), requested_by=requested_by)
