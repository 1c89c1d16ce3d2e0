"""Decode and encode product photos: every input normalised to an OpenCV array, and back.

Pixels are NumPy arrays in OpenCV's channel order: HxW (grey), HxWx3 (BGR) or HxWx4 (BGRA),
uint8, or uint16 for 16-bit PNG/TIFF. EXIF orientation is applied on load, so every op sees the
picture as a person does; ICC profiles and EXIF travel with the picture to the output.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from tasks.infra.errors import one_line
from tasks.pixels.dtypes import as_picture_dtype
from tasks.pixels.formats import SAME_FORMAT
from tasks.pixels.metadata import add_jpeg_metadata, add_png_metadata

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

# formats OpenCV decodes itself (fast path); anything else goes through Pillow
_CV2_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF", "BMP", "PPM", "JPEG2000"}
_PIL_ONLY_MODES = {"CMYK", "YCbCr", "LAB", "HSV", "F", "P", "PA", "1", "I"}
_EXIF_ORIENTATION = 0x0112
_EXIF_GPS_IFD = 0x8825


class ImageError(ValueError):
    """An input that is not a usable image; the message is one line, for the results file."""


@dataclass
class Picture:
    """A decoded image and what must be carried to its edited copy."""

    pixels: np.ndarray
    format: str  # Pillow's name of the input format: JPEG, PNG, WEBP, GIF...
    icc_profile: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None  # kept on OpenCV edits: labels the original carried stay
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]


def open_header(data: bytes, max_pixels: int) -> Image.Image:
    """Open without decoding; refuse empty files, non-images and decompression bombs."""
    if not data:
        raise ImageError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"refused as a decompression bomb: {exc}".split(". ")[0]) from None
    except UnidentifiedImageError:
        raise ImageError("not an image (unrecognised file format)") from None
    except Exception as exc:  # Pillow's parsers raise many types on hostile headers (TypeError...)
        raise ImageError(f"unreadable image header: {one_line(exc, named=False)}") from None
    width, height = im.size
    if width <= 0 or height <= 0:
        raise ImageError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageError(
            f"image is {width}x{height} = {width * height / 1e6:.0f} MP, above the "
            f"limit of {max_pixels / 1e6:g} MP (RETOUCH_MAX_PIXELS): refused as a "
            "possible decompression bomb"
        )
    return im


@dataclass(frozen=True)
class Carried:
    """What an edit carries over from its original: the EXIF (orientation reset, GPS removed),
    the ICC profile and the XMP; and the orientation the pixels were stored in."""

    orientation: int
    icc_profile: bytes | None
    exif: bytes | None
    xmp: bytes | None
    notes: tuple[str, ...] = ()


def carried_metadata(im: Image.Image, keep_exif: bool = True) -> Carried:
    """The metadata of an opened (not decoded) picture that its edit keeps."""
    try:
        exif = im.getexif()
    except Exception:  # a broken EXIF block must not lose the picture
        exif = Image.Exif()
    orientation = exif.get(_EXIF_ORIENTATION, 1)
    notes = []
    exif_bytes = None
    if keep_exif and len(exif):
        exif[_EXIF_ORIENTATION] = 1
        exif.pop(_EXIF_GPS_IFD, None)
        try:
            exif_bytes = exif.tobytes()
        except Exception:
            notes.append("EXIF dropped: could not be re-written")
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return Carried(orientation, im.info.get("icc_profile") or None, exif_bytes, xmp or None, tuple(notes))


def publishable_as_is(im: Image.Image) -> bool:
    """Whether an original may be published byte for byte: no GPS position in its EXIF (every
    edit removes it) and no EXIF rotation to apply."""
    try:
        exif = im.getexif()
    except Exception:
        return False
    return _EXIF_GPS_IFD not in exif and exif.get(_EXIF_ORIENTATION, 1) == 1


def load_image(data: bytes, max_pixels: int = 100_000_000, keep_exif: bool = True) -> Picture:
    """Decode `data` into a Picture with EXIF orientation applied."""
    im = open_header(data, max_pixels)
    fmt = im.format or "UNKNOWN"
    carried = carried_metadata(im, keep_exif)
    notes = list(carried.notes)
    icc = carried.icc_profile

    pixels = None
    if fmt in _CV2_FORMATS and im.mode not in _PIL_ONLY_MODES:
        flags = cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if pixels is None:
        pixels, icc = _decode_with_pillow(im, icc, notes)
    pixels = as_picture_dtype(pixels)
    if pixels.size == 0:
        raise ImageError("image has no pixels")
    if carried.orientation in _ORIENT:
        pixels = _ORIENT[carried.orientation](pixels)
    return Picture(pixels, fmt, icc, carried.exif, carried.xmp, notes)


def _decode_with_pillow(
    im: Image.Image, icc: bytes | None, notes: list[str]
) -> tuple[np.ndarray, bytes | None]:
    """Decode what OpenCV cannot: CMYK (through its ICC profile), palettes, GIF frames..."""
    try:
        frames = getattr(im, "n_frames", 1)
        if frames > 1:
            im.seek(0)
            notes.append(f"animated {im.format}: edited the first of {frames} frames")
        im.load()
        if im.mode == "CMYK":
            im, icc = _cmyk_to_srgb(im, icc, notes), None
        elif im.mode in ("P", "PA"):
            im = im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
        elif im.mode in ("1", "L", "LA", "RGB", "RGBA", "I;16", "I;16B", "I;16L"):
            pass
        elif im.mode in ("I", "F"):
            return as_picture_dtype(np.asarray(im, dtype=np.float64)), icc
        else:
            im = im.convert("RGBA" if "A" in im.mode else "RGB")
        if im.mode == "1":
            im = im.convert("L")
        if im.mode == "LA":
            im = im.convert("RGBA")
        arr = np.asarray(im)
    except ImageError:
        raise
    except Exception as exc:  # any decoder error on damaged data is this picture's, not ours
        raise ImageError(f"corrupt or truncated image data: {one_line(exc, named=False)}") from None
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA)
    return arr, icc


def _cmyk_to_srgb(im: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            out = ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
            notes.append("CMYK converted to sRGB with its ICC profile")
            return out
        except (ImageCms.PyCMSError, OSError):
            pass
    notes.append("CMYK converted to RGB without a colour profile")
    return im.convert("RGB")


_ORIENT = {
    2: lambda a: cv2.flip(a, 1),
    3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
    4: lambda a: cv2.flip(a, 0),
    5: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE), 1),
    6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
    7: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE), 1),
    8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


# ------------------------------------------------------------------------------------------------
# encoding


def output_format(input_format: str, requested: str = "same") -> str:
    """The format to write: the input's own when it is a common still format, else PNG."""
    if requested != "same":
        return requested
    return SAME_FORMAT.get(input_format, "png")


def encode_image(
    pixels: np.ndarray,
    fmt: str,
    *,
    quality: int = 95,
    png_compression: int = 3,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
) -> bytes:
    """Encode OpenCV pixels as `fmt` (jpeg|png|webp|tiff|bmp) with the given metadata."""
    if fmt == "jpeg":
        pixels = _flatten_alpha(_to_uint8(pixels))
        ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        _check(ok, fmt)
        return add_jpeg_metadata(buf.tobytes(), icc_profile=icc_profile, exif=exif, xmp=xmp)
    if fmt == "png":
        ok, buf = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, png_compression])
        _check(ok, fmt)
        return add_png_metadata(buf.tobytes(), icc_profile=icc_profile, exif=exif, xmp=xmp)
    if fmt in ("webp", "tiff", "bmp"):
        return _encode_with_pillow(pixels, fmt, quality, icc_profile, exif, xmp)
    raise ImageError(f"cannot write format {fmt!r}")


def _check(ok: bool, fmt: str) -> None:
    if not ok:
        raise ImageError(f"OpenCV could not encode the result as {fmt}")


def _encode_with_pillow(
    pixels: np.ndarray, fmt: str, quality: int, icc: bytes | None, exif: bytes | None, xmp: bytes | None
) -> bytes:
    if fmt in ("webp", "bmp"):
        pixels = _to_uint8(pixels)
    if fmt == "bmp":
        pixels = _flatten_alpha(pixels)
    if pixels.ndim == 3:
        code = cv2.COLOR_BGR2RGB if pixels.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
        pixels = cv2.cvtColor(pixels, code)
    if pixels.dtype == np.uint16 and pixels.ndim == 3:  # Pillow has no 48-bit RGB
        pixels = _to_uint8(pixels)
    im = Image.fromarray(pixels)
    kwargs: dict = {}
    if icc:
        kwargs["icc_profile"] = icc
    if exif and fmt != "bmp":
        kwargs["exif"] = exif
    if fmt == "webp":
        kwargs["quality"] = quality
        if xmp:
            kwargs["xmp"] = xmp
    if fmt == "tiff":
        kwargs["compression"] = "tiff_deflate"
        if xmp:
            kwargs["tiffinfo"] = {700: xmp}  # the XMP tag
    out = io.BytesIO()
    im.save(out, fmt.upper(), **kwargs)
    return out.getvalue()


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    return (pixels >> 8).astype(np.uint8)


def _flatten_alpha(pixels: np.ndarray, background: int = 255) -> np.ndarray:
    """Composite BGRA over white for formats without transparency."""
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        return pixels
    alpha = pixels[..., 3:4].astype(np.float32) / 255.0
    colour = pixels[..., :3].astype(np.float32)
    return (colour * alpha + background * (1.0 - alpha) + 0.5).astype(np.uint8)
