"""`retouch cost`: what the edits cost per path, from the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from config.settings import Settings

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, out, since_date
from tasks.infra.errors import one_line


@app.command("cost")
def cost_cmd(
    since: Annotated[
        str | None, typer.Option("--since", help="Only work from this date (YYYY-MM-DD) on.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Group by path, day or batch.")] = "path",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What the edits cost, per path (OpenCV, GPU model, human review), from the ledger, and
    the saving against sending everything to a hosted edit API."""
    from config.settings import get_settings
    from tasks.record.ledger.costs import hosted_comparison, totals

    if by not in ("path", "day", "batch"):
        raise CliError(f"--by {by}: use path, day or batch")
    start = since_date(since)
    settings = get_settings()
    try:
        report = totals(settings.ledger_url, start, by)
    except Exception as exc:  # an unreachable database, a bad URL
        raise CliError(
            f"cannot read the ledger ({settings.ledger_url.split('@')[-1]}): {one_line(exc, named=False)}"
        ) from None
    if by == "batch":
        _name_batches(report["groups"])
    report.update(hosted_comparison(report, settings), price_version=settings.price_version, grouped_by=by)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"cost by {by}" + (f" since {since}" if since else ""), show_edge=False)
    for column in (by, "items", "delivered", "CPU s", "GPU s", "review min", "USD"):
        table.add_column(column, justify="left" if column == by else "right", no_wrap=column == by)
    rows = report["by_path"] if by == "path" else report["groups"]
    for key, v in rows.items():
        table.add_row(
            _batch_label(key, v) if by == "batch" else key,
            str(v["items"]),
            str(v["delivered"]),
            f"{v['cpu_s']:.1f}",
            f"{v['gpu_s']:.1f}",
            f"{v['review_min']:.1f}",
            f"{v['usd']:.4f}",
        )
    out.print(table)
    for line in summary_lines(report, settings):
        out.print(line, markup=False)


def summary_lines(report: dict[str, Any], settings: Settings) -> list[str]:
    """The totals and the comparison with hosted APIs, in words (a loss said as a loss)."""
    paths = report["by_path"]
    delivered = paths["opencv"]["delivered"] + paths["model"]["delivered"] + paths["review"]["delivered"]
    lines = [
        f"total ${report['total_usd']:.4f}; {delivered} edits delivered (published, or approved in "
        f"review); cache hits {report['cache_hits']}",
        f"the same delivered edits on hosted APIs ≈ ${report['hosted_api_usd']:.4f} "
        f"(${settings.hosted_transform_usd:g} a transform, ${settings.hosted_edit_usd:g} an AI edit)",
    ]
    saving = report["saving_usd"]
    if saving >= 0:
        lines.append(f"Retouch saved ${saving:.4f}")
        return lines
    reviews = paths["review"]["items"]
    why = (
        f": {reviews} human review{'s' if reviews != 1 else ''} at ${settings.review_usd():.2f} each "
        f"({settings.reviewer_minutes_per_item:g} min at ${settings.reviewer_hour_usd:g}/h) cost more "
        f"than a hosted AI edit (${settings.hosted_edit_usd:g})"
        if reviews and settings.review_usd() > settings.hosted_edit_usd
        else ""
    )
    lines.append(f"Retouch cost ${-saving:.4f} more than hosted APIs would have{why}")
    return lines


def _batch_label(batch: str, values: dict[str, Any]) -> str:
    when = (values.get("first_at") or "")[:16].replace("T", " ")
    return f"{values.get('name') or batch} ({when})" if when else batch


def _name_batches(groups: dict[str, dict[str, Any]]) -> None:
    """The flow run's name for each batch (they are flow runs), where Prefect still knows it."""
    from uuid import UUID

    ids = []
    for batch in groups:
        try:
            ids.append(UUID(batch))
        except ValueError:
            continue
    if not ids:
        return
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from retouch.prefect_api import prefect_api

    try:
        with prefect_api() as api:
            api.ready()
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
    except Exception:  # names are a convenience: the ids still say which batch
        return
    for run in runs:
        groups[str(run.id)]["name"] = run.name
