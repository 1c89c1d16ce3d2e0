"""Seconds per 1024x1024 edit and peak GPU memory, on the full Qwen-Image-Edit-2509 architecture.

    python benchmarks/gpu_edit.py [--repeats 3] [--settings reference,fast8,fast4,...]

Needs a CUDA GPU with ~70 GB free (an H100 80GB) and the [model] extra. Nothing is downloaded:
the pipeline is built from the published configs with random weights directly on the GPU in
bf16 (tasks/qwen_tiny.py: FULL), so the numbers are the architecture's speed, not its quality.
Every edit goes through tasks.qwen.edit, the same code path as production (pre-resize to the
pipeline's size, generator, resize back).

Settings (steps, true CFG, extras):
  reference      40 steps, true CFG 4.0 (two transformer passes per step): the model card's setting
  fast8 / fast4  8 or 4 steps, CFG off (the Lightning LoRA's schedule and scheduler)
  fast8-flash3   fast8 + FlashAttention-3 (diffusers backend `_flash_3`, Hopper), if installed
  fast8-cache    fast8 + diffusers' First Block Cache (threshold 0.05)
  fast8-compile, fast4-compile   + torch.compile of the transformer's repeated blocks
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SETTINGS = {  # compiled settings last: compilation cannot be undone in the same process
    "reference": {"steps": 40, "cfg": 4.0},
    "fast8": {"steps": 8, "cfg": 1.0, "lightning": True},
    "fast4": {"steps": 4, "cfg": 1.0, "lightning": True},
    "fast8-flash3": {"steps": 8, "cfg": 1.0, "lightning": True, "attention": "_flash_3"},
    "fast8-cache": {"steps": 8, "cfg": 1.0, "lightning": True, "cache": 0.05},
    "fast8-compile": {"steps": 8, "cfg": 1.0, "lightning": True, "compile": True},
    "fast4-compile": {"steps": 4, "cfg": 1.0, "lightning": True, "compile": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "gpu_edit.json")
    parser.add_argument("--preset", choices=("full", "tiny"), default="full",
                        help="tiny: the test-sized model, on CPU if need be (a smoke test of "
                             "this script, not a benchmark)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler

    from tasks import qwen
    from tasks.qwen_tiny import FULL, TINY, build_random_pipeline

    cuda = torch.cuda.is_available()
    if args.preset == "full" and not cuda:
        raise SystemExit("needs a CUDA GPU with ~70 GB free (use --preset tiny for a smoke test)")
    device = "cuda" if cuda else "cpu"
    started = time.perf_counter()
    torch.set_default_dtype(torch.bfloat16 if cuda else torch.float32)
    with torch.device(device):  # initialise in place: no fp32 copy on the host
        pipe = build_random_pipeline(FULL if args.preset == "full" else TINY)
    torch.set_default_dtype(torch.float32)
    pipe.set_progress_bar_config(disable=True)
    build_s = time.perf_counter() - started
    stock_scheduler = pipe.scheduler.config
    model = qwen.LoadedModel(pipe=pipe, source=f"random weights ({args.preset} configs)",
                             device=device, dtype=str(pipe.transformer.dtype), placement=device)
    if args.preset == "tiny":
        model.vae_image_area = model.condition_image_area = 64 * 64
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (args.size, args.size, 3), dtype=np.uint8)
    memory = torch.cuda.memory_allocated if cuda else (lambda: 0)
    peak = torch.cuda.max_memory_allocated if cuda else (lambda: 0)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    report = {"gpu": torch.cuda.get_device_name(0) if cuda else "cpu", "preset": args.preset,
              "torch": torch.__version__, "size": f"{args.size}x{args.size}",
              "build_seconds": round(build_s, 1), "weights_gib": round(memory() / 2**30, 1),
              "runs": {}}
    print(f"built on {report['gpu']} in {build_s:.0f} s, {report['weights_gib']} GiB of weights",
          flush=True)

    compiled = False
    for name in args.settings.split(","):
        spec = SETTINGS[name]
        config = replace(qwen.ModelConfig(model="random"), steps=spec["steps"],
                         true_cfg_scale=spec["cfg"])
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
            qwen.LIGHTNING_SCHEDULER if spec.get("lightning") else stock_scheduler)
        try:
            if spec.get("attention"):
                pipe.transformer.set_attention_backend(spec["attention"])
            if spec.get("cache"):
                from diffusers import FirstBlockCacheConfig

                pipe.transformer.enable_cache(FirstBlockCacheConfig(threshold=spec["cache"]))
            if spec.get("compile") and not compiled:
                pipe.transformer.compile_repeated_blocks(fullgraph=True)
                compiled = True
        except Exception as exc:  # a backend that is not installed here: say so, go on
            report["runs"][name] = {"skipped": f"{type(exc).__name__}: {exc}"[:200]}
            print(f"{name}: skipped ({exc})", flush=True)
            continue
        qwen.edit(model, config, pixels, "warm-up", seed=0)  # compile, autotune, allocator
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        times = []
        for repeat in range(args.repeats):
            sync()
            t0 = time.perf_counter()
            qwen.edit(model, config, pixels, "replace the cup with a glass of juice", seed=repeat)
            sync()
            times.append(time.perf_counter() - t0)
        run = {"steps": spec["steps"], "true_cfg_scale": spec["cfg"],
               "seconds": [round(t, 3) for t in times],
               "median_seconds": round(statistics.median(times), 3),
               "peak_gib": round(peak() / 2**30, 1)}
        report["runs"][name] = run
        print(f"{name}: {run['median_seconds']} s/edit, peak {run['peak_gib']} GiB", flush=True)
        # undo per-setting extras so that the next setting starts clean
        if spec.get("attention"):
            pipe.transformer.reset_attention_backend()
        if spec.get("cache"):
            pipe.transformer.disable_cache()

    reference = report["runs"].get("reference", {}).get("median_seconds")
    print("\n| setting | steps | true CFG | s / edit | peak GiB | vs reference |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, run in report["runs"].items():
        if "skipped" in run:
            print(f"| {name} | | | skipped: {run['skipped'][:60]} | | |")
            continue
        speedup = f"{reference / run['median_seconds']:.1f}x" if reference else ""
        print(f"| {name} | {run['steps']} | {run['true_cfg_scale']} | {run['median_seconds']} "
              f"| {run['peak_gib']} | {speedup} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
