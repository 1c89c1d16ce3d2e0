"""`retouch doctor` as an operator runs it (a process of its own, configured by .env and
retouch.toml): one line per check, each failure with its fix, exit status 1 on a failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT, free_port, moto_client

pytestmark = pytest.mark.slow


def doctor(cwd, env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]], str]:
    """Run `retouch doctor` twice (words, then --json); (exit status, checks by name, words)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RETOUCH_", "AWS_"))}
    base.update(
        PREFECT_HOME=str(cwd / "prefect"),
        AWS_SHARED_CREDENTIALS_FILE=str(cwd / "no-credentials"),
        AWS_CONFIG_FILE=str(cwd / "no-config"),
        AWS_EC2_METADATA_DISABLED="true",  # no instance role to find on this machine
        RETOUCH_DATA_DIR=str(cwd / "data"),
        PYTHONPATH=str(ROOT),
        **env,
    )
    words = subprocess.run(
        [sys.executable, "-m", "retouch", "doctor"],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    as_json = subprocess.run(
        [sys.executable, "-m", "retouch", "doctor", "--json"],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert words.returncode == as_json.returncode, words.stderr + as_json.stderr
    checks = {c["name"]: c for c in map(json.loads, as_json.stdout.splitlines())}
    return words.returncode, checks, words.stdout


def test_a_broken_set_up_says_what_to_fix(tmp_path, moto_server):
    (tmp_path / ".env").write_text(
        f"RETOUCH_DB_URL=postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none\n"
    )
    (tmp_path / "retouch.toml").write_text(
        f'upload_out_uri = "s3://shop-out/edited"\ns3_endpoint_url = "{moto_server}"\n'
        f'webhook_url = "http://127.0.0.1:{free_port()}/hook"\n'
        f'review_page_url = "http://127.0.0.1:{free_port()}"\n'
    )
    code, checks, words = doctor(tmp_path, {"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"})
    assert code == 1
    assert checks["config"]["status"] == "ok" and ".env read" in checks["config"]["detail"]
    assert checks["prefect api"]["status"] == "FAIL" and "make up" in checks["prefect api"]["fix"]
    assert checks["s3"]["status"] == "FAIL" and "no AWS credentials" in checks["s3"]["detail"]
    assert "AWS_ACCESS_KEY_ID" in checks["s3"]["fix"] and ".env" in checks["s3"]["fix"]
    assert checks["database"]["status"] == "FAIL" and "RETOUCH_DB_URL" in checks["database"]["fix"]
    assert checks["review page"]["status"] == "warn" and "review serve" in checks["review page"]["fix"]
    assert checks["webhook"]["status"] == "warn" and "RETOUCH_WEBHOOK_SECRET" in checks["webhook"]["fix"]
    failed = [line for line in words.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 3 and all(" -> " in line for line in failed)  # each with its fix, one line
    assert words.splitlines()[-1] == "3 check(s) failed: prefect api, s3, database"


def test_s3_is_checked_with_the_configured_credentials(tmp_path, moto_server):
    s3 = moto_client("s3", moto_server)
    s3.create_bucket(Bucket="doctor-out")
    (tmp_path / ".env").write_text(
        "AWS_ACCESS_KEY_ID=test\nAWS_SECRET_ACCESS_KEY=test\nAWS_DEFAULT_REGION=us-east-1\n"
    )
    settings = f's3_endpoint_url = "{moto_server}"\nupload_out_uri = "s3://doctor-out/edited"\n'
    (tmp_path / "retouch.toml").write_text(settings)
    code, checks, _ = doctor(tmp_path, {})
    assert checks["s3"]["status"] == "ok" and "doctor-out reachable" in checks["s3"]["detail"]
    assert checks["prefect api"]["status"] == "ok" and checks["database"]["status"] == "ok"
    assert code == 0
    (tmp_path / "retouch.toml").write_text(settings.replace("doctor-out", "no-such-bucket"))
    code, checks, _ = doctor(tmp_path, {})
    assert code == 1 and checks["s3"]["status"] == "FAIL" and "buckets exist" in checks["s3"]["fix"]


def test_the_random_weight_test_model_is_called_out_loudly(tmp_path, tiny_model_dir):
    code, checks, words = doctor(
        tmp_path,
        {"RETOUCH_MODEL": str(tiny_model_dir), "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"},
    )
    model = checks["model"]
    assert model["status"] == "warn" and model["detail"].startswith("TEST MODEL in ")
    assert "noise" in model["detail"] and "RETOUCH_MODEL" in model["fix"]
    assert any(line.startswith("warn  model        TEST MODEL") for line in words.splitlines())
