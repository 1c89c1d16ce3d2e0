"""`retouch route` and `retouch templates`: how an instruction would be done, nothing edited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, image_size, jsonl_lines, out


def _route_one(instruction: str | None, image: str | None) -> dict[str, Any]:
    from config.settings import get_settings
    from routing import route

    plan = route(instruction, image_size=image_size(image), limits=get_settings().limits)
    return {"instruction": instruction, **plan.to_dict()}


@app.command("route")
def route_cmd(
    instruction: Annotated[str | None, typer.Argument(help="The edit, e.g. '裁剪为1:1'.")] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image", help="Image the edit is for: its size is used to refuse impossible parameters."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help="Route every line {id, instruction[, image]} of FILE; print one JSON object per line.",
        ),
    ] = None,
) -> None:
    """Decide how an instruction would be done: opencv, model or reject (nothing is edited)."""
    if jsonl is not None:
        if instruction is not None:
            raise CliError("give either an INSTRUCTION or --jsonl FILE, not both")
        _route_jsonl(jsonl)
        return
    if instruction is None:
        raise CliError("missing INSTRUCTION (or --jsonl FILE)")
    result = _route_one(instruction, image)
    if as_json:
        print_json(result)
        return
    out.print(
        f"[bold]{result['route']}[/bold] (confidence {result['confidence']:.2f}): {escape(result['reason'])}",
        markup=True,
    )
    for op in result["ops"]:
        out.print(f"  - {json.dumps(op, ensure_ascii=False)}", markup=False)
    for key in ("intent", "constraints", "unparsed"):
        if key in result:
            out.print(f"  {key}: {json.dumps(result[key], ensure_ascii=False)}", markup=False)
    if "suggestion" in result:
        out.print(f"  {result['suggestion']}", markup=False)
    if result.get("choices"):
        out.print("  did you mean: " + " | ".join(result["choices"]), markup=False)


@app.command("templates")
def templates_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List the canonical instruction forms (zh/en) with examples: what the router knows best."""
    from routing.library import load_library

    forms = load_library()
    if as_json:
        print_json([form.to_dict() for form in forms])
        return
    table = Table("form", "中文", "English", "examples", title="Instruction templates")
    for form in forms:
        kind = f"model: {form.action}" if form.op == "model" else f"opencv: {form.op}"
        table.add_row(kind, form.zh, form.en, " / ".join(form.examples))
    out.print(table, markup=False)


def _route_jsonl(path: Path) -> None:
    from config.settings import get_settings
    from routing import route

    lines = jsonl_lines(path)
    limits = get_settings().limits
    sizes: dict[str, tuple[int, int] | None] = {}
    for number, line in lines:
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            print_json(
                {
                    "id": f"line-{number}",
                    "route": "reject",
                    "ops": [],
                    "confidence": 1.0,
                    "reason": f"line {number} is not a JSON object: {exc}",
                }
            )
            continue
        row_id, image = row.get("id", f"line-{number}"), row.get("image")
        try:
            if image and image not in sizes:
                sizes[image] = image_size(image)
        except CliError as exc:
            print_json({"id": row_id, "route": "reject", "ops": [], "confidence": 1.0, "reason": str(exc)})
            continue
        plan = route(row.get("instruction"), image_size=sizes.get(image), limits=limits)
        print_json({"id": row_id, **plan.to_dict()})
