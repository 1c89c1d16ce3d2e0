"""Spelling before parsing: common miswritings and abbreviations (data), and typo tolerance for
the words an edit is recognised by ("rotae" -> "rotate", "crpo" -> "crop"), by edit distance (rapidfuzz).

A corrected word is reported, so that the plan says what it read and its confidence is lowered:
a typo is never read silently. Words the router knows (routing/spelling.toml `known`, and the
words themselves) are never corrected.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

DATA = Path(__file__).with_name("spelling.toml")
_WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Spelling:
    miswritings: dict[str, str]
    abbreviations: dict[str, str]
    words: tuple[str, ...]
    known: frozenset[str]
    _miswritten: re.Pattern[str] | None
    _abbreviated: re.Pattern[str] | None

    def fix_miswritings(self, text: str) -> str:
        """Replace the common miswritings ("逆时钟" -> "逆时针")."""
        if self._miswritten is None:
            return text
        return self._miswritten.sub(lambda m: self.miswritings[m.group()], text)

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """`text` (normalised, lower case) with typos of edit words corrected, and the
        corrections as (written, read) pairs."""
        corrections: list[tuple[str, str]] = []

        def expand(m: re.Match[str]) -> str:
            corrections.append((m.group(), self.abbreviations[m.group()]))
            return self.abbreviations[m.group()]

        if self._abbreviated is not None:
            text = self._abbreviated.sub(expand, text)

        def fix(m: re.Match[str]) -> str:
            word = m.group()
            if word in self.known:
                return word
            right = closest(word, self.words)
            if right is None:
                return word
            corrections.append((word, right))
            return right

        fixed = _WORD.sub(fix, text)
        return fixed, tuple(corrections)


def closest(word: str, words: tuple[str, ...]) -> str | None:
    """The edit word `word` is a typo of, or None: one edit away (two for words of 8 letters or
    more); a 4-letter word only with two letters swapped."""
    if len(word) == 4:
        return next(
            (w for w in words if len(w) == 4 and sorted(w) == sorted(word) and OSA.distance(w, word) == 1),
            None,
        )
    allowed = 2 if len(word) >= 8 else 1
    found = extract(word, words, scorer=OSA.distance, score_cutoff=allowed, limit=None)
    found = [(w, d) for w, d, _ in found if d > 0]
    if not found:
        return None
    # the nearest; of equals, one with the same first letter ("dsaturate" is desaturate, not
    # saturate), then the longer (the more specific word)
    return min(found, key=lambda wd: (wd[1], wd[0][0] != word[0], -len(wd[0])))[0]


@cache
def load_spelling(path: Path = DATA) -> Spelling:
    """The spelling data (read once per process)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    miswritings = dict(data.get("miswritings", {}))
    words = tuple(data["typos"]["words"])
    known = frozenset(data["typos"].get("known", ())) | frozenset(words)
    pattern = (
        re.compile("|".join(sorted(map(re.escape, miswritings), key=len, reverse=True)))
        if miswritings
        else None
    )
    abbreviations = dict(data.get("abbreviations", {}))
    abbreviated = (
        re.compile(
            r"(?<![\w&/])(?:"
            + "|".join(sorted(map(re.escape, abbreviations), key=len, reverse=True))
            + r")(?![\w&/])"
        )
        if abbreviations
        else None
    )
    return Spelling(miswritings, abbreviations, words, known, pattern, abbreviated)
