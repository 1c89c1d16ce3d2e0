"""The HTTP Inference API as its clients meet it: `retouch api` in a process of its own (uvicorn),
real HTTP clients (requests), client code of the seed's shape, the OpenAI and job routes, a real
webhook receiver, keys made with `retouch api-key`, and the documented errors for bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

import cv2
import numpy as np
import pytest
import requests
from PIL import Image

from tests.helpers import IMAGES, ROOT, free_port, run_retouch, stop, wait_for

pytestmark = pytest.mark.slow
COFFEE = base64.b64encode((IMAGES / "coffee.png").read_bytes()).decode()


def retouch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_retouch(env, ROOT, *args, timeout=120)


@pytest.fixture(scope="module")
def api(tmp_path_factory, prefect_api, tiny_model_dir):
    """`retouch api` on a free port, two keys, the tiny model, the session's Prefect API."""
    home = tmp_path_factory.mktemp("api")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETOUCH_")}
    env.update(
        PREFECT_API_URL=prefect_api,
        RETOUCH_DATA_DIR=str(home / "data"),
        RETOUCH_ENV_FILE="",
        RETOUCH_MODEL=str(tiny_model_dir),
        RETOUCH_MODEL_STEPS="2",
        RETOUCH_MODEL_CANDIDATES="1",
        RETOUCH_API_RATE_PER_MINUTE="300",
        RETOUCH_API_WORKERS="1",
        RETOUCH_API_ALLOW_PRIVATE_URLS="true",
        RETOUCH_WEBHOOK_SECRET="hook-secret",
    )
    refused = retouch(env, "api", "--port", str(free_port()))
    assert refused.returncode == 2 and "no API key exists" in refused.stderr  # no keys: no start
    keys = {}
    for name in ("alice", "burst", "gone", "slow"):
        made = retouch(env, "api-key", "create", name, "--json")
        assert made.returncode == 0, made.stderr
        keys[name] = json.loads(made.stdout)["key"]
    assert retouch(env, "api-key", "revoke", "gone").returncode == 0
    made = retouch(env, "api-key", "create", "thrifty", "--daily-usd", "0.0000001", "--json")
    keys["thrifty"] = json.loads(made.stdout)["key"]
    listed = retouch(env, "api-key", "list", "--json")
    assert keys["alice"] not in listed.stdout and '"revoked_at": null' in listed.stdout  # only hashes kept
    port = free_port()
    log = (home / "api.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "retouch", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url), timeout=180, what="retouch api")
        yield {"url": url, "keys": keys, "env": env, "home": home}
    finally:
        stop(proc)


def auth(api, name: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {api['keys'][name]}"}


def jobs_of(api, name: str = "alice") -> int:
    return len(requests.get(f"{api['url']}/v1/edits?limit=1000", headers=auth(api, name)).json())


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def test_client_code_of_the_seeds_shape_gets_the_edited_image(api):
    url, key = api["url"], api["keys"]["alice"]
    # exactly what the seed's client code does: requests.post(..., json={"inputs": {...}})
    response = requests.post(
        f"{url}/models/retouch",
        headers={"Authorization": f"Bearer {key}"},
        json={"inputs": {"image": COFFEE, "instruction": "裁剪为1:1"}},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert decode(response.content).shape == (400, 400, 3)
    assert (
        response.headers["x-retouch-route"] == "opencv" and response.headers["x-retouch-verdict"] == "publish"
    )
    assert float(response.headers["x-retouch-cost-usd"]) > 0
    # Hugging Face's image-to-image shape
    response = requests.post(
        f"{url}/models/Qwen/Qwen-Image-Edit-2509",
        headers={"Authorization": f"Bearer {key}"},
        json={"inputs": COFFEE, "parameters": {"prompt": "rotate 90 degrees", "seed": 3}},
    )
    assert response.status_code == 200 and decode(response.content).shape == (600, 400, 3)
    # recorded: a Prefect task run and the ledger, with who = the key's name
    job = requests.get(f"{url}/v1/edits/{response.headers['x-retouch-id']}", headers=auth(api)).json()
    assert job["status"] == "published" and job["result"]["requested_by"] == "api:alice"


def test_a_model_edit_waits_for_the_model_then_goes_to_review(api):
    url = api["url"]
    body = {"inputs": {"image": COFFEE, "instruction": "把杯子换成一杯绿茶"}}
    loading = requests.post(f"{url}/models/retouch", headers=auth(api), json=body)
    assert loading.status_code == 503 and "is currently loading" in loading.json()["error"]
    assert loading.json()["estimated_time"] > 0 and int(loading.headers["retry-after"]) > 0
    waited = requests.post(
        f"{url}/models/retouch", headers={**auth(api), "X-Wait-For-Model": "true"}, json=body
    )
    assert waited.status_code == 409  # the tiny model's noise never passes the checks
    answer = waited.json()
    assert answer["status"] == "review" and answer["urls"]["get"].endswith(answer["id"])
    assert answer["id"] in answer["error"] and "review" in answer["error"]
    output = requests.get(answer["urls"]["output"], headers=auth(api))
    assert output.status_code == 409 and "review" in output.json()["error"]


def test_real_clients_surface_a_review_as_an_error_naming_the_job(api, monkeypatch):
    """What Hugging Face's and OpenAI's own client libraries do with an edit that needs a person:
    raise, with a message that names the review and the job to follow."""
    from huggingface_hub import InferenceClient, constants
    from huggingface_hub.errors import HfHubHTTPError
    from openai import BadRequestError, ConflictError, OpenAI

    url, key = api["url"], api["keys"]["alice"]
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the client calls this API, not the hub
    hf = InferenceClient(model=f"{url}/models/retouch", token=key, headers={"X-Wait-For-Model": "true"})
    with pytest.raises(HfHubHTTPError) as raised:
        hf.image_to_image((IMAGES / "coffee.png").read_bytes(), prompt="把杯子换成一杯绿茶")
    assert "409" in str(raised.value) and "review" in str(raised.value) and "job " in str(raised.value)
    job_id = raised.value.response.json()["id"]
    assert requests.get(f"{url}/v1/edits/{job_id}", headers=auth(api)).json()["status"] == "review"
    with pytest.raises(HfHubHTTPError) as retried:  # a client's retry joins that review
        hf.image_to_image((IMAGES / "coffee.png").read_bytes(), prompt="把杯子换成一杯绿茶")
    assert retried.value.response.json()["id"] == job_id
    # an edit that passes comes back as a picture through the same client
    cropped = hf.image_to_image((IMAGES / "coffee.png").read_bytes(), prompt="crop to 1:1")
    assert cropped.size == (400, 400)

    client = OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    with pytest.raises(ConflictError) as conflict:
        client.images.edit(
            image=("coffee.png", (IMAGES / "coffee.png").read_bytes(), "image/png"),
            prompt="把杯子换成一杯绿茶",
        )
    error = conflict.value.body
    assert error["code"] == "review_required" and error["type"] == "conflict_error"
    assert "review" in error["message"] and "job " in error["message"]
    assert conflict.value.response.json()["retouch"]["urls"]["get"].startswith(f"{url}/v1/edits/")
    with pytest.raises(BadRequestError) as refused:  # other refusals are OpenAI's error object too
        client.images.edit(
            image=("coffee.png", (IMAGES / "coffee.png").read_bytes(), "image/png"), prompt="今天天气怎么样"
        )
    assert (
        refused.value.body["type"] == "invalid_request_error" and "rejected" in refused.value.body["message"]
    )
    edited = client.images.edit(
        image=("coffee.png", (IMAGES / "coffee.png").read_bytes(), "image/png"), prompt="flip horizontally"
    )
    assert decode(base64.b64decode(edited.data[0].b64_json)).shape == (400, 600, 3)


def test_openai_style_edits(api):
    url = api["url"]
    files = {"image": ("coffee.png", (IMAGES / "coffee.png").read_bytes(), "image/png")}
    answer = requests.post(
        f"{url}/v1/images/edits", headers=auth(api), files=files, data={"prompt": "crop to 1:1", "n": "2"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["created"] > 0 and len(body["data"]) == 2
    assert decode(base64.b64decode(body["data"][0]["b64_json"])).shape == (400, 400, 3)
    linked = requests.post(
        f"{url}/v1/images/edits",
        headers=auth(api),
        files={"image[]": ("coffee.png", (IMAGES / "coffee.png").read_bytes(), "image/png")},
        data={"prompt": "flip horizontally", "response_format": "url"},
    ).json()
    link = linked["data"][0]["url"]
    assert "sig=" in link and requests.get(link).status_code == 200  # signed: no key needed
    assert requests.get(link.replace("sig=", "sig=0")).status_code == 403


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_async_jobs_with_a_signed_webhook_idempotency_cancel_and_batches(api):
    url = api["url"]
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        body = {"image": COFFEE, "instruction": "crop to 1:1", "webhook": hook, "id": "order-17"}
        queued = requests.post(f"{url}/v1/edits", headers=auth(api), json=body)
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        job_id = queued.json()["id"]
        again = requests.post(f"{url}/v1/edits", headers=auth(api), json=body)  # a retried request
        assert again.json()["id"] == job_id
        done = wait_for(
            lambda: (
                (j := requests.get(f"{url}/v1/edits/{job_id}", headers=auth(api)).json())["status"]
                not in ("queued", "running")
                and j
            ),
            what="the job",
        )
        assert done["status"] == "published" and done["result"]["route"] == "opencv"
        output = requests.get(done["urls"]["output"], headers=auth(api))
        assert decode(output.content).shape == (400, 400, 3)
        headers, raw = wait_for(lambda: Receiver.got and Receiver.got[-1], what="the webhook")
        headers = {k.lower(): v for k, v in headers.items()}
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
        expected = (
            "v1," + base64.b64encode(hmac.new(b"hook-secret", signed, hashlib.sha256).digest()).decode()
        )
        assert headers["webhook-signature"] == expected
        event = json.loads(raw)
        assert (event["event"], event["id"], event["status"]) == ("edit.completed", job_id, "published")
    finally:
        server.shutdown()

    # a batch of 20 holds the one job thread: an edit sent after it waits, and can be cancelled
    rows = [{"id": f"p{n}", "image": COFFEE, "instruction": "crop to 1:1"} for n in range(20)]
    rows.append({"id": "bad", "image": "not a picture", "instruction": "crop to 1:1"})
    batch = requests.post(f"{url}/v1/batches", headers=auth(api), json={"items": rows})
    assert batch.status_code == 202
    waiting = requests.post(
        f"{url}/v1/edits", headers=auth(api), json={"image": COFFEE, "instruction": "flip"}
    )
    cancelled = requests.post(waiting.json()["urls"]["cancel"], headers=auth(api))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    finished = wait_for(
        lambda: (
            (j := requests.get(batch.json()["urls"]["get"], headers=auth(api)).json())["status"]
            not in ("queued", "running")
            and j
        ),
        timeout=180,
        what="the batch",
    )
    statuses = {r["id"]: r["status"] for r in finished["result"]}
    assert statuses["bad"] == "failed" and sum(s == "published" for s in statuses.values()) == 20
    whole = requests.get(batch.json()["urls"]["output"], headers=auth(api))
    assert whole.status_code == 404 and "one output per item" in whole.json()["error"]
    time.sleep(1)
    after = requests.get(waiting.json()["urls"]["get"], headers=auth(api)).json()
    assert after["status"] == "cancelled"  # never run


def png_bomb() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    bomb = bytearray(buf.getvalue())
    bomb[16:24] = struct.pack(">II", 60_000, 60_000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])) & 0xFFFFFFFF)
    return bytes(bomb)


@pytest.mark.parametrize(
    ("case", "status", "says"),
    [
        ("garbage bytes", 400, "not an image"),
        ("a 60000x60000 PNG bomb", 400, "decompression bomb"),
        ("an empty instruction", 400, "instruction: say what to change"),
        ("a question, not an edit", 400, "instruction rejected"),
        ("a 20 MB body", 413, "above the limit"),
        ("a wrong key", 401, "a valid API key is required"),
        ("a revoked key", 401, "a valid API key is required"),
    ],
)
def test_bad_input_gets_its_status_a_one_line_error_and_queues_nothing(api, case, status, says):
    url = api["url"]
    image, instruction, headers = COFFEE, "crop to 1:1", auth(api)
    if case == "garbage bytes":
        image = base64.b64encode(os.urandom(2048)).decode()
    elif case == "a 60000x60000 PNG bomb":
        image = base64.b64encode(png_bomb()).decode()
    elif case == "an empty instruction":
        instruction = "  "
    elif case == "a question, not an edit":
        instruction = "今天天气怎么样"
    elif case == "a 20 MB body":
        image = base64.b64encode(os.urandom(15 * 1024 * 1024)).decode()
    elif case == "a wrong key":
        headers = {"Authorization": "Bearer rtk_wrong"}
    elif case == "a revoked key":
        headers = {"Authorization": f"Bearer {api['keys']['gone']}"}
    before = jobs_of(api)
    for route, body in (
        ("/models/retouch", {"inputs": {"image": image, "instruction": instruction}}),
        ("/v1/edits", {"image": image, "instruction": instruction}),
    ):
        answer = requests.post(f"{url}{route}", headers=headers, json=body)
        assert answer.status_code == status, (route, answer.text)
        error = answer.json()["error"]
        assert says in error and "\n" not in error
    assert jobs_of(api) == before  # nothing was queued


def test_a_key_over_its_rate_gets_429_with_retry_after(api):
    url = api["url"]
    answers = [requests.get(f"{url}/v1/templates", headers=auth(api, "burst")) for _ in range(301)]
    assert all(a.status_code == 200 for a in answers[:300])
    assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) >= 1
    assert "rate limit" in answers[-1].json()["error"]
    assert requests.get(f"{url}/v1/templates", headers=auth(api)).status_code == 200  # per key


def test_a_key_over_its_daily_quota_gets_429(api):
    body = {"inputs": {"image": COFFEE, "instruction": "crop to 1:1"}}
    first = requests.post(f"{api['url']}/models/retouch", headers=auth(api, "thrifty"), json=body)
    assert first.status_code == 200  # nothing spent yet today
    second = requests.post(f"{api['url']}/models/retouch", headers=auth(api, "thrifty"), json=body)
    assert second.status_code == 429 and "daily spending quota reached" in second.json()["error"]
    assert int(second.headers["retry-after"]) > 0  # until midnight in RETOUCH_BUDGET_TIMEZONE


def test_templates_route_preview_health_and_docs(api):
    url = api["url"]
    templates = requests.get(f"{url}/v1/templates", headers=auth(api)).json()
    assert any(form["op"] == "crop" for form in templates)
    preview = requests.post(
        f"{url}/v1/route", headers=auth(api), json={"instruction": "把背景换成纯白"}
    ).json()
    assert preview["route"] == "model" and preview["estimated_usd"] > 0 and preview["hosted_api_usd"] == 0.03
    assert requests.get(f"{url}/healthz").json()["status"] == "ok"  # no key needed
    unsure = requests.post(f"{url}/v1/route", headers=auth(api), json={"instruction": "crop it"}).json()
    assert (
        unsure["route"] == "reject"
        and unsure["choices"]
        and all(isinstance(c, str) for c in unsure["choices"])
    )
    assert requests.post(f"{url}/v1/route", json={"instruction": "flip"}).status_code == 401
    schema = requests.get(f"{url}/openapi.json").json()
    assert {"/models/{model_id}", "/v1/edits", "/v1/images/edits", "/v1/batches"} <= set(schema["paths"])
    # every body is documented: a schema per request, both shapes of /v1/edits, the bearer key
    bodies = {
        path: schema["paths"][path]["post"]["requestBody"]["content"]
        for path in ("/models/{model_id}", "/v1/edits", "/v1/batches", "/v1/images/edits", "/v1/route")
    }
    assert bodies["/models/{model_id}"]["application/json"]["schema"]["$ref"].endswith("/HFRequest")
    assert {"application/json", "multipart/form-data"} <= set(bodies["/v1/edits"])
    assert "instruction" in bodies["/v1/edits"]["application/json"]["schema"]["properties"]
    assert bodies["/v1/batches"]["application/json"]["schema"]["$ref"].endswith("/BatchRequest")
    assert "multipart/form-data" in bodies["/v1/images/edits"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    accepted = schema["paths"]["/v1/batches"]["post"]["responses"]["202"]["content"]["application/json"]
    assert accepted["schema"]["$ref"].endswith("/JobAccepted")
    job = schema["paths"]["/v1/edits/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert job["schema"]["$ref"].endswith("/JobView")
    rounds = schema["paths"]["/v1/sessions/{session_id}/edits"]["post"]["responses"]["200"]["content"]
    assert rounds["application/json"]["schema"]["$ref"].endswith("/RoundView")
    ops = schema["components"]["schemas"]["RoundView"]["properties"]["ops"]["items"]
    assert ops["$ref"].endswith("/Op")  # a round's ops are typed, as in results.jsonl
    docs = requests.get(f"{url}/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text  # Swagger UI from this server: offline
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs-assets/{asset}" in docs.text
        assert requests.get(f"{url}/docs-assets/{asset}").status_code == 200


def test_no_auth_only_on_a_loopback_address(api):
    refused = retouch(api["env"], "api", "--host", "0.0.0.0", "--no-auth")
    assert refused.returncode == 2 and "only on a loopback address" in refused.stderr


CHROMIUM = __import__("shutil").which("chromium") or __import__("shutil").which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_the_operator_page_edits_a_picture_in_the_browser(api, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(api["url"] + "/")
        page.fill("#key", api["keys"]["alice"])
        page.dispatch_event("#key", "change")
        page.set_input_files("#files", str(IMAGES / "rocket.jpg"))
        page.fill("#instruction", "裁剪成1:1")
        page.locator("#preview").filter(has_text="opencv: OpenCV: crop").wait_for(timeout=30_000)
        assert "hosted API" in page.inner_text("#preview")  # the live cost preview
        page.click("#submit")
        card = page.locator(".job").filter(has_text="裁剪成1:1").first  # this test's own job
        card.locator(".status.published").wait_for(timeout=60_000)
        card.locator(".download:not([hidden])").wait_for(timeout=30_000)  # set once both pictures decoded
        assert card.locator(".download").get_attribute("href").startswith("blob:")
        widths = card.locator(".compare img").evaluate_all("images => images.map(i => i.naturalWidth)")
        assert widths == [640, 427]  # before, and after: the 1:1 crop, side by side
        page.fill("#instruction", "今天天气怎么样")
        page.locator("#preview.reject").wait_for(timeout=30_000)  # a refusal, said before submitting
        page.fill("#instruction", "crop it")  # unsure: the closest forms offered, one click to use one
        page.locator("#choices button.choice").first.wait_for(timeout=30_000)
        choice = page.locator("#choices button.choice").first.inner_text()
        page.locator("#choices button.choice").first.click()
        assert page.input_value("#instruction") == choice
        page.locator("#preview").filter(has_text="opencv: OpenCV: crop").wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "operator-page.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_a_multi_image_job_gives_the_pipeline_its_references(api):
    url = api["url"]
    chelsea = base64.b64encode((IMAGES / "chelsea.png").read_bytes()).decode()
    body = {"image": COFFEE, "instruction": "把图2的猫放到图1的桌子上", "references": [chelsea]}
    queued = requests.post(f"{url}/v1/edits", headers=auth(api), json=body)
    assert queued.status_code == 202, queued.text
    done = wait_for(
        lambda: (
            (j := requests.get(queued.json()["urls"]["get"], headers=auth(api)).json())["status"]
            not in ("queued", "running")
            and j
        ),
        timeout=180,
        what="the multi-image job",
    )
    assert done["status"] == "review" and done["result"]["model"]["pictures"] == 2  # noise: reviewed
    assert any(f["check"] == "reference-2" and not f["passed"] for f in done["result"]["checks"])
    too_many = requests.post(f"{url}/v1/edits", headers=auth(api), json={**body, "references": [chelsea] * 3})
    assert too_many.status_code == 400 and "at most 2" in too_many.json()["error"]


def test_sessions_over_http(api):
    url = api["url"]
    made = requests.post(f"{url}/v1/sessions", headers=auth(api), json={"image": COFFEE})
    assert made.status_code == 201
    sid = made.json()["id"]
    first = requests.post(
        f"{url}/v1/sessions/{sid}/edits", headers=auth(api), json={"instruction": "裁剪为1:1"}
    )
    second = requests.post(
        f"{url}/v1/sessions/{sid}/edits", headers=auth(api), json={"instruction": "旋转90度"}
    )
    assert first.status_code == second.status_code == 200
    assert second.json()["before"] == first.json()["output"] and "/pictures/2" in second.json()["output"]
    assert "/tmp" not in json.dumps(second.json())  # URLs, never the server's paths
    picture = requests.get(second.json()["output"], headers=auth(api))
    assert decode(picture.content).shape == (400, 400, 3)
    undone = requests.post(f"{url}/v1/sessions/{sid}/undo", headers=auth(api))
    assert undone.json()["n"] == 2
    shown = requests.get(f"{url}/v1/sessions/{sid}", headers=auth(api)).json()
    assert shown["current"].endswith("/pictures/1") and [r["undone"] for r in shown["rounds"]] == [
        False,
        True,
    ]
    other = requests.get(f"{url}/v1/sessions/{sid}", headers=auth(api, "thrifty"))
    assert other.status_code == 404  # another key's session does not exist for it


class Silent(BaseHTTPRequestHandler):
    """A webhook receiver that never answers (until the test ends)."""

    done = threading.Event()

    def do_POST(self):  # noqa: N802
        Silent.done.wait(120)

    def log_message(self, *args):
        pass


def test_a_reviewed_async_job_moves_on_and_its_webhook_fires_again_with_a_link(api):
    """An async model edit waits for review: its webhook says so; when the reviewer approves (the
    review flow's own steps write the decision), the job is published and its webhook fires once
    more, `edit.reviewed`, with a signed link to the picture, never a server path. A tenant whose
    webhook never answers delays nobody's edit."""
    from standardwebhooks import Webhook

    from config.contracts import ItemResult, ReviewDecision
    from flows.review import publish_reviewed
    from tasks.record.results import write_results_file

    url = api["url"]
    receiver, silent = HTTPServer(("127.0.0.1", 0), Receiver), HTTPServer(("127.0.0.1", 0), Silent)
    for server in (receiver, silent):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hang = f"http://127.0.0.1:{silent.server_port}/hook"
        for n in range(3):  # another tenant's receiver hangs on every delivery
            body = {"image": COFFEE, "instruction": "flip", "webhook": hang, "id": f"hang-{n}"}
            assert requests.post(f"{url}/v1/edits", headers=auth(api, "slow"), json=body).status_code == 202
        hook = f"http://127.0.0.1:{receiver.server_port}/hook"
        body = {"image": COFFEE, "instruction": "把杯子换成一杯绿茶", "webhook": hook}
        job = requests.post(f"{url}/v1/edits", headers=auth(api), json=body).json()

        def event(name):
            for headers, raw in Receiver.got:
                message = json.loads(raw)
                if message["id"] == job["id"] and message["event"] == name:
                    return headers, raw, message
            return None

        headers, raw, completed = wait_for(lambda: event("edit.completed"), timeout=120, what="webhook")
        Webhook(b"hook-secret").verify(raw, {k.lower(): v for k, v in headers.items()})  # signed
        assert completed["status"] == "review" and completed["output"] is None
        crop = requests.post(
            f"{url}/v1/edits", headers=auth(api), json={"image": COFFEE, "instruction": "crop to 1:1"}
        )
        started = time.monotonic()
        wait_for(
            lambda: (
                requests.get(crop.json()["urls"]["get"], headers=auth(api)).json()["status"] == "published"
            ),
            what="alice's crop",
        )
        assert time.monotonic() - started < 20  # not behind the hanging receiver's deliveries

        # the reviewer approves: what flows/review.py does with an approval
        folder = api["home"] / "data" / "api" / "jobs" / job["id"]
        line = ItemResult.model_validate_json((folder / "results.jsonl").read_text().splitlines()[0])
        output = publish_reviewed.fn(line.output, str(folder), "")
        decision = ReviewDecision(
            decision="approve", reviewer="ops@shop", item=job["id"], at="2026-12-06T00:00:00"
        )
        write_results_file(
            [line.model_copy(update={"status": "published", "output": output, "review": decision})],
            str(folder),
            merge=True,
        )

        headers, raw, reviewed = wait_for(
            lambda: event("edit.reviewed"), timeout=30, what="the reviewed webhook"
        )
        Webhook(b"hook-secret").verify(raw, {k.lower(): v for k, v in headers.items()})
        assert reviewed["status"] == "published" and reviewed["review"]["reviewer"] == "ops@shop"
        assert reviewed["output"].startswith(f"{url}/v1/files/") and "sig=" in reviewed["output"]
        assert decode(requests.get(reviewed["output"]).content).shape == (400, 600, 3)  # no key needed
        assert requests.get(job["urls"]["get"], headers=auth(api)).json()["status"] == "published"
        time.sleep(3)  # the watcher and this GET both saw the decision: one webhook all the same
        assert sum(1 for _, r in Receiver.got if json.loads(r)["id"] == job["id"]) == 2
    finally:
        Silent.done.set()
        receiver.shutdown()
        silent.shutdown()


def test_a_killed_api_leaves_no_job_running_and_each_ends_once(api):
    """kill -9 of an API process with a batch running and an edit queued behind it: the next
    process takes the edit up at once and the batch back when its lease runs out; both end, once,
    and the edit's webhook is delivered once."""
    env = {**api["env"], "RETOUCH_API_JOB_LEASE_SECONDS": "3", "RETOUCH_API_WORKERS": "1"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def start():
        proc = subprocess.Popen(
            [sys.executable, "-m", "retouch", "api", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _healthy(url), timeout=180, what="the second API")
        return proc

    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    first = start()
    try:
        rows = [{"id": f"k{n}", "image": COFFEE, "instruction": "crop to 1:1"} for n in range(20)]
        batch = requests.post(f"{url}/v1/batches", headers=auth(api), json={"items": rows}).json()
        hook = f"http://127.0.0.1:{receiver.server_port}/hook"
        body = {"image": COFFEE, "instruction": "flip", "webhook": hook}
        edit = requests.post(f"{url}/v1/edits", headers=auth(api), json=body).json()

        def status(job):
            return requests.get(f"{api['url']}/v1/edits/{job['id']}", headers=auth(api)).json()["status"]

        wait_for(lambda: status(batch) == "running", what="the batch to run")
        first.kill()  # kill -9: no cleanup of any kind
        first.wait()
        assert (status(batch), status(edit)) == ("running", "queued")
        second = start()
        try:
            for job in (batch, edit):
                wait_for(
                    lambda job=job: status(job) not in ("queued", "running"), timeout=180, what=job["id"]
                )
            finished = requests.get(f"{url}/v1/edits/{batch['id']}", headers=auth(api)).json()
            assert finished["status"] == "published" and len(finished["result"]) == 20
            assert status(edit) == "published"
            time.sleep(3)  # a second delivery would have come by now
            delivered = [json.loads(raw) for _, raw in Receiver.got if json.loads(raw)["id"] == edit["id"]]
            assert [m["event"] for m in delivered] == ["edit.completed"]
        finally:
            stop(second)
    finally:
        if first.poll() is None:
            first.kill()
        receiver.shutdown()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_no_auth_mode_serves_the_page_without_a_key_until_a_key_exists(api, tmp_path):
    """What `make up` starts before any key: the operator page edits without a key; a key created
    while it runs switches auth on at once, and /healthz says so."""
    from playwright.sync_api import sync_playwright

    env = {**api["env"], "RETOUCH_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "retouch", "api", "--port", str(port), "--no-auth"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _healthy(url), timeout=180, what="the --no-auth API")
        assert requests.get(f"{url}/healthz").json()["auth"] is False
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = browser.new_page()
            page.goto(url + "/")
            page.set_input_files("#files", str(IMAGES / "rocket.jpg"))
            page.fill("#instruction", "flip")
            page.click("#submit")
            card = page.locator(".job").first
            card.locator(".status.published").wait_for(timeout=60_000)  # no key was typed
            browser.close()
        made = retouch(env, "api-key", "create", "late", "--json")
        assert made.returncode == 0, made.stderr
        assert requests.get(f"{url}/v1/edits").status_code == 401  # auth is on now, no restart
        key = json.loads(made.stdout)["key"]
        assert requests.get(f"{url}/v1/edits", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert requests.get(f"{url}/healthz").json()["auth"] is True
    finally:
        stop(proc)


def test_the_webhook_outbox_delivers_each_state_change_once_even_to_a_receiver_down_at_first(tmp_path):
    """A job's webhook goes through the ledger's outbox: a receiver that is down is tried again
    (backoff), a message is queued once per job and event whatever process queues it again, and
    one a sender claimed but never delivered (its process died) is delivered by another."""
    from standardwebhooks import Webhook

    from retouch.api.hooks import Hooks

    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    port = free_port()  # nothing listens there yet
    target = f"http://127.0.0.1:{port}/hook"
    first = Hooks(ledger, "hook-secret", backoff_s=0.2)
    first.queue(target, "edit.completed", {"id": "job_down", "status": "published"})
    first.pump()
    time.sleep(1)  # the first try failed: connection refused
    receiver = HTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        second = Hooks(ledger, "hook-secret", backoff_s=0.2)  # another API process
        second.queue(target, "edit.completed", {"id": "job_down", "status": "published"})  # told once
        mine = lambda: [(h, r) for h, r in Receiver.got if json.loads(r)["id"] == "job_down"]  # noqa: E731
        wait_for(lambda: second.pump() or mine(), what="the retried delivery")
        time.sleep(1.5)
        for h in (first, second):
            h.pump()
        ((headers, raw),) = mine()  # once
        headers = {k.lower(): v for k, v in headers.items()}
        Webhook(b"hook-secret").verify(raw, headers)
        assert headers["webhook-id"] == "msg_job_down_edit_completed"

        # a sender claims a message and dies before delivering it: another delivers it after the hold
        from tasks.record.ledger import outbox

        assert outbox.post(
            ledger, "msg_job_orphan_edit_completed", "job_orphan", target, {"id": "job_orphan"}
        )
        assert [row["id"] for row in outbox.claim(ledger, 4, hold_s=0.5)] == ["msg_job_orphan_edit_completed"]
        assert outbox.claim(ledger, 4, hold_s=0.5) == []  # held: nobody else takes it meanwhile
        time.sleep(0.7)
        second.pump()
        wait_for(lambda: any(json.loads(r)["id"] == "job_orphan" for _, r in Receiver.got), what="the orphan")
    finally:
        receiver.shutdown()
