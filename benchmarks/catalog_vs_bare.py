"""The cheap path, measured as a user runs it: whole processes, side by side in one run, medians.

    .venv/bin/python benchmarks/catalog_vs_bare.py [--images 600] [--large 6000] [--repeats 5]
                                                   [--before REF] [--quick]

`make bench` runs it. Three tables, each with the code before the cheap-path work (`--before`,
a git worktree of that commit run with this venv) beside the code of this checkout:

1. one edit: `retouch route` and `retouch edit` of a 1-MP JPEG (crop to 1:1), on the embedded
   default (no server configured) and against a running `prefect server start`; now also with
   the warm daemon cold (none running: the command starts it) and warm (started by an earlier
   command), and with the daemon off;
2. a catalog of `--images` 3-MP JPEGs (2000x1500, crop to 1:1, JPEG q95) against a bare
   single-process OpenCV loop on the same files (`benchmarks/bare_opencv.py`);
3. a catalog of `--large` photos: the bare loop against `retouch run` (warm daemon, running
   server), the Prefect server's share of the batch's CPU (/proc times of every process), and
   the daemon's peak RSS in each quarter of the batch.

Every figure is the median of `--repeats` whole processes run one after the other (table 3: of
one each, it takes minutes), on a machine left alone. Results: printed, and written to
benchmarks/results/catalog_vs_bare.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from photos import make_photos, write_manifest  # noqa: E402

BEFORE = "0b780d8"  # the last commit before the cheap-path work (issue 16)


# ------------------------------------------------------------------------------------------------
# processes


class Code:
    """A version of Retouch to run: this checkout, or a worktree of an earlier commit."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.path = name, path

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "retouch", *args]

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {
            **base,
            "PYTHONPATH": str(self.path),  # before the editable install's own path
            # a ledger of its own: each version migrates its database to its own schema
            "RETOUCH_DATA_DIR": str(Path(base["RETOUCH_DATA_DIR"], self.name.split()[0])),
        }


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_prefect_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server_env = {**env, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("prefect server did not start")


def stop_daemons(code: Code, env: dict[str, str]) -> None:
    """Stop the daemons and wait until their processes (and so their Prefect servers) are gone:
    a cold command must not share the machine with the last daemon's shutdown."""
    folder = Path(env["XDG_RUNTIME_DIR"], "retouch")
    pids = [daemon_pid_at(path) for path in folder.glob("*.sock") if _answers(path)]
    subprocess.run(code.argv("daemon", "stop"), env=code.env(env), capture_output=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids if pid):
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(path))
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().split(")")[-1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def daemon_pid_at(path: Path) -> int | None:
    sys.path.insert(0, str(ROOT))
    from retouch.daemon import health

    info = health(path)
    return info["pid"] if info else None


def daemon_pid(env: dict[str, str]) -> int:
    folder = Path(env["XDG_RUNTIME_DIR"], "retouch")
    for path in folder.glob("*.sock"):
        if _answers(path) and (pid := daemon_pid_at(path)):
            return pid
    raise SystemExit("no daemon answers")


# ------------------------------------------------------------------------------------------------
# the three tables


def one_edit(codes: dict[str, Code], env: dict[str, str], server_url: str, work: Path, repeats: int):
    image = work / "one-mp.jpg"
    photo = cv2.resize(cv2.imread(str(ROOT / "examples" / "images" / "chelsea.png")), (1200, 833))
    cv2.imwrite(str(image), photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    edit = ("edit", str(image), "crop to 1:1", "-o", str(work / "edited.jpg"))
    server = {**env, "PREFECT_API_URL": server_url}
    off = {**env, "RETOUCH_DAEMON_IDLE_SECONDS": "0"}
    before, now = codes["before"], codes["now"]
    rows = {
        "route": [
            (before, env, ("route", "crop to 1:1", "--json")),
            (now, env, ("route", "crop to 1:1", "--json")),
        ],
        "edit, embedded, first command (now: the daemon cold)": [(before, env, edit), (now, env, edit)],
        "edit, embedded, daemon warm": [(None, None, None), (now, env, edit)],
        "edit, embedded, daemon off": [(None, None, None), (now, off, edit)],
        "edit, running server, daemon warm": [(before, server, edit), (now, server, edit)],
    }
    figures: dict[str, list[float | None]] = {}
    for label, pair in rows.items():
        figures[label] = []
        for code, run_env, args in pair:
            if code is None:
                figures[label].append(None)
                continue
            cold = "first command" in label
            times = []
            for _ in range(repeats):
                if cold:
                    stop_daemons(now, run_env)
                elif code is now and "warm" in label and not times:
                    timed(code.argv(*args), code.env(run_env), work)  # start the daemon
                times.append(timed(code.argv(*args), code.env(run_env), work))
            figures[label].append(statistics.median(times))
            print(f"  {label} [{code.name}]: {figures[label][-1]:.2f} s", flush=True)
    stop_daemons(now, env)
    return figures


def catalog(codes, env, server_url, work: Path, manifest: Path, images: int, repeats: int):
    before, now = codes["before"], codes["now"]
    server = {**env, "PREFECT_API_URL": server_url}
    runs = {
        "bare OpenCV loop, 1 process": lambda out: timed(
            [sys.executable, str(HERE / "bare_opencv.py"), str(manifest), out], env, work
        ),
        "before: `retouch run`, embedded": lambda out: timed(
            before.argv("run", str(manifest), "--out", out), before.env(env), work
        ),
        "before: `retouch run`, running server": lambda out: timed(
            before.argv("run", str(manifest), "--out", out), before.env(server), work
        ),
        "now: `retouch run`, embedded, daemon cold": lambda out: (
            stop_daemons(now, env),
            timed(now.argv("run", str(manifest), "--out", out), now.env(env), work),
        )[1],
        "now: `retouch run`, embedded, daemon warm": lambda out: timed(
            now.argv("run", str(manifest), "--out", out), now.env(env), work
        ),
        "now: `retouch run`, running server, daemon warm": lambda out: timed(
            now.argv("run", str(manifest), "--out", out), now.env(server), work
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(repeats):
        for name, run in runs.items():
            out = work / f"out-{repeat}"
            times[name].append(run(str(out)))
            produced = len(list(out.rglob("*.jpg")))
            assert produced == images, (name, produced)
            shutil.rmtree(out)
        print(
            f"  repeat {repeat + 1}/{repeats}: " + ", ".join(f"{v[-1]:.2f}" for v in times.values()),
            flush=True,
        )
    stop_daemons(now, env)
    return times


def _sample_rss(pid: int, samples: list[tuple[float, float]], done: threading.Event) -> None:
    while not done.is_set():
        samples.append((time.perf_counter(), rss_mib(pid)))
        time.sleep(0.1)


def large(codes, env, server_url, server_pid: int, work: Path, manifest: Path, one: Path, images: int):
    now = codes["now"]
    server = {**env, "PREFECT_API_URL": server_url}
    report: dict[str, object] = {}
    out = work / "large-bare"
    report["bare_s"] = timed(
        [sys.executable, str(HERE / "bare_opencv.py"), str(manifest), str(out)], env, work
    )
    shutil.rmtree(out)
    print(f"  bare: {report['bare_s']:.1f} s", flush=True)
    for name, run_env, server_of in (("embedded", env, None), ("server", server, server_pid)):
        timed(now.argv("run", str(one), "--out", str(work / "warm")), now.env(run_env), work)  # daemon up
        pid = daemon_pid(run_env)
        prefect = server_of or next(iter(children(pid)), None)  # the embedded API: the daemon's child
        cpu0 = {p: cpu_seconds(p) for p in (pid, prefect) if p}
        samples: list[tuple[float, float]] = []
        done = threading.Event()
        threading.Thread(target=_sample_rss, args=(pid, samples, done), daemon=True).start()
        out = work / f"large-{name}"
        start = time.perf_counter()
        client = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S", *now.argv("run", str(manifest), "--out", str(out))],
            env=now.env(run_env),
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - start
        done.set()
        time.sleep(1.0)  # the server's last writes
        assert client.returncode == 0, client.stderr[-2000:]
        client_cpu = sum(map(float, client.stderr.strip().splitlines()[-1].split()))
        cpu = {p: cpu_seconds(p) - c for p, c in cpu0.items()}
        batch_cpu = sum(cpu.values()) + client_cpu
        quarters = [
            max(
                (rss for t, rss in samples if start + q * wall / 4 <= t <= start + (q + 1) * wall / 4),
                default=0.0,
            )
            for q in range(4)
        ]
        assert len(list(out.rglob("*.jpg"))) == images
        shutil.rmtree(out)
        report[name] = {
            "seconds": wall,
            "vs_bare": report["bare_s"] / wall,
            "prefect_server_cpu_s": cpu.get(prefect, 0.0),
            "batch_cpu_s": batch_cpu,
            "server_share": cpu.get(prefect, 0.0) / batch_cpu,
            "daemon_peak_rss_mib_by_quarter": [round(q, 1) for q in quarters],
        }
        print(f"  {name}: {json.dumps(report[name])}", flush=True)
        stop_daemons(now, run_env)
    return report


# ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--large", type=int, default=6000, help="0: skip table 3")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 200 images, no table 3")
    args = parser.parse_args()
    if args.quick:
        args.images, args.large, args.repeats = 200, 0, 3

    photos = make_photos(args.data / "photos", max(args.images, args.large))
    manifest = write_manifest(args.data / f"crop{args.images}.csv", photos[: args.images], "crop to 1:1")
    work = Path(tempfile.mkdtemp(prefix="retouch-bench-"))
    worktree = work / "before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(worktree), args.before],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    codes = {"before": Code(f"before {args.before}", worktree), "now": Code("now", ROOT)}
    # as a user's shell has it: some sandboxes set PYTHONDONTWRITEBYTECODE, and without bytecode
    # caches every command compiles Retouch's modules again (+0.1-0.2 s here)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "RETOUCH_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        PREFECT_HOME=str(work / "prefect-home"),  # the embedded API's database, created once
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        XDG_RUNTIME_DIR=str(work / "run"),
        RETOUCH_DATA_DIR=str(work / "data"),
        RETOUCH_ENV_FILE="",
        RETOUCH_DAEMON_IDLE_SECONDS="600",
    )
    server, url = start_prefect_server(work / "server-home", env)
    report: dict[str, object] = {"cpus": os.cpu_count(), "before": args.before, "repeats": args.repeats}
    one = write_manifest(work / "one.csv", photos[:1], "crop to 1:1")
    try:  # the embedded API's database is created by a first run, not timed
        off = {**env, "RETOUCH_DAEMON_IDLE_SECONDS": "0"}
        timed(codes["now"].argv("run", str(one), "--out", str(work / "warm")), codes["now"].env(off), work)
        print("1. one edit (1-MP JPEG, crop to 1:1), seconds, median of", args.repeats)
        report["one_edit"] = one_edit(codes, env, url, work, args.repeats)
        print(f"2. {args.images} photos 2000x1500, crop to 1:1, median of {args.repeats}")
        report["catalog"] = catalog(codes, env, url, work, manifest, args.images, args.repeats)
        if args.large:
            big = write_manifest(args.data / f"crop{args.large}.csv", photos[: args.large], "crop to 1:1")
            print(f"3. {args.large} photos (one run each)")
            report["large"] = large(codes, env, url, server.pid, work, big, one, args.large)
    finally:
        server.terminate()
        server.wait()
        stop_daemons(codes["now"], env)
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "catalog_vs_bare.json").write_text(json.dumps(report, indent=2))
    print_tables(report, args)


def print_tables(report: dict, args) -> None:
    print(f"\n1. One edit of a 1-MP JPEG, seconds (median of {args.repeats} whole processes)\n")
    print(f"| | before ({args.before}) | now |\n| --- | --- | --- |")
    for label, (was, now) in report["one_edit"].items():
        print(f"| {label} | {'-' if was is None else f'{was:.2f}'} | {now:.2f} |")
    times = report["catalog"]
    med = {name: statistics.median(values) for name, values in times.items()}
    bare = med["bare OpenCV loop, 1 process"]
    print(f"\n2. {args.images} photos 2000x1500, crop to 1:1 (median of {args.repeats})\n")
    print("| run | seconds | vs bare |\n| --- | --- | --- |")
    for name, value in med.items():
        print(f"| {name} | {value:.2f} | {value / bare:.2f} |")
    if "large" in report:
        big = report["large"]
        print(f"\n3. {args.large} photos, one run each: bare loop {big['bare_s']:.1f} s\n")
        print(
            "| `retouch run` | seconds | faster than bare | server CPU / batch CPU "
            "| daemon peak RSS by quarter (MiB) |"
        )
        print("| --- | --- | --- | --- | --- |")
        for name in ("embedded", "server"):
            row = big[name]
            server_cpu, batch_cpu = row["prefect_server_cpu_s"], row["batch_cpu_s"]
            share = f"{server_cpu:.2f} / {batch_cpu:.1f} s = {100 * row['server_share']:.1f}%"
            rss = " / ".join(f"{q:.0f}" for q in row["daemon_peak_rss_mib_by_quarter"])
            print(f"| {name}, daemon warm | {row['seconds']:.1f} | {row['vs_bare']:.2f}x | {share} | {rss} |")


if __name__ == "__main__":
    main()
