"""A second opinion on an edit from the pipeline's own vision-language model.

Qwen-Image-Edit-2509's text encoder is a whole Qwen2.5-VL: on the process that holds the
pipeline it can look at the original and the edit and answer whether the edit did what was
asked and changed nothing else. Its answer is one more measure for the gate (tasks/check/risk.py):
"no" sends the edit to a person (a veto), "yes" never publishes an edit on its own, and an
answer that is not the asked JSON (the random-weight tiny model gives noise) could not be
measured and counts for nothing.
"""

from __future__ import annotations

import json
import re

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.findings import cannot_measure, reading
from tasks.edit.qwen.loader import LoadedModel
from tasks.pixels.dtypes import as_uint8

SIDE = 448  # both pictures are shown at most this size on the long side (the VLM's detail)
MAX_TOKENS = 48
PROMPT = (
    "<|im_start|>system\nYou check edits of product photos for an online shop. Answer with JSON only."
    "<|im_end|>\n<|im_start|>user\n"
    "Picture 1: <|vision_start|><|image_pad|><|vision_end|>"
    "Picture 2: <|vision_start|><|image_pad|><|vision_end|>"
    "Picture 1 is the original product photo and picture 2 its edit. The edit was asked to: {instruction}\n"
    'Answer {{"did_what_was_asked": "yes" or "no", "changed_anything_else": "yes" or "no", '
    '"problem": "a few words, or empty"}}<|im_end|>\n<|im_start|>assistant\n'
)
_YES, _NO = {"yes", "true", "是"}, {"no", "false", "否"}


def _picture(pixels: np.ndarray):
    from PIL import Image

    rgb = cv2.cvtColor(as_uint8(pixels)[..., :3] if pixels.ndim == 3 else as_uint8(pixels), cv2.COLOR_BGR2RGB)
    scale = SIDE / max(rgb.shape[:2])
    if scale < 1:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return Image.fromarray(rgb)


def parse(answer: str) -> tuple[bool, bool, str] | None:
    """(did what was asked, changed anything else, problem) from the model's answer, or None
    when it is not the asked JSON."""
    match = re.search(r"\{.*\}", answer, re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    did = str(data.get("did_what_was_asked", "")).strip().lower()
    other = str(data.get("changed_anything_else", "")).strip().lower()
    if did not in _YES | _NO or other not in _YES | _NO:
        return None
    return did in _YES, other in _YES, str(data.get("problem", "") or "")[:120]


def second_opinion(model: LoadedModel, before: np.ndarray, after: np.ndarray, instruction: str) -> Finding:
    """The model's verdict on (before, after, instruction) as a Finding named `second-opinion`."""
    import torch

    pipe = model.pipe
    processor, encoder = getattr(pipe, "processor", None), getattr(pipe, "text_encoder", None)
    if processor is None or not hasattr(encoder, "generate"):
        return cannot_measure("second-opinion", "this pipeline has no vision-language model to ask")
    words = " ".join(instruction.split())[:300]
    try:
        inputs = processor(
            text=[PROMPT.format(instruction=words)],
            images=[_picture(before), _picture(after)],
            padding=True,
            return_tensors="pt",
        ).to(encoder.device)
        with model.lock, torch.inference_mode():
            tokens = encoder.generate(**inputs, max_new_tokens=MAX_TOKENS, do_sample=False)
        answer = processor.batch_decode(tokens[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)[
            0
        ]
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        return cannot_measure("second-opinion", f"the vision-language model failed: {str(exc)[:120]}")
    verdict = parse(answer)
    if verdict is None:
        shown = " ".join(answer.split())[:60]
        return cannot_measure(
            "second-opinion", f"the vision-language model did not answer the question ({shown!r})"
        )
    did, other, problem = verdict
    ok = did and not other
    if ok:
        return reading(
            "second-opinion", True, "the vision-language model sees the edit done and nothing else changed"
        )
    what = "did not do what was asked" if not did else "changed something else too"
    return reading(
        "second-opinion",
        False,
        f"the vision-language model says the edit {what}" + (f": {problem}" if problem else ""),
    )
