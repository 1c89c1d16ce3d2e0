"""The operator's stack as the README runs it: `make up` (a Prefect server with its UI, the
deployments, the review page, configured from a .env), a review decided from the Prefect UI's
Resume form in headless Chromium through its signed links, and `make down` leaving nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import cv2
import pytest

from tests.helpers import IMAGES, ROOT, free_port, moto_client, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def make(target: str, env: dict[str, str], *args: str, timeout: float = 300) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        ["make", "-s", target, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, time.monotonic() - started


def group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.fixture
def stack_env(tmp_path, moto_server):
    """What an operator has: a .env with the review token and page, S3 (moto's server) and an
    upload prefix to watch, a Prefect home of its own."""
    ui_port, page_port = free_port(), free_port()
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# the operator's settings, read by every process make up starts\n"
        "RETOUCH_REVIEW_TOKEN=op-secret-token\n"
        f"RETOUCH_REVIEW_PAGE_URL=http://127.0.0.1:{page_port}\n"
        "AWS_ACCESS_KEY_ID=test\nAWS_SECRET_ACCESS_KEY=test\nAWS_DEFAULT_REGION=us-east-1\n"
        f"RETOUCH_S3_ENDPOINT_URL={moto_server}\n"
        'RETOUCH_UPLOAD_WATCH=["s3://shop/incoming/"]\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RETOUCH_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        RETOUCH_ENV_FILE=str(dotenv),
        RETOUCH_STACK_DIR=str(tmp_path / "run"),
        RETOUCH_DATA_DIR=str(tmp_path / "data"),
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_OFFLINE="1",
    )
    yield env, ui_port, page_port, moto_server
    subprocess.run(["make", "-s", "down"], cwd=ROOT, env=env, capture_output=True, timeout=60)


def review_item(tmp_path: Path) -> tuple[dict, dict, str]:
    out_dir = tmp_path / "out"
    edited = cv2.imread(str(IMAGES / "coffee.png"))
    cv2.circle(edited, (300, 200), 60, (40, 40, 220), -1)
    output = out_dir / "review" / "sku-ui" / "00aa11bb22cc33dd.png"
    output.parent.mkdir(parents=True)
    cv2.imwrite(str(output), edited)
    item = {"id": "sku-ui", "image": str(IMAGES / "coffee.png"), "instruction": "把杯子换成红色"}
    result = {
        "id": "sku-ui",
        "status": "review",
        "route": "model",
        "output": str(output),
        "checks": [
            {"check": "shift", "value": 6.0, "threshold": 2.0, "passed": False, "message": "frame moved"}
        ],
    }
    return item, result, str(out_dir)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_make_up_review_in_the_prefect_ui_then_make_down_leaves_nothing(stack_env, tmp_path):
    from playwright.sync_api import sync_playwright
    from prefect import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env, ui_port, page_port, moto_server = stack_env
    s3 = moto_client("s3", moto_server)
    s3.create_bucket(Bucket="shop")
    api_port = free_port()
    said, _ = make("up", env, f"UI_PORT={ui_port}", f"API_PORT={api_port}")
    assert "server: started" in said and "serve: started" in said and "review: started" in said
    assert "api: started" in said and f"http://127.0.0.1:{api_port}/ (no keys yet" in said
    assert "watch-1: started" in said and "watching s3://shop/incoming/" in said
    run_dir = tmp_path / "run"
    pids = {p.stem: int(p.read_text()) for p in run_dir.glob("*.pid")}
    assert set(pids) == {"server", "serve", "review", "api", "watch-1"}
    # an upload to the watched prefix is edited by the stack (watcher -> event -> on-upload)
    coffee = cv2.imencode(".png", cv2.imread(str(IMAGES / "coffee.png")))[1].tobytes()
    s3.put_object(Bucket="shop", Key="incoming/sku-up.png", Body=coffee, Metadata={"instruction": "flip"})
    again, _ = make(
        "up", env, f"UI_PORT={ui_port}", f"API_PORT={api_port}"
    )  # a second `make up` starts no second runner
    assert again.count("already running") == 5
    # the machine's Prefect profile is left alone: this checkout's commands find the server
    profiles = tmp_path / "prefect" / "profiles.toml"
    assert not profiles.exists() or str(ui_port) not in profiles.read_text()
    with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/healthz", timeout=10) as response:
        assert json.loads(response.read())["status"] == "ok"  # the HTTP API, on the same Prefect server
    assert {p.stem: int(p.read_text()) for p in run_dir.glob("*.pid")} == pids
    # what `make up` set up, checked the way the operator is told to
    doctor = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "retouch"), "doctor"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    lines = {
        line[6:18].strip(): line
        for line in doctor.stdout.splitlines()
        if line[:4] in ("ok  ", "warn", "FAIL")
    }
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert (
        lines["prefect api"].startswith("ok") and f"127.0.0.1:{ui_port}/api answers" in lines["prefect api"]
    )
    assert lines["deployments"].startswith("ok") and "on-upload" in lines["deployments"]
    assert lines["review page"].startswith("ok") and "(a token)" in lines["review page"]
    assert lines["config"].startswith("ok") and ".env read" in lines["config"]

    api = f"http://127.0.0.1:{ui_port}/api"
    item, result, out_dir = review_item(tmp_path)
    with temporary_settings(updates={PREFECT_API_URL: api}):
        run = run_deployment(
            "review-edit/review-edit",
            timeout=0,
            parameters={
                "item": item,
                "result": result,
                "out_dir": out_dir,
                "review_page": f"http://127.0.0.1:{page_port}",
            },
        )

        def state():
            with get_client(sync_client=True) as client:
                return client.read_flow_run(run.id).state

        wait_for(lambda: state().is_paused(), what="the review run to suspend")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # the Prefect UI's Resume form: its before/after pictures load without a token
            page.goto(f"http://127.0.0.1:{ui_port}/runs/flow-run/{run.id}")
            page.get_by_role("button", name="Resume").first.click(timeout=60_000)
            dialog = page.get_by_role("dialog")
            dialog.get_by_text("Why it needs a person").wait_for(timeout=30_000)
            pictures = dialog.locator(f'img[src*="127.0.0.1:{page_port}/image/{run.id}/"]')
            assert pictures.count() == 2
            page.wait_for_function(
                "n => [...document.querySelectorAll('[role=dialog] img')].filter(i => i.naturalWidth > 0)"
                ".length >= n",
                arg=2,
                timeout=30_000,
            )
            page.screenshot(path=str(tmp_path / "prefect-resume-form.png"))
            link = dialog.get_by_role("link", name="Open the before/after page").get_attribute("href")
            assert "sig=" in link and "token" not in link  # signed and expiring, no secret in it
            # the linked page shows this review; deciding asks for the token
            page.goto(link)
            card = page.locator('.item[data-item="sku-ui"]')
            card.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.item img')].every(i => i.naturalWidth > 0)"
            )
            card.locator(".approve").click()
            card.locator(".status").filter(has_text="failed").wait_for(timeout=30_000)  # no token
            card.locator(".tok").fill("op-secret-token")
            card.locator(".approve").click()  # the shared token names nobody: who decides?
            card.locator(".status").filter(has_text="say who decides").wait_for(timeout=30_000)
            card.locator(".who").fill("ops@shop")
            card.locator(".approve").click()
            card.locator(".status").filter(has_text="approve: sent").wait_for(timeout=30_000)
            browser.close()
        final = wait_for(lambda: (s := state()).is_final() and s, what="the approved run to finish")
        assert final.is_completed()
    assert (Path(out_dir) / "published" / "sku-ui" / "00aa11bb22cc33dd.png").is_file()
    decided = json.loads((Path(out_dir) / "review" / "sku-ui" / "decision.json").read_text())
    assert decided["reviewer"] == "ops@shop"

    def upload_results():
        listed = s3.list_objects_v2(Bucket="shop", Prefix="retouch-out/").get("Contents", [])
        return [o["Key"] for o in listed if o["Key"].endswith("results.jsonl")]

    assert wait_for(upload_results, timeout=120, what="the watched upload to be edited")

    said, seconds = make("down", env)
    assert seconds < 15, f"make down took {seconds:.1f} s"
    assert not [name for name, pid in pids.items() if group_alive(pid)], said
    assert not list(run_dir.glob("*.pid"))
    for name in pids:
        assert f"{name}: stopped" in said or f"{name}: killed" in said
