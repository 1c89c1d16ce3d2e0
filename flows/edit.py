"""The workhorse flow: one flow run per batch of (image, instruction) items.

route every item -> OpenCV jobs in chunks (a task per chunk, all workers busy) and model jobs
-> one result per item, in manifest order -> results.jsonl + Prefect artifacts.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.progress import report_progress
from flows.review import request_review
from retouch.settings import get_settings
from routing import Plan, route
from tasks import ledger
from tasks.dispatch import settle_without_editing
from tasks.model_path import model_edit
from tasks.notify import notify
from tasks.opencv_path import opencv_edit_chunk
from tasks.results import ItemResult, write_results_file
from tasks.storage import sweep_partial_writes

TABLE_ROWS = 500  # rows shown in the results artifact; results.jsonl has them all


@task(name="route-batch", cache_policy=NO_CACHE)
def route_batch(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plan every item (pure and cheap: one task for the whole batch)."""
    limits = get_settings().limits
    plans: dict[str | None, dict[str, Any]] = {}  # catalogs repeat the same few instructions
    for item in items:
        instruction = item.get("instruction")
        if instruction not in plans:
            plans[instruction] = route(instruction, limits=limits).to_dict()
    return [plans[item.get("instruction")] for item in items]


NO_REVIEW_DEPLOYMENT = ("waiting in review/: no review-edit deployment on this Prefect server "
                        "(run `retouch serve`, then re-run the batch)")


@task(name="request-reviews", cache_policy=NO_CACHE)
def request_reviews(waiting: list[tuple[dict[str, Any], dict[str, Any]]],
                    out_dir: str) -> list[str | None]:
    """Start a review-edit run for each result that needs a person; their ids (None: none)."""
    return [request_review(item, result, out_dir) for item, result in waiting]


@task(name="record-costs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def record_costs(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Ledger and audit rows for the batch; returns its totals per path (for the artifact)."""
    from prefect.runtime import flow_run

    settings = get_settings()
    batch = str(flow_run.id) if flow_run.id else None
    # model edits wrote their rows as they finished (the GPU budget reads them)
    ledger.record_batch(settings.ledger_url, [r for r in results if r.get("route") != "model"],
                        batch, settings.price_version)
    per_path: dict[str, dict[str, float]] = {}
    for row in ledger.ledger_rows(results, batch, settings.price_version):
        totals = per_path.setdefault(row["path"], {"items": 0, "cpu_s": 0.0, "gpu_s": 0.0,
                                                   "usd": 0.0, "cache_hits": 0})
        totals["items"] += 1
        totals["cache_hits"] += row["cache_hit"]
        for field in ("cpu_s", "gpu_s", "usd"):
            totals[field] += row[field]
    return per_path


@task(name="write-results", cache_policy=NO_CACHE)
def write_results(results: list[dict[str, Any]], out_dir: str, merge: bool = False) -> str:
    """results.jsonl: exactly one line per item, in manifest order, written atomically."""
    return write_results_file(results, out_dir, merge)


def chunk_size(jobs: int, workers: int, configured: int = 0) -> int:
    """Images per OpenCV task: about four chunks per worker, 4-50 images each."""
    if configured:
        return configured
    return max(4, min(50, math.ceil(jobs / (4 * max(1, workers)))))


def summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "status": r["status"], "route": r.get("route") or "",
             "output": r.get("output") or "", "error": r.get("error") or "",
             "seconds": r.get("seconds", 0)} for r in results[:TABLE_ROWS]]


def run_batch(items: list[dict[str, Any]], out_dir: str,
              merge_results: bool = False) -> list[dict[str, Any]]:
    """Route, edit and record a batch; called inside a flow run."""
    logger = get_run_logger()
    settings = get_settings()
    swept = sweep_partial_writes(out_dir)
    if swept:
        logger.warning("removed %d half-written files left by an interrupted run", swept)
    items = [item if item.get("id") else {**item, "id": f"item-{n}"}
             for n, item in enumerate(items, 1)]
    total = len(items)
    progress_id = create_progress_artifact(progress=0.0, key="edit-batch-progress",
                                           description=f"{total} items")
    plans = route_batch(quote(items))  # quote: Prefect need not walk every item for futures
    results: list[dict[str, Any] | None] = [None] * total
    jobs: list[tuple[int, dict[str, Any]]] = []
    model_jobs: list[tuple[int, dict[str, Any]]] = []
    for index, (item, plan_dict) in enumerate(zip(items, plans, strict=True)):
        settled = settle_without_editing(item, Plan.from_dict(plan_dict))
        if settled:
            results[index] = settled.to_dict()
        elif plan_dict["route"] == "model":
            model_jobs.append((index, {"item": item, "plan": plan_dict}))
        else:
            jobs.append((index, {"item": item, "plan": plan_dict}))

    size = chunk_size(len(jobs), settings.workers, settings.chunk_size)
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    logger.info("%d items: %d OpenCV jobs in %d chunks of <= %d, %d model jobs (%s), "
                "%d settled without editing", total, len(jobs), len(chunks), size,
                len(model_jobs), settings.model_worker, total - len(jobs) - len(model_jobs))
    done = total - len(jobs) - len(model_jobs)
    report_progress(done, total)
    # OpenCV chunks first: model edits take seconds each and must not hold them back
    futures = {opencv_edit_chunk.submit(quote([job for _, job in chunk]), out_dir): chunk
               for chunk in chunks}
    for index, job in model_jobs:
        if settings.model_worker == "task-worker":
            future = model_edit.delay(job, out_dir)
        else:
            future = model_edit.submit(quote(job), out_dir)
        futures[future] = [(index, job)]

    def collect(future) -> None:
        nonlocal done
        chunk = futures[future]
        try:
            value = future.result()
            values = value if isinstance(value, list) else [value]
        except Exception as exc:  # the task itself broke (a crashed worker, say): record it
            logger.error("task %s failed: %s", future.task_run_id, exc)
            values = [ItemResult(id=job["item"]["id"], status="failed",
                                 route=job["plan"]["route"], image=job["item"].get("image"),
                                 instruction=job["item"].get("instruction"),
                                 error=f"task failed: {type(exc).__name__}: {exc}".splitlines()[0]
                                 ).to_dict() for _, job in chunk]
        for (index, _), result in zip(chunk, values, strict=True):
            results[index] = result
        done += len(chunk)
        update_progress_artifact(progress_id, progress=100.0 * done / max(1, total))
        report_progress(done, total)

    for future in as_completed(list(futures)):
        collect(future)
    if total == 0:
        update_progress_artifact(progress_id, progress=100.0)

    final = [r for r in results if r is not None]
    assert len(final) == total, "every item must have exactly one result"
    waiting = [(items[i], r) for i, r in enumerate(final) if r["status"] == "review"]
    if waiting:
        for (_, result), run_id in zip(waiting, request_reviews(quote(waiting), out_dir),
                                       strict=True):
            if run_id:
                result["review"] = {"flow_run": run_id}
            else:
                result["notes"].append(NO_REVIEW_DEPLOYMENT)
    uri = write_results(quote(final), out_dir, merge_results)
    per_path = record_costs(quote(final))
    create_table_artifact(
        [{"path": path, **{k: round(v, 6) for k, v in values.items()}}
         for path, values in sorted(per_path.items())],
        key="edit-batch-cost",
        description=f"cost per path (price model {settings.price_version}); "
                    f"total ${sum(v['usd'] for v in per_path.values()):.6f}")
    counts = Counter(r["status"] for r in final)
    description = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    create_table_artifact(summary_rows(final), key="edit-batch-results",
                          description=f"{description or 'no items'}; all rows in {uri}")
    logger.info("batch done: %s; results in %s", description or "no items", uri)
    notify({"event": "batch.completed", "results_uri": uri, "counts": dict(counts),
            "items": [{k: r.get(k) for k in ("id", "status", "route", "output", "error")}
                      for r in final]})
    return final


@flow(name="edit-batch", task_runner=ThreadPoolTaskRunner(max_workers=get_settings().workers))
def edit_batch(items: list[dict[str, Any]], out_dir: str) -> list[dict[str, Any]]:
    """Edit a batch of `{id, image, instruction}` items into `out_dir`."""
    return run_batch(items, out_dir)
