"""The webhooks of the API's jobs: sent by the API itself, on a sender of their own, so that a
receiver that is slow or down delays no edit, and carrying what a client can use (a signed URL
of the picture, never a path on the server).

Each job that names a `webhook` hears of it twice at most: `edit.completed` when its edit ends
(published, review, rejected or failed) and `edit.reviewed` when a person decides an edit that
waited for review (the job's status moves with it). A message's `webhook-id` is the same on
every retry of one state change (`msg_<job>_<event>`), so receivers deduplicate on it (Standard
Webhooks); a 5xx, a 429 or no answer is retried with backoff, a 4xx is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasks.infra.notify import post_json

log = logging.getLogger("retouch.api.hooks")

TRIES = 4  # deliveries of one message: at once, then after 1, 4 and 16 s
TIMEOUT_S = 10.0  # a receiver that says nothing for this long is tried again later


class Hooks:
    """Delivers job webhooks on `senders` threads of their own, signed with `secret`."""

    def __init__(self, secret: str | None, senders: int = 2, backoff_s: float = 1.0) -> None:
        self.secret, self.backoff_s = secret, backoff_s
        self.pool = ThreadPoolExecutor(senders, thread_name_prefix="api-webhook")

    def send(self, url: str, event: str, payload: dict[str, Any]) -> None:
        """Queue the delivery of `event` about a job (payload["id"]) to `url`; returns at once."""
        message = {"event": event, **payload}
        self.pool.submit(self._deliver, url, message, f"msg_{payload['id']}_{event.replace('.', '_')}")

    def _deliver(self, url: str, message: dict[str, Any], message_id: str) -> None:
        for attempt in range(TRIES):
            try:
                status = post_json(url, message, self.secret, message_id, timeout=TIMEOUT_S)
                log.info("webhook %s of %s: HTTP %s", message["event"], message["id"], status)
                return
            except Exception as exc:  # a network error, a 5xx or 429: later, unless out of tries
                if attempt == TRIES - 1:
                    log.warning("webhook %s of %s not delivered: %s", message["event"], message["id"], exc)
                    return
                time.sleep(self.backoff_s * 4**attempt)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=False)


def job_event(job: dict[str, Any], signed: Callable[[str], str]) -> dict[str, Any]:
    """What a job's webhook says of it: its id, status, route and error, its picture as a signed
    URL once published (`signed(job_id)`), and the review's decision once there is one."""
    result = job.get("result") or {}
    review = result.get("review") or {}
    return {
        "id": job["id"],
        "client_id": job.get("client_id"),
        "status": job["status"],
        "route": result.get("route"),
        "error": result.get("error"),
        "output": signed(job["id"]) if job["status"] == "published" and result.get("output") else None,
        "review": {k: review[k] for k in ("decision", "reviewer", "note", "at") if k in review} or None,
    }
