"""The webhook: signed, retried on 5xx, and never fatal to the batch."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tasks.notify import SIGNATURE_HEADER
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
    headers, body = got[-1]
    expected = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()  # by hand
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
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
