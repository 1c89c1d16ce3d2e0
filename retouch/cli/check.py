"""`retouch check`: the post-checks of an edit, alone (before, after, instruction)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, jsonl_lines, out


def _check_one(before: str, after: str, instruction: str | None, preset: str | None = None) -> dict[str, Any]:
    from config.settings import get_settings
    from routing import route
    from tasks.check.gate import check_pair
    from tasks.check.threshold import publishing_for
    from tasks.infra.storage import StorageError, read_bytes
    from tasks.pixels.images import ImageError, load_image

    settings = get_settings()
    pictures = []
    for path in (before, after):
        try:
            pictures.append(
                load_image(
                    read_bytes(path, settings.max_file_bytes), settings.max_pixels, keep_exif=False
                ).pixels
            )
        except (ImageError, StorageError) as exc:
            raise CliError(f"{path}: {exc}") from None
    plan = route(instruction, limits=settings.limits) if instruction else None
    publishing = publishing_for(preset, settings)
    return check_pair(*pictures, instruction, plan, settings.thresholds, publishing=publishing).to_dict()


@app.command("check")
def check_cmd(
    before: Annotated[str | None, typer.Argument(help="The original image.")] = None,
    after: Annotated[str | None, typer.Argument(help="The edited image.")] = None,
    instruction: Annotated[
        str | None,
        typer.Option("--instruction", "-i", help="What the edit was asked to do (scope, position)."),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="The marketplace preset the image is for (its cost of a wrong image)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help="Check every line {id, before, after, instruction} of FILE; print "
            "{id, verdict, risk, threshold, drivers, findings} per line.",
        ),
    ] = None,
) -> None:
    """The gate on one edit: its measures, the risk they add up to, and publish or review."""
    if jsonl is not None:
        if before or after:
            raise CliError("give either BEFORE AFTER or --jsonl FILE, not both")
        for number, line in jsonl_lines(jsonl):
            row_id = f"line-{number}"
            try:
                row = json.loads(line)
                row_id = row.get("id", row_id)
                result = _check_one(row["before"], row["after"], row.get("instruction"), preset)
            except (ValueError, KeyError, TypeError, AttributeError, CliError) as exc:
                result = {
                    "verdict": "review",
                    "confidence": 0.0,
                    "risk": 1.0,
                    "findings": [],
                    "error": f"cannot check line {number}: {exc}",
                }
            print_json({"id": row_id, **result})
        return
    if not (before and after):
        raise CliError("missing BEFORE and AFTER (or --jsonl FILE)")
    result = _check_one(before, after, instruction, preset)
    if as_json:
        print_json(result)
        return
    out.print(
        f"[bold]{result['verdict']}[/bold]: risk {result['risk']:.2f} "
        f"(published below {result['threshold']:.2f}; judged as {result['model']})",
        markup=True,
    )
    for driver in result["drivers"]:
        out.print(f"  driven by {driver}", markup=False)
    for finding in result["findings"]:
        mark = "ok  " if finding["passed"] else ("n/a " if not finding["measured"] else "FAIL")
        out.print(f"  {mark} {finding['check']:>18}: {finding['message']}", markup=False)
