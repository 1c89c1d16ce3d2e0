"""Decoding every awkward input right, refusing bad ones in one line, and encoding back."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from tasks.pixels.formats import EXTENSIONS, content_type, format_of_extension, sniff_format
from tasks.pixels.images import ImageError, encode_image, load_image, output_format
from tasks.pixels.metadata import add_jpeg_metadata, add_png_metadata
from tests.helpers import IMAGES, encode_pil, gradient


def rgb_of(picture) -> np.ndarray:
    px = picture.pixels
    return cv2.cvtColor(px, cv2.COLOR_BGR2RGB) if px.ndim == 3 and px.shape[2] == 3 else px


@pytest.mark.parametrize(
    "orientation, expected",
    [
        (1, lambda a: a),
        (2, lambda a: a[:, ::-1]),
        (3, lambda a: a[::-1, ::-1]),
        (4, lambda a: a[::-1]),
        (5, lambda a: np.rot90(a, -1)[:, ::-1]),
        (6, lambda a: np.rot90(a, -1)),
        (7, lambda a: np.rot90(a, 1)[:, ::-1]),
        (8, lambda a: np.rot90(a, 1)),
    ],
)
def test_exif_orientation_is_applied_first(orientation, expected):
    card = gradient()
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode_pil(Image.fromarray(card), "PNG", exif=exif.tobytes())
    picture = load_image(data)
    assert np.array_equal(rgb_of(picture), expected(card))
    reread = Image.open(io.BytesIO(encode_image(picture.pixels, "jpeg", exif=picture.exif)))
    assert reread.getexif().get(0x0112) == 1  # the saved copy is upright already


def test_jpeg_exif_rotation_and_gps_removed():
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8825)[2] = (31.0, 14.0, 0.0)  # GPS latitude
    data = encode_pil(Image.fromarray(gradient()), "JPEG", exif=exif.tobytes(), quality=95)
    picture = load_image(data)
    assert picture.size == (48, 64)
    kept = Image.Exif()
    kept.load(picture.exif)
    assert kept[0x010F] == "TestCam" and kept[0x0112] == 1 and 0x8825 not in kept


def test_alpha_is_kept():
    rgba = np.dstack([gradient(), np.linspace(0, 255, 64 * 48).reshape(48, 64).astype(np.uint8)])
    picture = load_image(encode_pil(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert picture.pixels.shape == (48, 64, 4)
    assert np.array_equal(picture.pixels[..., 3], rgba[..., 3])
    back = Image.open(io.BytesIO(encode_image(picture.pixels, "png")))
    assert back.mode == "RGBA" and np.array_equal(np.asarray(back), rgba)


def test_alpha_is_flattened_on_white_for_jpeg():
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent black
    out = Image.open(
        io.BytesIO(encode_image(load_image(encode_pil(Image.fromarray(rgba, "RGBA"), "PNG")).pixels, "jpeg"))
    )
    assert np.asarray(out).min() >= 250


def test_sixteen_bit_png_round_trips():
    img16 = (np.random.default_rng(1).random((30, 40, 3)) * 65535).astype(np.uint16)
    ok, buf = cv2.imencode(".png", img16)
    picture = load_image(buf.tobytes())
    assert picture.pixels.dtype == np.uint16 and np.array_equal(picture.pixels, img16)
    back = cv2.imdecode(np.frombuffer(encode_image(picture.pixels, "png"), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, img16)
    grey16 = load_image(encode_pil(Image.fromarray(img16[..., 0]), "PNG")).pixels
    assert grey16.dtype == np.uint16 and grey16.ndim == 2
    jpeg = Image.open(io.BytesIO(encode_image(img16, "jpeg")))
    assert jpeg.mode == "RGB"


def test_palette_and_transparency():
    im = Image.fromarray(gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    plain = load_image(encode_pil(im, "PNG"))
    assert plain.pixels.shape == (48, 64, 3)
    assert np.abs(rgb_of(plain).astype(int) - np.asarray(im.convert("RGB"))).max() == 0
    transparent = load_image(encode_pil(im, "PNG", transparency=0))
    assert transparent.pixels.shape == (48, 64, 4)
    assert (transparent.pixels[..., 3] == 0).any()


def test_cmyk_jpeg_becomes_rgb():
    card = gradient()
    data = encode_pil(Image.fromarray(card).convert("CMYK"), "JPEG", quality=98)
    picture = load_image(data)
    assert picture.pixels.shape == (48, 64, 3)
    assert np.abs(rgb_of(picture).astype(int) - card).mean() < 6
    assert any("CMYK" in note for note in picture.notes)


def test_grey_jpeg_stays_grey():
    grey = gradient()[..., 0]
    picture = load_image(encode_pil(Image.fromarray(grey), "JPEG", quality=95))
    assert picture.pixels.ndim == 2
    assert Image.open(io.BytesIO(encode_image(picture.pixels, "jpeg"))).mode == "L"


def test_animated_gif_uses_the_first_frame():
    first = Image.fromarray(np.full((20, 30, 3), (255, 0, 0), np.uint8))
    second = Image.fromarray(np.full((20, 30, 3), (0, 0, 255), np.uint8))
    data = encode_pil(first, "GIF", save_all=True, append_images=[second], duration=100)
    picture = load_image(data)
    assert rgb_of(picture)[0, 0].tolist() == [255, 0, 0]
    assert "first of 2 frames" in picture.notes[0]
    assert output_format(picture.format) == "png"


def test_icc_profile_is_kept():
    data = (IMAGES / "chelsea.png").read_bytes()
    icc = Image.open(io.BytesIO(data)).info["icc_profile"]
    picture = load_image(data)
    assert picture.icc_profile == icc
    for fmt in ("png", "jpeg", "webp", "tiff"):
        out = Image.open(io.BytesIO(encode_image(picture.pixels, fmt, icc_profile=icc)))
        assert out.info.get("icc_profile") == icc, fmt


def test_large_icc_profile_spans_several_jpeg_segments():
    icc = bytes(range(256)) * 600  # 150 kB: three APP2 segments
    data = encode_image(gradient()[..., ::-1].copy(), "jpeg", icc_profile=icc)
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == icc


def test_jpeg_quality_is_configurable():
    photo = load_image((IMAGES / "rocket.jpg").read_bytes())
    low = encode_image(photo.pixels, "jpeg", quality=40)
    high = encode_image(photo.pixels, "jpeg", quality=95)
    assert len(low) < len(high) / 2
    q_low = Image.open(io.BytesIO(low)).quantization[0]
    q_high = Image.open(io.BytesIO(high)).quantization[0]
    assert sum(q_low) > sum(q_high) * 3


def test_output_format_follows_the_input():
    assert output_format("JPEG") == "jpeg" and output_format("PNG") == "png"
    assert output_format("WEBP") == "webp" and output_format("GIF") == "png"
    assert output_format("ICO") == "png" and output_format("JPEG", "webp") == "webp"


def test_metadata_insertion_keeps_the_stream_valid():
    jpeg = encode_pil(Image.fromarray(gradient()), "JPEG")
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    out = Image.open(io.BytesIO(add_jpeg_metadata(jpeg, xmp=xmp)))
    assert out.info.get("xmp") == xmp
    png = encode_pil(Image.fromarray(gradient()), "PNG")
    out = Image.open(io.BytesIO(add_png_metadata(png, xmp=xmp)))
    out.load()
    assert out.info.get("XML:com.adobe.xmp") == xmp.decode()


# ------------------------------------------------------------------------------------------------
# bad input: one clear line each


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb's calling card)."""
    data = bytearray(encode_pil(Image.new("L", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty file"),
        (b"this is a text file, not a picture\n", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image"),
        (_png_claiming(50_000, 50_000), "decompression bomb"),
        (_png_claiming(200_000, 200_000), "decompression bomb"),
    ],
)
def test_bad_files_are_refused_in_one_line(data, message):
    with pytest.raises(ImageError) as info:
        load_image(data)
    text = str(info.value)
    assert message in text and "\n" not in text


@pytest.mark.parametrize("name", ["rocket.jpg", "coffee.png"])
def test_truncated_files_are_refused(name):
    data = (IMAGES / name).read_bytes()
    with pytest.raises(ImageError) as info:
        load_image(data[: len(data) // 2])
    assert "\n" not in str(info.value)


def test_corrupt_jpeg_body_is_refused():
    data = bytearray((IMAGES / "rocket.jpg").read_bytes())
    data[len(data) // 3 : len(data) // 3 + 4000] = b"\xff" * 4000
    try:
        picture = load_image(bytes(data))
    except ImageError as exc:
        assert "\n" not in str(exc)
    else:  # libjpeg may recover; the result must still be a whole image of the right size
        assert picture.size == (640, 427)


def test_pixel_limit_is_configurable():
    data = (IMAGES / "coffee.png").read_bytes()
    with pytest.raises(ImageError, match="above the limit of 0.1 MP"):
        load_image(data, max_pixels=100_000)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "tiff", "bmp"])
def test_formats_are_told_by_their_bytes_not_their_names(fmt):
    pixels = gradient(40, 30)
    data = encode_image(pixels, fmt)
    assert sniff_format(data) == fmt
    assert sniff_format(b"<html><script>alert(1)</script>" + data) is None
    assert format_of_extension(EXTENSIONS[fmt].upper()) == fmt
    assert {
        "image/jpeg": "jpeg",
        "image/png": "png",
        "image/webp": "webp",
        "image/tiff": "tiff",
        "image/bmp": "bmp",
    }[content_type(fmt)] == fmt


def test_a_file_size_limit_is_met_by_the_highest_quality_that_fits():
    from config.contracts import Item, Op
    from config.settings import Settings
    from tasks.record.publish import encode_edit

    picture = load_image((IMAGES / "coffee.png").read_bytes())
    item = Item(id="a", image=str(IMAGES / "coffee.png"), instruction="under 30KB")
    settings = Settings()
    plain, fmt = encode_edit(picture, picture.pixels, (Op("format", {"format": "jpeg"}),), item, settings)
    data, fmt = encode_edit(picture, picture.pixels, (Op("format", {"max_kb": 30.0}),), item, settings)
    assert fmt == "jpeg" and len(data) <= 30 * 1024 < len(plain)  # a PNG asked to fit: a JPEG
    looser, _ = encode_edit(picture, picture.pixels, (Op("format", {"max_kb": 60.0}),), item, settings)
    assert len(data) < len(looser) <= 60 * 1024  # the highest quality that fits, not the lowest
    with pytest.raises(ImageError, match="does not fit 1 KB"):
        encode_edit(picture, picture.pixels, (Op("format", {"max_kb": 1.0}),), item, settings)
    with pytest.raises(ImageError, match="a png cannot"):
        encode_edit(
            picture, picture.pixels, (Op("format", {"format": "png", "max_kb": 30.0}),), item, settings
        )
