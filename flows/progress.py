"""Progress listeners, so that the CLI (or the daemon, for its client) can draw a bar while a
flow runs. A listener belongs to the context that installed it: a flow run in that thread
reports to it, and jobs running at once in other threads report to their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[int, int], None]
_listener: ContextVar[Listener | None] = ContextVar("retouch_progress_listener", default=None)


@contextmanager
def progress_listener(listener: Listener) -> Iterator[None]:
    """Call `listener(done, total)` whenever a batch run from this context makes progress."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def report_progress(done: int, total: int) -> None:
    listener = _listener.get()
    if listener is not None:
        listener(done, total)
