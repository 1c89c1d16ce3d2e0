"""White backgrounds without the GPU where the picture allows: already white (published as it
is), a studio shot on a plain backdrop or a transparent picture (cut out by OpenCV, judged by the
same checks), and everything else to the model."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.check_pairs import product_shot
from config.contracts import Item, Job
from config.settings import get_settings
from routing import route
from tasks.edit.studio_path import studio_job
from tasks.pixels.background import cut_background, pure_white_share
from tests.helpers import IMAGES


def job(path, instruction: str = "把背景换成纯白") -> Job:
    return Job(item=Item(id="sku", image=str(path), instruction=instruction), plan=route(instruction))


def studio_shot(tmp_path, shape: str = "box", seed: int = 3):
    img, mask = product_shot(np.random.default_rng(seed), 900, 900, shape)
    path = tmp_path / f"{shape}.jpg"
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path, mask


@pytest.mark.parametrize(
    "instruction", ["把背景换成纯白", "white background", "change the background to pure white"]
)
def test_a_studio_shot_is_cut_out_by_opencv_and_judged_by_the_checks(tmp_path, instruction):
    path, truth = studio_shot(tmp_path)
    result, why = studio_job(job(path, instruction), str(tmp_path / "out"), get_settings())
    assert why is None and result.status == "published" and result.route == "opencv"
    assert result.cost.path == "opencv" and result.cost.usd < 1e-5  # CPU milliseconds, no GPU
    assert result.checks and result.risk < result.risk_threshold  # the model's gate, passed
    assert "done by OpenCV, no GPU" in result.notes[-1]
    after = cv2.imread(result.output)
    assert pure_white_share(after) == 1.0  # the marketplace's pure white, to the last pixel
    kept = (after != 255).any(axis=2)
    assert (kept & truth).sum() / (kept | truth).sum() > 0.9  # the product, not its shadow


def test_a_background_already_pure_white_is_published_unchanged(tmp_path):
    img, _ = product_shot(np.random.default_rng(5), 800, 800, "ball")
    cut = cut_background(img)
    white = np.where(cut.alpha[..., None] > 0.5, img, 255).astype(np.uint8)
    path = tmp_path / "white.png"
    cv2.imwrite(str(path), white)
    result, why = studio_job(job(path), str(tmp_path / "out"), get_settings())
    assert result.status == "published" and result.notes[-1].startswith("already satisfied")
    assert open(result.output, "rb").read() == path.read_bytes()  # the same bytes: nothing re-encoded


def test_a_transparent_picture_is_put_on_white(tmp_path):
    img, mask = product_shot(np.random.default_rng(6), 600, 600, "cup")
    rgba = np.dstack([img, np.where(mask, 255, 0).astype(np.uint8)])
    path = tmp_path / "cutout.png"
    cv2.imwrite(str(path), rgba)
    result, why = studio_job(job(path), str(tmp_path / "out"), get_settings())
    assert result.status == "published" and "transparent background" in result.notes[-1]
    after = cv2.imread(result.output, cv2.IMREAD_UNCHANGED)
    assert after.shape == (600, 600, 3) and (after[~mask] == 255).all()


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png", "rocket.jpg"])
def test_a_photo_goes_to_the_model_with_the_reason(tmp_path, name):
    result, why = studio_job(job(IMAGES / name), str(tmp_path / "out"), get_settings())
    assert result is None and why.startswith(
        "OpenCV could not cut the product out: the background is not plain"
    )


def test_other_model_edits_are_not_its_business(tmp_path):
    path, _ = studio_shot(tmp_path)
    for instruction in ("把背景换成蓝色", "把杯子换成一杯绿茶", "把背景换成纯白，别动左边"):
        assert studio_job(job(path, instruction), str(tmp_path / "out"), get_settings()) == (None, None)


@pytest.mark.slow
def test_a_batch_does_studio_shots_without_the_gpu_and_photos_with_the_model(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from tasks.edit import qwen
    from tasks.edit.qwen.tiny import make_tiny

    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_MODEL_CANDIDATES", "1")
    get_settings.cache_clear()
    shot, _ = studio_shot(tmp_path)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"id,image,instruction\nshot,{shot},把背景换成纯白\nphoto,{IMAGES / 'coffee.png'},把背景换成纯白\n",
        encoding="utf-8",
    )
    loads = qwen.loads()
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").open())}
    assert (rows["shot"]["status"], rows["shot"]["route"], rows["shot"]["cost"]["path"]) == (
        "published",
        "opencv",
        "opencv",
    )
    assert rows["photo"]["route"] == "model" and rows["photo"]["status"] == "review"  # the tiny model's noise
    assert any("background is not plain" in note for note in rows["photo"]["notes"])
    assert qwen.loads() == loads + 1  # loaded for the photo only
