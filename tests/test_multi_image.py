"""Multi-image edits: reference pictures from a manifest's `references` column (or `--ref`),
given to the pipeline in order, recorded in the result and the audit, and their products checked
in the output (a product that is not recognisably itself goes to review)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from benchmarks.check_pairs import product_shot
from tasks.check.identity import references_kept
from tasks.intake.manifest import parse_manifest
from tests.helpers import IMAGES


def printed_product(seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A studio product with a printed pattern (the features a real label has)."""
    img, mask = product_shot(np.random.default_rng(seed), 800, 800, "box")
    ys, xs = np.nonzero(mask)
    for n in range(40):
        spot = (int(xs.min()) + (n % 5) * 60, int(ys.min()) + (n // 5) * 40 + 30)
        cv2.putText(img, "SKU", spot, cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    return img, mask


def test_the_product_of_a_reference_is_recognised_only_where_it_is():
    product, mask = printed_product()
    scene = cv2.resize(cv2.imread(str(IMAGES / "coffee.png")), (1000, 700))
    placed = scene.copy()
    small = cv2.resize(product, None, fx=0.6, fy=0.6)
    keep = cv2.resize(mask.astype(np.uint8), None, fx=0.6, fy=0.6).astype(bool)
    placed[100 : 100 + small.shape[0], 300 : 300 + small.shape[1]][keep] = small[keep]
    (kept,) = references_kept([product], placed)
    assert kept.passed and kept.check == "reference-2"
    (missing,) = references_kept([product], scene)
    assert not missing.passed and "not recognisably the same product" in missing.message
    recoloured = placed.copy()
    recoloured[..., [0, 2]] = placed[..., [2, 0]]  # the same shapes in other colours
    assert not references_kept([product], recoloured)[0].passed
    (blank,) = references_kept([np.full((400, 400, 3), 200, np.uint8)], placed)
    assert not blank.passed and blank.message.startswith("cannot measure")  # never a blind pass


def test_a_manifests_references_are_split_and_resolved_like_its_images(tmp_path):
    data = (
        "id,image,instruction,references\na,t.jpg,把图2的包放到图1的桌子上,bag.jpg|shoe.png\nb,x.jpg,flip,\n"
    )
    items = parse_manifest(data.encode(), str(tmp_path / "m.csv"))
    assert items[0].references == [str(tmp_path / "bag.jpg"), str(tmp_path / "shoe.png")]
    assert items[1].references == []
    up = parse_manifest(
        b"id,image,instruction,references\na,t.jpg,x,../../etc/passwd\n", "s3://shop/in/m.csv"
    )
    assert up[0].error and "references" in up[0].error


@pytest.mark.slow
def test_a_multi_image_batch_on_the_tiny_model(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from sqlalchemy import text

    from tasks.edit.qwen.tiny import make_tiny
    from tasks.record.ledger.db import engine_for

    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_MODEL_CANDIDATES", "1")
    product, _ = printed_product()
    cv2.imwrite(str(tmp_path / "bag.jpg"), product)
    cv2.imwrite(str(tmp_path / "table.png"), cv2.imread(str(IMAGES / "coffee.png")))
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "id,image,instruction,references\ntogether,table.png,把图2的包放到图1的桌子上,bag.jpg\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    (line,) = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert line["route"] == "model" and line["status"] == "review"  # the tiny model's noise
    assert line["model"]["pictures"] == 2 and line["model"]["references"] == [str(tmp_path / "bag.jpg")]
    reference = next(f for f in line["checks"] if f["check"] == "reference-2")
    assert not reference["passed"]  # the bag is not in the noise
    from config.settings import get_settings

    with engine_for(get_settings().ledger_url).connect() as connection:
        (saved,) = connection.execute(
            text('select "references" from audit where item = :i'), {"i": "together"}
        ).one()
    value = json.loads(saved) if isinstance(saved, str) else saved
    assert value == [str(tmp_path / "bag.jpg")]
