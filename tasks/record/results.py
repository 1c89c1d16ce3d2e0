"""One result per item: how an edit's work becomes its ItemResult, and results.jsonl."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from config.contracts import Cost, Item, ItemResult, Plan, Report
from tasks.infra.storage import exists, join, read_bytes, write_bytes

log = logging.getLogger("retouch.items")


def judged(report: Report) -> dict[str, Any]:
    """The fields of a result that say how the checks judged it (rounded as results show them)."""
    return {
        "checks": report.findings,
        "check_confidence": round(report.confidence, 3),
        "risk": round(report.risk, 4),
        "risk_threshold": round(report.threshold, 4),
        "risk_drivers": report.drivers,
    }


def execute(
    item: Item,
    plan: Plan,
    work: Callable[[], ItemResult],
    expected: tuple[type[BaseException], ...],
    price: Callable[[float, ItemResult], Cost],
) -> ItemResult:
    """Run one item's `work`; an `expected` error (or a bug) becomes a `failed` result.

    Whatever happens, the item gets one result with its plan, timing and cost filled in.
    """
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        result = work()
    except expected as exc:
        result = ItemResult(id=item.id, status="failed", route=plan.route, error=str(exc))
    except MemoryError:
        result = ItemResult(
            id=item.id, status="failed", route=plan.route, error="out of memory while editing this image"
        )
    except Exception as exc:  # a bug must not sink the batch; keep the trace in the logs
        log.exception("item %s failed", item.id)
        result = ItemResult(
            id=item.id,
            status="failed",
            route=plan.route,
            error=f"internal error: {type(exc).__name__}: {exc}",
        )
    result.image, result.instruction = item.image, item.instruction
    result.requested_by = item.requested_by
    result.ops, result.reason = list(plan.ops), plan.reason
    result.confidence = plan.confidence
    result.seconds = round(time.perf_counter() - wall, 4)
    result.cost = price(time.thread_time() - cpu, result)
    return result


def write_results_file(results: list[ItemResult], out_dir: str, merge: bool = False) -> str:
    """results.jsonl: exactly one line per item, in manifest order, written atomically.

    With `merge`, the lines of these items replace their earlier lines (deferred items that
    ran later, a review's decision) and the other lines stay as they were.
    """
    uri = join(out_dir, "results.jsonl")
    lines = [r.to_dict() for r in results]
    if merge and exists(uri):
        fresh = {line["id"]: line for line in lines}
        earlier = [json.loads(line) for line in read_bytes(uri).decode("utf-8").splitlines() if line.strip()]
        known = {line["id"] for line in earlier}
        lines = [fresh.get(line["id"], line) for line in earlier] + [
            line for line in lines if line["id"] not in known
        ]
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    write_bytes(uri, body.encode("utf-8"), "application/x-ndjson")
    return uri
