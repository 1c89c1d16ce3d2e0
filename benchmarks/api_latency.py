"""The HTTP API's synchronous edits under 1, 8 and 32 concurrent clients, beside `retouch edit`.

    .venv/bin/python benchmarks/api_latency.py [--requests 40] [--concurrency 1,8,32]

A 1-MP JPEG (1200x833) cropped to 1:1 through `POST /models/retouch` (the Hugging Face shape) of
a `retouch api` process on this machine, with a key; each client is a thread with its own HTTP
session sending requests back to back. Reported: p50 and p99 latency, and images per second, per
concurrency; then `retouch edit` of the same image as whole processes (the warm daemon), median
of 9. On the embedded default: the API process and the daemon own private Prefect APIs. Results
also go to benchmarks/results/api_latency.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def client(url: str, headers: dict, body: dict, count: int, latencies: list[float]) -> None:
    """One client: `count` requests back to back on its own session (list.append is atomic)."""
    session = requests.Session()
    for _ in range(count):
        start = time.perf_counter()
        answer = session.post(url, headers=headers, json=body)
        took = time.perf_counter() - start
        assert answer.status_code == 200, answer.text
        latencies.append(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="retouch-api-bench-"))
    image = work / "one-mp.jpg"
    photo = cv2.resize(cv2.imread(str(ROOT / "examples" / "images" / "chelsea.png")), (1200, 833))
    cv2.imwrite(str(image), photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RETOUCH_"))}
    env.update(
        PREFECT_HOME=str(work / "prefect"),
        RETOUCH_DATA_DIR=str(work / "data"),
        RETOUCH_ENV_FILE="",
        RETOUCH_API_RATE_PER_MINUTE="100000",
        XDG_RUNTIME_DIR=str(work / "run"),
    )
    retouch = [sys.executable, "-m", "retouch"]
    made = subprocess.run(
        [*retouch, "api-key", "create", "bench", "--json"], env=env, capture_output=True, text=True
    )
    key = json.loads(made.stdout)["key"]
    port = 8790
    server = subprocess.Popen(
        [*retouch, "api", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/models/retouch"
    body = {"inputs": {"image": base64.b64encode(image.read_bytes()).decode(), "instruction": "crop to 1:1"}}
    headers = {"Authorization": f"Bearer {key}"}
    report: dict[str, object] = {"cpus": os.cpu_count(), "requests_per_client": args.requests}
    try:
        for _ in range(600):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        for _ in range(5):  # warm-up: first requests build routes, open the ledger
            assert requests.post(url, headers=headers, json=body).status_code == 200
        rows = {}
        for clients in map(int, args.concurrency.split(",")):
            latencies: list[float] = []
            threads = [
                threading.Thread(target=client, args=(url, headers, body, args.requests, latencies))
                for _ in range(clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            rows[clients] = {
                "p50_ms": 1000 * statistics.median(latencies),
                "p99_ms": 1000 * percentile(latencies, 99),
                "images_per_s": len(latencies) / wall,
            }
            print(f"{clients} clients: {json.dumps(rows[clients])}", flush=True)
        report["api"] = rows
    finally:
        server.terminate()
        server.wait()
    edit = [*retouch, "edit", str(image), "crop to 1:1", "-o", str(work / "out.jpg")]
    subprocess.run(edit, env=env, capture_output=True, check=True)  # starts the daemon
    times = []
    for _ in range(9):
        start = time.perf_counter()
        subprocess.run(edit, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    subprocess.run([*retouch, "daemon", "stop"], env=env, capture_output=True)
    report["retouch_edit_warm_daemon_ms"] = 1000 * statistics.median(times)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "api_latency.json").write_text(json.dumps(report, indent=2))

    print("\n| 1-MP JPEG, crop to 1:1 | p50 ms | p99 ms | images/s |\n| --- | --- | --- | --- |")
    for clients, row in report["api"].items():
        print(
            f"| API, {clients} client{'s' if clients > 1 else ''} | {row['p50_ms']:.0f} | "
            f"{row['p99_ms']:.0f} | {row['images_per_s']:.1f} |"
        )
    edit_ms = report["retouch_edit_warm_daemon_ms"]
    label = "`retouch edit`, whole process, daemon warm (median of 9)"
    print(f"| {label} | {edit_ms:.0f} | | {1000 / edit_ms:.1f} |")


if __name__ == "__main__":
    main()
