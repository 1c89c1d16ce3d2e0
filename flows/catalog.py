"""Scheduled catalog refresh: read a manifest (local or S3) and edit every item in it."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.contracts import Item, ItemResult
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.manifest import parse_manifest
from tasks.storage import StorageError, read_bytes


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
    manifest_uri: str, out_uri: str, requested_by: str | None = "catalog-refresh"
) -> list[ItemResult]:
    """Edit every `id,image,instruction` row of the manifest into `out_uri`; `requested_by` is
    who asked (the audit's `who`) for rows without a `requested_by` column."""
    items = read_manifest(manifest_uri)
    return run_batch(items, out_uri, get_settings(), requested_by=requested_by)
