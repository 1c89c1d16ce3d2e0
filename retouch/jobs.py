"""What `retouch edit` and `retouch run` ask for, as jobs that run the same way in the command's
own process or in the warm local daemon (retouch/daemon.py).

A job takes plain JSON parameters (absolute paths, who asked) and returns the results as JSON
lines; bad input is a JobError (the command's exit status 2, one line). Progress goes to the
listener of the calling thread (flows/progress.py), so that several jobs can run at once in
the daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Progress = Callable[[int, int], None]


class JobError(Exception):
    """Bad input to a job: one line, exit status 2."""


def edit(params: dict[str, Any]) -> list[dict[str, Any]]:
    """One image: a single `edit` task run; the picture is copied to `target` when written."""
    from config.contracts import Item
    from config.settings import get_settings
    from flows.single import edit_one
    from tasks.infra.storage import StorageError, check_writable, read_bytes, write_bytes
    from tasks.pixels.images import ImageError, open_header

    settings = get_settings()
    image = params["image"]
    try:  # missing or non-image input: refused before any run is recorded
        open_header(read_bytes(image, settings.max_file_bytes), settings.max_pixels)
    except StorageError as exc:  # its message names the file
        raise JobError(str(exc)) from None
    except ImageError as exc:
        raise JobError(f"{image}: {exc}") from None
    # the task writes into the data folder's content-addressed store (which the edit cache
    # points at); the picture is then copied to the target, atomically
    store = str(settings.data_dir / "edits")
    try:
        check_writable(store)
    except StorageError as exc:
        raise JobError(str(exc)) from None
    item = Item(
        id="edit",
        image=image,
        instruction=params["instruction"],
        format=params.get("format"),
        requested_by=params.get("requested_by"),
        references=params.get("references") or [],
    )
    result = edit_one(item, store, settings).to_dict()
    if result.get("output"):
        suffix = Path(result["output"]).suffix
        target = params.get("target") or str(Path(params["cwd"], f"{Path(image).stem}-edited{suffix}"))
        write_bytes(target, read_bytes(result["output"]))
        result["output"] = str(Path(target).resolve())
    return [result]


def run(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A manifest: one `catalog-refresh` flow run into `out_dir`."""
    from config.settings import get_settings
    from flows.catalog import catalog_refresh
    from routing.presets import PresetError, preset
    from tasks.infra.storage import StorageError, check_writable, read_bytes
    from tasks.intake.manifest import ManifestError, parse_manifest

    manifest, out_dir = params["manifest"], params["out_dir"]
    try:  # refuse an unreadable manifest, an unknown preset or an unwritable --out at once
        parse_manifest(read_bytes(manifest), manifest)
        if params.get("preset"):
            preset(params["preset"], get_settings().presets_file)
        check_writable(out_dir)
    except (ManifestError, StorageError, PresetError) as exc:
        raise JobError(str(exc)) from None
    results = catalog_refresh(
        manifest_uri=manifest,
        out_uri=out_dir,
        requested_by=params.get("requested_by"),
        preset=params.get("preset"),
        stale_presets=bool(params.get("stale_presets")),
    )
    return [r.to_dict() for r in results]


def deferred(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The model edits the daily GPU budget deferred, each into its own batch's folder."""
    from flows.deferred import run_deferred

    return [r.to_dict() for r in run_deferred()]


def audit(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A catalog audit against a preset: one `catalog-audit` flow run (nothing edited)."""
    from flows.audit import catalog_audit
    from routing.presets import PresetError, preset
    from tasks.infra.storage import StorageError, check_writable

    try:
        preset(params["preset"])
        check_writable(params["out_dir"])
    except (PresetError, StorageError) as exc:
        raise JobError(str(exc)) from None
    try:
        rows = catalog_audit(source=params["source"], preset_name=params["preset"], out_dir=params["out_dir"])
    except ValueError as exc:
        raise JobError(str(exc)) from None
    return [row.to_dict() for row in rows]


def session_edit(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A round of a multi-round session (retouch/sessions.py): one `edit` task run."""
    from config.settings import get_settings
    from retouch import sessions

    try:
        entry = sessions.edit(get_settings(), params["session"], params["instruction"], params["owner"])
    except sessions.SessionError as exc:
        raise JobError(str(exc)) from None
    return [entry.model_dump(mode="json")]


JOBS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "edit": edit,
    "run": run,
    "deferred": deferred,
    "audit": audit,
    "session-edit": session_edit,
}


def execute(kind: str, params: dict[str, Any], progress: Progress | None = None) -> list[dict[str, Any]]:
    """Run job `kind`; `progress(done, total)` is told how a batch goes."""
    from flows.progress import progress_listener

    if kind not in JOBS:
        raise JobError(f"unknown job {kind!r}")
    if progress is None:
        return JOBS[kind](params)
    with progress_listener(progress):
        return JOBS[kind](params)


def warm_up() -> None:
    """Import what every job needs (the daemon does it once, before taking work)."""
    import flows.audit  # noqa: F401
    import flows.catalog  # noqa: F401
    import flows.deferred  # noqa: F401
    import flows.single  # noqa: F401
    import tasks.pixels.images  # noqa: F401
