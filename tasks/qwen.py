"""Qwen-Image-Edit-2509 through diffusers' QwenImageEditPlusPipeline.

This module owns everything about the model: finding the weights (a hub id in the local
Hugging Face cache, or a folder), loading them once per process in the right dtype and
placement, the Lightning LoRA, sizing (the pipeline works at ~1 MP: the input is resized to
exactly the size the pipeline computes and the result is resized back), seeds, and running out
of GPU memory (one retry at a lower resolution). torch/diffusers are imported lazily so that
CPU-only installs (no `[model]` extra) can import Retouch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from config.model_config import DEFAULT_MODEL, ModelConfig
from tasks.dtypes import as_uint8
from tasks.qwen_tiny import MARKER

VAE_IMAGE_AREA = 1024 * 1024  # the pipeline's own working sizes (diffusers 0.42)
CONDITION_IMAGE_AREA = 384 * 384
OOM_RETRY_SCALE = 0.5  # area of the retry after running out of GPU memory
#: Lightning LoRA scheduler (lightx2v/Qwen-Image-Lightning): one pass per step, no CFG
LIGHTNING_SCHEDULER = {
    "base_image_seq_len": 256,
    "base_shift": math.log(3),
    "invert_sigmas": False,
    "max_image_seq_len": 8192,
    "max_shift": math.log(3),
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "shift_terminal": None,
    "stochastic_sampling": False,
    "time_shift_type": "exponential",
    "use_beta_sigmas": False,
    "use_dynamic_shifting": True,
    "use_exponential_sigmas": False,
    "use_karras_sigmas": False,
}


class ModelError(RuntimeError):
    """The model cannot edit this item; the message is one line for the results file."""


class ModelUnavailable(ModelError):
    """No weights, or no [model] extra: nothing can be edited by the model in this process."""


class ModelOutOfMemory(ModelError):
    """The GPU ran out of memory, also at the lower retry resolution."""


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


# ------------------------------------------------------------------------------------------------
# finding the weights


def resolve_weights(model: str, allow_download: bool = False) -> Path:
    """The local folder holding `model` (a folder, or a hub id in the Hugging Face cache).

    Never touches the network unless `allow_download`: a missing model is a clear error at once,
    not a download that hangs on a machine without internet.
    """
    path = Path(model).expanduser()
    if path.exists() or model.startswith((".", "/", "~")):
        if not (path / "model_index.json").is_file():
            raise ModelUnavailable(
                f"RETOUCH_MODEL={model}: no model_index.json there; point it at a folder holding "
                f"the {DEFAULT_MODEL} weights (or run `retouch model make-tiny DIR` for a test model)"
            )
        return path
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:
        raise missing_extra(exc) from None
    try:
        return Path(snapshot_download(model, local_files_only=True))
    except LocalEntryNotFoundError:
        if not allow_download:
            raise ModelUnavailable(
                f"weights for {model} are not on this machine (Hugging Face cache): fetch them with "
                f"`huggingface-cli download {model}` (~58 GB), or set RETOUCH_MODEL to a folder that "
                "holds them, or RETOUCH_MODEL_DOWNLOAD=1 to download at load time"
            ) from None
    except Exception as exc:  # a malformed id, a broken cache entry
        raise ModelUnavailable(f"cannot use RETOUCH_MODEL={model}: {exc}".splitlines()[0]) from None
    return Path(snapshot_download(model))


def weights_version(folder: Path) -> str:
    """Which weights these are: the hub commit of a cached snapshot, else a fingerprint of the
    folder's files (names, sizes, times), so that two different folders never share a cache."""
    if folder.parent.name == "snapshots":
        return folder.name
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return f"{folder.name}-{digest.hexdigest()[:12]}"


def missing_extra(exc: ImportError) -> ModelUnavailable:
    return ModelUnavailable(
        f"the image model needs the [model] extra ({exc.name} is missing): pip install 'retouch[model]'"
    )


# ------------------------------------------------------------------------------------------------
# the pipeline class: diffusers' own, plus the mm_token_type_ids fix


def pipeline_class():
    """QwenImageEditPlusPipeline, with prompt encoding that passes mm_token_type_ids.

    transformers >= 5.3 computes Qwen2.5-VL's 3-D (multimodal RoPE) positions for image tokens
    only when `mm_token_type_ids` is passed; diffusers 0.42 does not pass it, so the text
    encoder silently falls back to 1-D positions and the edit changes (diffusers#14194). The
    processor already returns the field; this subclass hands it to the text encoder.
    """
    try:
        import torch
        from diffusers import QwenImageEditPlusPipeline
    except ImportError as exc:
        raise missing_extra(exc) from None

    class RetouchQwenImageEditPlusPipeline(QwenImageEditPlusPipeline):
        def _get_qwen_prompt_embeds(self, prompt=None, image=None, device=None, dtype=None):
            device = device or self._execution_device
            dtype = dtype or self.text_encoder.dtype
            prompt = [prompt] if isinstance(prompt, str) else prompt
            img_prompt_template = "Picture {}: <|vision_start|><|image_pad|><|vision_end|>"
            images = image if isinstance(image, list) else ([image] if image is not None else [])
            base_img_prompt = "".join(img_prompt_template.format(i + 1) for i in range(len(images)))
            txt = [self.prompt_template_encode.format(base_img_prompt + e) for e in prompt]
            model_inputs = self.processor(text=txt, images=image, padding=True, return_tensors="pt").to(
                device
            )
            extra = {}
            if "mm_token_type_ids" in model_inputs:
                extra["mm_token_type_ids"] = model_inputs["mm_token_type_ids"]
            outputs = self.text_encoder(
                input_ids=model_inputs["input_ids"],
                attention_mask=model_inputs["attention_mask"],
                pixel_values=model_inputs.get("pixel_values"),
                image_grid_thw=model_inputs.get("image_grid_thw"),
                output_hidden_states=True,
                **extra,
            )
            hidden_states = outputs.hidden_states[-1]
            split = self._extract_masked_hidden(hidden_states, model_inputs["attention_mask"])
            split = [e[self.prompt_template_encode_start_idx :] for e in split]
            max_len = max(e.size(0) for e in split)
            prompt_embeds = torch.stack(
                [torch.cat([u, u.new_zeros(max_len - u.size(0), u.size(1))]) for u in split]
            )
            mask = torch.stack(
                [
                    torch.cat(
                        [
                            torch.ones(u.size(0), dtype=torch.long, device=u.device),
                            torch.zeros(max_len - u.size(0), dtype=torch.long, device=u.device),
                        ]
                    )
                    for u in split
                ]
            )
            return prompt_embeds.to(dtype=dtype, device=device), mask

    return RetouchQwenImageEditPlusPipeline


# ------------------------------------------------------------------------------------------------
# loading: once per process

_resident: dict[ModelConfig, LoadedModel] = {}
_load_lock = threading.Lock()
load_count = 0  # how many times this process loaded a pipeline (one per configuration)


def get_model(config: ModelConfig) -> LoadedModel:
    """The resident pipeline for `config`, loaded on first use and kept for the process."""
    global load_count
    with _load_lock:
        if config not in _resident:
            _resident.clear()  # one pipeline per process: a new configuration replaces the old
            _resident[config] = _load(config)
            load_count += 1
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
            f"cannot load {config.model} from {source}: {str(exc).splitlines()[0]}"
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
    marker = source / MARKER
    extra = json.loads(marker.read_text()) if marker.is_file() else {}
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
        raise ModelUnavailable(f"cannot load LoRA {config.lora}: {str(exc).splitlines()[0]}") from None
    pipe.fuse_lora()
    if config.lightning:
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(LIGHTNING_SCHEDULER)


# ------------------------------------------------------------------------------------------------
# editing


def working_size(width: int, height: int, area: int) -> tuple[int, int]:
    """The size the pipeline edits at for this aspect ratio (its own rule: ~area, multiples of 32)."""
    ratio = width / height
    w = math.sqrt(area * ratio)
    return max(32, round(w / 32) * 32), max(32, round(w / ratio / 32) * 32)


def default_seed(image_bytes_digest: str, prompt: str) -> int:
    """A seed that depends on the picture and the words only: the same edit gives the same image."""
    digest = hashlib.sha256(f"{image_bytes_digest}\n{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


@contextlib.contextmanager
def _pipeline_areas(vae_area: int, condition_area: int):
    """Run the pipeline at the given working areas.

    diffusers 0.42 reads them from module constants (VAE_IMAGE_SIZE, CONDITION_IMAGE_SIZE) at
    call time. The real model keeps the defaults; the tiny test model and the OOM retry use
    smaller ones. Callers hold the model's lock, so one edit at a time sees the change.
    """
    from diffusers.pipelines.qwenimage import pipeline_qwenimage_edit_plus as module

    saved = module.VAE_IMAGE_SIZE, module.CONDITION_IMAGE_SIZE
    module.VAE_IMAGE_SIZE, module.CONDITION_IMAGE_SIZE = vae_area, condition_area
    try:
        yield
    finally:
        module.VAE_IMAGE_SIZE, module.CONDITION_IMAGE_SIZE = saved


def _to_rgb(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 RGB for the pipeline, and the alpha channel to put back afterwards."""
    pixels = as_uint8(pixels)
    alpha = None
    if pixels.ndim == 2:
        rgb = cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
    elif pixels.shape[2] == 4:
        rgb, alpha = cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGB), pixels[..., 3]
    else:
        rgb = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return rgb, alpha


def edit(
    model: LoadedModel, config: ModelConfig, pixels: np.ndarray, prompt: str, seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Edit `pixels` (OpenCV layout) as `prompt` says; the result has the input's size.

    On CUDA out-of-memory the edit is retried once at half the working area; a second failure
    raises ModelOutOfMemory. Returns the BGR(A) result and what was done (seed, sizes, steps).
    """
    import torch
    from PIL import Image

    height, width = pixels.shape[:2]
    rgb, alpha = _to_rgb(pixels)
    attempts = [1.0, OOM_RETRY_SCALE]
    tried: list[str] = []
    for scale in attempts:
        area = int(model.vae_image_area * scale)
        w, h = working_size(width, height, area)
        tried.append(f"{w}x{h}")
        resized = Image.fromarray(
            cv2.resize(
                rgb, (w, h), interpolation=cv2.INTER_AREA if w * h < width * height else cv2.INTER_CUBIC
            )
        )
        generator = torch.Generator(device="cpu").manual_seed(seed)
        started = time.perf_counter()
        try:
            with model.lock, _pipeline_areas(area, int(model.condition_image_area * scale)):
                result = model.pipe(
                    image=[resized],
                    prompt=prompt,
                    # a negative prompt switches true CFG on: only when asked
                    negative_prompt=config.negative_prompt if config.cfg_scale > 1 else None,
                    true_cfg_scale=config.cfg_scale,
                    num_inference_steps=config.num_steps,
                    height=h,
                    width=w,
                    generator=generator,
                ).images[0]
        except torch.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            continue
        out = np.asarray(result.convert("RGB"))
        out = cv2.resize(
            out, (width, height), interpolation=cv2.INTER_CUBIC if width * height > w * h else cv2.INTER_AREA
        )
        out = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
        if alpha is not None:
            out = np.dstack([out, alpha])
        info = {
            "model": config.model,
            "seed": seed,
            "steps": config.num_steps,
            "true_cfg_scale": config.cfg_scale,
            "working_size": tried[-1],
            "device": model.device,
            "gpu": model.device_name,
            "version": model.version,
            "seconds": round(time.perf_counter() - started, 3),
            "process": os.getpid(),
            "pipeline_loads": load_count,
        }
        if len(tried) > 1:
            info["oom_retry"] = f"out of GPU memory at {tried[0]}; retried at {tried[-1]}"
        return out, info
    raise ModelOutOfMemory(f"out of GPU memory at {' and at '.join(tried)}")


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
        info["weights"] = str(resolve_weights(config.model, allow_download=False))
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
