"""Run the model edits that the daily GPU budget deferred, once there is budget again."""

from __future__ import annotations

from collections import defaultdict

from prefect import flow, get_run_logger

from config.contracts import Item, ItemResult
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.record.ledger.costs import spent_today_usd
from tasks.record.ledger.deferred import mark_done, pending_deferred


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
    if budget is not None and spent_today_usd(url, settings.budget_timezone) >= budget:
        logger.info("%d items still deferred: today's GPU budget of $%g is spent", len(pending), budget)
        return []
    by_folder: dict[str, list[tuple[int, Item]]] = defaultdict(list)
    for row_id, out_dir, job in pending:
        by_folder[out_dir].append((row_id, job.item))
    results = []
    for out_dir, rows in by_folder.items():
        results += run_batch([item for _, item in rows], out_dir, settings, merge_results=True)
        # done only once they ran: a crash leaves them pending (a re-run finds finished model
        # edits in the cache); an item deferred again was added as a new row meanwhile
        mark_done(url, [row_id for row_id, _ in rows])
    logger.info("ran %d deferred items", len(results))
    return results
