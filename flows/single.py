"""One image, one instruction: a single Prefect task run, not a batch's flow run.

`retouch edit` and the HTTP API's synchronous edits ask for one picture and wait for it. A flow
run costs about a second of bookkeeping (states, task runs, artifacts, the heartbeat thread's
join) for a 10 ms OpenCV job; a task run costs a few API calls. The task run is what the
Prefect UI shows for the edit (Runs > Task runs, named `edit`); the ledger row, the audit row,
the review run (for an edit that needs a person) and the webhook are the batch's.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.settings import get_current_settings

from config.contracts import Item, ItemResult, Plan
from config.settings import Settings
from flows.edit import ask_for_reviews, background_by_model, name_items, note_preset, with_model_background
from routing import route
from tasks.edit.dispatch import edit_item
from tasks.infra.notify import notify
from tasks.record.ledger.costs import record_batch


# Results live in results.jsonl and the ledger, not in Prefect's result storage. Naming the
# storage anyway (Prefect's local default, never written) saves each run the question "which
# storage does the server prefer?": an API request that, in a daemon just started, would wait
# for the Prefect server to boot (retouch/daemon_server.py runs edits while it does).
@task(
    name="edit",
    cache_policy=NO_CACHE,
    persist_result=False,
    result_storage=get_current_settings().results.local_storage_path,
    task_run_name="edit {item.id}",
)
def edit_one(item: Item, out_dir: str, settings: Settings, plan: Plan | None = None) -> ItemResult:
    """Route (unless a `plan` is given: a session's round), edit, check and publish one item
    (or ask a person); record it in the ledger."""
    (item,) = name_items([item], item.requested_by)
    plan = plan or route(item.instruction, limits=settings.limits)
    result = edit_item(item, plan, out_dir, settings)
    fallback = background_by_model(item, plan, result)
    if fallback is not None:  # a preset OpenCV could not meet: the model whitens the background
        result = with_model_background(
            fallback, result, edit_item(fallback.item, fallback.plan, out_dir, settings)
        )
    note_preset(plan, result)
    ask_for_reviews([item], [result], out_dir, settings)
    if result.route != "model":  # model edits write their rows as they finish (the GPU budget)
        record_batch(settings.ledger_url, [result], str(task_run.id or ""), settings.price_version)
    notify(
        {
            "event": "edit.completed",
            **result.model_dump(mode="json", include={"id", "status", "route", "output", "error"}),
        },
        settings,
    )
    return result
