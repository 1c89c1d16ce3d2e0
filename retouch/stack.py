"""The local stack behind `make up` / `make down`: a Prefect server with its UI, the deployments
served (`retouch serve`), the review page, the HTTP API, the upload watchers configured
(RETOUCH_UPLOAD_WATCH) and, with model weights, a GPU task worker.

Each process starts in a session of its own (its flow-run subprocesses in its process group)
and is recorded in `<stack_dir>/<name>.pid` (`.retouch/run` by default), with its log beside it;
the server's address goes to `api-url` there, where every `retouch` command of the checkout
finds it (retouch/runtime.py): the machine's Prefect profile is left alone. Stopping sends SIGTERM to
each group, waits a bounded grace, then SIGKILLs what is left, and returns only once every
process has exited; a pid file is removed only then, so a quick `make up` cannot start a
second runner beside one still shutting down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks.infra.processes import alive

GRACE_SECONDS = 6.0  # SIGTERM, then this long before SIGKILL (per phase: clients, then server)
# stopped in this order, clients before the server ("watch" stands for watch-1, watch-2, ...)
ORDER = ("watch", "gpu", "api", "review", "serve", "server")


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]


def services(
    api_url: str,
    ui_port: int,
    review_port: int,
    api_port: int,
    gpu: bool,
    keys: bool,
    watch: Sequence[str] = (),
) -> list[Service]:
    """What `make up` starts, in order (the HTTP API without keys: loopback, no auth). With a GPU
    worker, the others hand it their model edits (it is the one process that loads the model).
    Each of `watch` (an SQS queue URL or an s3:// prefix) gets a `retouch watch` process."""
    client = {"PREFECT_API_URL": api_url, **({"RETOUCH_MODEL_WORKER": "task-worker"} if gpu else {})}
    stack = [
        Service(
            "server",
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(ui_port),
            ],
            {"PREFECT_UI_API_URL": api_url},  # the UI's browser calls this API (not the default port)
        ),
        Service("serve", [sys.executable, "-m", "retouch", "serve"], client),
        Service(
            "review",
            [sys.executable, "-m", "retouch", "review", "serve", "--port", str(review_port)],
            client,
        ),
    ]
    api = [sys.executable, "-m", "retouch", "api", "--port", str(api_port)]
    stack.append(Service("api", api if keys else [*api, "--no-auth"], client))
    if gpu:
        worker = {"PREFECT_API_URL": api_url, "RETOUCH_MODEL_WORKER": "in-process"}  # it edits itself
        stack.append(Service("gpu", [sys.executable, "-m", "retouch", "serve", "--gpu"], worker))
    for number, source in enumerate(watch, 1):
        kind = "s3" if source.startswith("s3://") else "sqs"
        stack.append(
            Service(f"watch-{number}", [sys.executable, "-m", "retouch", "watch", kind, source], client)
        )
    return stack


def recorded(folder: Path) -> list[tuple[str, int]]:
    """(name, pid) of every process with a pid file in `folder`, in ORDER (stopping order)."""
    found = []
    for path in folder.glob("*.pid"):
        try:
            found.append((path.stem, int(path.read_text().strip())))
        except (OSError, ValueError):
            continue
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda entry: (rank.get(entry[0].split("-")[0], -1), entry[0]))


def start(service: Service, folder: Path, cwd: Path) -> int:
    """Start `service` detached (its own session), logging to folder/<name>.log; its pid."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{service.name}.log").open("ab") as log:
        proc = subprocess.Popen(
            service.argv,
            cwd=cwd,
            env={**os.environ, **service.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (folder / f"{service.name}.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def wait_healthy(url: str, timeout: float, pid: int) -> bool:
    """Whether `url` answers 200 within `timeout` (False at once if `pid` died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(alive(pid) for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            members.append(int(stat.parent.name))
    return members


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all(folder: Path, grace: float = GRACE_SECONDS) -> list[tuple[str, int, str]]:
    """Stop every recorded process (and its group): the clients first, then the server (a
    runner whose server vanishes under it waits on reconnects instead of exiting); each phase
    SIGTERM, up to `grace` seconds, then SIGKILL.

    Returns (name, pid, how) for each: "stopped" (exited after SIGTERM), "killed", or "gone"
    (it had already exited). A pid file is removed once its group is gone.
    """
    processes = recorded(folder)
    how: dict[str, str] = {}
    clients = [(name, pid) for name, pid in processes if name != "server"]
    server = [(name, pid) for name, pid in processes if name == "server"]
    for phase in (clients, server):
        how.update(_stop_phase(phase, grace))
        for name, _ in phase:
            (folder / f"{name}.pid").unlink(missing_ok=True)
    return [(name, pid, how[name]) for name, pid in processes]


def _stop_phase(processes: list[tuple[str, int]], grace: float) -> dict[str, str]:
    how = {name: "gone" for name, pid in processes if not _group_alive(pid)}
    for name, pid in processes:
        if name not in how:
            _signal_group(pid, signal.SIGTERM)
            how[name] = "stopped"
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_group_alive(pid) for _, pid in processes):
        time.sleep(0.1)
    for name, pid in processes:
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
            how[name] = "killed"
    while any(_group_alive(pid) for _, pid in processes):  # SIGKILL cannot be refused: brief
        time.sleep(0.05)
    return how
