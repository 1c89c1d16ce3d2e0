"""What an API request hands over, as image bytes checked before anything is queued.

An image comes as base64 (with or without a `data:` prefix), an `s3://` URI (read with the
server's credentials), an http(s) URL (fetched with a size limit and a timeout; loopback and
private addresses are refused unless RETOUCH_API_ALLOW_PRIVATE_URLS, so a request cannot make
the server read its own network) or a multipart upload. Every one is checked as an image (type,
size, decompression bombs) by the same header reader as the rest of Retouch.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
import urllib.parse
import urllib.request

from config.settings import Settings
from retouch.api.errors import BadInput
from tasks.infra.errors import one_line
from tasks.infra.storage import StorageError, is_s3, read_bytes
from tasks.pixels.images import ImageError, open_header


def image_bytes(value: object, settings: Settings, what: str = "image") -> bytes:
    """The bytes of an image given as base64, s3:// or http(s) URL; checked as an image."""
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{what}: give the image as base64, an https:// URL or an s3:// URI")
    value = value.strip()
    if is_s3(value):
        try:
            data = read_bytes(value, settings.max_file_bytes)
        except StorageError as exc:
            raise BadInput(f"{what}: {exc}") from None
    elif value.startswith(("http://", "https://")):
        data = _fetch(value, settings, what)
    else:
        data = _base64(value, what)
    return checked(data, settings, what)


def checked(data: bytes, settings: Settings, what: str = "image") -> bytes:
    """`data` if it is an image Retouch accepts, else BadInput (400, or 413 when too large)."""
    if len(data) > settings.max_file_bytes:
        raise BadInput(f"{what}: {len(data)} bytes, above the limit of {settings.max_file_bytes}", 413)
    try:
        open_header(data, settings.max_pixels)
    except ImageError as exc:
        raise BadInput(f"{what}: {exc}") from None
    return data


def _base64(value: str, what: str) -> bytes:
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{what}: not base64, an https:// URL or an s3:// URI") from None


def _fetch(url: str, settings: Settings, what: str) -> bytes:
    host = urllib.parse.urlsplit(url).hostname or ""
    if not settings.api_allow_private_urls:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
        except OSError:
            raise BadInput(f"{what}: cannot resolve {host!r}") from None
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
                raise BadInput(f"{what}: {host} is a private address (RETOUCH_API_ALLOW_PRIVATE_URLS)")
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            data = response.read(settings.max_file_bytes + 1)
    except Exception as exc:
        raise BadInput(f"{what}: cannot fetch {url}: {one_line(exc, named=False)}") from None
    return data
