"""The CLI contract that outside scripts rely on (DESIGN.md, 'The command line')."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import IMAGES, ROOT

RESULT_KEYS = {"id", "status", "route", "output", "error", "cost", "checks"}


@pytest.fixture
def catalog(tmp_path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(IMAGES, folder)
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "id,image,instruction\n"
        "sq,coffee.png,裁剪为1:1\n"
        'bw,rocket.jpg,"increase brightness by 30% and crop to 1:1"\n'
        "tea,coffee.png,把杯子换成一杯绿茶\n"
        "chat,coffee.png,write me a python script\n"
        "gone,missing.png,flip\n",
        encoding="utf-8",
    )
    return manifest


# ------------------------------------------------------------------------------------------------
# route (no Prefect needed)


def test_route_json(run_cli):
    code, out, err = run_cli("route", "--json", "先裁成正方形再转黑白")
    assert code == 0, err
    result = json.loads(out)
    assert result["route"] == "opencv" and [op["op"] for op in result["ops"]] == ["crop", "grey"]
    assert 0 < result["confidence"] <= 1 and result["reason"]


def test_route_text(run_cli):
    code, out, _ = run_cli("route", "把T恤换成蓝色")
    assert code == 0 and out.startswith("model")


def test_route_with_image_uses_its_size(run_cli):
    code, out, _ = run_cli("route", "--json", "--image", str(IMAGES / "coffee.png"), "裁掉右边700像素")
    assert code == 0 and json.loads(out)["route"] == "reject"


def test_route_jsonl(run_cli, tmp_path):
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "instruction": "crop to 1:1", "image": str(IMAGES / "coffee.png")}),
                json.dumps({"id": "b", "instruction": "remove the plate"}),
                json.dumps({"id": "c", "instruction": ""}),
                "not json",
                json.dumps({"id": "e", "instruction": "flip", "image": str(tmp_path / "missing.png")}),
            ]
        ),
        encoding="utf-8",
    )
    code, out, err = run_cli("route", "--jsonl", str(lines))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["route"]) for r in rows] == [
        ("a", "opencv"),
        ("b", "model"),
        ("c", "reject"),
        ("line-4", "reject"),
        ("e", "reject"),
    ]
    assert all({"id", "route", "ops", "confidence", "reason"} <= set(r) for r in rows)


def test_route_json_shows_intent_constraints_and_what_was_not_understood(run_cli):
    code, out, err = run_cli("route", "--json", "能把背景换成纯白色吗？别动杯子")
    assert code == 0, err
    result = json.loads(out)
    assert result["route"] == "model" and result["intent"]["action"] == "background"
    assert result["intent"]["colour"] == {"name": "pure white", "rgb": [255, 255, 255], "pure": True}
    assert result["constraints"] == ["keep: 杯子"]
    code, out, _ = run_cli("route", "--json", "crop to 1:1, blorptastic")
    assert json.loads(out)["unparsed"] == ["blorptastic"]


def test_route_suggests_the_closest_form_when_unsure(run_cli):
    code, out, _ = run_cli("route", "rotate by banana")
    assert code == 0 and out.startswith("reject") and "did you mean" in out


def test_templates_lists_the_canonical_forms(run_cli):
    code, out, err = run_cli("templates", "--json")
    assert code == 0, err
    forms = {form["id"]: form for form in json.loads(out)}
    assert forms["move"]["zh"] == "将[D]移动到[E]位置" and forms["replace"]["zh"] == "将[A]替换为[B]"
    assert {"crop-ratio", "background", "text"} <= set(forms)
    assert all(form["examples"] for form in forms.values())
    code, out, _ = run_cli("templates")
    assert code == 0 and "将[A]替换为[B]" in out


# ------------------------------------------------------------------------------------------------
# run


def test_run_writes_one_result_line_per_item(run_cli, catalog, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = run_cli("run", str(catalog), "--out", str(out_dir))
    assert code == 0, err
    rows = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["sq", "bw", "tea", "chat", "gone"]
    assert [r["status"] for r in rows] == ["published", "published", "failed", "rejected", "failed"]
    assert all(RESULT_KEYS <= set(r) for r in rows)
    assert Image.open(rows[0]["output"]).size == (400, 400)
    assert Path(rows[0]["output"]).is_relative_to(out_dir)
    assert "5 items" in out and "results.jsonl" in out


def test_run_json_prints_results(run_cli, catalog, tmp_path):
    code, out, _ = run_cli("run", str(catalog), "--out", str(tmp_path / "o"), "--json")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["sq", "bw", "tea", "chat", "gone"]


@pytest.mark.parametrize("problem", ["missing", "binary", "no-header", "out-is-a-file"])
def test_run_refuses_bad_usage_in_one_line(run_cli, tmp_path, problem):
    manifest = tmp_path / "m.csv"
    out_dir = tmp_path / "out"
    if problem == "binary":
        manifest.write_bytes(b"\xff\xfe\x00garbage")
    elif problem == "no-header":
        manifest.write_text("a,b\n1,2\n")
    elif problem == "out-is-a-file":
        manifest.write_text("id,image,instruction\n")
        out_dir.write_text("a file")
    code, out, err = run_cli("run", str(manifest), "--out", str(out_dir))
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


# ------------------------------------------------------------------------------------------------
# edit


def test_edit_json(run_cli, tmp_path):
    target = tmp_path / "square.png"
    code, out, err = run_cli("edit", str(IMAGES / "rocket.jpg"), "裁剪为1:1", "-o", str(target), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["route"] == "opencv" and result["status"] == "published"
    assert result["output"] == str(target)
    im = Image.open(target)
    assert im.format == "PNG" and im.size == (427, 427)
    assert [p.name for p in tmp_path.iterdir()] == ["square.png"]  # no staging left behind


def test_edit_default_output_name(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("edit", str(IMAGES / "coffee.png"), "mirror the image")
    assert code == 0, err
    assert (tmp_path / "coffee-edited.png").exists() and "published" in out


def test_edit_rejected_instruction_exits_2(run_cli, tmp_path):
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "今天天气怎么样", "--json", "-o", str(tmp_path / "x.png")
    )
    assert code == 2 and json.loads(out)["status"] == "rejected"
    assert err.startswith("error: rejected") and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "image, extra",
    [("missing.jpg", []), ("notes.txt", []), ("coffee.png", ["-o", "out.xyz"])],
)
def test_edit_bad_input_exits_2(run_cli, tmp_path, image, extra):
    (tmp_path / "notes.txt").write_text("hello")
    if image == "coffee.png":
        shutil.copy(IMAGES / image, tmp_path / image)
    code, _, err = run_cli("edit", str(tmp_path / image), "crop to 1:1", *extra)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_an_items_error_is_printed_as_it_is(run_cli, tmp_path, monkeypatch):
    weights = tmp_path / "weights[model]"  # brackets, as in "the [model] extra": no style tag
    weights.mkdir()
    monkeypatch.setenv("RETOUCH_MODEL", str(weights))
    code, _, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "把杯子换成一杯绿茶", "-o", str(tmp_path / "x.png")
    )
    assert code != 0 and f"RETOUCH_MODEL={weights}: no model_index.json there" in err


def test_demo(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RETOUCH_DEMO_MODEL_DIR", str(tmp_path / "tiny"))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    code, out, err = run_cli("demo")
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "demo-out" / "results.jsonl").open())}
    assert {r["status"] for r in rows.values()} == {"published", "review", "failed", "rejected"}
    # no weights here: the model items ran on the tiny model, the demo said so loudly, and
    # the post-checks sent its noise to review
    assert rows["coffee-tea"]["status"] == "review" and rows["coffee-tea"]["route"] == "model"
    assert "NO MODEL WEIGHTS CONFIGURED" in err and "noise" in err
    assert rows["missing-file"]["status"] == "failed"
    assert "prefect server start" in out and "http://127.0.0.1:4200" in out


def test_help_everywhere(run_cli):
    for command in ([], ["route"], ["run"], ["edit"], ["demo"]):
        code, out, _ = run_cli(*command, "--help")
        assert code == 0 and "Usage" in out


# ------------------------------------------------------------------------------------------------
# as a new user runs it: a separate process with the embedded Prefect API


@pytest.mark.slow
def test_cli_process_on_the_embedded_api(catalog, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    retouch = [sys.executable, "-m", "retouch"]
    done = subprocess.run(
        [*retouch, "run", str(catalog), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 5
    assert "Traceback" not in done.stderr and "Error logging to API" not in done.stderr
    bad = subprocess.run(
        [*retouch, "edit", str(tmp_path / "nope.jpg"), "crop to 1:1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
