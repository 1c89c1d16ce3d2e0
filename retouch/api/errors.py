"""The API's refusals: one exception, answered as one JSON shape `{"error": "..."}` by one handler
(retouch/api/app.py), with its status and headers."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A request answered with `status` and a JSON body `{"error": ...}` (and headers)."""

    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.status, self.body, self.headers = status, {"error": error, **extra}, headers or {}


class BadInput(Refused, ValueError):
    """A request the API refuses with 400 (or `status`): one line."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, message)
