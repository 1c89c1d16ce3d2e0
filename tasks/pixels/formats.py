"""Image formats, in one place: file extensions, media types, the format an input's own is
written back as, and what bytes are (their signature). Pure: no decoder is imported, so that
the command line can check an output name without loading OpenCV."""

from __future__ import annotations

# The output formats, in one place: file extension, media type, and the format an input's own
# (Pillow's name) is written back as.
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "tiff": ".tif", "bmp": ".bmp"}
CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
}
SAME_FORMAT = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "TIFF": "tiff", "BMP": "bmp", "MPO": "jpeg"}
_OTHER_EXTENSIONS = {".jpeg": "jpeg", ".tiff": "tiff"}
_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)


def content_type(fmt: str) -> str:
    """The media type of an output format ("jpeg") or of a Pillow format name ("JPEG", "MPO")."""
    return CONTENT_TYPES[SAME_FORMAT.get(fmt, fmt)]


def format_of_extension(suffix: str) -> str | None:
    """The output format a file extension asks for (".jpg" -> "jpeg"), None if not an image."""
    suffix = suffix.lower()
    return {ext: fmt for fmt, ext in EXTENSIONS.items()}.get(suffix) or _OTHER_EXTENSIONS.get(suffix)


def sniff_format(data: bytes) -> str | None:
    """The format the bytes are in, from their signature (never from a file name)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)
