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

    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    setup = [sys.executable, "-m", "retouch", "fleet", "setup", "--cpu-limit", "4"]
    first = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    again = subprocess.run(setup, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    for made in ("work pool retouch-cpu", "work pool retouch-gpu", "work pool retouch-review", "automation"):
        assert made in first.stdout, first.stdout  # created, or kept from an earlier test on this server
    assert again.stdout.count("kept") == 4  # three pools and the automation: nothing duplicated
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
        pools = {p.name: p for p in client.read_work_pools()}
        (crash,) = client.read_automations_by_name("retouch: crashed flow runs")
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
    assert refresh.work_pool_name == batch.work_pool_name == "retouch-cpu"
    assert review.work_pool_name == "retouch-review"  # never holding an edit's slot
    assert pools["retouch-cpu"].concurrency_limit == 4 and pools["retouch-gpu"].concurrency_limit is None
    assert (
        crash.enabled
        and crash.trigger.posture == "Proactive"
        and crash.actions[0].type == "change-flow-run-state"
    )
    # runnable on any host: a package name and this host's checkout, no path of the deploying folder
    assert refresh.entrypoint == "flows.catalog.catalog_refresh"
    assert refresh.pull_steps == [{"deployments.pull.retouch_checkout": {}}]
    assert str(ROOT) not in str(refresh.pull_steps)
    assert refresh.parameters == {"manifest_uri": "examples/catalog.csv", "out_uri": "retouch-out/catalog"}
    (schedule,) = refresh.schedules
    assert schedule.schedule.cron == "0 3 * * *" and not schedule.active


def test_the_pull_step_runs_a_flow_from_this_hosts_checkout(tmp_path, monkeypatch):
    from deployments.pull import retouch_checkout

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RETOUCH_CHECKOUT", raising=False)
    assert retouch_checkout() == {"directory": str(ROOT)} and Path.cwd() == ROOT
    elsewhere = tmp_path / "host2"
    elsewhere.mkdir()
    monkeypatch.setenv("RETOUCH_CHECKOUT", str(elsewhere))
    with pytest.raises(FileNotFoundError, match="not a Retouch checkout .* set RETOUCH_CHECKOUT"):
        retouch_checkout()
    (elsewhere / "prefect.yaml").write_text("name: retouch\n")
    assert retouch_checkout() == {"directory": str(elsewhere)} and Path.cwd() == elsewhere


def test_a_crashed_run_is_run_again_once_and_only_from_a_deployment():
    from types import SimpleNamespace
    from uuid import uuid4

    from prefect.states import Completed, Crashed

    from flows.rerun import why_not_rerun

    def run(state, tags=(), deployment=True):
        return SimpleNamespace(state=state, tags=list(tags), deployment_id=uuid4() if deployment else None)

    assert why_not_rerun(run(Crashed()), "catalog-refresh") is None
    assert "not Crashed" in why_not_rerun(run(Completed()), "catalog-refresh")
    assert "not started from a deployment" in why_not_rerun(run(Crashed(), deployment=False), None)
    assert "not re-run" in why_not_rerun(run(Crashed()), "review-edit")
    again = why_not_rerun(run(Crashed(), tags=["retouch", "rerun-of:abc"]), "catalog-refresh")
    assert again.startswith("it was itself the re-run of abc")
