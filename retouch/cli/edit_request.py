"""`retouch edit`'s request and answer, shared by the full command line (retouch/cli/edit.py)
and its warm lane (retouch/cli/warm_edit.py): what the job is given, and how its result is told.
Light on purpose: no typer, rich, Prefect or image library is imported here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from retouch.cli.basics import CliError, print_json, who


def edit_params(image: str, instruction: str, output: str | None, refs: list[str]) -> dict[str, Any]:
    """The `edit` job's parameters, with paths made absolute; CliError for what cannot work
    (an unknown output extension, a missing picture, a folder that cannot be written)."""
    from tasks.infra.storage import StorageError, check_writable, is_s3
    from tasks.pixels.formats import EXTENSIONS, format_of_extension

    fmt = None
    if output:
        suffix = Path(output).suffix
        fmt = format_of_extension(suffix)
        if suffix and not fmt:
            known = ", ".join(sorted(EXTENSIONS.values()))
            raise CliError(f"-o {output}: unknown image extension {suffix.lower()!r} (use one of {known})")
    pictures = []
    for picture in [image, *refs]:
        if not is_s3(picture):
            if not Path(picture).is_file():
                raise CliError(f"{picture}: no such file")
            picture = str(Path(picture).resolve())
        pictures.append(picture)
    try:
        check_writable(str(Path(output).resolve().parent if output else Path.cwd()))
    except StorageError as exc:
        raise CliError(str(exc)) from None
    return {
        "image": pictures[0],
        "instruction": instruction,
        "format": fmt,
        "requested_by": who(),
        "target": str(Path(output).resolve()) if output else None,
        "references": pictures[1:],
        "cwd": str(Path.cwd()),
    }


def report_edit(result: dict[str, Any], as_json: bool) -> int:
    """Print the edit's result (a line, or its JSON); the exit status: 0 published or waiting
    for review, 2 rejected (the request), 1 failed."""
    if as_json:
        print_json(result)
    elif result["status"] in ("published", "review"):
        print(
            f"{result['status']}: {result['output']} ({result['width']}x{result['height']},"
            f" {result.get('reason')})"
        )
    if result["status"] == "rejected":
        print(f"error: rejected: {result['error']}", file=sys.stderr)
        return 2
    if result["status"] == "failed":
        print(f"error: {result['error']}", file=sys.stderr)
        return 1
    return 0
