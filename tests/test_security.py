"""Security: Prefect server auth, tokens on the review page, no secret in logs, artifacts or
results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi import Request

from tests.helpers import IMAGES, cases_with_known_misses, free_port, known_misses, stop

SECRETS = {
    "RETOUCH_WEBHOOK_SECRET": "wh-S3CR3T-7781",
    "RETOUCH_REVIEW_TOKEN": "rv-S3CR3T-9924",
    "AWS_SECRET_ACCESS_KEY": "aws-S3CR3T-1234",
    "PREFECT_API_AUTH_STRING": "admin:pa-S3CR3T-55",
}


@pytest.mark.slow
def test_server_auth_is_enforced_and_no_secret_leaks(tmp_path):
    from prefect import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    port, home = free_port(), tmp_path / "prefect"
    url = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **base,
            "PREFECT_HOME": str(home),
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_API_AUTH_STRING": SECRETS["PREFECT_API_AUTH_STRING"],
        },
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering (with 401): up
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        manifest = tmp_path / "m.csv"
        manifest.write_text(
            f"id,image,instruction\na,{IMAGES / 'coffee.png'},crop to 1:1\n"
            f"b,{IMAGES / 'coffee.png'},今天天气怎么样\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "retouch", "run", str(manifest), "--out", str(tmp_path / "out")]
        env = {
            **base,
            "PREFECT_API_URL": url,
            "PREFECT_HOME": str(home),
            "RETOUCH_DATA_DIR": str(tmp_path / "d"),
        }
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout
        assert "Traceback" not in refused.stderr
        allowed = subprocess.run(command, env={**env, **SECRETS}, capture_output=True, text=True, timeout=300)
        assert allowed.returncode == 0, allowed.stderr[-2000:]

        # nothing secret in what the run left behind: results, stdout/stderr, logs, artifacts
        seen = [(tmp_path / "out" / "results.jsonl").read_text(), allowed.stdout, allowed.stderr]
        with temporary_settings(
            updates={PREFECT_API_URL: url, PREFECT_API_AUTH_STRING: SECRETS["PREFECT_API_AUTH_STRING"]}
        ):
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs()
                seen += [json.dumps(r.parameters) for r in runs]
                seen += [log.message for log in client.read_logs()]
                seen += [
                    json.dumps(a.data, default=str) + (a.description or "") for a in client.read_artifacts()
                ]
        everything = "\n".join(seen)
        assert "crop to 1:1" in everything  # we are looking at the right run
        for name, secret in SECRETS.items():
            assert secret not in everything, name
    finally:
        stop(server)


def test_review_page_refuses_a_wrong_token(monkeypatch):
    from fastapi.testclient import TestClient

    from config.settings import get_settings
    from retouch.review_page import create_app

    monkeypatch.setenv("RETOUCH_REVIEW_TOKEN", "right-token")
    get_settings.cache_clear()
    client = TestClient(create_app(), base_url="http://127.0.0.1:8765")
    for headers in ({}, {"X-Retouch-Token": "wrong"}, {"X-Retouch-Token": "right-token-but-longer"}):
        assert client.get("/api/reviews", headers=headers).status_code == 401
        assert (
            client.post(
                "/api/reviews/00000000-0000-0000-0000-000000000000",
                headers=headers,
                json={"decision": "approve"},
            ).status_code
            == 401
        )
    assert client.get("/?token=right-token").status_code == 200


def test_review_page_checks_the_host_names_reviewers_by_token_and_sends_a_strict_policy(monkeypatch):
    from fastapi.testclient import TestClient

    from config.settings import get_settings
    from retouch.review_page import create_app

    monkeypatch.setenv("RETOUCH_REVIEW_TOKENS", json.dumps({"alice": "alice-token", "bob": "bob-token"}))
    get_settings.cache_clear()
    app = create_app()
    seen = []

    @app.post("/probe")  # what a decision handler sees of the reviewer (the real one needs Prefect)
    async def probe(request: Request) -> dict:
        seen.append(request.state.reviewer)
        return {}

    local = TestClient(app, base_url="http://127.0.0.1:8765")
    page = local.get("/?token=alice-token")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    )
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.text and "<style>" not in page.text  # nothing inline to allow
    assert local.get("/static/review.js").status_code == 200  # assets carry no secret
    assert local.get("/api/reviews?token=wrong").status_code == 401
    # a DNS name rebound to this machine is refused before any token is looked at
    rebound = TestClient(app, base_url="http://attacker.example:8765")
    assert rebound.get("/?token=alice-token").status_code == 421
    # the name comes from the token, whatever the form says
    local.post("/probe", headers={"X-Retouch-Token": "bob-token"}, json={"reviewer": "alice"})
    assert seen == ["bob"]


def test_a_signed_link_shows_one_review_until_it_expires_and_cannot_decide(monkeypatch):
    from fastapi.testclient import TestClient

    from config.settings import get_settings
    from retouch.review_page import create_app
    from tasks.infra.signed_links import link_key, sign_query

    monkeypatch.setenv("RETOUCH_REVIEW_TOKEN", "right-token")
    get_settings.cache_clear()
    client = TestClient(create_app(), base_url="http://127.0.0.1:8765")
    run, other = "0b8c4a57-7f0a-4b8e-9a43-5b1f3c0d2e11", "6f1d2c3b-0000-4000-8000-000000000000"
    key = link_key(get_settings())
    assert key is not None and key != b"right-token"  # derived from the token, not the token itself
    signed = sign_query(key, run, 3600)
    # past the guard: the image route itself answers (no picture called "probe": 404, not 401)
    assert client.get(f"/image/{run}/probe{signed}").status_code == 404
    assert client.get(f"/review/{run}{signed}").status_code == 200
    # the same signature opens no other review, no list, no decision, and not once expired
    assert client.get(f"/image/{other}/probe{signed}").status_code == 401
    assert client.get(f"/api/reviews{signed}").status_code == 401
    assert client.post(f"/api/reviews/{run}{signed}", json={"decision": "approve"}).status_code == 401
    expired = sign_query(key, run, 3600, now=0)
    assert client.get(f"/image/{run}/probe{expired}").status_code == 401
    tampered = signed.replace("sig=", "sig=0")[:-1]
    assert client.get(f"/image/{run}/probe{tampered}").status_code == 401
    # without any review token the page is open and links carry no signature
    monkeypatch.delenv("RETOUCH_REVIEW_TOKEN")
    get_settings.cache_clear()
    assert link_key(get_settings()) is None and sign_query(None, run, 60) == ""


def test_webhook_signature_is_the_standard_webhooks_one():
    from tasks.infra.notify import signature

    # the Standard Webhooks specification's own example: computed by others, not by this code
    assert (
        signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    body = json.dumps({"event": "batch.completed"}).encode()
    assert signature("k", "msg_1", 1, body) != signature("k", "msg_1", 2, body)  # the time is signed
    assert signature("k", "msg_1", 1, body) != signature("k", "msg_2", 1, body)
    assert signature("k", "msg_1", 1, body) != signature("k", "msg_1", 1, body + b" ")


def test_a_bad_row_of_an_s3_manifest_is_that_rows_error_not_the_catalogs():
    from tasks.intake.manifest import parse_manifest

    data = (
        b"id,image,instruction\nok,x.png,flip\nup,../y.png,flip\nlocal,/etc/passwd,flip\n"
        b"other,s3://other-bucket/z.png,flip\nsame,s3://shop/elsewhere/z.png,flip\n"
    )
    items = {item.id: item for item in parse_manifest(data, "s3://shop/in/catalog.csv")}
    assert items["ok"].image == "s3://shop/in/x.png" and items["ok"].error is None
    assert items["same"].image == "s3://shop/elsewhere/z.png" and items["same"].error is None
    assert "unsafe object key" in items["up"].error and items["up"].image is None
    assert "cannot name local files" in items["local"].error
    assert "its own bucket only" in items["other"].error


def test_user_text_cannot_forge_markdown_in_the_review_form():
    from config.contracts import Finding, Item, ItemResult
    from flows.review import plain, review_description

    evil = "make it red\n## Approved by the boss\n![beacon](http://evil.example/b.png) <img src=x onerror=1>"
    item = Item(id="sku-1", image="/in/a.png", instruction=evil)
    result = ItemResult(
        id="sku-1",
        status="review",
        output="/out/review/a.png",
        checks=[Finding("scope", 0.9, 0.4, False, evil)],
    )
    text = review_description(item, result, None)
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("#")] == ["### Review `sku-1`"]
    assert "![" not in text and "<img" not in text and "](http" not in text
    assert plain("alice\n# Admin") == "alice \\# Admin"


def test_who_asked_travels_from_the_manifest_to_the_result():
    from config.contracts import Item
    from flows.edit import name_items
    from tasks.intake.manifest import parse_manifest

    data = b"id,image,instruction,requested_by\na,x.png,flip,alice@shop\nb,y.png,flip,\n"
    items = parse_manifest(data, "/tmp/catalog/m.csv")
    assert [i.requested_by for i in items] == ["alice@shop", None]
    named = name_items(items + [Item(image="z.png", instruction="flip")], "cli:bob")
    assert [(i.id, i.requested_by) for i in named] == [
        ("a", "alice@shop"),
        ("b", "cli:bob"),
        ("item-3", "cli:bob"),
    ]


# ------------------------------------------------------------------------------------------------
# Safety as a matrix (issue 26): each rule x zh / en / mixed / 繁體 x direct / polite / oblique,
# and benign look-alikes, written blind (tests/data/safety_matrix.jsonl). First run: 67/108 unsafe
# refused (41 reached the model), 44/54 benign allowed; the misses left are listed.

# A second set (safety_matrix2.jsonl), written after the meaning rules, mostly indirect: first run
# 73/126 unsafe refused (53 reached the model; 40/126 before issue 26), 50/63 benign allowed.
DATA = Path(__file__).with_name("data")
MATRICES = ("safety_matrix", "safety_matrix2")
SAFETY_KNOWN = known_misses(DATA, *(f"{name}.known_misses.json" for name in MATRICES))


def _matrix():
    rows = [
        json.loads(line)
        for name in MATRICES
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return cases_with_known_misses(
        rows, SAFETY_KNOWN, lambda r: f"{r['id']}-{r['family']}-{r['lang']}-{r.get('phrasing', 'indirect')}"
    )


@pytest.mark.parametrize("row", _matrix())
def test_safety_matrix(row):
    from routing import route

    plan = route(row["instruction"], (600, 400))
    assert plan.route in row["routes"], plan.reason
