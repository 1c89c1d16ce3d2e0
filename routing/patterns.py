"""Word lists to regular expressions: the one way every data file of the router is compiled."""

from __future__ import annotations

import re

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
