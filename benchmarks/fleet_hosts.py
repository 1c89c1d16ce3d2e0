"""Retouch past one machine: a catalog on one serving host against two, on one Prefect server.

    .venv/bin/python benchmarks/fleet_hosts.py [--photos 2000] [--repeats 3]

A Prefect server on PostgreSQL (a database of its own, dropped after) and the ledger on
PostgreSQL too, as several hosts share them; each "host" is a `retouch serve` process with its
own PREFECT_HOME and working folder, started fresh for each setting. The work, 1.2-MP JPEGs
cropped to 1:1 (the cheap path: OpenCV only):

1. one catalog of `--photos` photos (`catalog-refresh`, as the nightly refresh runs): a single
   run, which one host runs whatever the number of hosts;
2. the same photos as four `edit-batch` runs of a quarter each, triggered together: work that
   two hosts can share.

For each: seconds from the trigger to the first published picture and to the last run's end,
medians of `--repeats`, one host then two. On a 2-core machine the two "hosts" share the same two
cores: the second shows its overhead, not a speed-up; on separate machines setting 2 is the one
that scales. Results: printed, and written to benchmarks/results/fleet_hosts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from catalog_vs_bare import start_prefect_server  # noqa: E402
from photos import make_photos, write_manifest  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database(admin, name: str, action: str) -> None:
    from sqlalchemy import text

    with admin.connect() as connection:
        connection.execute(
            text(f'{action} database "{name}"' + (" with (force)" if action == "drop" else ""))
        )


def _hosts(n: int, env: dict[str, str], work: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        home = work / f"host-{i}"
        home.mkdir(parents=True, exist_ok=True)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "retouch", "serve", "--limit", "2"],
                cwd=ROOT,
                env={**env, "PREFECT_HOME": str(home / "prefect")},
                stdout=(home / "serve.log").open("a"),
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_served(api: str) -> None:
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        for _ in range(600):
            try:
                client.read_deployment_by_name("edit-batch/edit-batch")
                client.read_deployment_by_name("catalog-refresh/catalog-refresh")
                return
            except Exception:
                time.sleep(0.2)
    raise SystemExit("the hosts did not serve the deployments")


def _run(api: str, runs: list[tuple[str, dict]], outs: list[Path]) -> tuple[float, float]:
    """Trigger `runs` together; (seconds to the first published picture, to the last end)."""
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}):
        started = time.perf_counter()
        ids = [run_deployment(name, parameters=params, timeout=0).id for name, params in runs]
        first = None
        with get_client(sync_client=True) as client:
            while True:
                if first is None and any(
                    next((o / "published").rglob("*.jpg"), None) for o in outs if o.exists()
                ):
                    first = time.perf_counter() - started
                states = [client.read_flow_run(i).state for i in ids]
                if all(s.is_final() for s in states):
                    break
                time.sleep(0.1)
        ended = time.perf_counter() - started
    if not all(s.is_completed() for s in states):
        raise SystemExit(f"a run did not complete: {[s.name for s in states]}")
    return first or ended, ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from sqlalchemy import create_engine

    data = HERE / "data" / "fleet"
    photos = make_photos(data / "photos", args.photos, width=1264, height=948)
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:8]
    prefect_db, ledger_db = f"bench_prefect_{tag}", f"bench_ledger_{tag}"
    for name in (prefect_db, ledger_db):
        _database(admin, name, "create")
    work = Path(tempfile.mkdtemp(prefix="retouch-fleet-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RETOUCH_"))}
    server_env = {
        **base,
        "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
    }
    server, api = start_prefect_server(work / "server", server_env)
    env = {
        **base,
        "PREFECT_API_URL": api,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "RETOUCH_DB_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{ledger_db}",
        "RETOUCH_DAEMON": "0",
    }
    manifest = write_manifest(work / "catalog.csv", photos, "裁剪为1:1")
    quarters = [photos[i::4] for i in range(4)]
    table: dict[str, dict[int, list[tuple[float, float]]]] = {"catalog": {}, "4 batches": {}}
    try:
        for hosts in (1, 2):
            procs = _hosts(hosts, env, work)
            try:
                _wait_served(api)
                for repeat in range(args.repeats):
                    out = work / f"out-{hosts}-{repeat}"
                    catalog = [
                        (
                            "catalog-refresh/catalog-refresh",
                            {"manifest_uri": str(manifest), "out_uri": str(out)},
                        )
                    ]
                    table["catalog"].setdefault(hosts, []).append(_run(api, catalog, [out]))
                    outs = [work / f"out-{hosts}-{repeat}-q{q}" for q in range(4)]
                    batches = [
                        (
                            "edit-batch/edit-batch",
                            {
                                "items": [
                                    {"id": p.stem, "image": str(p), "instruction": "裁剪为1:1"}
                                    for p in quarter
                                ],
                                "out_dir": str(o),
                            },
                        )
                        for quarter, o in zip(quarters, outs, strict=True)
                    ]
                    table["4 batches"].setdefault(hosts, []).append(_run(api, batches, outs))
                    said = [table[name][hosts][-1] for name in ("catalog", "4 batches")]
                    print(f"{hosts} host(s), repeat {repeat + 1}: {said}")
            finally:
                _stop(procs)
    finally:
        _stop([server])
        for name in (prefect_db, ledger_db):
            _database(admin, name, "drop")
    summary = {
        work_name: {
            f"{hosts} host(s)": {
                "first_result_s": round(statistics.median(f for f, _ in runs), 2),
                "done_s": round(statistics.median(e for _, e in runs), 2),
                "photos_per_s": round(args.photos / statistics.median(e for _, e in runs), 1),
            }
            for hosts, runs in by_hosts.items()
        }
        for work_name, by_hosts in table.items()
    }
    cores = os.cpu_count()
    print(f"\n{args.photos} photos (1.2-MP JPEG, crop to 1:1), medians of {args.repeats}, {cores} cores")
    print("| work | hosts | trigger -> first result | trigger -> done | photos/s |")
    print("| --- | --- | --- | --- | --- |")
    for work_name, rows in summary.items():
        for hosts, row in rows.items():
            first, done, rate = row["first_result_s"], row["done_s"], row["photos_per_s"]
            print(f"| {work_name} | {hosts} | {first} s | {done} s | {rate} |")
    out = HERE / "results" / "fleet_hosts.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"photos": args.photos, "repeats": args.repeats, "results": summary}, indent=2))


if __name__ == "__main__":
    main()
