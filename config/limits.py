"""Bounds on what a plan may ask for (filled from the settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on what a plan may ask for (from settings)."""

    max_output_pixels: int = 100_000_000
    max_side: int = 30_000
    max_instruction_chars: int = 1000
