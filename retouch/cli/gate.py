"""`retouch gate`: the gate's risk model (refit it on labelled pairs) and what its threshold
costs (from the risks the ledger recorded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, jsonl_lines, out, since_date
from tasks.infra.errors import one_line

gate_app = typer.Typer(help="The gate: refit its risk model; the review rate and cost of its threshold.")
app.add_typer(gate_app, name="gate")


@gate_app.command("fit")
def fit_cmd(
    pairs: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL files of labelled pairs {id, before, after, instruction, expect, family}."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write the model (default: the shipped one).")
    ] = None,
    l2: Annotated[
        float | None,
        typer.Option("--l2", help="How strongly the weights are held to the prior (default 0.2)."),
    ] = None,
) -> None:
    """Measure every pair and fit the risk model (one logistic part per action, calibrated)."""
    try:  # the fit's own libraries, asked for before minutes of measuring, not after
        import scipy.optimize  # noqa: F401
        import sklearn.isotonic  # noqa: F401

        from tasks.check.risk import MODEL_FILE
        from tasks.check.risk_fit import L2, fit, measure_rows, write_model
    except ImportError as exc:
        raise CliError(f"fitting needs scikit-learn and SciPy: pip install 'retouch[gate]' ({exc})") from None
    rows = []
    for path in pairs:
        for number, line in jsonl_lines(path):
            try:
                row = json.loads(line)
                if row["expect"] not in ("publish", "review"):
                    raise ValueError(f"expect is {row['expect']!r}, not publish or review")
                row["before"], row["after"]  # noqa: B018
            except (ValueError, KeyError, TypeError) as exc:
                raise CliError(f"{path}:{number}: {one_line(exc, named=False)}") from None
            row.setdefault("id", f"{path.stem}-{number}")
            row.setdefault("family", path.stem)
            rows.append(row)
    if len({r["expect"] for r in rows}) < 2:
        raise CliError("the pairs need both good (publish) and bad (review) edits")
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        bar = progress.add_task("measuring pairs", total=len(rows))
        records = measure_rows(rows, progress=lambda done: progress.update(bar, completed=done))
    try:
        model = fit(records, L2 if l2 is None else l2)
    except ValueError as exc:
        raise CliError(f"cannot fit: {one_line(exc, named=False)}") from None
    target = write_model(model, output or MODEL_FILE)
    out.print(
        f"fitted {', '.join(sorted(model['parts']))} on {len(records)} pairs of {model['families']} "
        f"families: {target}",
        markup=False,
    )


@gate_app.command("costs")
def costs_cmd(
    since: Annotated[
        str | None, typer.Option("--since", help="Only edits from this date (YYYY-MM-DD) on.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The review rate and cost per edit that the ledger's recorded risks imply, at the
    threshold in use and at others (the risk is the probability that an edit is wrong)."""
    from config.settings import get_settings
    from tasks.record.ledger.costs import gate_outcomes

    start = since_date(since)
    settings = get_settings()
    try:
        report = gate_outcomes(settings.ledger_url, settings.review_usd(), settings.wrong_publish_usd, start)
    except Exception as exc:  # an unreachable database, a bad URL
        raise CliError(
            f"cannot read the ledger ({settings.ledger_url.split('@')[-1]}): {one_line(exc, named=False)}"
        ) from None
    report["threshold_now"] = settings.publish_threshold()
    if as_json:
        print_json(report)
        return
    out.print(
        f"{report['checked_edits']} checked edits; a review costs ${report['review_usd']:.2f}, "
        f"a wrong published image ${report['wrong_publish_usd']:.2f}: "
        f"publish below risk {report['threshold_now']:.3f}",
        markup=False,
    )
    table = Table(show_edge=False)
    for column in ("threshold", "to review", "wrong published (expected)", "USD per edit"):
        table.add_column(column, justify="right")
    for row in report["sweep"]:
        mark = " *" if row["threshold"] in report["thresholds_in_use"] else ""
        table.add_row(
            f"{row['threshold']:.3f}{mark}",
            f"{row['review_rate']:.1%}",
            f"{row['expected_wrong_published']:.2f}",
            f"{row['usd_per_edit']:.4f}",
        )
    out.print(table)
