"""Process-level set-up of every `retouch` command: the operator's .env, the local stack's
Prefect server when one runs, and allocator tuning for long batches of large images."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache
from pathlib import Path

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@cache
def tune_allocator() -> bool:
    """Let glibc reuse freed image buffers instead of mapping fresh zeroed pages each time.

    A decoded 3 MP photo is ~9 MB. With glibc's defaults, the mix of buffer sizes in the
    decode/edit/encode path keeps such blocks above the mmap threshold, so every image pays for
    ~2,500 page faults (measured: 2.3 ms of kernel time per 2000x1500 photo, ~12% of the work).
    Raising the mmap and trim thresholds keeps those blocks in the heap for reuse. Set
    RETOUCH_TUNE_MALLOC=0 to keep the C library's defaults. Returns whether it was applied.
    """
    if os.environ.get("RETOUCH_TUNE_MALLOC", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, 256 * 1024 * 1024) and mallopt(_M_TRIM_THRESHOLD, 512 * 1024 * 1024)
    )


def load_env_file() -> Path | None:
    """Read the operator's `.env` (or the file named by RETOUCH_ENV_FILE; empty: none) into
    this process's environment; variables already set win. Returns the file read, if any.

    One place for what every Retouch process needs and must not be committed: AWS credentials
    and endpoint, the review token, the webhook secret. `make up` starts its processes from the
    repository, so they all read the same file (see .env.example).
    """
    named = os.environ.get("RETOUCH_ENV_FILE")
    if named == "":
        return None
    path = Path(named or ".env")
    if not path.is_file():
        if named:
            raise FileNotFoundError(f"RETOUCH_ENV_FILE={named}: no such file")
        return None
    from dotenv import load_dotenv

    load_dotenv(path, override=False)
    _read.append(path)
    return path


_read: list[Path] = []

ROOT = Path(__file__).resolve().parents[1]


def stack_dir() -> Path:
    """Where `make up` keeps its pids, logs and the server's address: RETOUCH_STACK_DIR (the
    environment or .env: read before any configuration is), else .retouch/run in the checkout."""
    return Path(os.environ.get("RETOUCH_STACK_DIR") or ROOT / ".retouch" / "run").expanduser()


def use_stack_server() -> str | None:
    """Record on the Prefect server of this checkout's `make up` while it runs: its API URL
    into this process's PREFECT_API_URL (for the child processes too), unless that is set.

    `make up` leaves the machine's Prefect profile alone; it writes the server's address to
    `api-url` in its folder (`stack_dir`), and the record counts only while the server's
    recorded process lives (a stack killed without `make down` is not used). Returns the URL
    used, if any.
    """
    if os.environ.get("PREFECT_API_URL"):
        return None
    folder = stack_dir()
    try:
        url = (folder / "api-url").read_text().strip()
    except OSError:
        return None
    if not url or pid_of(folder, "server") is None:
        return None
    os.environ["PREFECT_API_URL"] = url
    return url


def pid_of(folder: Path, name: str) -> int | None:
    """The pid recorded in `folder/<name>.pid` (a stack's process) if that process still runs."""
    from tasks.infra.processes import alive

    try:
        pid = int((folder / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def env_file_read() -> Path | None:
    """The .env this process read at start, if any (`retouch doctor` says which)."""
    return _read[-1] if _read else None
