"""`retouch demo`: the bundled catalog through a Prefect flow, with a tiny model if need be."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from retouch.cli.basics import CliError
from retouch.cli.common import REPO_ROOT, app, err, out
from retouch.cli.edit import run_cmd


def _demo_model() -> None:
    """Use the configured model; with none on this machine, a tiny random one, said loudly."""
    from config.settings import get_settings
    from tasks.edit import qwen

    if os.environ.get("RETOUCH_MODEL"):
        return
    try:
        qwen.resolve_weights(get_settings().model)
        return  # the real weights are in the local cache
    except qwen.ModelError:
        pass
    folder = Path(os.environ.get("RETOUCH_DEMO_MODEL_DIR", REPO_ROOT / ".retouch" / "tiny-qwen"))
    try:
        from tasks.edit.qwen.tiny import TINY_NOTICE, make_tiny
    except ImportError:
        err.print(
            "[yellow]NOTE: no image model and no \\[model] extra: model items will fail "
            "(pip install 'retouch\\[model]')[/yellow]",
            markup=True,
        )
        return
    if not (folder / "model_index.json").exists():
        make_tiny(folder)
    os.environ["RETOUCH_MODEL"] = str(folder)
    get_settings.cache_clear()
    banner = f"NO MODEL WEIGHTS CONFIGURED: model items use a {TINY_NOTICE}. It lives in {folder}."
    err.print(f"[bold yellow]{'!' * 79}\n{escape(banner)}\n{'!' * 79}[/bold yellow]", markup=True)


@app.command("demo")
def demo_cmd(
    out_dir: Annotated[str, typer.Option("--out", help="Where the demo writes its results.")] = "demo-out",
) -> None:
    """Run the bundled demo catalog (OpenCV, model and rejected items) on the embedded API."""
    manifest = REPO_ROOT / "examples" / "catalog.csv"
    if not manifest.exists():
        raise CliError(f"{manifest} not found: the demo needs a checkout of the repository")
    _demo_model()
    out.print(
        f"[bold]Retouch demo[/bold]: editing {escape(str(manifest.relative_to(REPO_ROOT)))} "
        f"into {escape(out_dir)}/ through a Prefect flow ...",
        markup=True,
    )
    run_cmd(str(manifest), out_dir=out_dir, as_json=False)
    out_path = Path(out_dir).resolve()
    out.print(f"\nEdited images: {out_path / 'published'}/<id>/")
    out.print(
        "Each run is recorded in Prefect's database. To browse it in the Prefect UI:\n"
        "  .venv/bin/prefect server start     # then open http://127.0.0.1:4200 "
        "(flow 'catalog-refresh')"
    )
