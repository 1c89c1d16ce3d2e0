"""`retouch api`: the FastAPI app, made of one router per resource (retouch/api/routes/), in the
shapes client code for hosted edit APIs already sends.

- `POST /models/{model_id}`: Hugging Face's synchronous inference shape (routes/huggingface.py).
- `POST /v1/edits` (JSON or multipart), `GET /v1/edits[/{id}[/output]]`,
  `POST /v1/edits/{id}/cancel`, `POST /v1/batches`: asynchronous jobs, fal/Replicate style,
  with per-job webhooks signed like the batch webhooks (routes/jobs.py).
- `/v1/sessions`: multi-round sessions (routes/sessions.py).
- `POST /v1/images/edits`: OpenAI's image-edit shape, multipart (routes/openai.py).
- `GET /v1/templates`, `POST /v1/route` (routes/instructions.py), `GET /healthz`, the operator
  page at `/` (routes/pages.py), OpenAPI docs at `/docs`.

Every route but `/healthz`, the docs, the page's files and signed links takes
`Authorization: Bearer KEY` (retouch/api/deps.py). Errors are one JSON shape, `{"error": "..."}`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from retouch.api import page
from retouch.api.errors import Refused, openai_body
from retouch.api.routes import huggingface, instructions, jobs, openai, pages, sessions
from retouch.api.service import Service

OPENAI_PATHS = ("/v1/images/",)  # routes whose clients read OpenAI's error object


def create_app(service: Service) -> FastAPI:
    """The API app of one service (its settings, jobs, limits and Prefect API)."""
    app = FastAPI(
        title="Retouch",
        summary="Edit product images from natural-language instructions (zh/en): drop-in routes "
        "for Hugging Face, fal/Replicate-style jobs and OpenAI image edits.",
        redoc_url=None,
        docs_url=None,  # served below from the wheel's own Swagger UI: /docs works offline
    )
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Retouch API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    app.state.service = service
    for router in (huggingface, jobs, sessions, openai, instructions, pages):
        app.include_router(router.router)
    app.add_exception_handler(Refused, _refused)  # BadInput too
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    limit = service.settings.api_max_body_bytes

    @app.middleware("http")
    async def bounded(request: Request, call_next):
        """A body declared above the limit is refused before it is read."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            return JSONResponse(
                {"error": f"request body of {declared} bytes, above the limit of {limit}"}, 413
            )
        return await call_next(request)

    @app.middleware("http")
    async def no_sniffing(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path in ("/", "/static/api.js"):
            response.headers["Content-Security-Policy"] = page.POLICY
        return response

    return app


def _answer(request: Request, status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    """A refusal in the shape the route's clients read (OpenAI's error object on its routes)."""
    if request.url.path.startswith(OPENAI_PATHS):
        body = openai_body(status, body)
    return JSONResponse(body, status, headers=headers)


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    return _answer(request, exc.status, exc.body, exc.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """A body or parameter of the wrong shape: the first problem, where it is, in one line."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return _answer(request, 422, {"error": f"{where}: {first.get('msg', 'invalid request')}"})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"error": str(exc.detail)}, exc.status_code)
