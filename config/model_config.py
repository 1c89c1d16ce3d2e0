"""What image model to load and how to run it (filled from the settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MODEL = "Qwen/Qwen-Image-Edit-2509"


@dataclass(frozen=True)
class ModelConfig:
    """What to load and how to run it (from settings)."""

    model: str = DEFAULT_MODEL
    allow_download: bool = False
    lora: str | None = None
    lora_weight_name: str | None = None
    steps: int | None = None  # None: 40, or the Lightning LoRA's own (4 or 8)
    true_cfg_scale: float | None = None  # None: 4.0, or 1.0 with a Lightning LoRA
    negative_prompt: str = " "
    placement: str = "auto"  # auto | gpu | model_offload | group_offload | cpu
    attention_backend: str | None = None
    compile: bool = False

    @property
    def system_name(self) -> str:
        """The model as labels name it (IPTC AISystemUsed, C2PA): the hub id's name, or the
        weights folder's ("Qwen-Image-Edit-2509" for the default)."""
        return self.model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def lightning(self) -> bool:
        return "lightning" in f"{self.lora or ''} {self.lora_weight_name or ''}".lower()

    @property
    def num_steps(self) -> int:
        if self.steps:
            return self.steps
        if self.lightning:
            found = re.search(r"(\d+)\s*-?steps", f"{self.lora_weight_name} {self.lora}", re.I)
            return int(found.group(1)) if found else 8
        return 40

    @property
    def cfg_scale(self) -> float:
        if self.true_cfg_scale is not None:
            return self.true_cfg_scale
        return 1.0 if self.lightning else 4.0
