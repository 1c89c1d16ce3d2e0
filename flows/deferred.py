"""Run the model edits that the daily GPU budget deferred, once there is budget again."""

from __future__ import annotations

from collections import defaultdict

from prefect import flow, get_run_logger

from config.contracts import Item, ItemResult
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.ledger.costs import spent_today_usd
from tasks.ledger.deferred import mark_done, pending_deferred


@flow(name="run-deferred", task_runner=WorkerThreads())
def run_deferred() -> list[ItemResult]:
    """Edit every deferred item into its batch's folder and update that batch's results.jsonl."""
    logger = get_run_logger()
    settings = get_settings()
    url = settings.ledger_url
    pending = pending_deferred(url)
    budget = settings.daily_gpu_budget_usd
    if not pending:
        logger.info("nothing deferred")
        return []
    if budget is not None and spent_today_usd(url) >= budget:
        logger.info("%d items still deferred: today's GPU budget of $%g is spent", len(pending), budget)
        return []
    by_folder: dict[str, list[Item]] = defaultdict(list)
    for _, out_dir, job in pending:
        by_folder[out_dir].append(job.item)
    mark_done(url, [row_id for row_id, _, _ in pending])  # deferred again: re-added
    results = []
    for out_dir, items in by_folder.items():
        results += run_batch(items, out_dir, settings, merge_results=True)
    logger.info("ran %d deferred items", len(results))
    return results
