"""The service's own routes, open without a key: `GET /healthz`, the operator page at `/` and its
script and style."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from retouch.api import page
from retouch.api.deps import Api

router = APIRouter()


@router.get("/healthz", tags=["service"])
def healthz(service: Api) -> dict[str, Any]:
    """Up, the Prefect API it records on, whether the image model is loaded, and whether a key
    is needed (`auth`: false only in --no-auth mode while no key exists)."""
    from tasks.edit import qwen

    try:
        loaded = qwen.is_loaded(service.settings.qwen_config)
    except ImportError:
        loaded = False
    service.key_of(None)  # a key created since --no-auth started switches auth on
    return {"status": "ok", "prefect_api": service.prefect.url, "model_loaded": loaded, "auth": service.auth}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def operator_page() -> str:
    return page.PAGE


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/static/api.js", include_in_schema=False)
def script() -> Response:
    return Response(page.SCRIPT, media_type="text/javascript")


@router.get("/static/api.css", include_in_schema=False)
def style() -> Response:
    return Response(page.STYLE, media_type="text/css")
