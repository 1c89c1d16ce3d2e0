"""Webhook callbacks: a signed JSON POST when a batch ends and when a reviewer decides.

The body is signed with HMAC-SHA256 over the raw bytes with RETOUCH_WEBHOOK_SECRET, sent as
`X-Retouch-Signature: sha256=<hex>`; receivers should compare in constant time. Failures are
retried with backoff by the Prefect task; a webhook that stays down never fails the batch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from config.settings import Settings

SIGNATURE_HEADER = "X-Retouch-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_json(url: str, payload: dict[str, Any], secret: str | None, timeout: float = 10) -> int:
    """POST `payload`; returns the HTTP status, raises on a 5xx/429 or a network error."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "retouch-webhook",
            "X-Retouch-Event": payload.get("event", ""),
            "X-Retouch-Sent-At": str(int(time.time())),
        },
    )
    if secret:
        request.add_header(SIGNATURE_HEADER, signature(secret, body))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise  # worth another try
        return exc.code  # a 4xx will not get better by retrying


@task(
    name="webhook",
    cache_policy=NO_CACHE,
    retries=4,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.2,
)
def send_webhook(payload: dict[str, Any], settings: Settings) -> int:
    """Deliver `payload` to settings.webhook_url, signed with settings.webhook_secret."""
    status = post_json(settings.webhook_url, payload, settings.webhook_secret)
    get_run_logger().info("webhook %s: HTTP %s", payload.get("event"), status)
    return status


def notify(payload: dict[str, Any], settings: Settings) -> None:
    """Send (when a webhook is configured), and log (not raise) a webhook that is still down
    after its retries."""
    if not settings.webhook_url:
        return
    state = send_webhook(payload, quote(settings), return_state=True)
    if not state.is_completed():
        get_run_logger().warning("webhook %s not delivered: %s", payload.get("event"), state.message)
