"""Safety before the GPU: unsafe requests and injected commands are refused with a reason.

The rules are data (safety.toml): each names a category, the reason given to the user, and the
patterns that trigger it, matched on normalised text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.patterns import words_pattern

DEFAULT_PATH = Path(__file__).with_name("safety.toml")


@dataclass(frozen=True)
class Rule:
    kind: str  # "unsafe" | "injection"
    category: str  # sexual, body, violence, forgery, trademark, notice, shell, prompt
    reason: str
    pattern: re.Pattern[str]


@cache
def load_rules(path: Path = DEFAULT_PATH) -> tuple[Rule, ...]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(
        Rule(kind, category, spec["reason"], words_pattern(spec["patterns"]))
        for kind in ("injection", "unsafe")
        for category, spec in data[kind].items()
    )


_QUOTE_MARKS = re.compile(r"[\"“”「」『』]|(?<![a-z])'|'(?![a-z])")


def refusal(text: str, rules: tuple[Rule, ...] | None = None) -> Rule | None:
    """The first rule that `text` (normalised) breaks, or None when it is safe to go on. Quote
    marks are dropped: "remove the 'AI generated' label" names the label all the same."""
    text = _QUOTE_MARKS.sub("", text)
    return next((rule for rule in rules or load_rules() if rule.pattern.search(text)), None)
