"""Named, versioned marketplace presets (routing/presets.toml, then the user's presets.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from config.contracts import Op
from config.ops import PRESET_RULES, PresetRules

DEFAULT_PATH = Path(__file__).with_name("presets.toml")
RULES = PRESET_RULES  # config/ops.py: the conform op's parameters


class PresetError(ValueError):
    """An unknown preset or a malformed presets file; one line."""


class Preset(PresetRules):
    """A named, versioned set of a marketplace's rules (config/ops.py: PresetRules)."""

    name: str
    version: int
    description: str = ""
    source: str = ""  # the file it was read from
    aliases: tuple[str, ...] = ()
    # what a wrong published image costs for this marketplace (the gate's publish threshold)
    wrong_publish_usd: float | None = None

    @property
    def label(self) -> str:
        """What a result records: the preset and its version, e.g. `amazon-main@1`."""
        return f"{self.name}@{self.version}"


def _read(path: Path) -> dict[str, Preset]:
    try:
        return dict(_parsed(str(path), path.stat().st_mtime_ns))
    except OSError as exc:
        raise PresetError(f"{path}: {exc}") from None


@cache
def _parsed(path: str, mtime_ns: int) -> dict[str, Preset]:
    """A presets file read once per version of it (the router asks on every instruction)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"{path}: {exc}") from None
    presets = {}
    for name, spec in data.items():
        unknown = set(spec) - set(RULES) - {"version", "description", "aliases", "wrong_publish_usd"}
        if unknown:
            raise PresetError(f"{path}: preset {name!r} has unknown rules {sorted(unknown)} (known: {RULES})")
        rules = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k in RULES}
        presets[name] = Preset(
            name=name,
            version=int(spec.get("version", 1)),
            description=spec.get("description", ""),
            source=str(path),
            aliases=tuple(spec.get("aliases", ())),
            wrong_publish_usd=spec.get("wrong_publish_usd"),
            **rules,
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


_READY_EN = (
    r"(?:please\s+)?(?:make|turn|get|prepare|format)\s+(?:it|this|them|the\s+\w+)\s+(?:for\s+)?(?:an?\s+)?"
    r"({names})(?:[\s-]*(?:ready|compliant|main\s+image|listing|main))\W*(?:please\W*)?"
)
_READY_ZH = (
    r"(?:请|帮我)?(?:做成|改成|处理成|变成|弄成|符合)\s*({names})\s*(?:的)?\s*"
    r"(?:主图|要求|规范|标准|格式|风格){{1,2}}\W*"
)


def named_preset(text: str, presets: dict[str, Preset] | None = None) -> Preset | None:
    """The preset an instruction asks for by naming its marketplace as a whole request ("make
    it Amazon-ready", "做成天猫主图"); None for anything else."""
    presets = presets if presets is not None else load_presets()
    lowered = text.strip().lower()
    for spec in presets.values():
        if not spec.aliases:
            continue
        names = "|".join(re.escape(a.lower()) for a in spec.aliases)
        for pattern in (_READY_EN, _READY_ZH):
            if re.fullmatch(pattern.format(names=names), lowered):
                return spec
    return None


def preset_ops(spec: Preset) -> tuple[Op, ...]:
    """The OpenCV ops that make a picture meet `spec` (tasks/edit/conform.py), then its format."""
    rules = {k: v for k, v in spec.model_dump().items() if k in RULES and v not in (None, False)}
    ops = (Op("conform", {"preset": spec.name, "version": spec.version, **rules}),)
    return (*ops, Op("format", {"format": spec.format})) if spec.format else ops
