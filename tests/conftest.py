"""Shared fixtures: real photos, synthetic images of every awkward kind, and one Prefect API."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "examples" / "images"

# No test may reach the Hugging Face hub or see a developer's model cache: an empty cache, offline.
_HF_HOME = tempfile.mkdtemp(prefix="retouch-test-hf-")
os.environ.update(HF_HOME=_HF_HOME, HF_HUB_OFFLINE="1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # servers started by tests: no telemetry
for _name in [n for n in os.environ if n.startswith("RETOUCH_")]:
    del os.environ[_name]


@pytest.fixture(autouse=True)
def _restore_retouch_settings(tmp_path_factory):
    """Commands such as `retouch demo` set RETOUCH_* for their process; keep tests apart.

    Each test also gets a ledger (SQLite) of its own, never the user's ~/.retouch.
    """
    saved = {k: v for k, v in os.environ.items() if k.startswith("RETOUCH_")}
    os.environ["RETOUCH_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    from config.settings import get_settings

    get_settings.cache_clear()
    yield
    for key in [k for k in os.environ if k.startswith("RETOUCH_")]:
        del os.environ[key]
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def coffee_path() -> Path:
    return IMAGES / "coffee.png"  # 600x400 RGB photo


@pytest.fixture(scope="session")
def coffee(coffee_path) -> np.ndarray:
    return cv2.imread(str(coffee_path), cv2.IMREAD_UNCHANGED)


@pytest.fixture(scope="session")
def prefect_api():
    """A real Prefect API (temporary server and database), started once per test session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        url = PREFECT_API_URL.value()
        os.environ["PREFECT_API_URL"] = url  # the CLI, run in-process, uses it as configured
        try:
            yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture
def run_cli(prefect_api, capsys, monkeypatch):
    """Run `retouch ARGS...` in this process; return (exit status, stdout, stderr)."""
    from retouch.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["retouch", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 120, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def stop(*processes, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL what has not exited after `grace` seconds: teardown never hangs."""
    import subprocess
    import time

    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace  # one grace for all, not one each
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def moto_server():
    """moto in server mode: S3 and SQS over HTTP on loopback (a real S3-speaking server)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def encode_pil(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """An RGB test card: distinct colours in every corner, so any flip or turn shows."""
    y, x = np.mgrid[0:height, 0:width]
    r = (255 * x / (width - 1)).astype(np.uint8)
    g = (255 * y / (height - 1)).astype(np.uint8)
    b = np.full_like(r, 90)
    return np.dstack([r, g, b])
