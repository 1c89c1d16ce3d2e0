"""The template library (library.toml): canonical instruction forms, and the closest one to a text."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("library.toml")
_CJK = re.compile(r"[\u3400-\u9fff]")
MIN_LIKENESS = 0.1  # share of character pairs in common below which nothing is suggested


@dataclass(frozen=True)
class Form:
    id: str
    op: str
    zh: str
    en: str
    examples: tuple[str, ...]
    action: str | None = None

    def to_dict(self) -> dict:
        out = {"id": self.id, "op": self.op, "zh": self.zh, "en": self.en, "examples": list(self.examples)}
        if self.action:
            out["action"] = self.action
        return out


@cache
def load_library(path: Path = DEFAULT_PATH) -> tuple[Form, ...]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(
        Form(f["id"], f["op"], f["zh"], f["en"], tuple(f["examples"]), f.get("action")) for f in data["form"]
    )


def _grams(text: str) -> set[str]:
    text = re.sub(r"\s+", " ", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def closest_form(text: str, op: str | None = None) -> tuple[Form, float]:
    """The form an unsure instruction most likely meant, and how alike they are (0-1): the op's
    own form when an op was seen, otherwise the one whose examples share the most character pairs
    with the text."""
    forms = load_library()
    if op:
        own = [f for f in forms if f.op == op or f.action == op]
        if own:
            forms = tuple(own)
    grams = _grams(text)
    best = max(forms, key=lambda form: _likeness(grams, form))
    return best, (1.0 if op else _likeness(grams, best))


def _likeness(grams: set[str], form: Form) -> float:
    """The share of character pairs the text has in common with the closest phrasing of `form`."""
    return max(
        (len(grams & g) / len(grams | g) for g in map(_grams, form.examples + (form.zh, form.en)) if g),
        default=0.0,
    )


def _example(form: Form, zh: bool) -> str:
    """An example of `form` in the text's language (Chinese or not)."""
    return next((e for e in form.examples if bool(_CJK.search(e)) == zh), form.examples[0])


def choices(text: str, op: str | None = None, most: int = 3) -> tuple[str, ...]:
    """The canonical phrasings an unsure instruction may have meant, closest first, in the
    language of the text: the op's own forms first when an op was seen ("did you mean …" choices)."""
    zh = bool(_CJK.search(text))
    grams = _grams(text)
    likeness = {form: _likeness(grams, form) for form in load_library()}
    ranked = sorted(likeness, key=lambda f: (not (op and op in (f.op, f.action)), -likeness[f]))
    out: list[str] = []
    for form in ranked:
        if not (op and op in (form.op, form.action)) and likeness[form] < MIN_LIKENESS:
            continue
        example = _example(form, zh)
        if example not in out:
            out.append(example)
        if len(out) == most:
            break
    return tuple(out)


def suggestion(text: str, op: str | None = None) -> str | None:
    """ "did you mean …?" in the language of the text; None when no form is close."""
    form, likeness = closest_form(text, op)
    if likeness < MIN_LIKENESS:
        return None
    zh = bool(_CJK.search(text))
    return f"did you mean '{_example(form, zh)}'? (form: {form.zh if zh else form.en})"


def asked_back(text: str, op: str | None = None) -> dict:
    """What an unsure plan offers: the closest canonical phrasing and the ranked choices (the
    `suggestion` and `choices` of a `Plan.reject`)."""
    return {"suggestion": suggestion(text, op), "choices": choices(text, op)}
