"""Errors as users read them: one line, whatever the library raised."""

from __future__ import annotations


def one_line(exc: BaseException, named: bool = True) -> str:
    """`exc` as one line: its first line of text (with its type's name unless `named` is
    False), or the type's name alone when it says nothing."""
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    return f"{type(exc).__name__}: {text[0]}" if named else text[0]
