"""The warm local daemon as a user meets it: `retouch edit` and `retouch run` in processes of
their own, the first starting the daemon, the next ones served by it; one daemon per
configuration; the exit codes and messages of the command-line contract; idle exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import pytest

from tests.helpers import IMAGES, run_retouch, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def user(tmp_path, prefect_api):
    """A user's environment with the daemon on, its sockets and ledger in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETOUCH_")}
    env.update(
        XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="rt-"),  # short: a socket's path has 107 bytes at most
        RETOUCH_DATA_DIR=str(tmp_path / "data"),
        RETOUCH_DAEMON_IDLE_SECONDS="60",
        RETOUCH_ENV_FILE="",
        PREFECT_API_URL=prefect_api,
    )

    def retouch(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return run_retouch({**env, **extra}, tmp_path, *args)

    yield retouch, env
    subprocess.run(
        [sys.executable, "-m", "retouch", "daemon", "stop"], env=env, capture_output=True, timeout=60
    )


def daemon_pids(env: dict[str, str]) -> set[int]:
    return {health["pid"] for health in _healths(env)}


def _healths(env: dict[str, str]) -> list[dict]:
    from retouch.daemon import daemons

    old = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    try:
        return [health for _, health in daemons() if health]
    finally:
        if old is None:
            os.environ.pop("XDG_RUNTIME_DIR")
        else:
            os.environ["XDG_RUNTIME_DIR"] = old


def test_commands_share_one_warm_daemon_per_configuration(user, tmp_path):
    retouch, env = user
    first = retouch("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "-o", "square.png", "--json")
    assert first.returncode == 0, first.stderr
    assert "warning" not in first.stderr, first.stderr
    assert "started the warm daemon" in first.stderr and "retouch daemon stop" in first.stderr  # said once
    (pid,) = daemon_pids(env)
    assert _healths(env)[0]["allocator_tuned"]  # glibc keeps image buffers (retouch/runtime.py)
    started = time.perf_counter()
    second = retouch("edit", str(IMAGES / "rocket.jpg"), "旋转90度", "-o", "turned.jpg", "--json")
    warm = time.perf_counter() - started
    assert second.returncode == 0, second.stderr
    assert daemon_pids(env) == {pid}  # the same process served it
    assert "started the warm daemon" not in second.stderr
    assert warm < 10  # no Prefect server boot, no imports (timed for real in benchmarks/)
    for done, size in ((first, (400, 400)), (second, (427, 640))):
        result = json.loads(done.stdout)
        assert result["status"] == "published" and Path(result["output"]).parent == tmp_path
        assert cv2.imread(result["output"]).shape[1::-1] == size

    # a warm edit goes straight to the daemon: neither the CLI framework nor Prefect is loaded
    lean = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "retouch", "edit", str(IMAGES / "coffee.png"), "裁剪1:1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert lean.returncode == 0 and lean.stdout.startswith("published: "), lean.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in lean.stderr.splitlines() if "|" in line}
    assert "retouch.cli.warm_edit" in imported
    assert not imported & {"typer", "rich", "click", "prefect", "pydantic", "cv2", "numpy"}
    assert daemon_pids(env) == {pid}

    # the contract holds through the daemon: a refusal exits 2, a broken image exits 1
    rejected = retouch("edit", str(IMAGES / "coffee.png"), "今天天气怎么样")
    assert rejected.returncode == 2 and rejected.stderr.startswith("error: rejected")
    missing = retouch("edit", str(tmp_path / "nope.jpg"), "crop to 1:1")
    assert missing.returncode == 2 and "nope.jpg" in missing.stderr and missing.stderr.count("\n") == 1
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 64)
    broken = retouch("edit", str(tmp_path / "broken.jpg"), "crop to 1:1")
    assert broken.returncode == 2 and broken.stderr.startswith("error: ")

    # a batch through the same daemon: one flow run, one line per item
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "id,image,instruction\n"
        f"a,{IMAGES / 'coffee.png'},crop to 1:1\n"
        f"b,{IMAGES / 'rocket.jpg'},flip horizontally\n"
        f"c,{IMAGES / 'coffee.png'},今天天气怎么样\n",
        encoding="utf-8",
    )
    batch = retouch("run", str(manifest), "--out", "out")
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in lines] == ["published", "published", "rejected"]
    assert daemon_pids(env) == {pid}

    # each edit is a recorded Prefect run (a task run named for it) with its ledger row
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from sqlalchemy import create_engine, text

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=["edit edit"]))
        )
    assert len([r for r in runs if r.state.is_completed()]) >= 4
    ledger = create_engine(f"sqlite:///{tmp_path / 'data' / 'retouch.db'}")
    with ledger.connect() as connection:
        paths = connection.execute(text("select path from ledger")).scalars().all()
    assert paths.count("opencv") == 5  # three edits and two batch items

    # another configuration gets a daemon of its own (never one with stale settings)
    png = retouch("edit", str(IMAGES / "rocket.jpg"), "crop to 1:1", "--json", RETOUCH_OUTPUT_FORMAT="png")
    assert png.returncode == 0, png.stderr
    assert json.loads(png.stdout)["output"].endswith(".png")
    assert len(daemon_pids(env)) == 2

    status = retouch("daemon", "status")
    assert status.stdout.count("jobs") == 2 and f"pid {pid}" in status.stdout
    stop = retouch("daemon", "stop")
    assert stop.stdout.count("stopping the daemon") == 2
    wait_for(lambda: not daemon_pids(env), timeout=60, what="the daemons to stop")


def test_an_idle_daemon_exits_and_progress_reaches_the_client(user, tmp_path):
    retouch, env = user
    manifest = tmp_path / "m.csv"
    rows = [f"p{n},{IMAGES / 'coffee.png'},crop to 1:1" for n in range(30)]
    manifest.write_text("id,image,instruction\n" + "\n".join(rows) + "\n", encoding="utf-8")
    first = retouch("run", str(manifest), "--out", "out", RETOUCH_DAEMON_IDLE_SECONDS="3")
    assert first.returncode == 0, first.stderr
    assert "warning" not in first.stderr, first.stderr
    (pid,) = daemon_pids(env)

    # the daemon's progress reaches its client while the batch runs (what draws the bar)
    from retouch import daemon

    old = dict(os.environ)
    os.environ.clear()  # exactly the commands' environment: the same fingerprint, the same daemon
    os.environ.update({**env, "RETOUCH_DAEMON_IDLE_SECONDS": "3"})
    try:
        path = daemon.socket_path(daemon.fingerprint())
        seen: list[tuple[int, int]] = []
        params = {"manifest": str(manifest), "out_dir": str(tmp_path / "again"), "requested_by": "test"}
        results = daemon.submit(path, "run", params, lambda done, total: seen.append((done, total)))
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert len(results) == 30 and seen and seen[-1] == (30, 30)
    assert all(total == 30 for _, total in seen) and [d for d, _ in seen] == sorted(d for d, _ in seen)

    wait_for(lambda: not daemon_pids(env), timeout=60, what="the idle daemon to exit")
    sockets = Path(env["XDG_RUNTIME_DIR"], "retouch")
    wait_for(lambda: not any(sockets.glob("*.sock")), timeout=30, what="its socket to go")
    from retouch.stack import alive

    wait_for(lambda: not alive(pid), timeout=30, what="the daemon's process to end")


def _embedded(tmp_path: Path) -> dict[str, str]:
    """A user's environment on the embedded default: no Prefect server configured, a Prefect
    home and data folder of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETOUCH_", "PREFECT_"))}
    env.update(
        XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="rt-"),
        PREFECT_HOME=str(tmp_path / "prefect"),
        RETOUCH_DATA_DIR=str(tmp_path / "data"),
        RETOUCH_DAEMON_IDLE_SECONDS="60",
        RETOUCH_ENV_FILE="",
    )
    return env


def _task_runs(prefect_home: Path) -> list[tuple[str, str]]:
    """(name, state) of every task run in the embedded default's database."""
    import sqlite3

    with sqlite3.connect(prefect_home / "prefect.db") as db:
        return db.execute("select name, state_type from task_run").fetchall()


EDIT_WHILE_THE_SERVER_IS_FROZEN = """
import os, signal, sys, threading, urllib.request
from retouch.prefect_api import PrefectApi

api = PrefectApi()
os.kill(api.server.process.pid, signal.SIGSTOP)  # the server cannot boot until let go
from retouch.jobs import execute, warm_up

warm_up()
api.ready(wait=False)
answers = []

def job():
    with api.in_this_thread():
        answers.extend(execute("edit", {"image": sys.argv[1], "instruction": "crop to 1:1",
                                        "target": sys.argv[2], "cwd": os.getcwd()}))

worker = threading.Thread(target=job, daemon=True)
worker.start()
worker.join(timeout=120)
print("answered while the server was frozen:", not worker.is_alive(), flush=True)
os.kill(api.server.process.pid, signal.SIGCONT)
worker.join()
print(answers[0]["status"], flush=True)
api.close()  # waits for the server, then sends what waited
"""


def test_an_edit_runs_while_the_embedded_server_boots_and_its_task_run_is_still_recorded(tmp_path):
    """The daemon takes its first edit before its private Prefect server answers (that boot is
    most of a cold `retouch edit`): the task run's events wait for the server, not the edit."""
    env = _embedded(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", EDIT_WHILE_THE_SERVER_IS_FROZEN, str(IMAGES / "coffee.png"), "sq.jpg"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["answered while the server was frozen: True", "published"]
    assert cv2.imread(str(tmp_path / "sq.jpg")).shape[:2] == (400, 400)
    assert _task_runs(tmp_path / "prefect") == [("edit edit", "COMPLETED")]


def test_a_cold_edit_on_the_embedded_default_starts_the_daemon_and_is_recorded(tmp_path):
    env = _embedded(tmp_path)

    def retouch(*args: str) -> subprocess.CompletedProcess:
        return run_retouch(env, tmp_path, *args)

    first = retouch("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "--json")
    assert first.returncode == 0 and "warning" not in first.stderr, first.stderr
    assert json.loads(first.stdout)["status"] == "published"
    (pid,) = daemon_pids(env)
    second = retouch("edit", str(IMAGES / "rocket.jpg"), "旋转90度", "--json")
    assert second.returncode == 0 and daemon_pids(env) == {pid}, second.stderr
    status = retouch("daemon", "status").stdout
    assert "log: " in status, status
    assert retouch("daemon", "stop").returncode == 0
    wait_for(lambda: not daemon_pids(env), timeout=60, what="the daemon to stop")
    wait_for(lambda: not _pid_alive(pid), timeout=60, what="the daemon to exit")
    log = next(Path(env["XDG_RUNTIME_DIR"], "retouch").glob("*.log")).read_text()
    assert sorted(_task_runs(tmp_path / "prefect")) == [("edit edit", "COMPLETED")] * 2, log
    assert "Prefect API answering after" in log and "error:" not in log, log


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_daemon_turned_off_in_retouch_toml_leaves_the_edit_to_the_command(user, tmp_path):
    """The lane of a plain edit starts the daemon before reading any settings; a daemon that
    its retouch.toml turns off exits at once, and the command edits in its own process."""
    retouch, env = user
    del env["RETOUCH_DAEMON_IDLE_SECONDS"]  # the environment would win over the file
    (tmp_path / "retouch.toml").write_text("daemon_idle_seconds = 0\n")
    done = retouch("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "--json")
    assert done.returncode == 0 and "warning: " not in done.stderr, done.stderr  # no "daemon did not start"
    assert json.loads(done.stdout)["status"] == "published"
    assert not daemon_pids(env)
    log = next(Path(env["XDG_RUNTIME_DIR"], "retouch").glob("*.log")).read_text()
    assert log == "the daemon is off (RETOUCH_DAEMON_IDLE_SECONDS=0)\n"
