"""Marketplace presets applied: a studio shot made to meet each preset by OpenCV, the preset and
its version on every result, and `--stale-presets` re-running only what a new version changed."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.check_pairs import product_shot
from routing.presets import preset
from tasks.edit.conform import conform
from tasks.edit.opencv_ops import OpError
from tasks.pixels.background import pure_white_share
from tests.helpers import IMAGES


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("amazon-main", (2000, 1500)),
        ("tmall-main", (800, 800)),
        ("shopee", (1200, 1200)),
        ("xiaohongshu", (1200, 1600)),
    ],
)
def test_a_studio_shot_is_made_to_meet_each_preset(name, size):
    shot, truth = product_shot(np.random.default_rng(2), 1200, 900, "cup")
    out = conform(shot, preset(name))
    assert out.shape[1::-1] == size
    spec = preset(name)
    if spec.background == "pure-white":
        assert pure_white_share(out) == 1.0
    if spec.fill:  # the product (the true mask, framed the same way) spans 85% of the frame
        kept = (out < 240).any(axis=2)
        ys, xs = np.nonzero(kept)
        share = max((xs.max() - xs.min() + 1) / out.shape[1], (ys.max() - ys.min() + 1) / out.shape[0])
        assert share == pytest.approx(0.85, abs=0.02)
        assert truth.sum() > 0


def test_a_photo_cannot_get_a_white_background_from_opencv():
    with pytest.raises(OpError, match="have the model do it first"):
        conform(cv2.imread(str(IMAGES / "coffee.png")), preset("amazon-main"))


@pytest.mark.slow
def test_presets_in_a_batch_and_stale_presets(run_cli, tmp_path, monkeypatch):
    for n in range(2):
        shot, _ = product_shot(np.random.default_rng(n), 1000, 800, "box")
        cv2.imwrite(str(tmp_path / f"shot{n}.jpg"), shot)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "id,image,instruction,preset\n"
        "a,shot0.jpg,,amazon-main\n"
        "b,shot1.jpg,,tmall-main\n"
        "c,shot1.jpg,提高亮度10%,\n"
        f"d,{IMAGES / 'coffee.png'},把背景换成蓝色,shopee\n"
        f"e,{IMAGES / 'coffee.png'},,amazon-main\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run_cli("run", str(manifest), "--out", str(out), "--preset", "xiaohongshu")
    assert code == 0, err

    def lines():
        return {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}

    first = lines()
    assert [first[i]["preset"] for i in "abc"] == ["amazon-main@1", "tmall-main@1", "xiaohongshu@1"]
    assert (first["b"]["width"], first["b"]["height"]) == (800, 800)
    assert first["d"]["status"] == "rejected" and "applies after OpenCV edits" in first["d"]["error"]
    # a photo: its backdrop is not plain, so the model was asked to whiten it (no weights here)
    assert first["e"]["route"] == "model" and any("not plain" in n for n in first["e"]["notes"])
    # a new version of one preset: only its rows run again
    monkeypatch.chdir(tmp_path)
    (tmp_path / "presets.toml").write_text(
        '[amazon-main]\nversion = 2\ndescription = "ours"\nbackground = "pure-white"\n'
        "fill = 0.9\nlongest = 1000\n"
    )
    from config.settings import get_settings

    get_settings.cache_clear()
    code, _, err = run_cli(
        "run", str(manifest), "--out", str(out), "--preset", "xiaohongshu", "--stale-presets"
    )
    assert code == 0, err
    second = lines()
    assert (
        second["a"]["preset"] == "amazon-main@2" and max(second["a"]["width"], second["a"]["height"]) == 1000
    )
    assert second["b"] == first["b"] and second["c"] == first["c"]  # untouched lines
    assert list(second) == ["a", "b", "c", "d", "e"]  # one line per row, in manifest order


@pytest.mark.parametrize(
    ("instruction", "name"),
    [
        ("make it Amazon-ready", "amazon-main"),
        ("Make this Amazon ready please", "amazon-main"),
        ("做成天猫主图", "tmall-main"),
        ("符合京东主图要求", "jd-main"),
        ("请做成小红书风格", "xiaohongshu"),
        ("把背景换成纯白", None),
        ("amazon is a big shop", None),
    ],
)
def test_an_instruction_naming_a_marketplace_is_its_preset(instruction, name):
    from routing import route

    plan = route(instruction)
    if name is None:
        assert not any(op.name == "conform" for op in plan.ops)
        return
    assert plan.route == "opencv" and plan.ops[0].name == "conform" and plan.ops[0].params["preset"] == name
    assert plan.reason.startswith(f"preset {name}@1")


def test_make_it_amazon_ready_in_one_command(run_cli, tmp_path):
    shot, _ = product_shot(np.random.default_rng(7), 1200, 900, "ball")
    cv2.imwrite(str(tmp_path / "shot.jpg"), shot)
    code, out, err = run_cli(
        "edit", str(tmp_path / "shot.jpg"), "make it Amazon-ready", "-o", str(tmp_path / "a.jpg"), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["route"] == "opencv" and (result["width"], result["height"]) == (2000, 1500)
    assert result["preset"] == "amazon-main@1"
    assert pure_white_share(cv2.imread(str(tmp_path / "a.jpg"))) > 0.99


@pytest.mark.slow
def test_a_photo_made_amazon_ready_goes_to_the_model(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_MODEL_CANDIDATES", "1")
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "make it Amazon-ready", "-o", str(tmp_path / "b.png"), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["route"] == "model" and result["status"] == "review"  # the tiny model's noise
    assert result["preset"] is None and result["instruction"] == "make it Amazon-ready"
    assert any(
        "the backdrop is not plain, so the model made the background white" in n for n in result["notes"]
    )
