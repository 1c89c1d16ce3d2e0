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
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

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


def test_webhook_is_signed_and_retried(run_cli, receiver, tmp_path, monkeypatch):
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
    # and by the Standard Webhooks library a receiver would use (it also checks the timestamp)
    assert Webhook(b"hook-secret").verify(body, headers)["event"] == "edit.completed"
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-secret").verify(body, headers)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120  # signed: replays can be refused
    first_try = {k.lower(): v for k, v in got[0][0].items()}
    assert first_try["webhook-id"] == headers["webhook-id"]  # a retry is the same message
    payload = json.loads(body)  # `retouch edit` is one edit (a task run), not a batch
    assert payload["event"] == "edit.completed" and payload["status"] == "published"
    assert "hook-secret" not in body.decode()


def test_a_dead_webhook_does_not_fail_the_batch(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("RETOUCH_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens")
    monkeypatch.setattr("tasks.infra.notify.send_webhook.retries", 0)
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "crop to 1:1", "--json", "-o", str(tmp_path / "x.png")
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "published"


def test_an_unsigned_webhook_is_warned_about(run_cli, receiver, tmp_path, monkeypatch):
    import logging

    url, got = receiver
    monkeypatch.setenv("RETOUCH_WEBHOOK_URL", url)
    warnings: list[str] = []
    catch = logging.Handler(logging.WARNING)
    catch.emit = lambda record: warnings.append(record.getMessage())
    from prefect.logging import configuration

    if not configuration.PROCESS_LOGGING_CONFIG:  # Prefect's first set-up replaces the handlers
        configuration.setup_logging()
    logging.getLogger("prefect").addHandler(catch)  # the run loggers end there (not at the root)
    try:
        code, _, err = run_cli(
            "edit", str(IMAGES / "coffee.png"), "crop to 1:1", "-o", str(tmp_path / "x.png")
        )
    finally:
        logging.getLogger("prefect").removeHandler(catch)
    assert code == 0, err
    assert "webhook-signature" not in {k.lower() for k in got[-1][0]}
    assert any("sent UNSIGNED: set RETOUCH_WEBHOOK_SECRET" in w for w in warnings), warnings


def test_a_failing_upload_is_told_where_the_operator_looks(prefect_api, moto_server, receiver, monkeypatch):
    import boto3

    from config.settings import get_settings
    from flows.upload import on_upload

    url, got = receiver
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "RETOUCH_S3_ENDPOINT_URL": moto_server,
        "RETOUCH_WEBHOOK_URL": url,
        "RETOUCH_WEBHOOK_SECRET": "s",
        "RETOUCH_UPLOAD_MAX_ATTEMPTS": "2",
        "RETOUCH_UPLOAD_RETRY_SECONDS": "0.01",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    s3.create_bucket(Bucket="broken-uploads")
    s3.put_object(
        Bucket="broken-uploads", Key="in/x.png", Body=b"\x89PNG not really", Metadata={"instruction": "flip"}
    )
    first = on_upload("broken-uploads", "in/x.png", "e1")
    assert first["status"] == "failed"  # attempt 1: retried after the back-off
    time.sleep(0.05)
    second = on_upload("broken-uploads", "in/x.png", "e1")  # the retry (retry-uploads would run it)
    assert second["status"] == "failed"
    assert on_upload("broken-uploads", "in/x.png", "e1")["status"] == "duplicate"  # failed for good
    events = [json.loads(body) for _, body in got]
    told = [e["event"] for e in events if e["event"].startswith("upload.")]
    assert told == ["upload.retrying", "upload.failed"]  # each failed attempt, then for good
    failed = events[-1]
    assert failed["key"] == "in/x.png" and failed["error"] and failed["max_attempts"] == 2
    # the result where the operator looks: OUT/<id>/results.jsonl says failed, and why
    from tasks.intake.uploads import item_id

    line = s3.get_object(Bucket="broken-uploads", Key=f"retouch-out/{item_id('in/x.png')}/results.jsonl")
    (result,) = [json.loads(x) for x in line["Body"].read().splitlines()]
    assert result["status"] == "failed" and result["error"] == failed["error"]

    # an attempt that breaks before any edit (the object is gone): a failed line all the same
    s3.put_object(Bucket="broken-uploads", Key="in/gone.png", Body=b"x", Metadata={"instruction": "flip"})
    s3.delete_object(Bucket="broken-uploads", Key="in/gone.png")
    with pytest.raises(Exception, match="in/gone.png"):
        on_upload("broken-uploads", "in/gone.png", "e2")
    line = s3.get_object(Bucket="broken-uploads", Key=f"retouch-out/{item_id('in/gone.png')}/results.jsonl")
    (result,) = [json.loads(x) for x in line["Body"].read().splitlines()]
    assert result["status"] == "failed" and "in/gone.png" in result["error"]
    last = json.loads(got[-1][1])
    assert (last["event"], last["key"]) == ("upload.retrying", "in/gone.png")
