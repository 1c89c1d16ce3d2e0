"""The learned reader: a second judgement of what kind of request a text is, learned from requests.

The rules (routing/clauses.py, intent.py, safety.py) say exactly what to do, but only for the
phrasings their words and templates cover; for the rest they fall back: a text with nouns in it
goes to the image model, a clause with words they cannot place is refused. The reader is a
multinomial logistic regression over character n-grams (1-4, within words, tf-idf) of the
normalised request, fitted with scikit-learn on labelled requests (`benchmarks/router_reader.py
fit`), that says how likely the text is each of:

    opencv    a geometry, colour or format job
    model     a change of the picture's content
    unsafe    a request Retouch refuses as unsafe or addressed to the system
    not_edit  a question, a task that is not an edit of this picture, an impossible or a vague one

Character n-grams read zh, en and mixed text alike, and survive typos and inflections that word
lists miss. The router asks it only where its rules fell back (routing/router.py: second
reading); it never supplies a parameter. Inference here is plain Python over the fitted weights
(routing/reader_model.json): routing needs neither scikit-learn nor numpy (the router stays light).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.normalize import fold_width, normalise

DEFAULT_PATH = Path(__file__).with_name("reader_model.json")
CLASSES = ("opencv", "model", "unsafe", "not_edit")


def reader_text(instruction: str) -> str:
    """The text the reader reads: the request as the parser normalises it (width-folded,
    simplified Chinese, miswritings fixed, lower-case, numerals as digits)."""
    return normalise(fold_width(instruction))


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """The character n-grams of each whitespace-separated word padded with a space on each side
    (scikit-learn's `char_wb` analyzer, which the reader was fitted with)."""
    grams: list[str] = []
    for word in text.lower().split():
        word = f" {word} "
        for n in range(low, high + 1):
            grams.extend(word[i : i + n] for i in range(max(1, len(word) - n + 1)))
            if len(word) <= n:  # a short word counts once
                break
    return grams


@dataclass(frozen=True)
class Reader:
    """A fitted reader: per n-gram its idf and one weight per class, and the classes' biases."""

    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    features: dict[str, tuple[float, ...]]  # n-gram -> (idf, weight of each class)
    ngram_range: tuple[int, int] = (1, 4)
    fitted_on: str = ""

    def __post_init__(self) -> None:
        # per n-gram: its idf and its idf-scaled weights, so that a gram seen once costs 4 additions
        scaled = {g: (w[0], *(w[0] * x for x in w[1:])) for g, w in self.features.items()}
        object.__setattr__(self, "_scaled", scaled)

    def probabilities(self, instruction: str) -> dict[str, float]:
        """How likely the request is each class (they sum to 1)."""
        return self.probabilities_of(reader_text(instruction))

    def probabilities_of(self, text: str) -> dict[str, float]:
        """The same, for a request already normalised (`reader_text`)."""
        scaled = self._scaled
        counts = Counter(g for g in char_ngrams(text, *self.ngram_range) if g in scaled)
        sums = [0.0] * len(self.classes)
        square = 0.0
        for gram, count in counts.items():
            # sublinear tf times idf, scaled to unit length below, as the fitted TfidfVectorizer does
            tf = 1.0 + math.log(count)
            idf, *weights = scaled[gram]
            square += (tf * idf) ** 2
            for k, w in enumerate(weights):
                sums[k] += tf * w
        norm = math.sqrt(square) or 1.0
        scores = [b + x / norm for b, x in zip(self.intercept, sums, strict=True)]
        top = max(scores)
        exp = [math.exp(x - top) for x in scores]
        total = sum(exp)
        return {name: e / total for name, e in zip(self.classes, exp, strict=True)}

    def to_dict(self) -> dict:
        return {
            "classes": list(self.classes),
            "intercept": [round(v, 5) for v in self.intercept],
            "ngram_range": list(self.ngram_range),
            "fitted_on": self.fitted_on,
            "features": {g: [round(v, 5) for v in w] for g, w in sorted(self.features.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Reader:
        classes = tuple(data["classes"])
        if set(classes) != set(CLASSES):
            raise ValueError(f"reader model classes {classes} are not {CLASSES}: refit it")
        return cls(
            classes,
            tuple(data["intercept"]),
            {g: tuple(w) for g, w in data["features"].items()},
            tuple(data["ngram_range"]),
            data.get("fitted_on", ""),
        )


@cache
def load_reader(path: Path = DEFAULT_PATH) -> Reader | None:
    """The shipped reader (loaded once per process), or None when the file is missing: the router
    then keeps its rules' fallbacks."""
    if not path.exists():
        return None
    return Reader.from_dict(json.loads(path.read_text(encoding="utf-8")))
