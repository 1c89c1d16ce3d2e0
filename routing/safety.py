"""Safety before the GPU: unsafe requests and injected commands are refused with a reason.

The rules are data (safety.toml). Phrase rules name a category, the reason given to the user and
the patterns that trigger it; meaning rules name the concepts a request must hold together
("a child" and "revealing"; "another owner's" and "watermark" and "remove"), whatever words, in
whatever language or mix, carry them. Both are matched on normalised text (繁體 read as simplified).
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
    category: str  # sexual, body, violence, forgery, trademark, notice, copyright, shell, prompt, ...
    reason: str
    patterns: tuple[tuple[re.Pattern[str], ...], ...]  # every group must match (any pattern in it)


@cache
def load_rules(path: Path = DEFAULT_PATH) -> tuple[Rule, ...]:
    """Phrase rules first (injection, then unsafe), then the meaning rules."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    rules = [
        Rule(kind, category, spec["reason"], ((words_pattern(spec["patterns"]),),))
        for kind in ("injection", "unsafe")
        for category, spec in data[kind].items()
    ]
    concepts = _concepts(path)
    for rule in data.get("meaning", {}).get("rule", ()):
        groups = tuple(tuple(concepts[name] for name in group.split("|")) for group in rule["all"])
        rules.append(Rule(rule.get("kind", "unsafe"), rule["category"], rule["reason"], groups))
    return tuple(rules)


@cache
def _meaning(path: Path = DEFAULT_PATH) -> dict:
    return tomllib.loads(Path(path).read_text(encoding="utf-8")).get("meaning", {})


@cache
def _concepts(path: Path = DEFAULT_PATH) -> dict[str, re.Pattern[str]]:
    """Each concept compiled once: the meaning rules and the sensitive check share the patterns."""
    return {name: words_pattern(words) for name, words in _meaning(path).get("concepts", {}).items()}


def _sensitive_concepts(path: Path = DEFAULT_PATH) -> tuple[tuple[str, re.Pattern[str]], ...]:
    concepts = _concepts(path)
    return tuple((name, concepts[name]) for name in _meaning(path).get("sensitive", ()))


def sensitive_concepts(text: str) -> tuple[str, ...]:
    """The sensitive concepts `text` (normalised) names: a person, a child, a weapon, a document, a
    brand, a notice, text addressed to the system... A request naming none of them is no safety
    matter however it reads: the learned reader's doubts about it are not a reason to refuse."""
    text = _QUOTE_MARKS.sub("", text)
    return tuple(name for name, pattern in _sensitive_concepts() if pattern.search(text))


_NAMED_PERSON = re.compile(  # "Put Jackie Chan holding the cup": a person named with capitals
    r"\b(?:[Aa]dd|[Pp]ut|[Pp]lace|[Ii]nsert|[Pp]aste|[Pp]hotoshop|[Ss]how|[Hh]ave)\s+(?!(?:The|A|An|This|That|Our|My|Your|Some|Two|Three)\b)"
    r"(?:[A-Z][a-z]+|[A-Z]\.)(?:\s+[A-Z][a-z]+)+\s+(?:(?:in|into|on|onto)\s+(?:the|this|our)\s+(?:shot|photo|picture|image|scene|frame)\s+)?"
    r"(?:holding|wearing|using|drinking|eating|sipping|next\s+to|beside|posing|endorsing|with\s+(?:the|our|my))\b"
)
NAMED_PERSON_REASON = "a real person's likeness put into the picture / 不允许把真实人物的形象放进图片"


def named_person(display: str) -> bool:
    """Whether `display` (as written, with its capitals) puts a person named by name into the
    picture: a real person's likeness, whoever they are."""
    return bool(_NAMED_PERSON.search(display))


_QUOTE_MARKS = re.compile(r"[\"“”「」『』]|(?<![a-z])'|'(?![a-z])")


def refusal(text: str, rules: tuple[Rule, ...] | None = None) -> Rule | None:
    """The first rule that `text` (normalised) breaks, or None when it is safe to go on. Quote
    marks are dropped: "remove the 'AI generated' label" names the label all the same."""
    text = _QUOTE_MARKS.sub("", text)
    seen: dict[int, bool] = {}  # a concept shared by several rules is searched for once

    def found(pattern: re.Pattern[str]) -> bool:
        key = id(pattern)
        if key not in seen:
            seen[key] = pattern.search(text) is not None
        return seen[key]

    return next(
        (rule for rule in rules or load_rules() if all(any(map(found, group)) for group in rule.patterns)),
        None,
    )
