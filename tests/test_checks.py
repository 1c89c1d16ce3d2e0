"""Post-checks on good and bad edits of real photos: each failure mode caught, good edits kept."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from config.thresholds import Thresholds
from routing import route
from tasks.check.gate import check_pair, expectation
from tests.helpers import IMAGES, vae


def photo(name: str = "coffee.png") -> np.ndarray:
    return cv2.imread(str(IMAGES / name), cv2.IMREAD_COLOR)


def paint(img: np.ndarray, cx: float, cy: float, r: float, colour=(40, 40, 220)) -> np.ndarray:
    """A local edit: a soft-edged disc at (cx, cy) in fractions of the frame."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.circle(mask, (int(cx * w), int(cy * h)), int(r * min(h, w)), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
    return (img * (1 - mask) + np.array(colour, np.float32) * mask).astype(np.uint8)


def tint(img: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    """A local recolour that keeps the shading: a soft-edged disc made red (Lab a*, b* set)."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.circle(mask, (int(cx * w), int(cy * h)), int(r * min(h, w)), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB)
    lab[..., 1], lab[..., 2] = 185, 165
    red = cv2.cvtColor(lab, cv2.COLOR_LAB2BGR).astype(np.float32)
    return (img * (1 - mask) + red * mask).astype(np.uint8)


def verdict(before, after, instruction: str):
    return check_pair(before, after, instruction, route(instruction))


GOOD = {
    "recolour the middle": (lambda b: tint(vae(b), 0.5, 0.5, 0.18), "把中间的杯子改成红色"),
    "add on the right": (lambda b: paint(vae(b), 0.78, 0.5, 0.12), "add a red ball on the right"),
    "text top left": (
        lambda b: cv2.putText(vae(b), "SALE", (30, 70), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 5),
        "在左上角加上'SALE'字样",
    ),
    "white background": (
        lambda b: np.where(_ellipse(b)[..., None], vae(b), 255).astype(np.uint8),
        "把背景换成纯白色",
    ),
    "global style": (
        lambda b: cv2.applyColorMap(cv2.cvtColor(vae(b), cv2.COLOR_BGR2GRAY), cv2.COLORMAP_PINK),
        "换成复古风格",
    ),
}


def _ellipse(img):
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.3), int(h * 0.38)), 0, 0, 360, 1, -1)
    return mask.astype(bool)


@pytest.mark.parametrize("name", GOOD)
@pytest.mark.parametrize("image", ["coffee.png", "rocket.jpg", "chelsea.png"])
def test_good_edits_are_published(name, image):
    before = photo(image)
    make, instruction = GOOD[name]
    report = verdict(before, make(before), instruction)
    assert report.verdict == "publish", [f for f in report.findings if not f.passed]
    assert 0 < report.confidence <= 1


def _warp(img, matrix):
    h, w = img.shape[:2]
    return cv2.warpAffine(img, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def _shift(a):
    return _warp(a, np.float32([[1, 0, 7], [0, 1, -3]]))


def _zoom(a):
    h, w = a.shape[:2]
    return _warp(a, cv2.getRotationMatrix2D((w / 2, h / 2), 0, 1.04))


def _rotate(a):
    h, w = a.shape[:2]
    return _warp(a, cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0))


def _jpeg(a, quality):
    return cv2.imdecode(cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


BAD = {  # failure -> (break a good local edit, the check that must fail)
    "shift": (_shift, "shift"),
    "zoom": (_zoom, "zoom"),
    "rotation": (_rotate, "rotation"),
    "colour cast": (lambda a: np.clip(a + np.float32([-18, 0, 18]), 0, 255).astype(np.uint8), "colour-cast"),
    "noise": (
        lambda a: np.clip(a + np.random.default_rng(22).normal(0, 22, a.shape), 0, 255).astype(np.uint8),
        "noise",
    ),
    "blank": (lambda a: np.full_like(a, 128), "blank"),
    "blocky": (lambda a: _jpeg(a, 3), "blockiness"),
    "resized": (lambda a: cv2.resize(a, (a.shape[1] * 4 // 5, a.shape[0])), "size"),
    "smeared": (
        lambda a: cv2.resize(cv2.resize(a, (a.shape[1] // 6, a.shape[0] // 6)), (a.shape[1], a.shape[0])),
        "detail-mid",
    ),
    "half blank": (lambda a: np.vstack([a[: a.shape[0] // 2], np.zeros_like(a[a.shape[0] // 2 :])]), "scope"),
}


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("image", ["coffee.png", "rocket.jpg", "chelsea.png"])
def test_bad_edits_go_to_review(name, image):
    before = photo(image)
    good = tint(vae(before), 0.5, 0.5, 0.18)
    assert verdict(before, good, "把中间的杯子改成红色").verdict == "publish"  # what is broken below
    breaker, check = BAD[name]
    report = verdict(before, breaker(good), "把中间的杯子改成红色")
    assert report.verdict == "review" and report.risk >= report.threshold
    failed = {f.check for f in report.failed}
    assert check in {f.check for f in report.failed if f.measured}, report.failed
    assert report.drivers and all(d.split(":")[0] in failed for d in report.drivers)  # said in words


def test_no_change_is_a_no_op():
    before = photo()
    report = verdict(before, vae(before), "remove the plate")
    failed = {f.check: f.message for f in report.failed}
    assert report.verdict == "review" and "no-op" in failed


def test_the_edit_must_be_where_the_instruction_says():
    before = photo()
    right = paint(vae(before), 0.8, 0.5, 0.12)
    assert verdict(before, right, "add a red ball on the right").verdict == "publish"
    report = verdict(before, right, "在左边添加一个红色的球")
    assert report.verdict == "review" and "position" in {f.check for f in report.failed}


def test_a_global_change_for_a_local_instruction_is_wrong():
    before = photo()
    styled = cv2.applyColorMap(cv2.cvtColor(vae(before), cv2.COLOR_BGR2GRAY), cv2.COLORMAP_PINK)
    assert verdict(before, styled, "换成复古风格").verdict == "publish"
    report = verdict(before, styled, "把中间的杯子改成红色")
    assert report.verdict == "review" and "scope" in {f.check for f in report.failed}


def test_expectations_from_the_instruction():
    assert expectation("把背景换成纯白色", route("把背景换成纯白色")).scope == "background"
    assert expectation("换成赛博朋克风格", route("换成赛博朋克风格")).scope == "global"
    local = expectation("删除右下角的水印", route("删除右下角的水印"))
    assert local.scope == "local" and local.region == ((0.45, 1), (0.45, 1))
    crop = expectation("crop to 1:1 and remove the plate", route("crop to 1:1 and remove the plate"))
    assert crop.size_may_change


def test_thresholds_and_rules_are_configurable():
    before = photo()
    shifted = _shift(paint(vae(before), 0.5, 0.5, 0.18))
    assert verdict(before, shifted, "把中间的杯子改成红色").verdict == "review"
    lenient = Thresholds(
        max_shift_px=20, background_ssim=0.3, local_max_changed=0.9, tile_step=5.0, pattern_kept=-1.0
    )
    report = check_pair(before, shifted, "把中间的杯子改成红色", route("把中间的杯子改成红色"), lenient)
    assert report.verdict == "publish"
    good = paint(vae(before), 0.5, 0.5, 0.18)
    report = check_pair(
        before,
        good,
        "把中间的杯子改成红色",
        route("把中间的杯子改成红色"),
        always_review="always reviewed: tagged key-asset",
    )
    assert report.verdict == "review" and report.risk == 1.0 and "rule" in {f.check for f in report.failed}


def test_findings_have_value_threshold_and_message():
    before = photo()
    report = verdict(before, paint(vae(before), 0.5, 0.5, 0.18), "把中间的杯子改成红色")
    as_dict = report.to_dict()
    json.dumps(as_dict)  # plain JSON types only
    for finding in as_dict["findings"]:  # as in results.jsonl: with what the risk model read
        assert set(finding) == {"check", "value", "threshold", "passed", "measured", "message", "badness"}
        assert finding["message"]
    assert {"verdict", "risk", "threshold", "drivers", "model"} <= set(as_dict)
    assert 0 <= as_dict["risk"] <= 1 and as_dict["model"] == "recolour"


def test_check_cli(run_cli, tmp_path):
    before = photo()
    cv2.imwrite(str(tmp_path / "before.png"), before)
    cv2.imwrite(str(tmp_path / "good.png"), paint(vae(before), 0.5, 0.5, 0.18))
    cv2.imwrite(str(tmp_path / "bad.png"), _shift(paint(vae(before), 0.5, 0.5, 0.18)))
    code, out, _ = run_cli(
        "check",
        str(tmp_path / "before.png"),
        str(tmp_path / "good.png"),
        "--instruction",
        "把中间的杯子改成红色",
        "--json",
    )
    assert code == 0 and json.loads(out)["verdict"] == "publish"
    lines = tmp_path / "pairs.jsonl"
    lines.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {
                    "id": "g",
                    "before": str(tmp_path / "before.png"),
                    "after": str(tmp_path / "good.png"),
                    "instruction": "把中间的杯子改成红色",
                },
                {
                    "id": "b",
                    "before": str(tmp_path / "before.png"),
                    "after": str(tmp_path / "bad.png"),
                    "instruction": "把中间的杯子改成红色",
                },
                {"id": "m", "before": str(tmp_path / "nope.png"), "after": str(tmp_path / "bad.png")},
            ]
        ),
        encoding="utf-8",
    )
    code, out, _ = run_cli("check", "--jsonl", str(lines))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["id"], r["verdict"]) for r in rows] == [
        ("g", "publish"),
        ("b", "review"),
        ("m", "review"),
    ]
    assert {"id", "verdict", "risk", "threshold", "drivers", "findings"} <= set(rows[0])
    assert rows[1]["risk"] >= rows[1]["threshold"] > rows[0]["risk"]
