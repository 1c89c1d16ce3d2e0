"""What each item cost, per path (OpenCV, model, review), and the audit trail: written per
batch and per review decision, read as totals for `retouch cost` and the daily GPU budget."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from config.contracts import ItemResult, ReviewDecision
from config.settings import Settings
from tasks.record.ledger.db import audit, engine_for, ledger, now

PATHS = ("opencv", "model", "review")


def ledger_rows(results: list[ItemResult], batch: str | None, price_version: str) -> list[dict[str, Any]]:
    """One row per item and path that did work (rejected and unreadable items cost nothing)."""
    at = now()
    return [
        {
            "at": at,
            "batch": batch,
            "item": r.id,
            "path": r.cost.path,
            "status": r.status,
            "cpu_s": r.cost.cpu_s or 0.0,
            "gpu_s": r.cost.gpu_s or 0.0,
            "gpu_type": r.cost.gpu_type,
            "review_min": 0.0,
            "cache_hit": r.cache_hit,
            "price_version": price_version,
            "usd": r.cost.usd,
            "risk": r.risk,
            "risk_threshold": r.risk_threshold,
        }
        for r in results
        if r.cost.path in PATHS
    ]


def audit_rows(results: list[ItemResult], batch: str | None) -> list[dict[str, Any]]:
    """The audit trail of every model edit: who asked what, which model, seed, output."""
    at = now()
    return [
        {
            "at": at,
            "batch": batch,
            "item": r.id,
            "event": "edit",
            "request": r.instruction,
            "image": r.image,
            "model": r.model.model if r.model else None,
            "model_version": r.model.version if r.model else None,
            "seed": r.model.seed if r.model else None,
            "output": r.output,
            "status": r.status,
            "who": r.requested_by,
            "references": r.model.references if r.model else None,
        }
        for r in results
        if r.route == "model"
    ]


def record_batch(url: str, results: list[ItemResult], batch: str | None, price_version: str) -> int:
    """Write the batch's ledger and audit rows; returns the number of ledger rows."""
    rows, trail = ledger_rows(results, batch, price_version), audit_rows(results, batch)
    with engine_for(url).begin() as connection:
        if rows:
            connection.execute(insert(ledger), rows)
        if trail:
            connection.execute(insert(audit), trail)
    return len(rows)


def record_review(
    url: str,
    item: str,
    batch: str | None,
    decision: ReviewDecision,
    review_min: float,
    usd: float,
    price_version: str,
) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(
            insert(ledger).values(
                at=now(),
                batch=batch,
                item=item,
                path="review",
                status=decision.decision,
                review_min=review_min,
                price_version=price_version,
                usd=usd,
            )
        )
        connection.execute(
            insert(audit).values(
                at=now(),
                batch=batch,
                item=item,
                event="decision",
                request=decision.instruction,
                output=decision.output,
                decision=decision.decision,
                who=decision.reviewer,
                note=decision.note,
            )
        )


def day_start(zone: str, now: datetime | None = None) -> datetime:
    """Midnight of today in time zone `zone` (the budget's day), as an aware UTC time."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def spent_today_usd(url: str, zone: str = "UTC", path: str = "model") -> float:
    """What `path` cost since midnight in `zone` (the daily GPU budget's day)."""
    start = day_start(zone)
    with engine_for(url).connect() as connection:
        total = connection.execute(
            select(func.coalesce(func.sum(ledger.c.usd), 0.0)).where(
                ledger.c.path == path, ledger.c.at >= start
            )
        ).scalar()
    return float(total or 0.0)


DELIVERED = ("published", "approve")  # what reached the shop: published, or approved by a person


def _zero() -> dict[str, float]:
    return {"items": 0, "delivered": 0, "cpu_s": 0.0, "gpu_s": 0.0, "review_min": 0.0, "usd": 0.0}


def totals(url: str, since: datetime | None = None, by: str = "path") -> dict[str, Any]:
    """Per path: items, those delivered (published, or approved in review: not the ones still
    waiting or rejected), seconds, review minutes and USD; plus cache hits. With `by` day or
    batch, also `groups` of the same totals (a batch's with its first and last row's time)."""
    query = select(ledger).order_by(ledger.c.at)
    if since is not None:
        query = query.where(ledger.c.at >= since)
    by_path = {path: _zero() for path in PATHS}
    grouped: dict[str, dict[str, Any]] = defaultdict(_zero)
    cache_hits = 0
    with engine_for(url).connect() as connection:
        for row in connection.execute(query).mappings():
            targets = [by_path[row["path"]]]
            if by != "path":
                key = row["at"].date().isoformat() if by == "day" else row["batch"] or "-"
                targets.append(grouped[key])
                if by == "batch":
                    grouped[key].setdefault("first_at", row["at"].isoformat(timespec="seconds"))
                    grouped[key]["last_at"] = row["at"].isoformat(timespec="seconds")
            for target in targets:
                target["items"] += 1
                target["delivered"] += row["status"] in DELIVERED
                for field in ("cpu_s", "gpu_s", "review_min", "usd"):
                    target[field] += row[field] or 0.0
            cache_hits += bool(row["cache_hit"])
    report: dict[str, Any] = {
        "by_path": {name: _rounded(values) for name, values in by_path.items()},
        "cache_hits": cache_hits,
        "total_usd": round(sum(v["usd"] for v in by_path.values()), 10),
    }
    if by != "path":
        report["groups"] = {key: _rounded(values) for key, values in grouped.items()}
    return report


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 10) if isinstance(v, float) else v for k, v in values.items()}


def hosted_comparison(report: dict[str, Any], settings: Settings) -> dict[str, float]:
    """What the delivered items would have cost on hosted APIs (a transform API for OpenCV
    edits, an edit API for model edits: published ones and those a person approved), and the
    saving against what they cost here (negative: Retouch cost more, e.g. when many model
    edits went to a person, whose time costs more than a hosted edit)."""
    paths = report["by_path"]
    model_delivered = paths["model"]["delivered"] + paths["review"]["delivered"]
    hosted = (
        paths["opencv"]["delivered"] * settings.hosted_transform_usd
        + model_delivered * settings.hosted_edit_usd
    )
    return {"hosted_api_usd": round(hosted, 6), "saving_usd": round(hosted - report["total_usd"], 6)}


GATE_SWEEP = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)  # thresholds `retouch gate costs` compares


def gate_outcomes(
    url: str, review_usd: float, wrong_publish_usd: float, since: datetime | None = None, sweep=GATE_SWEEP
) -> dict[str, Any]:
    """What the recorded risks imply at the threshold in use and at others: the share of checked
    edits sent to review, the wrong images expected among those published (the risk is the
    probability of one), and the cost per edit of both (reviews plus expected wrong images). An
    edit served from the cache was checked once, when it was made: counted then only."""
    query = select(ledger.c.risk, ledger.c.risk_threshold).where(
        ledger.c.risk.is_not(None), ledger.c.cache_hit.is_(False)
    )
    if since is not None:
        query = query.where(ledger.c.at >= since)
    with engine_for(url).connect() as connection:
        rows = connection.execute(query).all()
    risks = [float(r.risk) for r in rows]
    used = sorted({round(float(r.risk_threshold), 4) for r in rows if r.risk_threshold is not None})

    def at(threshold: float) -> dict[str, float]:
        published = [r for r in risks if r < threshold]
        reviews = len(risks) - len(published)
        wrong = sum(published)
        cost = reviews * review_usd + wrong * wrong_publish_usd
        return {
            "threshold": threshold,
            "review_rate": round(reviews / len(risks), 4) if risks else 0.0,
            "expected_wrong_published": round(wrong, 3),
            "usd_per_edit": round(cost / len(risks), 5) if risks else 0.0,
        }

    return {
        "checked_edits": len(risks),
        "review_usd": round(review_usd, 4),
        "wrong_publish_usd": wrong_publish_usd,
        "thresholds_in_use": used,
        "sweep": [at(t) for t in sorted({*sweep, *used})],
    }
