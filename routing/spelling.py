"""Spelling before parsing: common miswritings and abbreviations (data), and typo tolerance for
the words an edit is recognised by ("rotae" -> "rotate", "crpo" -> "crop"), by edit distance (rapidfuzz),
and, in Chinese, by sound: a pinyin input method offers every character of a syllable, so "调量"
is "调亮" and "顺时阵" is "顺时针" (one character of an edit word replaced by one that reads the same,
tones aside; the readings are pypinyin's).

A corrected word is reported, so that the plan says what it read and its confidence is lowered:
a typo is never read silently. Words the router knows (routing/spelling.toml `known`, and the
words themselves) are never corrected.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

DATA = Path(__file__).with_name("spelling.toml")
_WORD = re.compile(r"[a-z]{4,}")
_NUMERALS = frozenset("零〇一二两俩三四五六七八九十百千万半")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_GAP = "\x00"  # the character of an edit word left out, in the keys of Spelling.sounds


@dataclass(frozen=True)
class Spelling:
    miswritings: dict[str, str]
    abbreviations: dict[str, str]
    words: tuple[str, ...]
    known: frozenset[str]
    #: Chinese edit words by the word with one character left out ("调_" -> (("调亮", 1), ...))
    sounds: dict[str, tuple[tuple[str, int], ...]]
    _near_misses: re.Pattern[str] | None  # where a window of `sounds` could begin
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
        if self._near_misses is not None and _HAN.search(fixed) and self._near_misses.search(fixed):
            fixed = self._by_sound(fixed, corrections)
        return fixed, tuple(corrections)

    def _by_sound(self, text: str, corrections: list[tuple[str, str]]) -> str:
        """`text` with the Chinese edit words written in homophones read as those words: one
        character differs and reads like the word's own ("调量" -> "调亮"). The windows that could
        be one (an edit word with one character left free) are found by one regex."""
        out, done = [], 0
        for m in self._near_misses.finditer(text):  # a lookahead: every start, overlapping
            window = m.group(1)
            if m.start() < done:
                continue
            right = self._sounds_like(window) or (len(window) == 3 and self._sounds_like(window[:2]))
            if right:
                corrections.append((window[: len(right)], right))
                out.append(text[done : m.start()] + right)
                done = m.start() + len(right)
        return "".join(out) + text[done:]

    def _sounds_like(self, window: str) -> str | None:
        for k in range(len(window)):
            for word, at in self.sounds.get(window[:k] + _GAP + window[k + 1 :], ()):
                if (
                    word != window
                    and window not in self.known
                    and not _NUMERALS.intersection(window)  # "两度" is two degrees
                    and readings(window[at]) & readings(word[at])
                ):
                    return word
        return None


@cache
def readings(char: str) -> frozenset[str]:
    """How a Chinese character can be read, tones aside ("调": tiao, diao), from pypinyin's table
    (loaded the first time a near miss of an edit word is seen)."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = pinyin_dict.get(ord(char), "")
    return frozenset(
        unicodedata.normalize("NFD", r).encode("ascii", "ignore").decode() for r in found.split(",") if r
    )


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
    chinese = tuple(data["typos"].get("chinese", ()))
    known |= frozenset(chinese) | frozenset(data["typos"].get("chinese_known", ()))
    sounds: dict[str, list[tuple[str, int]]] = {}
    for word in chinese:
        for k in range(len(word)):
            sounds.setdefault(word[:k] + _GAP + word[k + 1 :], []).append((word, k))
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
    near = (
        re.compile(
            "(?=("
            + "|".join(
                re.escape(key).replace(_GAP, "[\u4e00-\u9fff]")
                for key in sorted(sounds, key=len, reverse=True)
            )
            + "))"
        )
        if sounds
        else None
    )
    return Spelling(
        miswritings,
        abbreviations,
        words,
        known,
        {k: tuple(v) for k, v in sounds.items()},
        near,
        pattern,
        abbreviated,
    )
