"""Faults injected for real: a killed batch, a throttling S3, a Prefect API that goes away, a review
nobody answers, a full disk, a read-only output folder. Nothing is lost, nothing is half-written,
errors are one clear line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import IMAGES, ROOT, free_port, stop, wait_for

pytestmark = pytest.mark.slow


def photos(folder: Path, count: int, side: int = 900) -> Path:
    """`count` distinct JPEGs and a manifest cropping them to 1:1."""
    folder.mkdir(parents=True, exist_ok=True)
    base = cv2.resize(cv2.imread(str(IMAGES / "rocket.jpg")), (side, side * 3 // 4))
    rows = ["id,image,instruction"]
    for n in range(count):
        img = np.roll(base, n * 7, axis=1)
        cv2.imwrite(str(folder / f"p{n:04d}.jpg"), img)
        rows.append(f"p{n:04d},p{n:04d}.jpg,crop to 1:1")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return {**env, **extra}


def assert_whole_batch(out: Path, count: int) -> list[dict]:
    """One result line per item, every output decodes, one file per item, no leftovers."""
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == [f"p{n:04d}" for n in range(count)]
    assert all(r["status"] == "published" for r in rows), [r for r in rows if r["error"]][:3]
    for row in rows:
        files = list((out / "published" / row["id"]).iterdir())
        assert [f.name for f in files] == [Path(row["output"]).name]  # no duplicate publish
        assert cv2.imread(str(files[0])).shape[:2] == (675, 675)
    assert not list(out.rglob("*.part"))  # no half-written file left
    return rows


def test_a_killed_batch_resumes_without_loss_or_duplicates(tmp_path):
    manifest = photos(tmp_path / "in", 150)
    out = tmp_path / "out"
    env = clean_env(PREFECT_HOME=str(tmp_path / "prefect"), RETOUCH_DATA_DIR=str(tmp_path / "d"))
    command = [sys.executable, "-m", "retouch", "run", str(manifest), "--out", str(out)]
    first = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(lambda: len(list(out.glob("published/*/*"))) >= 20, what="the batch to get going")
    os.killpg(first.pid, signal.SIGKILL)  # the CLI, its flow run and its embedded server
    first.wait()
    done_before = len(list(out.glob("published/*/*")))
    assert 0 < done_before < 150 and not (out / "results.jsonl").exists()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert_whole_batch(out, 150)


class FlakyProxy:
    """An HTTP proxy in front of S3 that answers 503 SlowDown to every `every`-th request."""

    def __init__(self, target: str, every: int = 3):
        self.target, self.every, self.seen, self.refused = target, every, 0, 0
        self.lock = threading.Lock()  # one lock for every request thread of the server
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.seen += 1
                    refuse = proxy.seen % proxy.every == 0
                    proxy.refused += refuse
                if refuse:
                    payload = (
                        b"<?xml version='1.0'?><Error><Code>SlowDown</Code>"
                        b"<Message>Please reduce your request rate.</Message></Error>"
                    )
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                host, port = proxy.target.split("//")[1].split(":")
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                conn.request(
                    self.command,
                    self.path,
                    body=body or None,
                    headers={k: v for k, v in self.headers.items()},
                )
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


def test_a_throttling_s3_is_ridden_out_by_retries(prefect_api, moto_server, tmp_path, monkeypatch):
    import boto3

    from config.settings import get_settings
    from flows.catalog import catalog_refresh

    direct = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    bucket = f"flaky-{uuid.uuid4().hex[:6]}"
    direct.create_bucket(Bucket=bucket)
    manifest = photos(tmp_path / "in", 8, side=400)
    for path in sorted((tmp_path / "in").iterdir()):
        direct.put_object(Bucket=bucket, Key=f"in/{path.name}", Body=path.read_bytes())
    proxy = FlakyProxy(moto_server, every=4)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "RETOUCH_S3_ENDPOINT_URL": proxy.url,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    results = catalog_refresh(manifest_uri=f"s3://{bucket}/in/{manifest.name}", out_uri=f"s3://{bucket}/out")
    assert [r.status for r in results] == ["published"] * 8
    assert proxy.refused >= 6  # a quarter of the calls answered 503 SlowDown
    lines = direct.get_object(Bucket=bucket, Key="out/results.jsonl")["Body"].read()
    assert len(lines.decode().splitlines()) == 8


def test_the_prefect_api_going_away_mid_batch(tmp_path):
    """The server is killed and restarted mid-batch: the batch completes, or fails loudly."""
    manifest = photos(tmp_path / "in", 160)
    home, port = tmp_path / "prefect", free_port()
    url = f"http://127.0.0.1:{port}/api"
    server_env = clean_env(
        PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false"
    )

    def start_server():
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def healthy():
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return True
        except OSError:
            return False

    server = start_server()
    try:
        wait_for(healthy, timeout=120, what="prefect server")
        out = tmp_path / "out"
        run = subprocess.Popen(
            [sys.executable, "-m", "retouch", "run", str(manifest), "--out", str(out)],
            env=clean_env(PREFECT_API_URL=url, PREFECT_HOME=str(home), RETOUCH_DATA_DIR=str(tmp_path / "d")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: len(list(out.glob("published/*/*"))) >= 10, what="the batch")
        stop(server)
        time.sleep(6)  # the API is unreachable for a while
        server = start_server()
        stdout, stderr = run.communicate(timeout=600)
        print(f"API outage: exit {run.returncode}; {stderr.strip()[-300:]}")
        if run.returncode == 0:
            assert_whole_batch(out, 160)
        else:  # loudly: a one-line error, and no results file that pretends to be complete
            assert stderr.strip().startswith("error:") or "Error" in stderr, stderr[-2000:]
            rows = out / "results.jsonl"
            assert not rows.exists() or len(rows.read_text().splitlines()) == 160
    finally:
        stop(server)


def test_an_unanswered_review_ends_in_a_recorded_state(tmp_path):
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home, port = tmp_path / "prefect", free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS="1",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    serve = None
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):

            def deployed():
                with get_client(sync_client=True) as client:
                    try:
                        return client.read_deployment_by_name("review-edit/review-edit")
                    except Exception:
                        return None

            def healthy():
                with get_client(sync_client=True) as client:
                    try:
                        return client.api_healthcheck() is None
                    except Exception:
                        return False

            wait_for(healthy, timeout=120, what="prefect server")
            serve = subprocess.Popen(
                [sys.executable, "-m", "retouch", "serve"],
                cwd=ROOT,
                env=clean_env(
                    PREFECT_API_URL=url,
                    PREFECT_HOME=str(home),
                    PREFECT_RUNNER_POLL_FREQUENCY="1",
                    RETOUCH_REVIEW_TIMEOUT_SECONDS="3",
                    RETOUCH_DATA_DIR=str(tmp_path / "d"),
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(deployed, what="the review deployment")
            item = {"id": "nobody", "image": str(IMAGES / "coffee.png"), "instruction": "x"}
            result = {"id": "nobody", "status": "review", "output": str(IMAGES / "coffee.png"), "checks": []}
            flow_run = run_deployment(
                "review-edit/review-edit",
                timeout=0,
                parameters={"item": item, "result": result, "out_dir": str(tmp_path / "out")},
            )

            def state():
                with get_client(sync_client=True) as client:
                    return client.read_flow_run(flow_run.id).state

            final = wait_for(
                lambda: (s := state()).is_final() and s, timeout=120, what="the review to time out"
            )
        assert final.is_failed() and "resume" in (final.message or "").lower(), final
    finally:
        stop(*(proc for proc in (serve, server) if proc))


@pytest.fixture
def tiny_disk(tmp_path):
    folder = tmp_path / "disk"
    folder.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_gives_clear_errors_and_no_partial_files(run_cli, tiny_disk, tmp_path):
    manifest = photos(tmp_path / "in", 12, side=1200)
    code, out, err = run_cli("run", str(manifest), "--out", str(tiny_disk / "out"), "--json")
    assert "Traceback" not in err
    if code == 0:  # the results file fitted: the items that did not say why, in one line
        rows = [json.loads(line) for line in out.splitlines()]
        failed = [r for r in rows if r["status"] == "failed"]
        assert failed and all("No space left on device" in r["error"] for r in failed)
    else:
        assert err.startswith("error:") and "No space left on device" in err
    assert not list(tiny_disk.rglob("*.part"))


def test_a_read_only_output_folder_is_refused_up_front(run_cli, tiny_disk, tmp_path):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    manifest = photos(tmp_path / "in", 2, side=300)
    code, _, err = run_cli("run", str(manifest), "--out", str(tiny_disk / "out"))
    assert code == 2 and err.count("\n") == 1 and "Read-only file system" in err
    code, _, err = run_cli("edit", str(IMAGES / "coffee.png"), "crop to 1:1", "-o", str(tiny_disk / "x.png"))
    assert code == 2 and "Read-only file system" in err


def test_an_upload_whose_run_is_killed_mid_edit_is_edited_exactly_once(prefect_api, moto_server, tmp_path):
    """SIGKILL of the on-upload run while it holds the upload: the redelivered event does
    nothing while the lease runs; once it expired, retry-uploads edits the object; one output.

    The redelivered event's process is started (its imports done) before the kill and told to go
    after it: on a loaded CI machine, starting Python and importing Prefect took 19 s, longer than
    the lease, and the 'redelivered' event then rightly took the expired upload over."""
    import boto3
    from sqlalchemy import create_engine, text

    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    bucket = f"shop-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    big = cv2.resize(cv2.imread(str(IMAGES / "rocket.jpg")), (4000, 3000))  # seconds to edit
    s3.put_object(
        Bucket=bucket,
        Key="incoming/sku 1.png",
        Body=cv2.imencode(".png", big)[1].tobytes(),
        Metadata={"instruction": "rotate 90 degrees"},
    )
    etag = s3.head_object(Bucket=bucket, Key="incoming/sku 1.png")["ETag"].strip('"')
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "RETOUCH_S3_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "RETOUCH_DATA_DIR": str(tmp_path / "data"),
        "RETOUCH_UPLOAD_LEASE_SECONDS": "20",
    }
    call = (
        "from flows.upload import on_upload, retry_uploads; import sys, json; "
        "print(json.dumps(on_upload(*sys.argv[1:]) if len(sys.argv) > 1 else retry_uploads()))"
    )
    redelivered = (  # imports first, then waits for its cue
        "from flows.upload import on_upload; import sys, json; print('ready', flush=True); "
        "sys.stdin.readline(); print(json.dumps(on_upload(*sys.argv[1:])))"
    )
    ledger = create_engine(f"sqlite:///{tmp_path / 'data' / 'retouch.db'}")

    def lease():
        try:
            with ledger.connect() as connection:
                return connection.execute(text("select state, attempts from uploads")).first()
        except Exception:  # the ledger is not there yet
            return None

    def run(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", call, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    second = subprocess.Popen(
        [sys.executable, "-c", redelivered, bucket, "incoming/sku 1.png", etag],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert second.stdout.readline().strip() == "ready", second.stderr.read()[-2000:]
    first = subprocess.Popen(
        [sys.executable, "-c", call, bucket, "incoming/sku 1.png", etag],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: lease() is not None, what="the upload's claim")
    os.killpg(first.pid, signal.SIGKILL)  # mid-edit: the lease is held by a dead run
    first.wait()
    assert tuple(lease()) == ("running", 1)
    out, err = second.communicate("go\n", timeout=300)  # the event, redelivered while the lease runs
    assert second.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["status"] == "duplicate"
    wait_for(lambda: run() != [] or None, timeout=120, what="retry-uploads to take the upload up")
    assert tuple(lease()) == ("done", 2)
    assert run(bucket, "incoming/sku 1.png", etag)["status"] == "duplicate"  # done: never twice
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="retouch-out/")["Contents"]]
    published = [k for k in keys if "/published/" in k]
    assert len(published) == 1, keys  # exactly one output
    body = s3.get_object(Bucket=bucket, Key=published[0])["Body"].read()
    assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (4000, 3000)
    results = [k for k in keys if k.endswith("results.jsonl")]
    assert len(results) == 1 and not [k for k in keys if ".part" in k]


def test_a_killed_batch_with_model_and_review_items_resumes_without_duplicates(tmp_path):
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    model = make_tiny(tmp_path / "tiny")
    manifest = photos(tmp_path / "in", 40)
    with manifest.open("a") as rows:  # three model edits among them (the tiny model: to review)
        for n in range(3):
            rows.write(f"m{n},{IMAGES / 'coffee.png'},把杯子换成一杯绿茶{'!' * n}\n")
    out = tmp_path / "out"
    env = clean_env(
        PREFECT_HOME=str(tmp_path / "prefect"),
        RETOUCH_DATA_DIR=str(tmp_path / "d"),
        RETOUCH_MODEL=str(model),
        RETOUCH_MODEL_STEPS="2",
    )
    command = [sys.executable, "-m", "retouch", "run", str(manifest), "--out", str(out)]
    first = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(lambda: len(list(out.glob("*/*/*"))) >= 10, what="the batch to get going")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not (out / "results.jsonl").exists()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    rows = {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert sorted(rows) == sorted([f"p{n:04d}" for n in range(40)] + ["m0", "m1", "m2"])  # one each
    for n in range(40):
        files = list((out / "published" / f"p{n:04d}").iterdir())
        assert [f.name for f in files] == [Path(rows[f"p{n:04d}"]["output"]).name]  # no duplicate
    for n in range(3):
        row = rows[f"m{n}"]
        assert row["status"] == "review" and not (out / "published" / f"m{n}").exists()
        waiting = {f.name for f in (out / "review" / f"m{n}").iterdir()}
        shown = {Path(row["output"]).name} | {Path(c["output"]).name for c in row["candidates"]}
        assert waiting == shown  # its output and candidates (a cache hit: its output), nothing else
    assert not list(out.rglob("*.part"))  # no half-written file left
