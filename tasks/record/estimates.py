"""What an edit is expected to cost before it runs (the API's preview, the catalog audit)."""

from __future__ import annotations

from config.settings import Settings

OPENCV_CPU_S_PER_MP = 0.006  # decode + edit + encode on one core (benchmarks/PERFORMANCE.md)
MODEL_GPU_S = 32.8  # a reference edit, 40 steps with true CFG, on an H100 (benchmarks/GPU.md)


def opencv_usd(megapixels: float, settings: Settings) -> float:
    return settings.cpu_usd(OPENCV_CPU_S_PER_MP * megapixels)


def model_gpu_seconds(settings: Settings) -> float:
    """A model edit's GPU seconds at the configured steps (the reference scaled by steps)."""
    return MODEL_GPU_S * settings.qwen_config.num_steps / 40


def model_usd(settings: Settings) -> float:
    return settings.gpu_usd(model_gpu_seconds(settings), None)
