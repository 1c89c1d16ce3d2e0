"""Read and write bytes at local paths or `s3://bucket/key` URIs.

Local writes are atomic (a temporary file in the same folder, then a rename), so a reader
never sees half a file; S3 puts are atomic by nature. Names that come from users (item ids,
object keys) are validated before they become part of a path or key.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from functools import cache
from pathlib import Path, PurePosixPath

from tasks.infra.errors import one_line
from tasks.infra.processes import alive

_SAFE_NAME = re.compile(r"[\w][\w.\-]{0,127}")


class StorageError(OSError):
    """A read or write that failed; the message is one line and names the URI."""


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise StorageError(f"{uri}: no bucket in the S3 URI")
    return bucket, key


def safe_name(name: str, what: str = "id") -> str:
    """Return `name` if it can be one path segment; raise ValueError otherwise."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"unsafe {what} {name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 128, not starting with '.' or '-', no '..')"
        )
    return name


def safe_key(key: str) -> str:
    """Return an S3 object key if it stays inside its prefix (no traversal, no absolute path)."""
    parts = PurePosixPath(key).parts
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or any(p in ("..", ".") for p in parts)
        or any(ord(c) < 32 for c in key)
    ):
        raise ValueError(f"unsafe object key {key!r}")
    return key


def join(base: str, *parts: str) -> str:
    """Join path segments onto a local folder or an S3 prefix (empty segments are skipped)."""
    parts = tuple(p for p in parts if p)
    if is_s3(base):
        return "/".join([base.rstrip("/"), *parts])
    return str(Path(base, *parts))


def resolve(reference: str, relative_to: str) -> str:
    """A manifest's image reference, relative to the manifest's own folder or prefix."""
    if is_s3(reference) or os.path.isabs(reference):
        return reference
    if is_s3(relative_to):
        bucket, key = split_s3(relative_to)
        prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
        return f"s3://{bucket}/{safe_key(prefix + reference)}"
    return str(Path(relative_to).parent / reference)


@cache
def _client(service: str, endpoint_url: str | None, profile: str | None, thread_id: int):
    import boto3
    from botocore.config import Config

    # adaptive retries: exponential backoff on throttling (SlowDown, 503) and 5xx
    config = Config(retries={"max_attempts": 8, "mode": "adaptive"}, connect_timeout=10, read_timeout=60)
    session = boto3.session.Session(profile_name=profile)
    return session.client(service, endpoint_url=endpoint_url, config=config)


def aws_client(service: str):
    """A boto3 client for this thread, on settings.s3_endpoint_url when set (S3-compatible),
    with the credentials of settings.s3_profile when set."""
    from config.settings import get_settings

    settings = get_settings()
    return _client(service, settings.s3_endpoint_url or None, settings.s3_profile, threading.get_ident())


def s3_client():
    return aws_client("s3")


def read_bytes(uri: str, max_bytes: int | None = None) -> bytes:
    """The whole object at `uri`, refusing files larger than `max_bytes`."""
    try:
        if is_s3(uri):
            bucket, key = split_s3(uri)
            client = s3_client()
            if max_bytes is not None:
                size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
                _check_size(uri, size, max_bytes)
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        path = Path(uri)
        if max_bytes is not None:
            _check_size(uri, path.stat().st_size, max_bytes)
        return path.read_bytes()
    except StorageError:
        raise
    except FileNotFoundError:
        raise StorageError(f"{uri}: no such file") from None
    except IsADirectoryError:
        raise StorageError(f"{uri}: is a folder, not a file") from None
    except PermissionError:
        raise StorageError(f"{uri}: permission denied") from None
    except Exception as exc:  # botocore and OS errors, reduced to one line
        raise StorageError(f"{uri}: {one_line(exc)}") from None


def _check_size(uri: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise StorageError(
            f"{uri}: {size / 1e6:.1f} MB is above the limit of "
            f"{max_bytes / 1e6:.0f} MB (RETOUCH_MAX_FILE_BYTES)"
        )


def exists(uri: str) -> bool:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            s3_client().head_object(Bucket=bucket, Key=key)
            return True
        except Exception:
            return False
    return Path(uri).is_file()


def write_bytes(uri: str, data: bytes, content_type: str | None = None) -> None:
    """Write atomically: readers see the old object or the whole new one, never a part."""
    try:
        if is_s3(uri):
            bucket, key = split_s3(uri)
            extra = {"ContentType": content_type} if content_type else {}
            s3_client().put_object(Bucket=bucket, Key=safe_key(key), Body=data, **extra)
            return
        path = Path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=PARTIAL, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception as exc:
        raise StorageError(f"{uri}: cannot write: {one_line(exc)}") from None


PARTIAL = ".part"
_PARTIAL_NAME = re.compile(r"^\..+\.(\d+)\.[^.]+\.part$")


def sweep_partial_writes(folder: str) -> int:
    """Delete temporary files left by writers that died (killed mid-write); returns how many.

    A temporary name carries its writer's process id; files of live processes are left alone.
    """
    if is_s3(folder) or not Path(folder).is_dir():
        return 0
    removed = 0
    for root, _, files in os.walk(folder):
        for name in files:
            match = _PARTIAL_NAME.match(name)
            if match and not alive(int(match.group(1))):
                Path(root, name).unlink(missing_ok=True)
                removed += 1
    return removed


def check_writable(folder: str) -> None:
    """Raise StorageError unless `folder` (local) can be created and written to."""
    if is_s3(folder):
        return
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".write-probe.{os.getpid()}.", suffix=PARTIAL, dir=folder)
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise StorageError(f"{folder}: cannot write there: {exc.strerror or exc}") from None
