"""prefect.yaml is a real deployment file: `prefect deploy --all` registers it on a server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.mark.slow
def test_prefect_yaml_deploys(prefect_api):
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        existing = {p.name for p in client.read_work_pools()}
        for pool in ("retouch-cpu", "retouch-gpu"):
            if pool not in existing:
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    prefect = Path(sys.executable).with_name("prefect")
    done = subprocess.run(
        [str(prefect), "--no-prompt", "deploy", "--all"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        refresh = client.read_deployment_by_name("catalog-refresh/catalog-refresh")
        batch = client.read_deployment_by_name("edit-batch/edit-batch")
        review = client.read_deployment_by_name("review-edit/review-edit")
        upload = client.read_deployment_by_name("on-upload/on-upload")
        names = [d.name for d in client.read_deployments()]
        for deployment in client.read_deployments():  # leave the shared server as found
            client.delete_deployment(deployment.id)
    assert {
        "catalog-refresh",
        "edit-batch",
        "review-edit",
        "run-deferred",
        "on-upload",
        "retry-uploads",
        "edit-batch-gpu",
    } <= set(names)
    assert upload.work_pool_name == "retouch-cpu"
    assert refresh.work_pool_name == batch.work_pool_name == review.work_pool_name == "retouch-cpu"
    assert refresh.parameters == {"manifest_uri": "examples/catalog.csv", "out_uri": "retouch-out/catalog"}
    (schedule,) = refresh.schedules
    assert schedule.schedule.cron == "0 3 * * *" and not schedule.active
