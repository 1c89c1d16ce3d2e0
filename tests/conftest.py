"""Shared fixtures: real photos, one Prefect API, the CLI, an S3-speaking server (helpers that
are plain functions live in tests/helpers.py)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import IMAGES, free_port

# No test may reach the Hugging Face hub or see a developer's model cache: an empty cache, offline.
_HF_HOME = tempfile.mkdtemp(prefix="retouch-test-hf-")
os.environ.update(HF_HOME=_HF_HOME, HF_HUB_OFFLINE="1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # servers started by tests: no telemetry
for _name in [n for n in os.environ if n.startswith("RETOUCH_")]:
    del os.environ[_name]
os.environ["RETOUCH_ENV_FILE"] = ""  # a developer's .env must not reach the tests (they set their own)
# commands run in their own process (tests/test_daemon.py runs the warm daemon on purpose)
os.environ["RETOUCH_DAEMON_IDLE_SECONDS"] = "0"


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


@pytest.fixture(scope="session")
def moto_server():
    """moto in server mode: S3 and SQS over HTTP on loopback (a real S3-speaking server)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The random-weight test model of Qwen-Image-Edit-2509's architecture, built offline once."""
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    return make_tiny(tmp_path_factory.mktemp("tiny-model") / "tiny")
