"""Encode an edited picture and write it where it is published (content-addressed)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from config.contracts import Item, Op
from config.settings import Settings
from tasks.infra.storage import exists, join, write_bytes
from tasks.pixels.formats import EXTENSIONS, content_type
from tasks.pixels.images import ImageError, Picture, encode_image, output_format

STAGES = {"published": "published", "review": "review"}  # review outputs are not public
MIN_FIT_QUALITY = 20  # below this a JPEG or WebP is blocks and smears: a file size limit asks more


def published_uri(out_dir: str, folder: str, data: bytes, fmt: str, stage: str = "published") -> str:
    """Content-addressed output location: re-running an edit lands on the same name."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    return join(out_dir, STAGES[stage], folder, digest + EXTENSIONS[fmt])


def publish_bytes(out_dir: str, folder: str, data: bytes, fmt: str, stage: str = "published") -> str:
    uri = published_uri(out_dir, folder, data, fmt, stage)
    if not exists(uri):
        write_bytes(uri, data, content_type(fmt))
    return uri


def encode_edit(
    picture: Picture,
    pixels: np.ndarray,
    ops: tuple[Op, ...],
    item: Item,
    settings: Settings,
    xmp: bytes | None = None,
) -> tuple[bytes, str]:
    """Encode in the format asked for (plan > manifest row > settings > the input's own).

    `xmp` replaces the original's XMP (model outputs carry their AI label there); without it
    the original's XMP, labels included, is kept.
    """
    requested = next((op.params for op in ops if op.name == "format"), {})
    fmt = output_format(picture.format, requested.get("format") or item.format or settings.output_format)
    limit = file_size_limit(requested)
    if limit is not None and fmt not in ("jpeg", "webp") and not (requested.get("format") or item.format):
        fmt = "jpeg"  # "compress to 100 KB": a lossless format cannot; a JPEG can (its name says so)
    quality = requested.get("quality", settings.webp_quality if fmt == "webp" else settings.jpeg_quality)

    def encode(q: int) -> bytes:
        return encode_image(
            pixels,
            fmt,
            quality=q,
            png_compression=settings.png_compression,
            icc_profile=picture.icc_profile,
            exif=picture.exif,
            xmp=xmp or picture.xmp,
        )

    if limit is None:
        return encode(quality), fmt
    return fit_file_size(encode, fmt, limit, quality), fmt


def file_size_limit(format_params: dict) -> int | None:
    """The most bytes a format op allows ("jpg under 300KB": 300 * 1024), or None."""
    if "max_kb" in format_params:
        return int(format_params["max_kb"] * 1024)
    if "max_mb" in format_params:
        return int(format_params["max_mb"] * 1024 * 1024)
    return None


def fit_file_size(encode: Callable[[int], bytes], fmt: str, limit: int, best: int) -> bytes:
    """The encoding at the highest quality (at most `best`) whose bytes fit `limit`, by bisection
    over JPEG/WebP quality; a clear error when even the lowest quality does not fit."""
    if fmt not in ("jpeg", "webp"):
        raise ImageError(f"a {fmt} cannot be made to fit {limit // 1024} KB; ask for jpeg or webp")
    data = encode(best)
    if len(data) <= limit:
        return data
    low, high, fitted = MIN_FIT_QUALITY, best - 1, None
    while low <= high:
        q = (low + high) // 2
        candidate = encode(q)
        if len(candidate) <= limit:
            fitted, low = candidate, q + 1
        else:
            high = q - 1
    if fitted is None:
        raise ImageError(
            f"the picture does not fit {limit // 1024} KB even at {fmt} quality {MIN_FIT_QUALITY}; "
            "make it smaller first (e.g. 'resize to 1000 wide')"
        )
    return fitted


def publish_edit(
    picture: Picture,
    pixels: np.ndarray,
    ops: tuple[Op, ...],
    item: Item,
    out_dir: str,
    settings: Settings,
    stage: str = "published",
    xmp: bytes | None = None,
    sign: Callable[[bytes, str], bytes] | None = None,
) -> str:
    """Write the edit under published/ (or review/, where it waits for a person).

    `sign(data, fmt)` runs last, on the encoded bytes (C2PA: nothing may re-encode after it).
    """
    data, fmt = encode_edit(picture, pixels, ops, item, settings, xmp)
    if sign:
        data = sign(data, fmt)
    return publish_bytes(out_dir, item.folder, data, fmt, stage)
