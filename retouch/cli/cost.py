"""`retouch cost`: what the edits cost per path, from the ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from retouch.cli.common import (
    CliError,
    app,
    out,
    print_json,
)


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
    from datetime import UTC, datetime

    from config.settings import get_settings
    from tasks.ledger.costs import hosted_comparison, totals

    if by not in ("path", "day", "batch"):
        raise CliError(f"--by {by}: use path, day or batch")
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise CliError(f"--since {since}: not a date (YYYY-MM-DD)") from None
    settings = get_settings()
    try:
        report = totals(settings.ledger_url, start, by)
    except Exception as exc:  # an unreachable database, a bad URL
        raise CliError(
            f"cannot read the ledger ({settings.ledger_url.split('@')[-1]}): {str(exc).splitlines()[0]}"
        ) from None
    paths = report["by_path"]
    report.update(hosted_comparison(report, settings), price_version=settings.price_version, grouped_by=by)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"cost by {by}" + (f" since {since}" if since else ""), show_edge=False)
    for column in (by, "items", "CPU s", "GPU s", "review min", "USD"):
        table.add_column(column, justify="left" if column == by else "right")
    rows = paths.items() if by == "path" else report["groups"].items()
    for name, v in rows:
        table.add_row(
            name,
            str(v["items"]),
            f"{v['cpu_s']:.1f}",
            f"{v['gpu_s']:.1f}",
            f"{v['review_min']:.1f}",
            f"{v['usd']:.4f}",
        )
    out.print(table)
    out.print(
        f"total ${report['total_usd']:.4f}; cache hits {report['cache_hits']}; the same "
        f"items on a hosted edit API ≈ ${report['hosted_api_usd']:.2f} → saved ${report['saving_usd']:.2f}"
    )
