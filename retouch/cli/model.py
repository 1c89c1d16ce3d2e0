"""`retouch model`: inspect the configured image model, build a tiny test model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, out

model_app = typer.Typer(
    help="The image model (Qwen-Image-Edit-2509): inspect, build a test model.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("make-tiny")
def model_make_tiny(
    folder: Annotated[Path, typer.Argument(help="Where to save the tiny pipeline.")],
) -> None:
    """Build a random-weight pipeline of the same architecture, offline, with save_pretrained."""
    from tasks.edit.qwen import ModelError, missing_extra

    try:
        from tasks.edit.qwen.tiny import TINY_NOTICE, make_tiny
    except ImportError as exc:
        raise CliError(str(missing_extra(exc))) from None
    if folder.exists() and any(folder.iterdir()):
        raise CliError(f"{folder} exists and is not empty")
    try:
        make_tiny(folder)
    except (ImportError, ModelError) as exc:
        raise CliError(str(exc)) from None
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    out.print(
        f"saved a tiny Qwen-Image-Edit pipeline ({size / 1e6:.0f} MB) in {folder}\n"
        f"use it with RETOUCH_MODEL={folder}  — {TINY_NOTICE}"
    )


@model_app.command("info")
def model_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    load: Annotated[bool, typer.Option("--load", help="Also load the pipeline (slow).")] = False,
) -> None:
    """Show the configured model, where its weights are, and where it would run."""
    from config.settings import get_settings
    from tasks.edit import qwen

    settings = get_settings()
    info = {**qwen.probe(settings.qwen_config, load=load), "worker": settings.model_worker}
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        out.print(f"{key:>15}: {value}", markup=False)
