"""Scheduled catalog refresh: read a manifest (local or S3) and edit every item in it."""

from __future__ import annotations

import json

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from config.contracts import Item, ItemResult
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from routing.presets import PresetError
from routing.presets import preset as preset_named
from tasks.infra.storage import StorageError, exists, join, read_bytes
from tasks.intake.manifest import parse_manifest


def _storage_failed(task, task_run, state) -> bool:
    """Retry reads that may succeed later (network, S3), not manifests that cannot parse."""
    try:
        state.result()
    except StorageError:
        return True
    except Exception:
        return False
    return False


@task(
    name="read-manifest",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_storage_failed,
)
def read_manifest(manifest_uri: str) -> list[Item]:
    return parse_manifest(read_bytes(manifest_uri, max_bytes=256 * 1024 * 1024), manifest_uri)


@flow(name="catalog-refresh", task_runner=WorkerThreads())
def catalog_refresh(
    manifest_uri: str,
    out_uri: str,
    requested_by: str | None = "catalog-refresh",
    preset: str | None = None,
    stale_presets: bool = False,
) -> list[ItemResult]:
    """Edit every `id,image,instruction` row of the manifest into `out_uri`; `requested_by` is
    who asked (the audit's `who`) for rows without a `requested_by` column; `preset` the
    marketplace preset of rows without a `preset` column. With `stale_presets`, only the rows
    whose preset changed (another preset, or a newer version) since their line in out_uri's
    results.jsonl run, and their lines are replaced."""
    settings = get_settings()
    items = read_manifest(manifest_uri)
    if stale_presets:
        items = stale(items, out_uri, preset, settings)
        get_run_logger().info("%d items with a changed preset to edit again", len(items))
    return run_batch(
        items, out_uri, settings, merge_results=stale_presets, requested_by=requested_by, preset_name=preset
    )


def stale(items: list[Item], out_uri: str, default: str | None, settings) -> list[Item]:
    """The items whose preset (name and version) differs from the one of their last result."""
    uri = join(out_uri, "results.jsonl")
    done = {}
    if exists(uri):
        for line in read_bytes(uri).decode("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                done[row.get("id")] = row.get("preset")
    changed = []
    for item in items:
        name = item.preset or default
        if not name:
            continue
        try:
            label = preset_named(name, settings.presets_file).label
        except PresetError:
            label = None  # it fails again, with its reason
        if done.get(item.id) != label or label is None:
            changed.append(item)
    return changed
