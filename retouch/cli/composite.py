"""`retouch composite`: a model's output pasted onto the full-resolution original, alone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, out


@app.command("composite")
def composite_cmd(
    original: Annotated[str, typer.Argument(help="The full-resolution original (path or s3:// URI).")],
    edited: Annotated[str, typer.Argument(help="The model's output (any size, e.g. ~1 MP).")],
    output: Annotated[
        str, typer.Option("-o", "--out", help="Where to write the composite; its extension picks the format.")
    ],
    instruction: Annotated[
        str | None,
        typer.Option(
            "--instruction",
            "-i",
            help="What the edit was "
            "asked to do (a whole-look request takes the whole frame; the checks use it).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Align EDITED to ORIGINAL, paste only what changed (everything else stays bit-identical),
    and check the result: the transform, the changed area, the share kept, the verdict."""
    from config.contracts import Item
    from config.settings import get_settings
    from routing import route
    from tasks.check.threshold import publishing_for
    from tasks.edit.composite_check import check_composite
    from tasks.infra.storage import StorageError, read_bytes, write_bytes
    from tasks.pixels.formats import format_of_extension
    from tasks.pixels.images import ImageError, load_image
    from tasks.record.publish import encode_edit

    settings = get_settings()
    fmt = format_of_extension(Path(output).suffix)
    if not fmt:
        raise CliError(f"-o {output}: give an image file name (.jpg, .png, .webp, .tif, .bmp)")
    pictures = []
    for path, keep_metadata in ((original, settings.keep_exif), (edited, False)):
        try:
            pictures.append(
                load_image(
                    read_bytes(path, settings.max_file_bytes), settings.max_pixels, keep_exif=keep_metadata
                )
            )
        except (ImageError, StorageError) as exc:
            raise CliError(f"{path}: {exc}") from None
    before, after = pictures
    plan = route(instruction, limits=settings.limits) if instruction else None
    try:
        result, report = check_composite(
            before.pixels,
            after.pixels,
            instruction,
            plan,
            settings.thresholds,
            publishing=publishing_for(None, settings),
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    data, _ = encode_edit(before, result.pixels, (), Item(id="composite", format=fmt), settings)
    try:
        write_bytes(output, data)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    summary = {**result.summary(), "output": output, **report.to_dict()}
    if as_json:
        print_json(summary)
        return
    out.print(
        f"{output}: {summary['changed']:.1%} of the frame from the edit, "
        f"{summary['kept_identical']:.1%} bit-identical to the original; drift corrected "
        f"{summary['shift_px']} px, zoom {summary['zoom']:+.4f}; checks: {report.verdict}",
        markup=False,
    )
    for f in report.failed:
        out.print(f"  FAIL {f.check:>12}: {f.message}", markup=False)
