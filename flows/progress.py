"""In-process progress listeners, so that the CLI can draw a bar while a flow runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[int, int], None]
_listeners: list[Listener] = []


@contextmanager
def progress_listener(listener: Listener) -> Iterator[None]:
    """Call `listener(done, total)` whenever a batch in this process makes progress."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report_progress(done: int, total: int) -> None:
    for listener in list(_listeners):
        listener(done, total)
