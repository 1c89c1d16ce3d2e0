"""A 2,000-item catalog on the OpenCV path: throughput and memory of every process over time.

    .venv/bin/python benchmarks/load.py [--items 2000]

Runs `retouch run` (embedded Prefect API) on the benchmark photos (2000x1500, crop to 1:1,
cycling through the 600 files) and samples the resident memory of the CLI and of each child
process (the Prefect server) every 0.25 s. Memory is flat when the last quarter of the run
peaks no higher than the second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from photos import make_photos  # noqa: E402


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def name_of(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return "prefect server" if b"uvicorn" in b" ".join(cmd) else "retouch run"
    except OSError:
        return str(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args()
    photos = make_photos(HERE / "data" / "photos", 600)
    work = Path(tempfile.mkdtemp(prefix="retouch-load-"))
    manifest = work / "manifest.csv"
    manifest.write_text(
        "id,image,instruction\n"
        + "".join(f"item{n:05d},{photos[n % len(photos)].resolve()},crop to 1:1\n" for n in range(args.items))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(work / "prefect")
    env["RETOUCH_DATA_DIR"] = str(work / "data")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "retouch"), "run", str(manifest), "--out", str(work / "out")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: dict[int, list[tuple[float, float]]] = {}
    names: dict[int, str] = {}
    while proc.poll() is None:
        for pid in [proc.pid, *children(proc.pid)]:
            names.setdefault(pid, name_of(pid))
            mb = rss_mb(pid)
            if mb is not None:
                samples.setdefault(pid, []).append((time.perf_counter() - start, mb))
        time.sleep(0.25)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"retouch run failed: {proc.stderr.read()[-2000:]}")
    lines = (work / "out" / "results.jsonl").read_text().splitlines()
    published = sum(json.loads(line)["status"] == "published" for line in lines)
    print(
        f"{args.items} items of 2000x1500 (crop 1:1): {seconds:.1f} s, "
        f"{args.items / seconds:.1f} items/s, {published} published, {len(lines)} results"
    )
    print("| process | peak RSS MB | max RSS in quarters 1-4 of the run (MB) |")
    print("| --- | --- | --- |")
    for pid, series in samples.items():
        quarters = []
        for q in range(4):
            part = [mb for t, mb in series if q * seconds / 4 <= t < (q + 1) * seconds / 4]
            quarters.append(f"{max(part):.0f}" if part else "-")
        print(f"| {names[pid]} | {max(mb for _, mb in series):.0f} | {' / '.join(quarters)} |")


if __name__ == "__main__":
    main()
