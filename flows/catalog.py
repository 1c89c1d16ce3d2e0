"""Scheduled catalog refresh: read a manifest (local or S3) and edit every item in it."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.edit import run_batch
from retouch.settings import get_settings
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


@task(name="read-manifest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_storage_failed)
def read_manifest(manifest_uri: str) -> list[dict[str, Any]]:
    return parse_manifest(read_bytes(manifest_uri, max_bytes=256 * 1024 * 1024), manifest_uri)


@flow(name="catalog-refresh",
      task_runner=ThreadPoolTaskRunner(max_workers=get_settings().workers))
def catalog_refresh(manifest_uri: str, out_uri: str) -> list[dict[str, Any]]:
    """Edit every `id,image,instruction` row of the manifest into `out_uri`."""
    items = read_manifest(manifest_uri)
    return run_batch(items, out_uri)
