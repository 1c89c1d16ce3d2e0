"""One edit: the picture resized to exactly the size the pipeline computes (~1 MP), a seed from
the picture and the words, one retry at a lower resolution when the GPU runs out of memory,
and the result resized back to the input's size."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import time

import cv2
import numpy as np

from config.contracts import ModelRun
from config.model_config import ModelConfig
from tasks.edit.qwen.errors import ModelOutOfMemory
from tasks.edit.qwen.loader import LoadedModel, loads
from tasks.pixels.dtypes import as_uint8
from tasks.pixels.resize import resize_to

OOM_RETRY_SCALE = 0.5  # area of the retry after running out of GPU memory


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


def _working_copy(pixels: np.ndarray, area: int):
    """A reference picture as the pipeline takes it: RGB, at `area` in its own proportions."""
    from PIL import Image

    rgb, _ = _to_rgb(pixels)
    height, width = rgb.shape[:2]
    w, h = working_size(width, height, area)
    return Image.fromarray(resize_to(rgb, w, h))


def edit(
    model: LoadedModel,
    config: ModelConfig,
    pixels: np.ndarray,
    prompt: str,
    seed: int,
    resize_back: bool = True,
    references: tuple[np.ndarray, ...] = (),
) -> tuple[np.ndarray, ModelRun]:
    """Edit `pixels` (OpenCV layout) as `prompt` says; the result has the input's size, or with
    `resize_back=False` the pipeline's own working size (BGR, for tasks/edit/composite.py).

    `references` are pictures 2, 3... of a multi-image edit ("把图2的包放到图1的桌子上"), given
    to the pipeline after the edited picture, in order, each at the working area in its own
    proportions (Qwen-Image-Edit-2509 takes 1-3 pictures).

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
        resized = Image.fromarray(resize_to(rgb, w, h))
        others = [_working_copy(ref, area) for ref in references]
        generator = torch.Generator(device="cpu").manual_seed(seed)
        started = time.perf_counter()
        try:
            with model.lock, _pipeline_areas(area, int(model.condition_image_area * scale)):
                result = model.pipe(
                    image=[resized, *others],
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
        if resize_back:
            out = resize_to(out, width, height)
        out = cv2.cvtColor(out, cv2.COLOR_RGB2BGR)
        if resize_back and alpha is not None:
            out = np.dstack([out, alpha])
        info = ModelRun(
            model=config.model,
            seed=seed,
            steps=config.num_steps,
            true_cfg_scale=config.cfg_scale,
            working_size=tried[-1],
            device=model.device,
            gpu=model.device_name,
            version=model.version,
            seconds=round(time.perf_counter() - started, 3),
            process=os.getpid(),
            pipeline_loads=loads(),
            pictures=1 + len(references),
            oom_retry=f"out of GPU memory at {tried[0]}; retried at {tried[-1]}" if len(tried) > 1 else None,
        )
        return out, info
    raise ModelOutOfMemory(f"out of GPU memory at {' and at '.join(tried)}")
