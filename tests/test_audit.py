"""The catalog audit: each preset rule measured, the fix and its cost named, nothing edited;
audit.csv and audit.html from `retouch audit`, as one flow run."""

from __future__ import annotations

import csv
import shutil

import cv2
import numpy as np
import pytest

from benchmarks.check_pairs import product_shot
from config.settings import get_settings
from routing.presets import PresetError, load_presets, preset
from tasks.check.audit import audit_picture
from tests.helpers import IMAGES


def on_white(seed: int = 1, size: int = 1200, fill: float = 1.0) -> np.ndarray:
    img, mask = product_shot(np.random.default_rng(seed), size, size, "box")
    white = np.where(mask[..., None], img, 255).astype(np.uint8)
    if fill != 1.0:  # zoom in so that the product fills more of the frame
        grown = cv2.resize(white, None, fx=fill, fy=fill, interpolation=cv2.INTER_AREA)
        y, x = (grown.shape[0] - size) // 2, (grown.shape[1] - size) // 2
        white = grown[y : y + size, x : x + size]
    return white


def test_presets_are_data_with_versions_and_a_user_file_overrides_them(tmp_path):
    shipped = load_presets()
    assert {"amazon-main", "tmall-main", "jd-main", "shopee", "xiaohongshu"} <= set(shipped)
    assert shipped["amazon-main"].fill == 0.85 and shipped["tmall-main"].size == (800, 800)
    user = tmp_path / "presets.toml"
    user.write_text(
        '[amazon-main]\nversion = 2\ndescription = "ours"\nbackground = "pure-white"\nfill = 0.9\n'
    )
    assert preset("amazon-main", user).label == "amazon-main@2" and preset("amazon-main", user).fill == 0.9
    with pytest.raises(PresetError, match="unknown preset 'ebay'"):
        preset("ebay")
    user.write_text("[x]\ncolour = 'red'\n")
    with pytest.raises(PresetError, match="unknown rules"):
        load_presets(user)


def test_each_rule_is_measured_and_names_its_fix():
    settings, amazon = get_settings(), preset("amazon-main")
    good = audit_picture(on_white(fill=1.75), "jpeg", "good.jpg", amazon, settings, lambda bgr: [])
    assert good.passed, good.violations
    small = audit_picture(on_white(), "png", "small.png", amazon, settings, lambda bgr: ["SALE 50%"])
    assert not small.passed
    assert any("fills 50% of the frame" in v for v in small.violations)
    assert "PNG, not JPEG" in small.violations and "text or watermark: 'SALE 50%'" in small.violations
    assert "model: remove the text and watermarks" in small.fixes and small.estimated_usd > 0.02
    studio, _ = product_shot(np.random.default_rng(2), 1200, 1200, "cup")
    backdrop = audit_picture(studio, "jpeg", "studio.jpg", amazon, settings)
    assert backdrop.fixes[0] == "OpenCV: cut the product out onto pure white"
    photo = audit_picture(cv2.imread(str(IMAGES / "coffee.png")), "png", "coffee.png", amazon, settings)
    assert photo.fixes[0].startswith("model: 把背景换成纯白")
    assert "product fill cannot be measured (no product stands out)" in photo.violations  # never passed blind
    assert "too small: 600 px on the longest side (at least 1000)" in photo.violations
    tmall = audit_picture(on_white(size=900), "jpeg", "t.jpg", preset("tmall-main"), settings)
    assert tmall.violations == ["900x900, not 800x800"]
    xhs = audit_picture(on_white(), "jpeg", "x.jpg", preset("xiaohongshu"), settings)
    assert xhs.violations == ["ratio 1.00, not 3:4"]


@pytest.mark.slow
def test_retouch_audit_writes_the_csv_and_the_html_report(run_cli, tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    cv2.imwrite(str(folder / "good.jpg"), on_white(fill=1.75))
    cv2.imwrite(str(folder / "small.jpg"), on_white())
    shutil.copy(IMAGES / "coffee.png", folder / "coffee.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code, out, err = run_cli(
        "audit", str(folder), "--preset", "amazon-main", "--out", str(tmp_path / "report")
    )
    assert code == 0, err
    assert "4 images, 3 break amazon-main@1" in out
    rows = {
        r["image"].rsplit("/", 1)[-1]: r for r in csv.DictReader((tmp_path / "report" / "audit.csv").open())
    }
    assert set(rows) == {"good.jpg", "small.jpg", "coffee.png", "broken.jpg"}
    assert rows["good.jpg"]["passed"] == "true" and rows["small.jpg"]["passed"] == "false"
    assert {"image", "preset", "passed", "violations", "fix", "estimated_usd"} <= set(rows["good.jpg"])
    assert rows["broken.jpg"]["error"] and rows["broken.jpg"]["passed"] == "false"
    page = (tmp_path / "report" / "audit.html").read_text()
    assert "Audit against amazon-main@1" in page and page.count("<img src='thumbs/") == 3
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing edited
    code, _, err = run_cli("audit", str(folder), "--preset", "ebay", "--out", str(tmp_path / "r2"))
    assert code == 2 and "unknown preset 'ebay'" in err
