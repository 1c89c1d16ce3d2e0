"""Serve the deployments described in prefect.yaml from one process (no work pool needed).

prefect.yaml stays the single place where deployments are configured: `prefect deploy --all`
registers them for work-pool workers; `retouch serve` reads the same file and serves them with
Prefect's runner (`prefect.serve`), each flow run in its own subprocess.

Entrypoints are package names (`flows.catalog.catalog_refresh`), never file paths: a flow loaded
from a file gets the file's stem as its module (`catalog`), which no other process can import,
so a GPU task worker could not resolve the parameters of a task that run sent it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = ROOT / "prefect.yaml"


def _served_entries(path: Path) -> list[dict[str, Any]]:
    """prefect.yaml's deployments that one process serves (not those meant for a pool's hosts)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [e for e in spec.get("deployments", []) if not e.get("work_pool", {}).get("job_variables")]


def served_names(path: Path = PREFECT_YAML) -> list[str]:
    """The names of the deployments `retouch serve` serves."""
    return [entry["name"] for entry in _served_entries(path)]


def runner_deployments(path: Path = PREFECT_YAML) -> list[Any]:
    """RunnerDeployments for every deployment in prefect.yaml (entrypoint, parameters, ...)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.events import DeploymentEventTrigger
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron

    deployments = []
    for entry in _served_entries(path):
        flow = load_flow_from_entrypoint(entry["entrypoint"])  # by package name
        schedules = [
            Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
            for s in entry.get("schedules", [])
            if "cron" in s
        ]
        triggers = [
            DeploymentEventTrigger(**{k: v for k, v in t.items() if k != "type"})
            for t in entry.get("triggers", [])
            if t.get("type", "event") == "event"
        ]
        deployments.append(
            flow.to_deployment(
                name=entry["name"],
                description=entry.get("description"),
                tags=entry.get("tags"),
                parameters=entry.get("parameters"),
                schedules=schedules or None,
                triggers=triggers or None,
                concurrency_limit=entry.get("concurrency_limit"),
                entrypoint_type=EntrypointType.MODULE_PATH,  # runs import it by package name too
            )
        )
    return deployments


def serve_deployments(limit: int | None = None) -> None:
    """Serve them until interrupted (blocks)."""
    from prefect import serve

    serve(*runner_deployments(), limit=limit)
