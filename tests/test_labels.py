"""AI-content labels: model outputs carry the GB 45438 XMP label and IPTC source type."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tasks.pixels.images import encode_image, load_image
from tasks.record.labels import AIGC_FIELDS, DIGITAL_SOURCE_TYPE, aigc_label, read_aigc, xmp_packet
from tests.helpers import IMAGES


def xmp_of(path_or_bytes) -> str:
    im = Image.open(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    im.load()
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
    return xmp.decode() if isinstance(xmp, bytes) else xmp


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_label_round_trips_through_every_format(fmt):
    label = aigc_label("Retouch", "run-1:sku-9", "sha256:ab", "Shop", "sku-9")
    pixels = np.zeros((16, 16, 3), np.uint8)
    data = encode_image(pixels, fmt, xmp=xmp_packet(label, "Qwen-Image-Edit-2509"))
    text = xmp_of(data)
    assert read_aigc(text) == label
    assert DIGITAL_SOURCE_TYPE in text and "Qwen-Image-Edit-2509" in text


def test_label_has_exactly_the_seven_string_fields():
    label = aigc_label("Retouch", "p", "sha256:00", "Shop", "sku")
    assert tuple(label) == AIGC_FIELDS and all(isinstance(v, str) for v in label.values())
    assert label["Label"] == "1"
    value = read_aigc(xmp_packet(label, "Qwen"))
    assert json.dumps(value, ensure_ascii=False)  # plain JSON


def test_model_output_is_labelled_and_opencv_output_is_not(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    model = make_tiny(tmp_path / "tiny")
    monkeypatch.setenv("RETOUCH_MODEL", str(model))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_AIGC_PRODUCER", "ACME-Retouch")
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "id,image,instruction\n"
        f"ai,{IMAGES / 'coffee.png'},把杯子换成一杯绿茶\n"
        f"cv,{IMAGES / 'coffee.png'},crop to 1:1\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").open())}
    label = read_aigc(xmp_of(rows["ai"]["output"]))
    assert set(label) == set(AIGC_FIELDS) and label["Label"] == "1"
    assert label["ContentProducer"] == "ACME-Retouch" and label["PropagateID"] == "ai"
    assert label["ProduceID"].endswith(":ai") and label["ReservedCode1"].startswith("sha256:")
    picture = load_image(open(rows["ai"]["output"], "rb").read())
    from tasks.record.labels import pixels_digest

    assert label["ReservedCode1"] == pixels_digest(picture.pixels)  # PNG: lossless, verifiable
    assert DIGITAL_SOURCE_TYPE in xmp_of(rows["ai"]["output"])
    assert 'AISystemUsed="tiny"' in xmp_of(rows["ai"]["output"])  # the model that ran, not a constant
    assert read_aigc(xmp_of(rows["cv"]["output"])) is None
    assert "TC260" not in xmp_of(rows["cv"]["output"])
    # the label describes the composited output: the pixels outside the change are the original's
    composite = rows["ai"]["model"]["composite"]
    assert picture.pixels.shape[:2] == (400, 600) and 0 <= composite["kept_identical"] <= 1

    # an upstream producer's label on the input is carried on, not dropped or forged
    upstream = aigc_label("Upstream-AI", "up-42", "sha256:upstream", "Upstream-AI", "up-42")
    Image.open(IMAGES / "coffee.png").save(
        tmp_path / "labelled.png", pnginfo=_pnginfo(xmp_packet(upstream, "X"))
    )
    code, out, err = run_cli(
        "edit",
        str(tmp_path / "labelled.png"),
        "把杯子换成一杯绿茶",
        "--json",
        "-o",
        str(tmp_path / "carried.png"),
    )
    carried = read_aigc(xmp_of(tmp_path / "carried.png"))
    assert (carried["ContentProducer"], carried["ProduceID"], carried["ReservedCode1"]) == (
        "Upstream-AI",
        "up-42",
        "sha256:upstream",
    )
    assert carried["ContentPropagator"] == "ACME-Retouch" and carried["PropagateID"] == "edit"
    assert carried["ReservedCode2"] == pixels_digest(
        load_image((tmp_path / "carried.png").read_bytes()).pixels
    )


def test_an_existing_label_survives_an_opencv_edit(run_cli, tmp_path):
    label = aigc_label("Other", "x", "", "Other", "y")
    Image.open(IMAGES / "coffee.png").save(
        tmp_path / "labelled.png", pnginfo=_pnginfo(xmp_packet(label, "Other"))
    )
    code, out, err = run_cli(
        "edit", str(tmp_path / "labelled.png"), "crop to 1:1", "--json", "-o", str(tmp_path / "out.png")
    )
    assert code == 0, err
    assert read_aigc(xmp_of(tmp_path / "out.png")) == label


def _pnginfo(xmp: bytes):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    return info


def test_visible_mark_is_in_a_corner_and_tall_enough():
    import cv2

    from tasks.record.labels import MarkError, add_visible_mark, find_cjk_font

    try:
        font = find_cjk_font()
    except MarkError:
        pytest.skip("no CJK font installed (make test installs fonts-wqy-microhei)")
    img = cv2.imread(str(IMAGES / "coffee.png"))
    out = add_visible_mark(img, font)
    changed = np.nonzero(np.abs(out.astype(int) - img).max(axis=2) > 0)
    assert changed[0].min() > 300 and changed[1].min() > 400  # bottom-right corner only
    white = np.nonzero(out.min(axis=2) > 240)
    text_rows = white[0][white[0] > 300]
    assert text_rows.max() - text_rows.min() + 1 >= 0.05 * min(img.shape[:2])


def test_visible_mark_without_a_font_is_a_clear_error(monkeypatch):
    import tasks.record.labels as labels

    monkeypatch.setattr(labels, "CJK_FONTS", ())
    with pytest.raises(labels.MarkError, match="fonts-wqy-microhei"):
        labels.find_cjk_font("/nonexistent/font.ttf")
