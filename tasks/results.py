"""One result per manifest item: the shape of a line of results.jsonl, and how it is filled."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from routing.plan import Plan
from tasks.storage import exists, join, read_bytes, write_bytes

Status = Literal["published", "review", "rejected", "failed", "deferred"]
log = logging.getLogger("retouch.items")


@dataclass
class ItemResult:
    id: str
    status: Status
    route: str | None = None
    output: str | None = None
    error: str | None = None
    cost: dict[str, Any] = field(default_factory=lambda: {"usd": 0.0})
    checks: list[dict[str, Any]] = field(default_factory=list)
    image: str | None = None
    instruction: str | None = None
    ops: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    confidence: float | None = None
    width: int | None = None
    height: int | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    model: dict[str, Any] | None = None  # model path: model, seed, steps, working size, device
    check_confidence: float | None = None  # post-checks: how safely inside every threshold
    review: dict[str, Any] | None = None  # the review-edit run that waits for a person
    cache_hit: bool = False  # the same edit was done before: its result, at no GPU cost

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def execute(item: dict[str, Any], plan: Plan, work: Callable[[], ItemResult],
            expected: tuple[type[BaseException], ...],
            price: Callable[[float, ItemResult], dict[str, Any]]) -> dict[str, Any]:
    """Run one item's `work`; an `expected` error (or a bug) becomes a `failed` result.

    Whatever happens, the item gets one result with its plan, timing and cost filled in.
    """
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        result = work()
    except expected as exc:
        result = ItemResult(id=item["id"], status="failed", route=plan.route, error=str(exc))
    except MemoryError:
        result = ItemResult(id=item["id"], status="failed", route=plan.route,
                            error="out of memory while editing this image")
    except Exception as exc:  # a bug must not sink the batch; keep the trace in the logs
        log.exception("item %s failed", item["id"])
        result = ItemResult(id=item["id"], status="failed", route=plan.route,
                            error=f"internal error: {type(exc).__name__}: {exc}")
    result.image, result.instruction = item.get("image"), item.get("instruction")
    result.ops, result.reason = [op.to_dict() for op in plan.ops], plan.reason
    result.confidence = plan.confidence
    result.seconds = round(time.perf_counter() - wall, 4)
    result.cost = price(time.thread_time() - cpu, result)
    return result.to_dict()


def write_results_file(results: list[dict[str, Any]], out_dir: str, merge: bool = False) -> str:
    """results.jsonl: exactly one line per item, in manifest order, written atomically.

    With `merge`, the lines of these items replace their earlier lines (deferred items that
    ran later, a review's decision) and the other lines stay as they were.
    """
    uri = join(out_dir, "results.jsonl")
    if merge and exists(uri):
        fresh = {r["id"]: r for r in results}
        earlier = [json.loads(line) for line in read_bytes(uri).decode("utf-8").splitlines()
                   if line.strip()]
        known = {r["id"] for r in earlier}
        results = [fresh.get(r["id"], r) for r in earlier] + [r for r in results
                                                               if r["id"] not in known]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
    write_bytes(uri, body.encode("utf-8"), "application/x-ndjson")
    return uri
