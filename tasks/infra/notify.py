"""Webhook callbacks: a signed JSON POST when a batch ends and when a reviewer decides.

Signed the Standard Webhooks way (standardwebhooks.com, by its own library): headers `webhook-id` (unique per
message), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">` with RETOUCH_WEBHOOK_SECRET (a `whsec_<base64>` secret is decoded,
any other string is used as is). The timestamp is signed, so a receiver can refuse replays;
receivers compare in constant time. Without a secret the webhook goes unsigned, with a warning.
Failures are retried with backoff by the Prefect task; a webhook that stays down never fails
the batch.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote
from standardwebhooks import Webhook

from config.settings import Settings


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value (v1, the base64 HMAC-SHA256 of id.timestamp.body), made by
    the Standard Webhooks library: a `whsec_<base64>` secret is decoded, any other is its bytes."""
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return Webhook(key).sign(message_id, when, body.decode("utf-8"))


def post_json(
    url: str, payload: dict[str, Any], secret: str | None, message_id: str, timeout: float = 10
) -> int:
    """POST `payload` as message `message_id` (the same on every retry: receivers deduplicate
    on it); returns the HTTP status, raises on a 5xx/429 or a network error."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "retouch-webhook",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "X-Retouch-Event": payload.get("event", ""),
    }
    if secret:
        headers["webhook-signature"] = signature(secret, message_id, timestamp, body)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
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
def send_webhook(payload: dict[str, Any], settings: Settings, message_id: str) -> int:
    """Deliver `payload` to settings.webhook_url, signed with settings.webhook_secret."""
    status = post_json(settings.webhook_url, payload, settings.webhook_secret, message_id)
    get_run_logger().info("webhook %s: HTTP %s", payload.get("event"), status)
    return status


def unsigned_warning(settings: Settings) -> str | None:
    """The warning to give when webhooks would go out unsigned (a URL and no secret)."""
    if settings.webhook_url and not settings.webhook_secret:
        return (
            f"webhooks to {settings.webhook_url} are sent UNSIGNED: set RETOUCH_WEBHOOK_SECRET "
            "so that receivers can verify them"
        )
    return None


def notify(payload: dict[str, Any], settings: Settings) -> None:
    """Send (when a webhook is configured), and log (not raise) a webhook that is still down
    after its retries."""
    if not settings.webhook_url:
        return
    warning = unsigned_warning(settings)
    if warning:
        get_run_logger().warning(warning)
    state = send_webhook(payload, quote(settings), f"msg_{uuid.uuid4().hex}", return_state=True)
    if not state.is_completed():
        get_run_logger().warning("webhook %s not delivered: %s", payload.get("event"), state.message)
