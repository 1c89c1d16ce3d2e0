"""Seconds, peak GPU memory and dollars per edit on the full Qwen-Image-Edit-2509 architecture.

    python benchmarks/gpu_edit.py [--runs reference@1024,fast4@1024,...] [--repeats 3]
    python benchmarks/gpu_edit.py --preset tiny --repeats 1      # CPU smoke test of this script
    python benchmarks/gpu_edit.py --merge results/gpu_edit_call*.json   # one table from several

Needs a CUDA GPU with ~70 GB free (an H100 80GB) and the [model] extra (diffusers, transformers;
torchao for the fp8 settings). Nothing is downloaded: the pipeline is built from the published
configs with random weights created directly on the GPU in bf16 (tasks/edit/qwen/tiny.py: FULL), so
the numbers are the architecture's speed and memory, not its quality. Every edit goes through
the production code path (tasks.edit.qwen's pipeline class and tasks.edit.qwen.edit: pre-resize to the
pipeline's working size, generator, resize back); the two-image case is the same call with the
second picture as a reference, as a multi-image edit is made. Method, results and caveats: benchmarks/GPU.md.

A run is SETTING@CASE. Cases: `1024` (one 1024x1024 picture, edited at 1024x1024) and `2img`
(two 1024x768 pictures, edited at the pipeline's ~1 MP working size, 1184x896).
A setting is a base and modifiers joined by '-', e.g. `fast4-cudnn-compile-fp8`:
  reference      40 steps, true CFG 4.0 (two transformer passes per step): the model card's setting
  fast8 / fast4  8 or 4 steps, CFG off, the Lightning LoRA's scheduler (its weights only change
                 the values, not the time, so none are loaded)
  batched        the two CFG passes of a step run as one batch of two (text padded + masked)
  cudnn / flash / efficient   diffusers attention backend _native_cudnn / _native_flash /
                 _native_efficient (PyTorch SDPA kernels); default: SDPA's own choice
  sage           SageAttention 1 (Triton, INT8 QK^T) through a patched dispatch, if installed
  compile        torch.compile of the transformer's repeated blocks (fullgraph)
  fp8            torchao float8 dynamic activations + float8 weights (per-row) in the blocks'
                 linear layers (attention and MLP; not the one-token modulation layers)
compile and fp8 cannot be undone in a process: put them last (fp8 runs after compile re-compile).
Results are written after every run (--out, and $OUT/gpu_edit.json when $OUT is set), so a
killed run keeps what finished; --budget-s skips runs that would not finish in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PRICE_PER_GPU_HOUR = 2.5  # USD, the figure for an H100
BASES = {"reference": (40, 4.0, False), "fast8": (8, 1.0, True), "fast4": (4, 1.0, True)}
ATTENTION = {"cudnn": "_native_cudnn", "flash": "_native_flash", "efficient": "_native_efficient"}
MODIFIERS = {"batched", "sage", "compile", "fp8", *ATTENTION}
CASES = {"1024": ((1024, 1024), 1), "2img": ((1024, 768), 2)}  # (width, height), pictures
DEFAULT_RUNS = (
    "fast4@1024,reference@1024,reference-batched@1024,fast8@1024,fast4@2img,fast8@2img,"
    "fast4-cudnn@1024,fast4-cudnn@2img,fast4-sage@1024,fast4-sage@2img"
)
PROMPT = "replace the cup with a glass of juice"


def parse_setting(name: str) -> dict:
    base, *mods = name.split("-")
    if base not in BASES or not set(mods) <= MODIFIERS:
        raise SystemExit(
            f"unknown setting {name!r}: base one of {sorted(BASES)}, modifiers from {sorted(MODIFIERS)}"
        )
    steps, cfg, lightning = BASES[base]
    attention = [ATTENTION[m] for m in mods if m in ATTENTION] + (["sage"] if "sage" in mods else [])
    return {
        "steps": steps,
        "cfg": cfg,
        "lightning": lightning,
        "batched": "batched" in mods,
        "attention": attention[0] if attention else None,
        "compile": "compile" in mods,
        "fp8": "fp8" in mods,
    }


# ------------------------------------------------------------------------------------------------
# the two CFG passes of a step as one batch


class BatchedCFG:
    """Replaces the transformer's forward: the pipeline's conditional call is deferred (it gets a
    buffer back, which it only slices), and its unconditional call runs both as a batch of two,
    fills the buffer and returns the unconditional half. Text embeddings of different lengths are
    zero-padded and masked (the transformer builds the joint attention mask from
    encoder_hidden_states_mask). Installed only for CFG edits, where calls come in pairs."""

    def __init__(self, transformer):
        self.transformer = transformer
        self.original = transformer.forward
        self.pending = None

    def install(self):
        self.pending = None
        self.transformer.forward = self

    def remove(self):
        self.pending = None
        self.transformer.__dict__.pop("forward", None)

    def __call__(
        self,
        hidden_states,
        encoder_hidden_states=None,
        encoder_hidden_states_mask=None,
        timestep=None,
        img_shapes=None,
        guidance=None,
        attention_kwargs=None,
        return_dict=True,
        **extra,
    ):
        import torch

        if self.pending is None:  # the conditional pass: defer it
            out = hidden_states.new_empty(*hidden_states.shape[:2], self.transformer.proj_out.out_features)
            self.pending = (encoder_hidden_states, encoder_hidden_states_mask, out)
            return (out,)
        cond_text, cond_mask, out = self.pending
        self.pending = None
        texts, masks = (cond_text, encoder_hidden_states), (cond_mask, encoder_hidden_states_mask)
        length = max(t.shape[1] for t in texts)
        padded, full_masks = [], []
        for text, mask in zip(texts, masks, strict=True):
            if mask is None:
                mask = torch.ones(text.shape[:2], dtype=torch.bool, device=text.device)
            pad = length - text.shape[1]
            padded.append(torch.nn.functional.pad(text, (0, 0, 0, pad)))
            full_masks.append(torch.nn.functional.pad(mask.bool(), (0, pad), value=False))
        mask = torch.cat(full_masks)
        result = self.original(
            hidden_states=torch.cat([hidden_states, hidden_states]),
            encoder_hidden_states=torch.cat(padded),
            encoder_hidden_states_mask=None if bool(mask.all()) else mask,
            timestep=torch.cat([timestep, timestep]),
            img_shapes=list(img_shapes) * 2,
            guidance=None if guidance is None else torch.cat([guidance, guidance]),
            attention_kwargs=attention_kwargs,
            return_dict=False,
            **extra,
        )[0]
        n = hidden_states.shape[0]
        out.copy_(result[:n])
        return (result[n:],)


# ------------------------------------------------------------------------------------------------
# SageAttention 1 (Triton) through the transformer's dispatch


@contextlib.contextmanager
def sage_attention():
    """diffusers' own `sage` backend wants sageattention>=2.1.1 (a CUDA build; none for this
    torch); SageAttention 1.0.6 is Triton only. Route the unmasked joint attention to it."""
    from diffusers.models.transformers import transformer_qwenimage as module
    from sageattention import sageattn

    original = module.dispatch_attention_fn

    def dispatch(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, **kwargs):
        if attn_mask is not None or dropout_p or is_causal:
            return original(
                query, key, value, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal, **kwargs
            )
        return sageattn(query, key, value, tensor_layout="NHD", is_causal=False)

    module.dispatch_attention_fn = dispatch
    try:
        yield
    finally:
        module.dispatch_attention_fn = original


# ------------------------------------------------------------------------------------------------
# where the time goes inside one edit


class Stages:
    """Device time of the text encoder, the transformer passes and the VAE (CUDA events, read
    after the edit's final synchronise: no extra synchronisation inside the edit)."""

    def __init__(self, pipe, cuda: bool):
        import torch

        self.cuda, self.torch = cuda, torch
        self.marks: dict[str, list] = defaultdict(list)
        self.open: dict[str, object] = {}
        for name, module in (("text_encoder", pipe.text_encoder), ("transformer", pipe.transformer)):
            module.register_forward_pre_hook(lambda m, a, n=name: self.start(n))
            module.register_forward_hook(lambda m, a, o, n=name: self.stop(n))
        for name in ("encode", "decode"):
            method = getattr(pipe.vae, name)

            def timed(*args, _method=method, _name=f"vae_{name}", **kwargs):
                self.start(_name)
                try:
                    return _method(*args, **kwargs)
                finally:
                    self.stop(_name)

            setattr(pipe.vae, name, timed)

    def _mark(self):
        if self.cuda:
            event = self.torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def start(self, name):
        self.open[name] = self._mark()

    def stop(self, name):
        self.marks[name].append((self.open.pop(name), self._mark()))

    def reset(self):
        self.marks.clear()

    def read(self) -> dict:
        out = {}
        for name, pairs in self.marks.items():
            if self.cuda:
                seconds = sum(a.elapsed_time(b) for a, b in pairs) / 1000
            else:
                seconds = sum(b - a for a, b in pairs)
            out[name] = {"seconds": round(seconds, 3), "calls": len(pairs)}
        return out


# ------------------------------------------------------------------------------------------------
# the edits


def edit_pictures(qwen, model, config, pictures, prompt, seed):
    """One edit through the production code, tasks.edit.qwen.edit: the first picture edited,
    the others given as its references (each at the working area in its own proportions), the
    result at the first picture's size."""
    return qwen.edit(model, config, pictures[0], prompt, seed, references=tuple(pictures[1:]))


def versions() -> dict:
    out = {"python": platform.python_version()}
    from importlib import metadata

    for name in (
        "torch",
        "diffusers",
        "transformers",
        "accelerate",
        "torchao",
        "triton",
        "sageattention",
        "numpy",
    ):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    import torch

    out["cuda"] = torch.version.cuda
    out["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    with contextlib.suppress(Exception):
        import subprocess

        out["driver"] = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=driver_version,name,memory.total,clocks.max.sm,power.limit",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
    return out


def resident_check(device: str) -> dict:
    """`retouch serve --gpu` loads through tasks.edit.qwen.get_model once and every edit task asks
    get_model again: show in this process that a second ask (a second batch) loads nothing.
    Uses the tiny model saved to disk and the project's real loader (from_pretrained, placement)."""
    import torch

    from config.model_config import ModelConfig
    from tasks.edit import qwen
    from tasks.edit.qwen.tiny import make_tiny

    folder = make_tiny(Path(tempfile.mkdtemp(prefix="retouch-tiny-")) / "tiny")
    config = ModelConfig(model=str(folder), steps=2)
    memory = torch.cuda.memory_allocated if device == "cuda" else (lambda: 0)
    rng = __import__("numpy").random.default_rng(1)
    picture = rng.integers(0, 255, (96, 128, 3), dtype="uint8")
    batches = []
    for batch in range(2):
        before = memory()
        t0 = time.perf_counter()
        model = qwen.get_model(config)
        get_s = time.perf_counter() - t0
        after_get = memory()
        infos = [qwen.edit(model, config, picture, PROMPT, seed=i)[1] for i in range(2)]
        batches.append(
            {
                "batch": batch + 1,
                "get_model_seconds": round(get_s, 4),
                "load_count_after": qwen.loads(),
                "pipeline_id": id(model.pipe),
                "gpu_bytes_before": before,
                "gpu_bytes_after_get_model": after_get,
                "gpu_bytes_after_edits": memory(),
                "placement": model.placement,
                "device": model.device,
                "edits_pipeline_loads": [i.pipeline_loads for i in infos],
            }
        )
    same = batches[0]["pipeline_id"] == batches[1]["pipeline_id"]
    return {
        "what": "tasks.edit.qwen.get_model + tasks.edit.qwen.edit, two batches of two edits in one "
        "process, tiny random model saved to disk and loaded by the real loader",
        "same_pipeline_object": same,
        "batches": batches,
        "second_batch_loaded_nothing": same
        and batches[1]["load_count_after"] == 1
        and batches[1]["gpu_bytes_after_get_model"] == batches[1]["gpu_bytes_before"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default=DEFAULT_RUNS, help="SETTING@CASE,... in order")
    parser.add_argument("--repeats", type=int, default=3, help="timed edits per fast run")
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help="timed edits per run of >= 40 transformer passes (warm-up: 2 steps)",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=None,
        help="skip a run whose estimated time would end past this many seconds from the start",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default results/gpu_edit.json; results/gpu_edit_tiny.json for --preset tiny, "
        "so that a smoke test never overwrites the GPU figures)",
    )
    parser.add_argument(
        "--resident",
        action="store_true",
        help="first show that a second get_model loads nothing (tiny model)",
    )
    parser.add_argument(
        "--preset",
        choices=("full", "tiny"),
        default="full",
        help="tiny: the test-sized model, on CPU if need be (a smoke test of this script, not a benchmark)",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="no benchmark: merge these result files (a later file's run replaces "
        "an earlier one's), write --out and print the table",
    )
    args = parser.parse_args()
    args.out = args.out or HERE / "results" / (
        "gpu_edit_tiny.json" if args.preset == "tiny" else "gpu_edit.json"
    )
    if args.merge:
        merge(args.merge, args.out)
        return
    t_start = time.perf_counter()
    runs = [tuple(r.split("@")) if "@" in r else (r, "1024") for r in args.runs.split(",") if r]
    for name, case in runs:
        parse_setting(name)
        if case not in CASES:
            raise SystemExit(f"unknown case {case!r}: one of {sorted(CASES)}")

    import numpy as np
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler

    from config.model_config import ModelConfig
    from tasks.edit import qwen
    from tasks.edit.qwen.tiny import FULL, TINY, build_random_pipeline

    cuda = torch.cuda.is_available()
    if args.preset == "full" and not cuda:
        raise SystemExit("needs a CUDA GPU with ~70 GB free (use --preset tiny for a smoke test)")
    device = "cuda" if cuda else "cpu"
    outs = [args.out] + ([Path(os.environ["OUT"]) / args.out.name] if os.environ.get("OUT") else [])
    report = {
        "gpu": torch.cuda.get_device_name(0) if cuda else "cpu",
        "preset": args.preset,
        "versions": versions(),
        "price_per_gpu_hour_usd": PRICE_PER_GPU_HOUR,
        "weights": "random, created on the device in bf16 from the published configs",
        "runs": {},
    }

    def save():
        for path in outs:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2))

    print(json.dumps(report["versions"]), flush=True)
    if args.resident:
        try:
            report["resident"] = resident_check(device)
            print("resident:", json.dumps(report["resident"]), flush=True)
        except Exception as exc:
            report["resident"] = {"error": f"{type(exc).__name__}: {exc}"}
            traceback.print_exc()
        save()
        if cuda:
            torch.cuda.empty_cache()

    started = time.perf_counter()
    torch.set_default_dtype(torch.bfloat16 if cuda else torch.float32)
    with torch.device(device):  # initialise in place: no fp32 copy on the host
        plain = build_random_pipeline(FULL if args.preset == "full" else TINY)
    torch.set_default_dtype(torch.float32)
    pipe = qwen.pipeline_class()(**plain.components)  # production's class (prompt-encoding fix)
    del plain
    pipe.set_progress_bar_config(disable=True)
    if cuda:
        torch.cuda.synchronize()
    build_s = time.perf_counter() - started
    stock_scheduler = pipe.scheduler.config
    model = qwen.LoadedModel(
        pipe=pipe,
        source=f"random weights ({args.preset} configs)",
        device=device,
        dtype=str(pipe.transformer.dtype),
        placement=device,
        device_name=report["gpu"],
    )
    if args.preset == "tiny":
        model.vae_image_area = model.condition_image_area = 64 * 64
    params = {
        name: sum(p.numel() for p in getattr(pipe, name).parameters())
        for name in ("transformer", "text_encoder", "vae")
    }
    memory = torch.cuda.memory_allocated if cuda else (lambda: 0)
    peak = torch.cuda.max_memory_allocated if cuda else (lambda: 0)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    report.update(
        build_seconds=round(build_s, 1),
        weights_gib=round(memory() / 2**30, 2),
        parameters_billions={k: round(v / 1e9, 3) for k, v in params.items()},
        transformer_dtype=str(pipe.transformer.dtype),
    )
    save()
    print(
        f"built on {report['gpu']} in {build_s:.0f} s, {report['weights_gib']} GiB of weights, "
        f"params {report['parameters_billions']}",
        flush=True,
    )

    stages = Stages(pipe, cuda)
    batcher = BatchedCFG(pipe.transformer)
    rng = np.random.default_rng(0)
    pictures = {
        case: [rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8) for _ in range(count)]
        for case, (size, count) in CASES.items()
    }
    if args.preset == "tiny":  # the tiny model edits at 64x64: keep its pictures small too
        pictures = {case: [p[::8, ::8].copy() for p in ps] for case, ps in pictures.items()}
    state = {"compiled": False, "fp8": False, "compiled_cases": set()}
    per_pass: dict[str, float] = {}  # measured transformer seconds per pass, per case
    outputs: dict[str, np.ndarray] = {}  # first timed output of each run (seed 0)

    def estimate(spec, case, repeats, slow) -> float:
        passes = spec["steps"] * (2 if spec["cfg"] > 1 else 1)
        pass_s = per_pass.get(case, 0.75 if case == "1024" else 1.15)
        warm = (2 * (2 if spec["cfg"] > 1 else 1)) if slow else passes
        extra = 0.0
        if spec["compile"] and not state["compiled"]:
            extra += 240
        elif spec["compile"] and case not in state["compiled_cases"]:
            extra += 200  # a new sequence length: a (dynamic-shape) recompile
        if spec["fp8"] and not state["fp8"]:
            extra += 30
        return (warm + repeats * passes) * pass_s + (1 + repeats) * 2.5 + extra

    for name, case in runs:
        key = f"{name}@{case}"
        spec = parse_setting(name)
        passes = spec["steps"] * (2 if spec["cfg"] > 1 else 1)
        slow = passes >= 40
        repeats = args.slow_repeats if slow else args.repeats
        if args.budget_s and cuda:
            needed = estimate(spec, case, repeats, slow)
            elapsed = time.perf_counter() - t_start
            if elapsed + needed > args.budget_s:
                report["runs"][key] = {
                    "skipped": f"estimated {needed:.0f} s, only "
                    f"{args.budget_s - elapsed:.0f} s left in this call"
                }
                print(f"{key}: skipped (needs ~{needed:.0f} s)", flush=True)
                save()
                continue
        print(f"{key}: starting at {time.perf_counter() - t_start:.0f} s", flush=True)
        config = replace(ModelConfig(model="random"), steps=spec["steps"], true_cfg_scale=spec["cfg"])
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
            qwen.LIGHTNING_SCHEDULER if spec["lightning"] else stock_scheduler
        )
        attention = contextlib.nullcontext()
        run: dict = {
            "setting": name,
            "case": case,
            "steps": spec["steps"],
            "true_cfg_scale": spec["cfg"],
            "pictures": len(pictures[case]),
            "input_size": "x".join(map(str, CASES[case][0])),
        }
        try:
            if spec["fp8"] and not state["fp8"]:
                from torchao.quantization import (
                    Float8DynamicActivationFloat8WeightConfig,
                    PerRow,
                    quantize_,
                )

                t0 = time.perf_counter()
                quantize_(
                    pipe.transformer,
                    Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()),
                    filter_fn=lambda m, fqn: (
                        isinstance(m, torch.nn.Linear)
                        and fqn.startswith("transformer_blocks")
                        and "_mod." not in fqn
                    ),
                )  # not the 1-token modulation GEMVs
                state["fp8"] = True
                if cuda:
                    torch.cuda.empty_cache()
                report["fp8_quantize_seconds"] = round(time.perf_counter() - t0, 1)
                report["weights_gib_after_fp8"] = round(memory() / 2**30, 2)
            elif state["fp8"] and not spec["fp8"]:
                raise RuntimeError("the transformer is already fp8 in this process")
            if spec["compile"] and not state["compiled"]:
                pipe.transformer.compile_repeated_blocks(fullgraph=True)
                state["compiled"] = True
            elif state["compiled"] and not spec["compile"]:
                raise RuntimeError("the transformer is already compiled in this process")
            if spec["attention"] == "sage":
                attention = sage_attention()
            elif spec["attention"]:
                pipe.transformer.set_attention_backend(spec["attention"])
            else:  # SDPA's own choice; reset_attention_backend() alone keeps diffusers' active
                pipe.transformer.set_attention_backend("native")  # backend (the last one set)
            if spec["batched"]:
                if spec["cfg"] <= 1:
                    raise ValueError("batched needs true CFG")
                batcher.install()
            with attention:
                warm = config if not slow else replace(config, steps=2)
                t0 = time.perf_counter()
                # the timed prompt: the same shapes (a compiled graph would recompile for a new
                # text length), another seed
                _, info = edit_pictures(qwen, model, warm, pictures[case], PROMPT, seed=1000)
                sync()
                run["warmup_seconds"] = round(time.perf_counter() - t0, 2)
                run["warmup_steps"] = warm.num_steps
                if cuda:
                    torch.cuda.reset_peak_memory_stats()
                times, breakdowns = [], []
                for repeat in range(repeats):
                    stages.reset()
                    sync()
                    t0 = time.perf_counter()
                    out, info = edit_pictures(qwen, model, config, pictures[case], PROMPT, seed=repeat)
                    sync()
                    times.append(time.perf_counter() - t0)
                    breakdowns.append(stages.read())
                    if repeat == 0:
                        outputs[key] = out
                    print(f"  {key} #{repeat + 1}: {times[-1]:.2f} s", flush=True)
        except Exception as exc:  # a backend that is not installed here, an OOM...: say so, go on
            run["skipped"] = f"{type(exc).__name__}: {exc}"[:400]
            report["runs"][key] = run
            print(f"{key}: FAILED ({run['skipped']})", flush=True)
            traceback.print_exc()
            save()
            continue
        finally:
            batcher.remove()
        if spec["compile"]:
            state["compiled_cases"].add(case)
        seconds = statistics.median(times)
        transformer = breakdowns[-1].get("transformer", {})
        if transformer.get("calls"):
            per_pass.setdefault(case, transformer["seconds"] / passes)
        run.update(
            {
                "working_size": info.working_size,
                "oom_retry": info.oom_retry,
                "seconds": [round(t, 3) for t in times],
                "median_seconds": round(seconds, 3),
                "peak_gib": round(peak() / 2**30, 2),
                "edits_per_gpu_hour": round(3600 / seconds, 1),
                "usd_per_edit": round(seconds * PRICE_PER_GPU_HOUR / 3600, 5),
                "transformer_passes": passes,
                "stages_last_edit": breakdowns[-1],
            }
        )
        report["runs"][key] = run
        print(
            f"{key}: {run['median_seconds']} s/edit, peak {run['peak_gib']} GiB, "
            f"{run['working_size']}, stages {json.dumps(run['stages_last_edit'])}",
            flush=True,
        )
        save()

    # the outputs of runs that should compute (nearly) the same function, same seed
    pairs = {}
    for key, out in outputs.items():
        name, case = key.split("@")
        spec = parse_setting(name)
        base = name.split("-")[0] + "@" + case
        if key != base and base in outputs:
            diff = np.abs(out.astype(np.float32) - outputs[base].astype(np.float32))
            pairs[f"{key} vs {base}"] = {
                "mean_abs_diff": round(float(diff.mean()), 3),
                "max_abs_diff": int(diff.max()),
            }
    report["output_differences_seed0"] = pairs
    report["total_seconds"] = round(time.perf_counter() - t_start, 1)
    save()
    print_table(report)


def merge(paths: list[Path], out: Path) -> None:
    """One report from several processes' files (each run keeps the file it came from)."""
    merged: dict = {"runs": {}, "sources": {}}
    for path in paths:
        report = json.loads(path.read_text())
        for key, value in report.items():
            if key not in ("runs", "output_differences_seed0", "total_seconds", "build_seconds"):
                merged.setdefault(key, value)
        merged["sources"][path.name] = {
            k: report.get(k)
            for k in (
                "build_seconds",
                "total_seconds",
                "fp8_quantize_seconds",
                "weights_gib_after_fp8",
                "output_differences_seed0",
            )
        }
        for key, run in report["runs"].items():
            if "median_seconds" in run or key not in merged["runs"]:
                merged["runs"].pop(key, None)
                merged["runs"][key] = {**run, "source": path.name}
    order = {"reference": 0, "fast8": 1, "fast4": 2}
    merged["runs"] = dict(
        sorted(
            merged["runs"].items(),
            key=lambda kv: (
                kv[0].split("@")[1],
                order[kv[0].split("@")[0].split("-")[0]],
                kv[0].count("-"),
                kv[0],
            ),
        )
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merged, indent=2))
    print_table(merged)


def print_table(report: dict) -> None:
    runs = report["runs"]
    print(
        f"\n{report['gpu']}, {report.get('transformer_dtype')}, ${report['price_per_gpu_hour_usd']}/GPU-hour"
    )
    print("| setting | case | steps | CFG | s / edit | peak GiB | edits / GPU-h | $ / edit | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key, run in runs.items():
        name, case = key.split("@")
        if "median_seconds" not in run:
            print(f"| {name} | {case} | | | skipped: {run.get('skipped', '')[:70]} | | | | |")
            continue
        reference = runs.get(f"reference@{case}", {}).get("median_seconds")
        speedup = f"{reference / run['median_seconds']:.1f}x" if reference else ""
        print(
            f"| {name} | {case} | {run['steps']} | {run['true_cfg_scale']} | "
            f"{run['median_seconds']:.2f} | {run['peak_gib']} | {run['edits_per_gpu_hour']:.0f} | "
            f"{run['usd_per_edit']:.5f} | {speedup} |"
        )


if __name__ == "__main__":
    main()
