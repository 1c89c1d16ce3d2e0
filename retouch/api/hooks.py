"""The webhooks of the API's jobs, through an outbox: a job's state change that its client asked
to hear of is a row of the ledger's api_webhooks (tasks/record/ledger/outbox.py), written once
per job and event; a sender of its own delivers it, so a receiver that is slow or down delays no
edit, and a row an API process could not deliver before it died is delivered by the next one.

Each job that names a `webhook` hears of it twice at most: `edit.completed` when its edit ends
(published, review, rejected or failed) and `edit.reviewed` when a person decides an edit that
waited for review. A message carries what a client can use: a signed URL of the picture, never a
path on the server. Its `webhook-id` (`msg_<job>_<event>`) is the same on every try, so receivers
deduplicate on it (Standard Webhooks); a 5xx, a 429 or no answer is retried with backoff (1, 4,
16 s), a 4xx is not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasks.infra.errors import one_line
from tasks.infra.notify import post_json
from tasks.record.ledger import outbox

log = logging.getLogger("retouch.api.hooks")

TRIES = 4  # deliveries of one message: at once, then after 1, 4 and 16 s
TIMEOUT_S = 10.0  # a receiver that says nothing for this long is tried again later


class Hooks:
    """Delivers the outbox's messages on `senders` threads of their own, signed with `secret`."""

    def __init__(self, ledger_url: str, secret: str | None, senders: int = 2, backoff_s: float = 1.0) -> None:
        self.url, self.secret, self.backoff_s = ledger_url, secret, backoff_s
        self.senders = senders
        self.pool = ThreadPoolExecutor(senders, thread_name_prefix="api-webhook")
        self.lock = threading.Lock()
        self.busy = 0  # senders delivering now: only as many messages are claimed as are free

    def queue(self, target: str, event: str, payload: dict[str, Any]) -> None:
        """Queue `event` about a job (payload["id"]) for `target`, once (the next pump sends it)."""
        message_id = f"msg_{payload['id']}_{event.replace('.', '_')}"
        outbox.post(self.url, message_id, payload["id"], target, {"event": event, **payload})

    def pump(self) -> None:
        """Hand the messages due now to the free senders (also what a process that died left);
        each is claimed for longer than one try takes, so no other sender takes it meanwhile."""
        with self.lock:
            free = self.senders - self.busy
            if free <= 0:
                return
            rows = outbox.claim(self.url, TRIES, hold_s=TIMEOUT_S + 5, limit=free)
            self.busy += len(rows)
        for row in rows:
            self.pool.submit(self._deliver, row)

    def _deliver(self, row: dict[str, Any]) -> None:
        try:
            self._try(row)
        finally:
            with self.lock:
                self.busy -= 1

    def _try(self, row: dict[str, Any]) -> None:
        message = row["payload"]
        try:
            status = post_json(row["url"], message, self.secret, row["id"], timeout=TIMEOUT_S)
        except Exception as exc:  # a network error, a 5xx or 429: later, unless out of tries
            retry = self.backoff_s * 4 ** row["attempts"]
            outbox.failed(self.url, row["id"], one_line(exc), retry)
            if row["attempts"] + 1 >= TRIES:
                log.warning("webhook %s of %s not delivered: %s", message["event"], message["id"], exc)
            return
        outbox.delivered(self.url, row["id"])
        log.info("webhook %s of %s: HTTP %s", message["event"], message["id"], status)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)  # what is left waits in the outbox


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
