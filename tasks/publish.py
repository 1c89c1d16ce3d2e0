"""Encode an edited picture and write it where it is published (content-addressed)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from config.contracts import Item, Op
from config.settings import Settings
from tasks.formats import EXTENSIONS, content_type
from tasks.images import Picture, encode_image, output_format
from tasks.storage import exists, join, write_bytes

STAGES = {"published": "published", "review": "review"}  # review outputs are not public


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
    quality = requested.get("quality", settings.webp_quality if fmt == "webp" else settings.jpeg_quality)
    data = encode_image(
        pixels,
        fmt,
        quality=quality,
        png_compression=settings.png_compression,
        icc_profile=picture.icc_profile,
        exif=picture.exif,
        xmp=xmp or picture.xmp,
    )
    return data, fmt


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
