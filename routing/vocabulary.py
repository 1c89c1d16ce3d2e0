"""The shared vocabulary (vocabulary.toml): colours, regions, whole-image words, actions, constraints.

One place for the words that the router turns into a plan's intent and that the post-checks use
to verify a result against it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.contracts import Colour, Region
from routing.patterns import words_pattern

DEFAULT_PATH = Path(__file__).with_name("vocabulary.toml")
_HEX = re.compile(r"#([0-9a-f]{6}|[0-9a-f]{3})(?![0-9a-z])")


@dataclass(frozen=True)
class Vocabulary:
    colours: tuple[tuple[re.Pattern[str], Colour], ...]
    regions: tuple[tuple[re.Pattern[str], Region], ...]
    whole_image: re.Pattern[str]
    global_scope: re.Pattern[str]  # words of an edit of the whole look (the checks' scope)
    background_scope: re.Pattern[str]  # words of an edit of everything but the product
    actions: tuple[tuple[str, re.Pattern[str]], ...]
    no_crop: re.Pattern[str]
    no_resize: re.Pattern[str]
    keep_verbs: re.Pattern[str]
    keep_tail: re.Pattern[str]
    only: re.Pattern[str]

    def colours_in(self, text: str) -> list[tuple[Colour, tuple[int, int]]]:
        """Every colour named in normalised `text`, in order, the longest name at a position
        ("light grey", not "grey"), with its span."""
        found: list[tuple[int, int, Colour]] = []
        for hexa in _HEX.finditer(text):
            digits = hexa.group(1) if len(hexa.group(1)) == 6 else "".join(c * 2 for c in hexa.group(1))
            rgb = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
            found.append((hexa.start(), hexa.end(), Colour(f"#{digits}", rgb, rgb == (255,) * 3)))
        for pattern, colour in self.colours:
            found += [(m.start(), m.end(), colour) for m in pattern.finditer(text)]
        chosen: list[tuple[Colour, tuple[int, int]]] = []
        for start, end, colour in sorted(found, key=lambda f: (f[0], f[0] - f[1])):
            if not chosen or start >= chosen[-1][1][1]:
                chosen.append((colour, (start, end)))
        return chosen

    def colour_in(self, text: str) -> tuple[Colour, tuple[int, int]] | None:
        """The first colour named in normalised `text` (longest name at a position), and its span."""
        found = self.colours_in(text)
        return found[0] if found else None

    def region_in(self, text: str) -> Region | None:
        return next((region for pattern, region in self.regions if pattern.search(text)), None)

    def action_of_only(self, name: str, text: str) -> bool:
        """Do the words of action `name` occur in `text`?"""
        return any(n == name and p.search(text) for n, p in self.actions)

    def action_of(self, text: str) -> str | None:
        return next((name for name, pattern in self.actions if pattern.search(text)), None)


def _standalone(name: str) -> str:
    """A one-character colour (红, 绿) names a colour only on its own: 红色, 红的, 调红一点, 白T恤 -
    not inside another word (红酒, 绿茶, 绿植, 白天)."""
    if len(name) == 1 and "\u4e00" <= name <= "\u9fff":
        return rf"{name}(?=[色底的一点些了吧啊呀调款系]|[^\u4e00-\u9fff]|$)"
    return name


@cache
def _data(path: Path = DEFAULT_PATH) -> dict:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def colour_names(path: Path = DEFAULT_PATH) -> list[str]:
    """Every colour name of the vocabulary (regex fragments), for the templates' colour slot."""
    return [name for spec in _data(path)["colours"].values() for name in spec["names"]]


@cache
def load_vocabulary(path: Path = DEFAULT_PATH) -> Vocabulary:
    data = _data(path)
    colours = tuple(
        (
            words_pattern([_standalone(n) for n in spec["names"]]),
            Colour(name, tuple(spec["rgb"]), bool(spec.get("pure", False)), int(spec.get("alpha", 255))),
        )
        for name, spec in data["colours"].items()
    )
    regions = tuple(
        (words_pattern(spec["words"]), Region(name, tuple(tuple(r) for r in spec["box"])))
        for name, spec in data["regions"].items()
    )
    constraints = data["constraints"]
    return Vocabulary(
        colours=colours,
        regions=regions,
        whole_image=words_pattern(data["whole_image"]["words"]),
        global_scope=words_pattern(data["scopes"]["global"]),
        background_scope=words_pattern(data["scopes"]["background"]),
        actions=tuple((name, words_pattern(spec["words"])) for name, spec in data["actions"].items()),
        no_crop=words_pattern(constraints["no_crop"]),
        no_resize=words_pattern(constraints["no_resize"]),
        keep_verbs=words_pattern(constraints["keep_verbs"]),
        keep_tail=words_pattern(constraints["keep_tail"]),
        only=words_pattern(constraints["only"]),
    )
