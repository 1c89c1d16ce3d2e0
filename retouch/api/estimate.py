"""What an instruction would cost before it is run (the operator page's live preview)."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from retouch.api.inputs import BadInput
from routing import route

OPENCV_CPU_S_PER_MP = 0.006  # decode + edit + encode on one core (benchmarks/PERFORMANCE.md)
MODEL_GPU_S = 32.8  # a reference edit, 40 steps with true CFG, on an H100 (benchmarks/GPU.md)


def estimate(instruction: object, megapixels: object, settings: Settings) -> dict[str, Any]:
    """The plan of `instruction` and its estimated cost for a picture of `megapixels` (1 MP
    when not given), beside what a hosted API would charge."""
    if not isinstance(instruction, str) or not instruction.strip():
        raise BadInput("instruction: say what to change")
    try:
        mp = float(megapixels) if megapixels not in (None, "") else 1.0
    except (TypeError, ValueError):
        raise BadInput("megapixels: a number") from None
    plan = route(instruction, limits=settings.limits)
    if plan.route == "model":
        steps = settings.qwen_config.num_steps
        gpu_s = MODEL_GPU_S * steps / 40
        usd, hosted = settings.gpu_usd(gpu_s, None), settings.hosted_edit_usd
        how = f"the image model on a GPU (~{gpu_s:.0f} GPU-s at {steps} steps)"
    elif plan.route == "opencv":
        usd, hosted = settings.cpu_usd(OPENCV_CPU_S_PER_MP * mp), settings.hosted_transform_usd
        how = "OpenCV on a CPU, milliseconds"
    else:
        usd, hosted, how = 0.0, 0.0, "refused: nothing is run"
    result = plan.to_dict()
    result.update(estimated_usd=round(usd, 6), hosted_api_usd=hosted, how=how)
    return result
