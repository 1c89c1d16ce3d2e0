"""The webhook: signed, retried on 5xx, and never fatal to the batch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.helpers import IMAGES


@pytest.fixture
def receiver():
    """A local endpoint that answers 503 to the first POST, then 200; it keeps what it got."""
    got: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(503 if len(got) == 1 else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", got
    server.shutdown()


def test_batch_webhook_is_signed_and_retried(run_cli, receiver, tmp_path, monkeypatch):
    url, got = receiver
    monkeypatch.setenv("RETOUCH_WEBHOOK_URL", url)
    monkeypatch.setenv("RETOUCH_WEBHOOK_SECRET", "hook-secret")
    code, _, err = run_cli("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "-o", str(tmp_path / "x.png"))
    assert code == 0, err
    assert len(got) == 2  # 503, then delivered on the retry
    raw_headers, body = got[-1]
    headers = {k.lower(): v for k, v in raw_headers.items()}
    # verified as a Standard Webhooks receiver would, by hand: id.timestamp.body, base64
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(b"hook-secret", signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["webhook-signature"], expected)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120  # signed: replays can be refused
    first_try = {k.lower(): v for k, v in got[0][0].items()}
    assert first_try["webhook-id"] == headers["webhook-id"]  # a retry is the same message
    payload = json.loads(body)
    assert payload["event"] == "batch.completed" and payload["counts"] == {"published": 1}
    assert "hook-secret" not in body.decode()


def test_a_dead_webhook_does_not_fail_the_batch(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("RETOUCH_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens")
    monkeypatch.setattr("tasks.notify.send_webhook.retries", 0)
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "crop to 1:1", "--json", "-o", str(tmp_path / "x.png")
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "published"


def test_an_unsigned_webhook_is_warned_about(run_cli, receiver, tmp_path, monkeypatch):
    url, got = receiver
    monkeypatch.setenv("RETOUCH_WEBHOOK_URL", url)
    code, _, err = run_cli("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "-o", str(tmp_path / "x.png"))
    assert code == 0, err
    assert "webhook-signature" not in {k.lower() for k in got[-1][0]}
    assert "sent UNSIGNED: set RETOUCH_WEBHOOK_SECRET" in err  # Prefect's warnings reach the terminal
