"""Work done for a repeated model edit: the cache hit path of one item (median of repeats).

    .venv/bin/python benchmarks/cache_hit.py [--repeats 50] [--db-url URL]

Edits one photo once with the model (the tiny test model unless RETOUCH_MODEL is set), then
times the same job again and again: read + hash the image, look the key up in the ledger,
return the stored result and write its ledger row. No pipeline is loaded for the hits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--db-url", default=None, help="ledger URL (default: a temporary SQLite)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="retouch-cache-bench-"))
    os.environ.setdefault("RETOUCH_DATA_DIR", str(work))
    if args.db_url:
        os.environ["RETOUCH_DB_URL"] = args.db_url
    if "RETOUCH_MODEL" not in os.environ:
        from tasks.edit.qwen.tiny import make_tiny

        os.environ["RETOUCH_MODEL"] = str(make_tiny(work / "tiny"))
        os.environ.setdefault("RETOUCH_MODEL_STEPS", "2")

    from routing import route
    from tasks.edit import qwen
    from tasks.edit.model_path import model_job

    plan = route("把杯子换成一杯绿茶")
    job = {
        "item": {
            "id": "cup",
            "image": str(ROOT / "examples/images/coffee.png"),
            "instruction": "把杯子换成一杯绿茶",
        },
        "plan": plan.to_dict(),
    }
    t0 = time.perf_counter()
    first = model_job(job, str(work / "out"))
    edit_s = time.perf_counter() - t0
    assert not first["cache_hit"], first
    loads = qwen.loads()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        hit = model_job(job, str(work / "out"))
        times.append(time.perf_counter() - t0)
        assert hit["cache_hit"] and hit["cost"]["gpu_s"] == 0 and hit["output"] == first["output"]
    assert qwen.loads() == loads
    print(
        f"first edit (load + edit): {edit_s:.2f} s; repeated edit (cache hit): median "
        f"{1000 * statistics.median(times):.1f} ms, max {1000 * max(times):.1f} ms over "
        f"{args.repeats}, GPU seconds 0"
    )


if __name__ == "__main__":
    main()
