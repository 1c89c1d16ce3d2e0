"""The catalog flow against a bare OpenCV loop: whole processes, side by side, medians.

    .venv/bin/python benchmarks/catalog_vs_bare.py [--images 600] [--repeats 5]

Every repeat runs, one after the other on the same 2000x1500 JPEGs (crop to 1:1, JPEG q95):
  bare      `python benchmarks/bare_opencv.py`: one process, a plain decode/crop/encode loop
  embedded  `retouch run` as a newcomer runs it: no Prefect server, the CLI starts its own
  server    `retouch run` with PREFECT_API_URL pointing at a running `prefect server start`
  fixed     `retouch run` (embedded) on a 1-image manifest: the fixed start-up cost
The figures are medians over the repeats; the steady-state cost per image is
(embedded - fixed) / (images - 1). Results are printed and written to benchmarks/results/.
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
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from photos import make_photos, write_manifest  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def start_prefect_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server_env = {**env, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("prefect server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()

    photos = make_photos(args.data / "photos", args.images)
    full = write_manifest(args.data / f"crop{args.images}.csv", photos, "crop to 1:1")
    one = write_manifest(args.data / "crop1.csv", photos[:1], "crop to 1:1")
    work = Path(tempfile.mkdtemp(prefix="retouch-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(work / "prefect-home")  # a database of its own, created once
    server, url = start_prefect_server(work / "server-home", env)
    server_env = {**env, "PREFECT_API_URL": url}
    retouch = [str(BIN / "retouch"), "run"]
    runs = {
        "bare": lambda out: timed([sys.executable, str(HERE / "bare_opencv.py"), str(full), out], env),
        "embedded": lambda out: timed([*retouch, str(full), "--out", out], env),
        "server": lambda out: timed([*retouch, str(full), "--out", out], server_env),
        "fixed": lambda out: timed([*retouch, str(one), "--out", out], env),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    try:
        timed([*retouch, str(one), "--out", str(work / "warm-up")], env)  # creates the database
        for repeat in range(args.repeats):
            for name, run in runs.items():
                out = work / f"{name}-{repeat}"
                times[name].append(run(str(out)))
                if name != "fixed":
                    produced = list(out.rglob("*.jpg"))
                    assert len(produced) == args.images, (name, len(produced))
                shutil.rmtree(out)
            print(
                f"repeat {repeat + 1}/{args.repeats}: "
                + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items()),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(values) for name, values in times.items()}
    steady = (med["embedded"] - med["fixed"]) / (args.images - 1)
    report = {
        "images": args.images,
        "size": "2000x1500",
        "op": "crop to 1:1, JPEG q95",
        "repeats": args.repeats,
        "cpus": os.cpu_count(),
        "seconds": times,
        "median_seconds": med,
        "ratio_embedded_vs_bare": med["embedded"] / med["bare"],
        "ratio_server_vs_bare": med["server"] / med["bare"],
        "bare_ms_per_image": 1000 * med["bare"] / args.images,
        "steady_state_ms_per_image": 1000 * steady,
        "fixed_start_up_seconds": med["fixed"],
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "catalog_vs_bare.json").write_text(json.dumps(report, indent=2))
    print(
        f"\n{args.images} photos 2000x1500, crop to 1:1, {os.cpu_count()} CPUs, "
        f"median of {args.repeats} (whole processes)"
    )
    print("| run | seconds | vs bare |\n| --- | --- | --- |")
    for name, label in (
        ("bare", "bare OpenCV loop, 1 process"),
        ("embedded", "`retouch run`, embedded Prefect API"),
        ("server", "`retouch run`, running Prefect server"),
        ("fixed", "`retouch run`, 1 image (fixed cost)"),
    ):
        print(f"| {label} | {med[name]:.2f} | {med[name] / med['bare']:.2f} |")
    print(
        f"\nsteady state: {1000 * steady:.1f} ms per image in the flow "
        f"vs {report['bare_ms_per_image']:.1f} ms in the bare loop"
    )


if __name__ == "__main__":
    main()
