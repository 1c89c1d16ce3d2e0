"""Write metadata (ICC profile, EXIF, XMP) into encoded JPEG and PNG bytes.

OpenCV encodes fast but writes no metadata; these functions add it to the encoded file without
decoding or re-encoding anything.
"""

from __future__ import annotations

import struct
import zlib

_ICC_JPEG_CHUNK = 65519 - 14  # APP2 payload limit minus the "ICC_PROFILE\0" + seq + count header
_XMP_JPEG_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > 65533:
        raise ValueError(f"JPEG segment of {len(payload)} bytes is too large")
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg_metadata_segments(
    icc_profile: bytes | None = None, exif: bytes | None = None, xmp: bytes | None = None
) -> bytes:
    """APP1 (EXIF, XMP) and APP2 (ICC) segments, ready to insert after SOI/APP0."""
    out = b""
    if exif:
        payload = exif if exif.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif
        out += _jpeg_segment(0xE1, payload)
    if xmp:
        out += _jpeg_segment(0xE1, _XMP_JPEG_HEADER + xmp)
    if icc_profile:
        chunks = [icc_profile[i : i + _ICC_JPEG_CHUNK] for i in range(0, len(icc_profile), _ICC_JPEG_CHUNK)]
        if len(chunks) > 255:
            raise ValueError("ICC profile too large for JPEG")
        for seq, chunk in enumerate(chunks, 1):
            out += _jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes([seq, len(chunks)]) + chunk)
    return out


def add_jpeg_metadata(data: bytes, **metadata: bytes | None) -> bytes:
    """Insert metadata segments into a JPEG right after SOI and any JFIF APP0."""
    segments = jpeg_metadata_segments(**metadata)
    if not segments:
        return data
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG stream")
    pos = 2
    if data[2:4] == b"\xff\xe0":  # keep JFIF APP0 first, as the JFIF spec wants
        pos = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:pos] + segments + data[pos:]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_metadata_chunks(
    icc_profile: bytes | None = None, exif: bytes | None = None, xmp: bytes | None = None
) -> bytes:
    out = b""
    if icc_profile:
        out += _png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile))
    if exif:
        out += _png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif)
    if xmp:
        # iTXt: keyword, no compression, empty language tag and translated keyword
        out += _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
    return out


def add_png_metadata(data: bytes, **metadata: bytes | None) -> bytes:
    """Insert metadata chunks into a PNG right after IHDR (before any PLTE/IDAT)."""
    chunks = png_metadata_chunks(**metadata)
    if not chunks:
        return data
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG stream")
    ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
    return data[:ihdr_end] + chunks + data[ihdr_end:]
