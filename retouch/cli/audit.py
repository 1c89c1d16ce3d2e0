"""`retouch audit`: which images of a catalog break a marketplace preset, and the fix of each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, out


@app.command("audit")
def audit_cmd(
    source: Annotated[
        str, typer.Argument(help="A manifest (CSV/JSONL, path or s3://) or a folder of images.")
    ],
    preset: Annotated[
        str, typer.Option("--preset", help="amazon-main, tmall-main, jd-main, shopee, xiaohongshu...")
    ],
    out_dir: Annotated[
        str, typer.Option("--out", help="Where audit.csv and audit.html go.")
    ] = "retouch-audit",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per image.")] = False,
) -> None:
    """Check every image against the preset's rules (background, fill, size, ratio, format,
    text), nothing edited; write audit.csv and audit.html (thumbnails) and say what fixing
    the failures would cost. One `catalog-audit` flow run."""
    from retouch.cli.edit import run_job
    from tasks.infra.storage import is_s3

    if not is_s3(source):
        if not Path(source).exists():
            raise CliError(f"{source}: no such file or folder")
        source = str(Path(source).resolve())
    if not is_s3(out_dir):
        out_dir = str(Path(out_dir).resolve())
    rows = run_job("audit", {"source": source, "preset": preset, "out_dir": out_dir})
    if as_json:
        for row in rows:
            print_json(row)
        return
    failed = [r for r in rows if not r["passed"]]
    for row in failed[:10]:
        out.print(f"  {row['image']}: {'; '.join(row['violations']) or row['error']}")
    if len(failed) > 10:
        out.print(f"  ... and {len(failed) - 10} more in audit.csv")
    total = sum(r["estimated_usd"] for r in rows)
    label = rows[0]["preset"] if rows else preset
    out.print(
        f"{len(rows)} images, {len(failed)} break {label}; fixing them: about ${total:.4f}\n"
        f"report: {Path(out_dir, 'audit.html')} and {Path(out_dir, 'audit.csv')}"
    )
