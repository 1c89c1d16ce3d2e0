"""Qwen-Image-Edit-2509 through diffusers' QwenImageEditPlusPipeline.

This package owns everything about the model: finding the weights (a hub id in the local
Hugging Face cache, or a folder), loading them once per process in the right dtype and
placement, the Lightning LoRA, sizing (the pipeline works at ~1 MP: the input is resized to
exactly the size the pipeline computes and the result is resized back), seeds, and running out
of GPU memory (one retry at a lower resolution). torch/diffusers are imported lazily so that
CPU-only installs (no `[model]` extra) can import Retouch.

The package, by job: weights (finding them), pipeline (the patched pipeline class, the
Lightning scheduler), loader (once per process, placement, `probe`), editing (one edit) and
errors. Its public names are re-exported here.
"""

from tasks.edit.qwen.editing import default_seed, edit, working_size
from tasks.edit.qwen.errors import ModelError, ModelOutOfMemory, ModelUnavailable, missing_extra
from tasks.edit.qwen.loader import (
    LoadedModel,
    choose_placement,
    free_gpu_bytes,
    get_model,
    is_loaded,
    loads,
    probe,
)
from tasks.edit.qwen.pipeline import LIGHTNING_SCHEDULER, pipeline_class
from tasks.edit.qwen.weights import resolve_weights, weights_version

__all__ = [
    "LIGHTNING_SCHEDULER",
    "LoadedModel",
    "ModelError",
    "ModelOutOfMemory",
    "ModelUnavailable",
    "choose_placement",
    "default_seed",
    "edit",
    "free_gpu_bytes",
    "get_model",
    "is_loaded",
    "loads",
    "missing_extra",
    "pipeline_class",
    "probe",
    "resolve_weights",
    "weights_version",
    "working_size",
]
