"""Geometry-locked compositing: untouched pixels stay the original's, drift is corrected, the
edit is pasted where it was made; and `retouch composite`."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.composite import case, psnr
from tasks.edit.composite import FEATHER, composite
from tests.helpers import IMAGES


@pytest.fixture(scope="module")
def drifted():
    """A 3-MP photo, a known local edit, and the model's version of it (1 MP, drifted, noisy)."""
    return case("coffee.png", 3.0, 0)


def outside_the_edit(region: np.ndarray) -> np.ndarray:
    h, w = region.shape
    band = round(FEATHER * max(h, w) * 1.6)
    return ~cv2.dilate(region.astype(np.uint8), np.ones((2 * band + 1,) * 2, np.uint8)).astype(bool)


def test_pixels_outside_the_edit_are_the_originals_bit_for_bit(drifted):
    original, truth, region, edited = drifted
    result = composite(original, edited)
    assert result.aligned and not result.whole_frame
    assert result.pixels.shape == original.shape and result.pixels.dtype == original.dtype
    same = (result.pixels == original).all(axis=2)
    assert same[outside_the_edit(region)].all()
    assert result.kept == pytest.approx(float(same.mean()), abs=0.01)
    assert 0.02 < result.changed < 0.25  # the recoloured object and its feather band


def test_the_drift_is_measured_and_corrected(drifted):
    original, truth, region, edited = drifted
    result = composite(original, edited)
    h, w = original.shape[:2]
    per_pixel = w / edited.shape[1]  # the drift was made on the ~1 MP grid: (5, -3) px, zoom 1.006
    assert result.shift_px == pytest.approx(np.hypot(5, -3) * per_pixel, rel=0.1)
    assert result.zoom == pytest.approx(0.006, abs=0.0015)
    resized = cv2.resize(edited, (w, h), interpolation=cv2.INTER_CUBIC)  # what was done before
    assert psnr(result.pixels, truth, region) > psnr(resized, truth, region) + 5


def test_sixteen_bit_and_alpha_are_kept(drifted):
    original, _, region, edited = drifted
    deep = original.astype(np.uint16) * 256 + 7  # values no 8-bit edit scaled by 257 can produce
    alpha = np.full(original.shape[:2], 40000, np.uint16)
    bgra = np.dstack([deep, alpha])
    result = composite(bgra, edited)
    assert result.pixels.dtype == np.uint16 and result.pixels.shape == bgra.shape
    assert (result.pixels[..., 3] == alpha).all()
    assert (result.pixels == bgra).all(axis=2)[outside_the_edit(region)].all()


def test_a_whole_look_edit_takes_the_whole_aligned_frame(drifted):
    original, _, _, edited = drifted
    result = composite(original, edited, whole_look=True)
    assert result.whole_frame and result.changed == pytest.approx(1.0)
    styled = composite(original, cv2.bitwise_not(edited))  # every pixel changed: most of the frame
    assert styled.whole_frame


def test_noise_cannot_be_aligned_and_is_only_resized(drifted):
    original, _, _, _ = drifted
    noise = np.random.default_rng(0).integers(0, 256, (768, 1152, 3), dtype=np.uint8)
    result = composite(original, noise)
    assert not result.aligned and result.transform is None
    assert result.pixels.shape == original.shape and result.kept == 0.0


def test_an_edit_that_changed_nothing_leaves_the_original(drifted):
    original, _, _, _ = drifted
    h, w = original.shape[:2]
    same = cv2.resize(original, (w // 3, h // 3), interpolation=cv2.INTER_AREA)
    result = composite(original, same)
    assert result.changed == 0.0 and (result.pixels == original).all()


@pytest.mark.parametrize(
    ("original", "message"),
    [
        (np.zeros((8, 8, 3), np.uint8), "too small"),
        (np.zeros((64, 64, 3), np.float32), "uint8 or uint16"),
        (np.zeros((64, 64, 5), np.uint8), "grey, BGR or BGRA"),
    ],
)
def test_pictures_that_cannot_be_composited_say_why(original, message):
    with pytest.raises(ValueError, match=message):
        composite(original, np.zeros((64, 64, 3), np.uint8))


def test_composite_cli(run_cli, tmp_path, drifted):
    original, _, region, edited = drifted
    cv2.imwrite(str(tmp_path / "original.png"), original)
    cv2.imwrite(str(tmp_path / "edited.jpg"), edited)
    code, out, err = run_cli(
        "composite",
        str(tmp_path / "original.png"),
        str(tmp_path / "edited.jpg"),
        "-i",
        "把右边的杯子改成绿色",
        "-o",
        str(tmp_path / "out.png"),
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["aligned"] and report["kept_identical"] > 0.75 and len(report["transform"]) == 2
    assert report["verdict"] in ("publish", "review") and report["findings"]
    written = cv2.imread(str(tmp_path / "out.png"), cv2.IMREAD_UNCHANGED)
    assert (written == original).all(axis=2)[outside_the_edit(region)].all()
    code, _, err = run_cli(
        "composite", str(IMAGES / "coffee.png"), str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.png")
    )
    assert code == 2 and "missing.png" in err and "\n" not in err.strip()
