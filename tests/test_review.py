"""Human review end to end: a suspended review-edit run, the review page in headless Chromium,
a click on Approve that resumes the run, and the edit published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import pytest

from tests.helpers import IMAGES, ROOT, free_port, stop, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow


def state_of(run_id):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state


def review_case(tmp_path: Path, item_id: str) -> tuple[dict, dict, str]:
    """An item whose edit waits in review/ (as the batch flow leaves it)."""
    out_dir = tmp_path / "out"
    edited = cv2.imread(str(IMAGES / "coffee.png"))
    cv2.circle(edited, (300, 200), 60, (40, 40, 220), -1)
    output = out_dir / "review" / item_id / "0123456789abcdef.png"
    output.parent.mkdir(parents=True)
    cv2.imwrite(str(output), edited)
    item = {"id": item_id, "image": str(IMAGES / "coffee.png"), "instruction": "把杯子换成红色"}
    result = {
        "id": item_id,
        "status": "review",
        "route": "model",
        "output": str(output),
        "checks": [
            {
                "check": "shift",
                "value": 6.0,
                "threshold": 2.0,
                "passed": False,
                "message": "whole frame moved by (+6.0, +0.0) px",
            }
        ],
    }
    other = {"id": "other", "status": "published", "route": "opencv", "output": "x.png"}
    (out_dir / "results.jsonl").write_text(json.dumps(result) + "\n" + json.dumps(other) + "\n")
    return item, result, str(out_dir)


def results_lines(out_dir: str) -> list[dict]:
    return [json.loads(line) for line in (Path(out_dir) / "results.jsonl").read_text().splitlines()]


@pytest.fixture
def served(prefect_api, tmp_path, tiny_model_dir):
    """`retouch serve` (the deployments of prefect.yaml) and `retouch review serve`."""
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "RETOUCH_REVIEW_TOKEN": "s3cret-token",
        "RETOUCH_MODEL": str(tiny_model_dir),
        "RETOUCH_MODEL_STEPS": "2",
    }
    page_port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "retouch", "serve"],
            cwd=ROOT,
            env=env,
            stdout=(logs / "serve.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "retouch", "review", "serve", "--port", str(page_port)],
            cwd=ROOT,
            env=env,
            stdout=(logs / "page.log").open("w"),
            stderr=subprocess.STDOUT,
        ),
    ]

    def deployed():
        from prefect import get_client

        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name("review-edit/review-edit")
            except Exception:
                return None
        return deployment.work_pool_name is None  # served by this runner, not a work pool

    try:
        wait_for(deployed, what="the review-edit deployment")
        wait_for(
            lambda: _answers(f"http://127.0.0.1:{page_port}/?token=s3cret-token"), what="the review page"
        )
        yield f"http://127.0.0.1:{page_port}", logs
    finally:
        stop(*procs)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_review(item, result, out_dir, page):
    from prefect.deployments import run_deployment

    run = run_deployment(
        "review-edit/review-edit",
        timeout=0,
        parameters={"item": item, "result": result, "out_dir": out_dir, "review_page": page},
    )
    wait_for(lambda: state_of(run.id).is_paused(), what="the review run to suspend")
    return run.id


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
def test_approve_in_the_browser_publishes(served, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    page_url, logs = served
    item, result, out_dir = review_case(tmp_path, "sku-1")
    run_id = start_review(item, result, out_dir, page_url)

    # without the token the page refuses
    assert not _answers(f"{page_url}/api/reviews")

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.goto(f"{page_url}/?token=s3cret-token")
        card = page.locator('.item[data-item="sku-1"]')
        card.wait_for(timeout=30_000)
        assert "whole frame moved" in card.inner_text()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.item img')].every(i => i.naturalWidth > 0)"
        )
        card.locator(".who").fill("alice")
        card.locator(".approve").click()
        card.locator(".status").filter(has_text="approve: sent").wait_for(timeout=30_000)
        page.screenshot(path=str(logs / "review-page.png"))
        browser.close()

    final = wait_for(lambda: (s := state_of(run_id)).is_final() and s, what="the resumed run to finish")
    assert final.is_completed(), (logs / "serve.log").read_text()[-3000:]
    published = Path(out_dir) / "published" / "sku-1" / "0123456789abcdef.png"
    assert published.read_bytes() == Path(result["output"]).read_bytes()
    decision = json.loads((Path(out_dir) / "review" / "sku-1" / "decision.json").read_text())
    assert decision["decision"] == "approve" and decision["reviewer"] == "alice"
    assert decision["at"] and decision["flow_run"] == str(run_id)
    assert decision["output"] == str(published)  # where the approved picture is now
    line, other = results_lines(out_dir)  # the decision rewrote the item's line, and only it
    assert (line["status"], line["output"]) == ("published", str(published))
    assert other["id"] == "other" and other["status"] == "published"


def test_reject_from_the_command_line(served, tmp_path, run_cli):
    page_url, logs = served
    item, result, out_dir = review_case(tmp_path, "sku-2")
    run_id = start_review(item, result, out_dir, page_url)
    code, out, _ = run_cli("review", "list", "--json")
    assert code == 0 and str(run_id) in out
    code, out, _ = run_cli("review", "show", str(run_id))  # where the pictures are, in words
    assert code == 0 and f"before:      {item['image']}" in out and f"after:       {result['output']}" in out
    assert (
        "shift: whole frame moved by (+6.0, +0.0) px" in out
        and f"retouch review approve|reject {run_id}" in out
    )
    code, _, err = run_cli("review", "show", "not-a-review")
    assert code == 2 and "is not waiting for review" in err
    # the page printed the address a reviewer opens, token included
    assert f"review page: {page_url}/?token=s3cret-token" in (logs / "page.log").read_text()
    code, _, err = run_cli("review", "reject", str(run_id), "--note", "wrong colour", "--reviewer", "bob")
    assert code == 0, err
    # a review run whose parameters name a file that is no picture: the page will not serve it
    (tmp_path / "hostile").mkdir()
    snooping, snooped, snoop_dir = review_case(tmp_path / "hostile", "sku-snoop")
    polyglot = Path(snoop_dir) / "review" / "sku-snoop" / "product.html"
    polyglot.write_text("<html><script>alert(document.cookie)</script></html>")
    snooping["image"], snooped["output"] = "/etc/hostname", str(polyglot)
    snoop_id = start_review(snooping, snooped, snoop_dir, page_url)
    for which in ("before", "after"):
        try:
            urllib.request.urlopen(f"{page_url}/image/{snoop_id}/{which}?token=s3cret-token")
            raise AssertionError(f"{which}: served")
        except urllib.error.HTTPError as exc:
            assert exc.code in (404, 415), exc.code  # not an image: refused (404: no such file)
    final = wait_for(lambda: (s := state_of(run_id)).is_final() and s, what="the resumed run to finish")
    assert final.is_completed(), (logs / "serve.log").read_text()[-3000:]
    assert not (Path(out_dir) / "published").exists()
    decision = json.loads((Path(out_dir) / "review" / "sku-2" / "decision.json").read_text())
    assert (decision["decision"], decision["reviewer"], decision["note"]) == ("reject", "bob", "wrong colour")
    code, _, err = run_cli("review", "approve", str(run_id))
    assert code == 2 and err.startswith("error: cannot resume")  # decided already


def test_re_edit_goes_round_again(served, tmp_path, run_cli):
    page_url, logs = served
    item, result, out_dir = review_case(tmp_path, "sku-3")
    run_id = start_review(item, result, out_dir, page_url)
    code, _, err = run_cli("review", "re-edit", str(run_id), "把杯子换成一杯绿茶", "--reviewer", "carol")
    assert code == 0, err
    final = wait_for(lambda: (s := state_of(run_id)).is_final() and s, what="the resumed run to finish")
    assert final.is_completed(), (logs / "serve.log").read_text()[-3000:]
    decision = json.loads((Path(out_dir) / "review" / "sku-3" / "decision.json").read_text())
    assert decision["decision"] == "re-edit" and decision["instruction"] == "把杯子换成一杯绿茶"
    # the tiny model's new edit fails its checks too: a new review run waits for a person
    assert decision["re_edit_status"] == "review" and decision["next_review"]
    wait_for(lambda: state_of(decision["next_review"]).is_paused(), what="the second review round to suspend")

    # a re-edit whose new instruction is an OpenCV job is done by OpenCV (one dispatcher)
    item, result, out_dir = review_case(tmp_path / "opencv", "sku-4")
    run_id = start_review(item, result, out_dir, page_url)
    code, _, err = run_cli("review", "re-edit", str(run_id), "crop to 1:1", "--reviewer", "dan")
    assert code == 0, err
    final = wait_for(lambda: (s := state_of(run_id)).is_final() and s, what="the resumed run to finish")
    assert final.is_completed(), (logs / "serve.log").read_text()[-3000:]
    line = results_lines(out_dir)[0]
    assert (line["status"], line["route"]) == ("published", "opencv"), line
    assert cv2.imread(line["output"]).shape[:2] == (400, 400)


def test_batch_sends_failed_checks_to_a_suspended_review(
    served, tmp_path, tiny_model_dir, monkeypatch, run_cli
):
    from config.contracts import ItemResult

    monkeypatch.setenv("RETOUCH_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_REVIEW_PAGE_URL", served[0])
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"id,image,instruction\ntea,{IMAGES / 'coffee.png'},把杯子换成一杯绿茶\n", encoding="utf-8"
    )
    code, out, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    # the run says who waits and where to decide; `review list` knows it at once
    assert f"1 item waits for review: `retouch review list` or {served[0]}" in out
    (result,) = [ItemResult.model_validate(line) for line in results_lines(tmp_path / "out")]
    assert result.status == "review" and "/review/" in result.output
    run_id = result.review.flow_run
    code, listed, _ = run_cli("review", "list")
    assert code == 0 and f"{run_id}  tea: 把杯子换成一杯绿茶" in listed
    wait_for(lambda: state_of(run_id).is_paused(), what="the batch's review run to suspend")
    code, listed, _ = run_cli("review", "list")
    assert f"{run_id}  tea: 把杯子换成一杯绿茶\n" in listed  # suspended: no longer "starting"
    from prefect import get_client
    from prefect.input.run_input import keyset_from_paused_state, read_flow_run_input

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.name == "review tea"  # the run says which item
    # the Prefect form: nothing preselected, a reviewer to name, the test model's noise said first
    keys = keyset_from_paused_state(run.state)
    schema = read_flow_run_input(keys["schema"], flow_run_id=run_id)
    assert {"decision", "reviewer"} <= set(schema["required"])
    assert "default" not in schema["properties"]["decision"]
    description = read_flow_run_input(keys["description"], flow_run_id=run_id)
    assert description.splitlines()[2].startswith('> **TEST MODEL: the "after" is noise.**')

    # best-of-N: both outputs of the tiny model (noise) failed; both wait, side by side
    assert len(result.candidates) == 2 and all(c.verdict == "review" and c.output for c in result.candidates)
    assert result.model.candidates == 2
    assert result.model.seconds == pytest.approx(sum(c.gpu_s for c in result.candidates), abs=0.01)
    assert len({c.seed for c in result.candidates}) == 2
    page, token = served[0], "s3cret-token"
    request = urllib.request.Request(f"{page}/api/reviews", headers={"X-Retouch-Token": token})
    with urllib.request.urlopen(request) as response:
        (pending,) = [r for r in json.loads(response.read()) if r["id"] == str(run_id)]
    assert [c["index"] for c in pending["candidates"]] == [0, 1]
    assert "noise" in pending["test_model"]  # the page shows it as a banner
    with urllib.request.urlopen(f"{page}/image/{run_id}/candidate-1?token={token}") as response:
        second = response.read()
        assert response.headers["Content-Type"] == "image/png"
    assert second == Path(result.candidates[1].output).read_bytes()
    # the reviewer may approve any of them: the second is published
    code, _, err = run_cli("review", "approve", str(run_id), "--candidate", "7")
    assert code == 2 and "no candidate 7" in err
    if CHROMIUM:  # on the page: both side by side, the second one picked and approved
        approve_candidate_in_the_browser(f"{page}/review/{run_id}?token={token}", "tea", 1)
    else:
        code, _, err = run_cli("review", "approve", str(run_id), "--candidate", "1", "--reviewer", "erin")
        assert code == 0, err
    final = wait_for(lambda: (s := state_of(run_id)).is_final() and s, what="the resumed run to finish")
    assert final.is_completed()
    line = results_lines(tmp_path / "out")[0]
    assert line["status"] == "published" and "/published/tea/" in line["output"]
    assert Path(line["output"]).read_bytes() == second and line["review"]["candidate"] == 1


def approve_candidate_in_the_browser(url: str, item: str, index: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        page = browser.new_page()
        page.goto(url)
        card = page.locator(f'.item[data-item="{item}"]')
        card.wait_for(timeout=30_000)
        assert card.locator(".candidates figure").count() == 2
        page.wait_for_function(
            "() => [...document.querySelectorAll('.item img')].every(i => i.naturalWidth > 0)"
        )
        card.locator(".candidates input").nth(index).check()
        card.locator(".who").fill("carol")
        card.locator(".approve").click()
        card.locator(".status").filter(has_text="approve: sent").wait_for(timeout=30_000)
        browser.close()
