"""Load the phrasing library (templates.toml) into compiled regular expressions."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("templates.toml")
_LATIN_START = re.compile(r"^[a-z0-9]")
_LATIN_END = re.compile(r"[a-z0-9)?]$")
_ENDS_WITH_LOOKAHEAD = re.compile(r"\(\?=[^()]*(?:\([^()]*\)[^()]*)*\)$")


def words_pattern(words: list[str]) -> re.Pattern[str]:
    """One regex matching any of `words` (regex fragments); Latin ones only as whole words.

    Longer fragments come first so that the longest phrasing wins at a given position.
    """
    parts = []
    for word in sorted(words, key=len, reverse=True):
        part = f"(?:{word})"
        if _LATIN_START.match(word):
            part = r"(?<![a-z0-9])" + part
        if _LATIN_END.search(word) and not _ENDS_WITH_LOOKAHEAD.search(word):
            part += r"(?![a-z0-9])"
        parts.append(part)
    return re.compile("|".join(parts)) if parts else re.compile(r"(?!x)x")


@dataclass(frozen=True)
class OpTemplate:
    name: str
    triggers: re.Pattern[str]
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Templates:
    separators: re.Pattern[str]
    filler: re.Pattern[str]
    context: re.Pattern[str]
    slots: dict[str, re.Pattern[str]]
    ops: tuple[OpTemplate, ...]
    model_words: re.Pattern[str]
    local_words: re.Pattern[str]
    non_edit: re.Pattern[str]
    unsafe: re.Pattern[str]


def _slot_pattern(fragment: str) -> re.Pattern[str]:
    # slots are matched like words: Latin ones must not start or end inside a word
    return re.compile(rf"(?<![a-z])(?:{fragment})(?![a-z])")


@cache
def load_templates(path: Path = DEFAULT_PATH) -> Templates:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    text, model, reject = data["text"], data["model"], data["reject"]
    slots = {name: _slot_pattern(fragment) for name, fragment in data["slots"].items()}
    ops = []
    for name, spec in data["ops"].items():
        unknown = set(spec["slots"]) - slots.keys()
        if unknown:
            raise ValueError(f"{path}: op {name!r} uses unknown slots {sorted(unknown)}")
        ops.append(OpTemplate(name, words_pattern(spec["triggers"]), tuple(spec["slots"])))
    return Templates(
        separators=re.compile("|".join(f"(?:{s})" for s in text["separators"])),
        filler=words_pattern(text["filler"]),
        context=words_pattern(text["context"]),
        slots=slots,
        ops=tuple(ops),
        model_words=words_pattern(model["verbs"] + model["nouns"]),
        local_words=words_pattern(model["local"]),
        non_edit=words_pattern(reject["non_edit"]),
        unsafe=words_pattern(reject["unsafe"]),
    )
