"""What an instruction would cost before it is run (the operator page's live preview)."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from retouch.api.errors import BadInput
from routing import route
from tasks.record.estimates import model_gpu_seconds, model_usd, opencv_usd


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
        usd, hosted = model_usd(settings), settings.hosted_edit_usd
        how = f"the image model on a GPU (~{model_gpu_seconds(settings):.0f} GPU-s at {steps} steps)"
    elif plan.route == "opencv":
        usd, hosted = opencv_usd(mp, settings), settings.hosted_transform_usd
        how = "OpenCV on a CPU, milliseconds"
    else:
        usd, hosted, how = 0.0, 0.0, "refused: nothing is run"
    result = plan.to_dict()
    result.update(estimated_usd=round(usd, 6), hosted_api_usd=hosted, how=how)
    return result
