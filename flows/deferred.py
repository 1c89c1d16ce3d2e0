"""Run the model edits that the daily GPU budget deferred, once there is budget again."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from flows.edit import run_batch
from retouch.settings import get_settings
from tasks import ledger


@flow(name="run-deferred",
      task_runner=ThreadPoolTaskRunner(max_workers=get_settings().workers))
def run_deferred() -> list[dict[str, Any]]:
    """Edit every deferred item into its batch's folder and update that batch's results.jsonl."""
    logger = get_run_logger()
    settings = get_settings()
    url = settings.ledger_url
    pending = ledger.pending_deferred(url)
    budget = settings.daily_gpu_budget_usd
    if not pending:
        logger.info("nothing deferred")
        return []
    if budget is not None and ledger.spent_today_usd(url) >= budget:
        logger.info("%d items still deferred: today's GPU budget of $%g is spent", len(pending),
                    budget)
        return []
    by_folder: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in pending:
        by_folder[row["out_dir"]].append(row)
    ledger.mark_done(url, [row["id"] for row in pending])  # one that is deferred again is re-added
    results = []
    for out_dir, rows in by_folder.items():
        items = [row["job"]["item"] for row in rows]
        results += run_batch(items, out_dir, merge_results=True)
    logger.info("ran %d deferred items", len(results))
    return results
