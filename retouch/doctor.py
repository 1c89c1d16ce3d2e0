"""`retouch doctor`: is this machine set up to run Retouch for real? One line per check, each
failure with its fix.

Checks, in the order an operator meets them: the configuration itself, the Prefect API, the
deployments served on it, S3 with the configured credentials, the ledger database, the model
weights, the review page, the webhook, and what the review pages and labels draw with (a CJK
font; Chromium for the browser tests). Nothing is changed: the database is not migrated, no
object is written.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from config.settings import Settings
from tasks.infra.errors import one_line

Status = Literal["ok", "warn", "FAIL", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"  -> {self.fix}" if self.fix and self.status in ("warn", "FAIL") else ""
        return f"{self.status:<4}  {self.name:<12} {self.detail}{fix}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _answers(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:  # refused, unknown host, timed out
        reason = exc.reason
        return False, getattr(reason, "strerror", None) or str(reason)
    except Exception as exc:
        return False, one_line(exc, named=False)


def check_config(settings: Settings, env_file: Path | None) -> Check:
    from config.settings import toml_path

    toml = toml_path()
    sources = [f"{toml} read" if toml.is_file() else f"no {toml} (defaults and RETOUCH_*)"]
    sources.append(f"{env_file} read" if env_file else "no .env")
    try:
        settings.thresholds  # noqa: B018  (validates the overrides)
    except ValueError as exc:
        return Check("config", "FAIL", one_line(exc, named=False), "fix the check_thresholds entry")
    return Check("config", "ok", "; ".join(sources))


def check_prefect(api_url: str | None) -> Check:
    if not api_url:
        return Check(
            "prefect api",
            "ok",
            "embedded: each command starts a private API (runs in ~/.prefect); no UI, no deployments",
            "",
        )
    healthy, why = _answers(api_url.rstrip("/") + "/health")
    if not healthy:
        return Check(
            "prefect api",
            "FAIL",
            f"{api_url} does not answer ({why})",
            "start it with `make up`, or set PREFECT_API_URL to the server (`prefect config view`)",
        )
    return Check("prefect api", "ok", f"{api_url} answers")


def check_deployments(api_url: str | None, expected: list[str]) -> Check:
    if not api_url:
        return Check("deployments", "skip", "no Prefect server: `retouch run` needs none")
    from prefect import get_client

    try:
        with get_client(sync_client=True) as client:
            found = {d.name: d for d in client.read_deployments()}
    except Exception as exc:
        return Check(
            "deployments", "FAIL", f"cannot list them: {one_line(exc, named=False)}", "see prefect api"
        )
    missing = [name for name in expected if name not in found]
    if missing:
        return Check(
            "deployments",
            "FAIL",
            f"not on the server: {', '.join(missing)}",
            "serve them with `retouch serve` (`make up` does), or `prefect deploy --all` and a worker",
        )
    idle = [name for name in expected if str(getattr(found[name], "status", "")).endswith("NOT_READY")]
    if idle:
        return Check(
            "deployments",
            "FAIL",
            f"nothing is polling for {', '.join(idle)} (their runs would wait forever)",
            "start `retouch serve` (`make up`), or a worker for their work pool",
        )
    return Check("deployments", "ok", f"{len(expected)} served ({', '.join(expected)})")


def _s3_in_use(settings: Settings) -> list[str]:
    """The S3 locations the configuration points at (buckets to check)."""
    uris = [settings.upload_out_uri or ""]
    return sorted({u[5:].split("/", 1)[0] for u in uris if u.startswith("s3://")})


def check_s3(settings: Settings) -> Check:
    import os

    buckets = _s3_in_use(settings)
    aws_env = any(k in os.environ for k in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE"))
    if not (buckets or settings.s3_endpoint_url or settings.s3_profile or aws_env):
        return Check("s3", "skip", "not configured (local folders only)")
    import boto3

    where = settings.s3_endpoint_url or "AWS S3"
    try:
        session = boto3.session.Session(profile_name=settings.s3_profile)
        credentials = session.get_credentials()
    except Exception as exc:
        return Check("s3", "FAIL", one_line(exc, named=False), "fix s3_profile in retouch.toml")
    if credentials is None:
        return Check(
            "s3",
            "FAIL",
            f"no AWS credentials for {where}: every upload and s3:// read would fail",
            "put AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in .env, or set s3_profile in retouch.toml",
        )
    from tasks.infra.storage import s3_client

    client = s3_client()
    try:
        for bucket in buckets:
            client.head_bucket(Bucket=bucket)
        if not buckets:
            client.list_buckets()
    except Exception as exc:
        return Check(
            "s3",
            "FAIL",
            f"{where} with {credentials.method} credentials: {one_line(exc, named=False)}",
            "check the endpoint (s3_endpoint_url), the credentials and that the buckets exist",
        )
    said = f"buckets {', '.join(buckets)} reachable" if buckets else "reachable"
    return Check("s3", "ok", f"{where}: {said} ({credentials.method} credentials)")


def check_database(settings: Settings) -> Check:
    from tasks.record.ledger.db import schema_revisions

    shown = settings.ledger_url.split("@")[-1]
    try:
        current, head = schema_revisions(settings.ledger_url)
    except Exception as exc:
        return Check(
            "database",
            "FAIL",
            f"{shown}: {one_line(exc, named=False)}",
            "start the database or fix RETOUCH_DB_URL",
        )
    if current == head:
        return Check("database", "ok", f"{shown}: schema {current} (newest)")
    if current is None:
        return Check("database", "ok", f"{shown}: new; its schema ({head}) is made on first use")
    return Check("database", "ok", f"{shown}: schema {current}, migrated to {head} on first use")


def check_model(settings: Settings) -> Check:
    from tasks.edit.qwen import probe

    info = probe(settings.qwen_config)
    if info.get("notice"):  # the random-weight test model: it runs, and every edit is noise
        return Check(
            "model",
            "warn",
            f"TEST MODEL in {info['weights']}: {info['notice']}; every model edit is noise, sent to review",
            "RETOUCH_MODEL=<the real weights' folder> (`huggingface-cli download Qwen/Qwen-Image-Edit-2509`)",
        )
    where = "the GPU task worker" if settings.model_worker == "task-worker" else "this process"
    if info.get("weights"):
        return Check(
            "model",
            "ok",
            f"{settings.model}: weights in {info['weights']} ({info.get('device')}); edits in {where}",
        )
    if info.get("device") is None:  # no [model] extra: an OpenCV-only worker
        return Check(
            "model", "warn", "no [model] extra: model edits end failed", "pip install 'retouch[model]'"
        )
    return Check(
        "model",
        "warn",
        f"no weights for {settings.model} here: model edits end failed",
        "fine for an OpenCV-only worker; else `huggingface-cli download Qwen/Qwen-Image-Edit-2509` "
        "or RETOUCH_MODEL=<folder of the weights>",
    )


def check_review_page(settings: Settings) -> Check:
    url = settings.review_page_url
    if not url:
        return Check("review page", "skip", "no RETOUCH_REVIEW_PAGE_URL: the Prefect form shows paths")
    healthy, why = _answers(url.rstrip("/") + "/static/review.css")
    local = url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]"))
    if not healthy:
        return Check(
            "review page",
            "warn",
            f"{url} does not answer ({why}): the Prefect form's pictures will not load",
            "`retouch review serve` (`make up` starts it)",
        )
    if not (settings.review_token or settings.review_tokens) and not local:
        return Check(
            "review page",
            "FAIL",
            f"{url} answers without any token: anyone who reaches it can approve edits",
            "set RETOUCH_REVIEW_TOKEN (or RETOUCH_REVIEW_TOKENS) in .env",
        )
    tokens = (
        "per-reviewer tokens"
        if settings.review_tokens
        else "a token"
        if settings.review_token
        else "no token"
    )
    return Check("review page", "ok", f"{url} answers ({tokens})")


def check_webhook(settings: Settings) -> Check:
    if not settings.webhook_url:
        return Check("webhook", "skip", "none: failures show in results.jsonl, the log and the UI only")
    if not settings.webhook_secret:
        return Check(
            "webhook",
            "warn",
            f"{settings.webhook_url}: sent unsigned",
            "set RETOUCH_WEBHOOK_SECRET in .env (receivers verify webhook-signature)",
        )
    return Check("webhook", "ok", f"{settings.webhook_url}: signed")


def check_drawing(settings: Settings) -> Check:
    from tasks.record.labels import MarkError, find_cjk_font

    try:
        font = find_cjk_font(settings.aigc_mark_font)
    except MarkError as exc:
        status: Status = "FAIL" if settings.aigc_visible_mark else "warn"
        return Check("fonts", status, "no CJK font: no visible AI mark, Chinese shows as boxes", str(exc))
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        return Check(
            "fonts",
            "ok",
            f"{font}; no Chromium (only the browser tests need it)",
        )
    return Check("fonts", "ok", f"{font}; Chromium at {browser}")


def run_checks(
    settings: Settings, env_file: Path | None, api_url: str | None, deployments: list[str]
) -> list[Check]:
    """Every check, in order (each is independent: one failing does not hide the others)."""
    checks = [
        lambda: check_config(settings, env_file),
        lambda: check_prefect(api_url),
        lambda: (
            check_deployments(api_url, deployments)
            if api_url and _answers(api_url + "/health")[0]
            else Check("deployments", "skip", "no Prefect server answers")
        ),
        lambda: check_s3(settings),
        lambda: check_database(settings),
        lambda: check_model(settings),
        lambda: check_review_page(settings),
        lambda: check_webhook(settings),
        lambda: check_drawing(settings),
    ]
    results = []
    for check in checks:
        try:
            results.append(check())
        except Exception as exc:  # a check that breaks says so; the others still run
            results.append(Check("check", "FAIL", f"the check itself broke: {one_line(exc)}"))
    return results
