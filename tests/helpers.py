"""Helpers the tests share: where the sample photos are, free ports, waiting, stopping
processes, encoding and drawing test images, the blind case sets' known misses. Plain functions
(fixtures live in conftest.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "examples" / "images"


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


def run_retouch(env: dict[str, str], cwd: Path, *args: str, timeout: float = 180):
    """`python -m retouch ARGS...` as a user's shell runs it: its CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "retouch", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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


def vae(img: np.ndarray, seed: int = 5, noise: float = 1.8, blur: float = 0.7, quality: int = 90):
    """A good model output outside the edit: a little soft (`blur`), a little noisy (`noise` grey
    levels), re-encoded (JPEG `quality`): what a VAE round trip leaves."""
    import cv2

    grain = np.random.default_rng(seed).normal(0, noise, img.shape)
    out = cv2.GaussianBlur(img, (0, 0), blur).astype(np.float32) + grain
    ok, buf = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def known_misses(data: Path, *names: str) -> dict[str, str]:
    """{case id: what goes wrong} from the `*.known_misses.json` files of the blind case sets."""
    out: dict[str, str] = {}
    for name in names:
        out.update(json.loads((data / name).read_text(encoding="utf-8")))
    return out


def cases_with_known_misses(rows: list[dict], known: dict[str, str], id_of) -> list:
    """pytest parameters for `rows`: a row listed in `known` is expected to fail, strictly (a change
    that fixes it must take it off its list), and only by a wrong answer: a crash is a failure."""
    return [
        pytest.param(
            row,
            id=id_of(row),
            marks=[pytest.mark.xfail(reason=known[row["id"]], strict=True, raises=AssertionError)]
            if row["id"] in known
            else [],
        )
        for row in rows
    ]


def moto_client(service: str, endpoint: str):
    """A boto3 client of moto's server (the moto_server fixture), with its test credentials."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
