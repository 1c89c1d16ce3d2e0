"""Named, versioned marketplace presets (routing/presets.toml, then the user's presets.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("presets.toml")
RULES = ("background", "fill", "longest", "min_longest", "min_side", "size", "aspect", "format", "no_text")


class PresetError(ValueError):
    """An unknown preset or a malformed presets file; one line."""


@dataclass(frozen=True)
class Preset:
    name: str
    version: int
    description: str
    background: str | None = None
    fill: float | None = None
    longest: int | None = None
    min_longest: int | None = None
    min_side: int | None = None
    size: tuple[int, int] | None = None
    aspect: tuple[float, float] | None = None
    format: str | None = None
    no_text: bool = False
    source: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """What a result records: the preset and its version, e.g. `amazon-main@1`."""
        return f"{self.name}@{self.version}"


def _read(path: Path) -> dict[str, Preset]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"{path}: {exc}") from None
    presets = {}
    for name, spec in data.items():
        unknown = set(spec) - set(RULES) - {"version", "description"}
        if unknown:
            raise PresetError(f"{path}: preset {name!r} has unknown rules {sorted(unknown)} (known: {RULES})")
        rules = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k in RULES}
        presets[name] = Preset(
            name, int(spec.get("version", 1)), spec.get("description", ""), source=str(path), **rules
        )
    return presets


def load_presets(user_file: Path | None = None) -> dict[str, Preset]:
    """The shipped presets, with the user's file (when it exists) adding or replacing by name."""
    presets = _read(DEFAULT_PATH)
    if user_file is not None and user_file.is_file():
        presets.update(_read(user_file))
    return presets


def preset(name: str, user_file: Path | None = None) -> Preset:
    presets = load_presets(user_file)
    if name not in presets:
        raise PresetError(f"unknown preset {name!r}: use one of {', '.join(sorted(presets))}")
    return presets[name]
