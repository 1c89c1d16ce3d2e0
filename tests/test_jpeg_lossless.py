"""Lossless JPEG crops, rotations and flips: the kept pixels as the original decodes them, the
metadata an edit keeps, and the usual decode path whenever the block grid does not allow it."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from config.contracts import Item, Op, Plan
from config.settings import get_settings
from tasks.edit import jpeg_lossless
from tasks.edit.opencv_path import edit_with_opencv
from tasks.pixels.images import load_image
from tests.helpers import IMAGES

pytestmark = pytest.mark.skipif(
    not jpeg_lossless.available(), reason="libturbojpeg is not installed (make test installs it)"
)


def photo(width: int, height: int, exif: Image.Exif | None = None) -> bytes:
    """A real photo as a 4:2:0 JPEG of width x height, with an ICC profile and EXIF."""
    rgb = cv2.cvtColor(
        cv2.resize(cv2.imread(str(IMAGES / "chelsea.png")), (width, height)), cv2.COLOR_BGR2RGB
    )
    buf = io.BytesIO()
    exif = exif if exif is not None else Image.Exif()
    exif[0x010F] = "Retouch test camera"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS, which an edit never keeps
    Image.fromarray(rgb).save(
        buf, "JPEG", quality=90, subsampling=2, exif=exif, icc_profile=b"fake-icc-profile"
    )
    return buf.getvalue()


def decoded(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def edit(tmp_path, data: bytes, *ops: Op, name: str = "in.jpg"):
    source = tmp_path / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(data)
    item = Item(id="sku", image=str(source), instruction="test")
    result = edit_with_opencv(item, Plan("opencv", ops, 0.95, "test"), str(tmp_path / "out"), get_settings())
    return result, (tmp_path / "out" / "published" / "sku").glob("*").__next__().read_bytes()


def test_a_centred_crop_keeps_the_originals_pixels_on_the_block_grid(tmp_path):
    original = photo(2000, 1500)
    result, out = edit(tmp_path, original, Op("crop", {"aspect": [1, 1], "anchor": "center"}))
    assert (result.width, result.height) == (1500, 1500)
    # the centred box starts at x=250, off the 16-px grid: moved 6 px to x=256, and said so
    assert result.notes == [
        "lossless JPEG crop (no re-encoding): the box moved 6 px onto the JPEG's 16-px block grid"
    ]
    kept = decoded(original)[:, 256 : 256 + 1500]
    lossless = psnr(decoded(out), kept)
    assert lossless > 60  # the same coefficients (only chroma at the cut edge differs)
    re_encoded = decoded(
        cv2.imencode(".jpg", decoded(original)[:, 250:1750], [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    )
    assert psnr(re_encoded, decoded(original)[:, 250:1750]) < lossless - 10  # what re-encoding loses
    # the metadata an edit keeps: ICC profile, EXIF without GPS
    picture = load_image(out)
    assert picture.icc_profile == b"fake-icc-profile"
    exif = Image.open(io.BytesIO(out)).getexif()
    assert exif[0x010F] == "Retouch test camera" and 0x8825 not in exif


def test_a_right_angle_rotation_and_a_flip_on_the_grid_are_lossless(tmp_path):
    original = photo(1024, 768)  # both sides multiples of the 16-px block
    result, out = edit(tmp_path, original, Op("rotate", {"degrees": 90}))
    assert result.notes == ["lossless JPEG rotation (no re-encoding)"]
    assert (result.width, result.height) == (768, 1024)
    assert psnr(decoded(out), cv2.rotate(decoded(original), cv2.ROTATE_90_CLOCKWISE)) > 45
    result, out = edit(tmp_path / "flip", original, Op("flip", {"axis": "horizontal"}))
    assert result.notes == ["lossless JPEG flip (no re-encoding)"]
    assert psnr(decoded(out), cv2.flip(decoded(original), 1)) > 45


@pytest.mark.parametrize(
    "case",
    [
        "rotation off the grid",
        "EXIF orientation",
        "a quality asked for",
        "PNG",
        "two ops",
        "crop off the grid",
    ],
)
def test_what_the_grid_does_not_allow_is_decoded_as_usual(tmp_path, case):
    ops = [Op("rotate", {"degrees": 90})]
    data = photo(1000, 750)  # 1000 is not a multiple of 16: a perfect rotation is impossible
    if case == "EXIF orientation":
        turned = Image.Exif()
        turned[0x0112] = 6
        data = photo(1024, 768, turned)
    elif case == "a quality asked for":
        data, ops = (
            photo(1024, 768),
            [Op("flip", {"axis": "vertical"}), Op("format", {"format": "jpeg", "quality": 80})],
        )
    elif case == "PNG":
        data = cv2.imencode(".png", decoded(photo(1024, 768)))[1].tobytes()
    elif case == "two ops":
        data, ops = photo(1024, 768), [Op("flip", {"axis": "vertical"}), Op("rotate", {"degrees": 180})]
    elif case == "crop off the grid":
        data, ops = photo(1024, 768), [Op("crop", {"margins": {"left": 10}, "unit": "px"})]
    result, out = edit(tmp_path, data, *ops, name="in.png" if case == "PNG" else "in.jpg")
    assert not any("lossless" in note for note in result.notes)
    assert result.status == "published" and decoded(out) is not None


def test_without_the_library_every_edit_is_decoded(tmp_path, monkeypatch):
    monkeypatch.setattr(jpeg_lossless, "available", lambda: False)
    result, out = edit(tmp_path, photo(2000, 1500), Op("crop", {"aspect": [1, 1], "anchor": "center"}))
    assert result.notes == [] and (result.width, result.height) == (1500, 1500)
    assert decoded(out).shape == (1500, 1500, 3)


def test_a_request_already_satisfied_is_published_unchanged_unless_it_carries_gps(tmp_path):
    square = photo(768, 768, Image.Exif())  # photo() adds a GPS position
    result, out = edit(tmp_path / "gps", square, Op("crop", {"aspect": [1, 1], "anchor": "center"}))
    assert out != square and 0x8825 not in Image.open(io.BytesIO(out)).getexif()  # re-written without it
    plain = io.BytesIO()
    Image.open(io.BytesIO(square)).save(plain, "JPEG", quality=90)  # the same picture, no EXIF at all
    result, out = edit(
        tmp_path / "plain", plain.getvalue(), Op("crop", {"aspect": [1, 1], "anchor": "center"})
    )
    assert result.notes == ["already satisfied: the picture is already as asked; published unchanged"]
    assert out == plain.getvalue()
