"""Loading the pipeline: once per process, in the right dtype and placement (all on the GPU when
it fits, else offloaded), with the Lightning LoRA fused; what `retouch model info` shows."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.model_config import ModelConfig
from tasks.edit.qwen.errors import ModelError, ModelUnavailable, missing_extra
from tasks.edit.qwen.pipeline import LIGHTNING_SCHEDULER, pipeline_class
from tasks.edit.qwen.tiny import MARKER
from tasks.edit.qwen.weights import resolve_weights, weights_version
from tasks.infra.errors import one_line

VAE_IMAGE_AREA = 1024 * 1024  # the pipeline's own working sizes (diffusers 0.42)
CONDITION_IMAGE_AREA = 384 * 384


@dataclass
class LoadedModel:
    pipe: Any
    source: str  # the folder the weights were read from
    device: str
    dtype: str
    placement: str
    device_name: str = "cpu"  # e.g. "NVIDIA H100 80GB HBM3", for the GPU price
    version: str = ""  # the weights' snapshot (a hub commit, or the folder's name)
    vae_image_area: int = VAE_IMAGE_AREA
    condition_image_area: int = CONDITION_IMAGE_AREA
    notice: str | None = None  # e.g. "random-weight tiny model"
    load_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_resident: dict[ModelConfig, LoadedModel] = {}
_load_lock = threading.Lock()
_loads = 0  # how many times this process loaded a pipeline (one per configuration)


def loads() -> int:
    """How many times this process has loaded a pipeline (one per configuration)."""
    return _loads


def is_loaded(config: ModelConfig) -> bool:
    """Whether this process holds the pipeline of `config` already (no load would wait)."""
    return config in _resident


def get_model(config: ModelConfig) -> LoadedModel:
    """The resident pipeline for `config`, loaded on first use and kept for the process."""
    global _loads
    with _load_lock:
        if config not in _resident:
            _resident.clear()  # one pipeline per process: a new configuration replaces the old
            _resident[config] = _load(config)
            _loads += 1
        return _resident[config]


def free_gpu_bytes() -> int:
    import torch

    if not torch.cuda.is_available():
        return 0
    free, _ = torch.cuda.mem_get_info()
    return free


def choose_placement(config: ModelConfig, cuda: bool, free_bytes: int) -> str:
    """Where the weights live: all on the GPU when they fit, else offloaded to host memory."""
    if not cuda:
        return "cpu"
    if config.placement != "auto":
        return config.placement
    gib = free_bytes / 2**30
    if gib >= 64:  # ~54 GiB of bf16 weights plus activations at 1 MP
        return "gpu"
    if gib >= 22:  # the 38 GiB transformer does not fit: move whole models in and out
        return "model_offload"
    return "group_offload"  # stream blocks through a small GPU


def _load(config: ModelConfig) -> LoadedModel:
    started = time.perf_counter()
    source = resolve_weights(config.model, config.allow_download)
    try:
        import torch
    except ImportError as exc:
        raise missing_extra(exc) from None
    cuda = torch.cuda.is_available()
    dtype = torch.bfloat16 if cuda else torch.float32
    placement = choose_placement(config, cuda, free_gpu_bytes())
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()  # per-component bars: noise in logs and the CLI
    transformers_logging.disable_progress_bar()
    try:
        pipe = pipeline_class().from_pretrained(str(source), dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"cannot load {config.model} from {source}: {one_line(exc, named=False)}"
        ) from None
    if config.lora:
        _load_lora(pipe, config)
    if placement == "gpu":
        pipe.to("cuda")
    elif placement == "model_offload":
        pipe.enable_model_cpu_offload()
    elif placement == "group_offload":
        pipe.enable_group_offload(
            onload_device=torch.device("cuda"), offload_type="leaf_level", use_stream=True
        )
    if config.attention_backend:
        pipe.transformer.set_attention_backend(config.attention_backend)
    if config.compile:
        pipe.transformer.compile_repeated_blocks(fullgraph=True)
    pipe.set_progress_bar_config(disable=True)
    extra = marker_of(source)
    return LoadedModel(
        pipe=pipe,
        source=str(source),
        device="cuda" if cuda else "cpu",
        dtype=str(dtype).replace("torch.", ""),
        placement=placement,
        device_name=torch.cuda.get_device_name(0) if cuda else "cpu",
        version=weights_version(source),
        vae_image_area=extra.get("vae_image_area", VAE_IMAGE_AREA),
        condition_image_area=extra.get("condition_image_area", CONDITION_IMAGE_AREA),
        notice=extra.get("notice"),
        load_seconds=time.perf_counter() - started,
    )


def _load_lora(pipe, config: ModelConfig) -> None:
    from diffusers import FlowMatchEulerDiscreteScheduler

    kwargs = {"weight_name": config.lora_weight_name} if config.lora_weight_name else {}
    try:
        pipe.load_lora_weights(config.lora, local_files_only=not config.allow_download, **kwargs)
    except Exception as exc:
        raise ModelUnavailable(f"cannot load LoRA {config.lora}: {one_line(exc, named=False)}") from None
    pipe.fuse_lora()
    if config.lightning:
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(LIGHTNING_SCHEDULER)


def marker_of(source: Path) -> dict[str, Any]:
    """What a weights folder says of itself (retouch_model.json, written beside the test model's
    weights: its working sizes and its notice); {} for real weights."""
    marker = source / MARKER
    return json.loads(marker.read_text()) if marker.is_file() else {}


def probe(config: ModelConfig, load: bool = False) -> dict[str, Any]:
    """What `retouch model info` shows: the configuration, where the weights are, the device,
    dtype and placement it would get, and (with `load`) what loading it took."""
    info: dict[str, Any] = {
        "model": config.model,
        "lora": config.lora,
        "steps": config.num_steps,
        "true_cfg_scale": config.cfg_scale,
    }
    try:
        weights = resolve_weights(config.model, allow_download=False)
        info["weights"], info["notice"] = str(weights), marker_of(Path(weights)).get("notice")
    except ModelError as exc:
        info["weights"], info["error"] = None, str(exc)
    try:
        import torch

        cuda = torch.cuda.is_available()
        info["torch"] = torch.__version__
        info["device"] = torch.cuda.get_device_name(0) if cuda else "cpu"
        free = free_gpu_bytes()
        info["gpu_free_gib"] = round(free / 2**30, 1) if cuda else None
        info["dtype"] = "bfloat16" if cuda else "float32"
        info["placement"] = choose_placement(config, cuda, free)
    except ImportError:
        info["device"] = None
        info.setdefault("error", "the [model] extra is not installed: pip install 'retouch[model]'")
    if load and info.get("weights"):
        try:
            loaded = get_model(config)
            info.update(
                loaded=True,
                load_seconds=round(loaded.load_seconds, 2),
                placement=loaded.placement,
                notice=loaded.notice,
            )
        except ModelError as exc:
            info["error"] = str(exc)
    return info
