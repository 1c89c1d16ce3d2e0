"""The API's refusals: one exception, answered by one handler (retouch/api/app.py) with its status
and headers, in the shape its client reads: `{"error": "..."}` (Hugging Face's, and ours), or
OpenAI's error object `{"error": {"message", "type", "param", "code"}}` on OpenAI's routes, so
that each client raises its own exception with the message."""

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


class NeedsReview(Refused):
    """A synchronous edit that a person must decide before it is returned: 409, naming the job
    and where to follow it (its status, then its picture once approved)."""

    def __init__(self, job_id: str, urls: dict[str, str], headers: dict[str, str] | None = None) -> None:
        message = (
            f"the edit needs a person's review before it is returned: job {job_id} "
            f"(follow it at {urls['get']}; its picture once approved: {urls['output']})"
        )
        super().__init__(409, message, headers, code="review_required", id=job_id, urls=urls)
        self.body["status"] = "review"  # (a keyword of its own would be the HTTP status's name)


_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    429: "rate_limit_error",
}


def openai_body(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A refusal as OpenAI's error object (what the `openai` client reads into its exception);
    Retouch's own fields (a job's id and URLs) ride beside it under `retouch`."""
    rest = {k: v for k, v in body.items() if k not in ("error", "code")}
    kind = _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    error = {"message": body["error"], "type": kind, "param": None, "code": body.get("code")}
    return {"error": error, **({"retouch": rest} if rest else {})}
