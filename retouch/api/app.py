"""The HTTP routes of `retouch api`: the shapes client code for hosted edit APIs already sends.

- `POST /models/{model_id}`: Hugging Face's synchronous inference shape (both `{"inputs":
  {"image", "instruction"}}` and image-to-image's `{"inputs": "<b64>", "parameters": {"prompt",
  "seed", ...}}`): 200 with the picture, 202 when a person must review it, JSON errors.
- `POST /v1/edits` (JSON or multipart), `GET /v1/edits[/{id}[/output]]`,
  `POST /v1/edits/{id}/cancel`, `POST /v1/batches`: asynchronous jobs, fal/Replicate style,
  with per-job webhooks signed like the batch webhooks.
- `POST /v1/images/edits`: OpenAI's image-edit shape (multipart).
- `GET /v1/templates`, `POST /v1/route`, `GET /healthz`, OpenAPI docs at `/docs`, and the
  operator page at `/`.

Every route but `/healthz`, the docs and the page's files takes `Authorization: Bearer KEY`.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from retouch.api import page
from retouch.api.inputs import BadInput, checked, image_bytes
from retouch.api.service import Refused, Service
from tasks.infra.errors import one_line

NO_KEY = "a valid API key is required: Authorization: Bearer <key> (retouch api-key create)"
OPEN_PATHS = ("/healthz", "/docs", "/openapi.json", "/", "/static/api.js", "/static/api.css", "/favicon.ico")


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="Retouch",
        summary="Edit product images from natural-language instructions (zh/en): drop-in routes "
        "for Hugging Face, fal/Replicate-style jobs and OpenAI image edits.",
        redoc_url=None,
    )
    settings = service.settings

    # ------------------------------------------------------------------ edges: errors, keys, size

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return JSONResponse(exc.body, exc.status, headers=exc.headers)

    @app.exception_handler(BadInput)
    async def bad_input(_: Request, exc: BadInput) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}"}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, exc.status_code)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.api_max_body_bytes:
            limit = settings.api_max_body_bytes
            return JSONResponse(
                {"error": f"request body of {declared} bytes, above the limit of {limit}"}, 413
            )
        if request.url.path in OPEN_PATHS or request.url.path.startswith("/v1/files/"):
            return await call_next(request)
        token = request.headers.get("authorization", "")
        key = service.key_of(token[7:].strip() if token.lower().startswith("bearer ") else None)
        if key is None:
            return JSONResponse(
                {"error": NO_KEY},
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.key = key
        try:
            service.limiter.admit(key)  # every request of a key counts, before any work
        except Refused as exc:
            return JSONResponse(exc.body, exc.status, headers=exc.headers)
        return await call_next(request)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def body_json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > settings.api_max_body_bytes:
            raise BadInput(f"request body of {len(raw)} bytes, above the limit", 413)
        try:
            import json

            data = json.loads(raw or b"{}")
        except ValueError:
            raise BadInput("the body is not JSON") from None
        if not isinstance(data, dict):
            raise BadInput("the body must be a JSON object")
        return data

    def result_headers(job_id: str, result: dict[str, Any]) -> dict[str, str]:
        failed = [f["check"] for f in result.get("checks", []) if not f.get("passed")]
        return {
            "X-Retouch-Id": job_id,
            "X-Retouch-Status": result["status"],
            "X-Retouch-Route": str(result.get("route")),
            "X-Retouch-Verdict": "review" if result["status"] == "review" else "publish",
            "X-Retouch-Failed-Checks": ",".join(failed),
            "X-Retouch-Cost-Usd": f"{(result.get('cost') or {}).get('usd', 0.0):.8f}",
        }

    # ------------------------------------------------------------------ Hugging Face, synchronous

    @app.post("/models/{model_id:path}", tags=["Hugging Face"])
    async def hf_inference(model_id: str, request: Request) -> Response:
        """The Hugging Face Inference API shape: JSON `{"inputs": {"image": "<base64>",
        "instruction": "..."}}` or `{"inputs": "<base64>", "parameters": {"prompt": "...",
        "seed": N}}`. 200 with the edited picture (headers: route, verdict, cost); 202 with
        `{"status": "review", "id", "urls"}` when a person must decide; `X-Wait-For-Model: true`
        waits while the image model loads instead of answering 503."""
        data = await body_json(request)
        inputs, parameters = data.get("inputs"), data.get("parameters") or {}
        if isinstance(inputs, dict):
            image, instruction = inputs.get("image"), inputs.get("instruction") or inputs.get("prompt")
        else:
            image, instruction = inputs, parameters.get("prompt") or parameters.get("instruction")
        seed = parameters.get("seed") if isinstance(parameters, dict) else None
        wait = request.headers.get("x-wait-for-model", "").lower() == "true"
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(
            _edit_sync, request.state.key, image, instruction, seed, wait, base(request)
        )

    def _edit_sync(key: str, image: Any, instruction: Any, seed: Any, wait: bool, url: str) -> Response:
        plan = service.plan(instruction)
        data = image_bytes(image, settings)
        service.admit(key)
        if plan.route == "model":
            service.model_ready(wait)
        request = {"instruction": instruction, "seed": _int_or_none(seed), "sync": True}
        job, _ = service.new_job(key, "edit", request, [data], None)
        result = service.edit_now(job).to_dict()
        headers = result_headers(job["id"], result)
        if result["status"] == "published":
            picture, media = service.output(service.owned(job["id"], key))
            return Response(picture, media_type=media, headers=headers)
        if result["status"] == "review":
            view = service.job_view(service.owned(job["id"], key), url)
            return JSONResponse(
                {"status": "review", "id": job["id"], "urls": view["urls"]}, 202, headers=headers
            )
        if result["status"] == "rejected":
            return JSONResponse({"error": f"instruction rejected: {result['error']}"}, 400, headers=headers)
        return JSONResponse({"error": result.get("error") or "the edit failed"}, 500, headers=headers)

    # ------------------------------------------------------------------ asynchronous jobs

    @app.post("/v1/edits", status_code=202, tags=["jobs"])
    async def create_edit(request: Request) -> JSONResponse:
        """Queue an edit: JSON `{"image": "<https URL | s3:// | base64>", "instruction", "seed",
        "webhook", "id", "format", "references"}` or multipart (`image` file and the same
        fields). 202 `{"id", "status": "queued", "urls": {"get", "cancel", "output"}}`; the same
        client `id` again answers with the job it made the first time."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise BadInput("image: attach the picture as a file field named 'image'")
            data = checked(await upload.read(), settings)
        else:
            fields = await body_json(request)
            data = None
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_queue_edit, request.state.key, fields, data, base(request))

    def _queue_edit(key: str, fields: dict[str, Any], data: bytes | None, url: str) -> JSONResponse:
        service.plan(fields.get("instruction"))
        if data is None:
            data = image_bytes(fields.get("image"), settings)
        references = fields.get("references") or []
        if not isinstance(references, list) or len(references) > 2:
            raise BadInput("references: a list of at most 2 pictures (Qwen-Image-Edit-2509 takes 1-3)")
        extra = [image_bytes(ref, settings, f"references[{n}]") for n, ref in enumerate(references)]
        webhook = fields.get("webhook")
        if webhook is not None and not str(webhook).startswith(("http://", "https://")):
            raise BadInput("webhook: give an http(s) URL")
        service.admit(key)
        request = {
            "instruction": fields["instruction"],
            "seed": _int_or_none(fields.get("seed")),
            "webhook": webhook,
            "format": fields.get("format"),
        }
        job, created = service.new_job(key, "edit", request, [data, *extra], fields.get("id"))
        if created:
            service.enqueue(job["id"])
        view = service.job_view(job, url)
        return JSONResponse({"id": view["id"], "status": view["status"], "urls": view["urls"]}, 202)

    @app.get("/v1/edits", tags=["jobs"])
    def list_edits(request: Request, limit: int = 50) -> list[dict[str, Any]]:
        """This key's latest jobs, newest first (the operator page's history)."""
        from tasks.record.ledger.api import jobs_of

        return [
            service.job_view(job, base(request)) for job in jobs_of(service.url, request.state.key, limit)
        ]

    @app.get("/v1/edits/{job_id}", tags=["jobs"])
    def get_edit(job_id: str, request: Request) -> dict[str, Any]:
        """`status`: queued | running | published | review | rejected | failed | cancelled, and
        the result line (as in results.jsonl) once there is one."""
        return service.job_view(service.owned(job_id, request.state.key), base(request))

    @app.get("/v1/edits/{job_id}/output", tags=["jobs"])
    def get_output(job_id: str, request: Request) -> Response:
        data, media = service.output(service.current(service.owned(job_id, request.state.key)))
        return Response(data, media_type=media)

    @app.get("/v1/edits/{job_id}/input", tags=["jobs"])
    def get_input(job_id: str, request: Request) -> Response:
        """The picture the job was given (the operator page's "before")."""
        service.owned(job_id, request.state.key)
        sources = service.inputs(job_id)
        if not sources:
            raise Refused(404, "no input picture")
        data = sources[0].read_bytes()
        from tasks.pixels.formats import content_type, sniff_format

        return Response(data, media_type=content_type(sniff_format(data) or "png"))

    @app.post("/v1/edits/{job_id}/cancel", tags=["jobs"])
    def cancel_edit(job_id: str, request: Request) -> dict[str, Any]:
        """Cancel a queued job (409 once it runs)."""
        return service.job_view(service.cancel(job_id, request.state.key), base(request))

    @app.post("/v1/batches", status_code=202, tags=["jobs"])
    def create_batch(request: Request, body: dict[str, Any]) -> JSONResponse:
        """A manifest as one flow run: `{"items": [{"id", "image", "instruction"}...]}` (images
        as https URLs, s3:// URIs or base64) or `{"manifest": "s3://bucket/catalog.csv"}`; a bad
        row becomes that row's `failed` result."""
        key = request.state.key
        service.admit(key)
        if body.get("manifest"):
            if not str(body["manifest"]).startswith("s3://"):
                raise BadInput("manifest: give an s3:// URI (the server reads no local paths for clients)")
            job, created = service.new_job(key, "batch", {"manifest": body["manifest"]}, [], body.get("id"))
        else:
            rows, inputs = [], []
            for n, row in enumerate(body.get("items") or []):
                row = dict(row) if isinstance(row, dict) else {}
                try:
                    inputs.append(image_bytes(row.get("image"), settings, f"items[{n}].image"))
                    row.pop("error", None)
                except BadInput as exc:
                    row["error"] = str(exc)
                row.pop("image", None)
                rows.append(row)
            if not rows:
                raise BadInput("give items (a list of {id, image, instruction}) or a manifest URI")
            job, created = service.new_job(key, "batch", {"items": rows}, inputs, body.get("id"))
        if created:
            service.enqueue(job["id"])
        view = service.job_view(job, base(request))
        return JSONResponse({"id": view["id"], "status": view["status"], "urls": view["urls"]}, 202)

    # ------------------------------------------------------------------ multi-round sessions

    def _session(call, *args):
        from retouch import sessions

        try:
            return call(*args)
        except sessions.SessionError as exc:
            status = 404 if str(exc).startswith("no session") else 400
            raise Refused(status, str(exc)) from None

    @app.post("/v1/sessions", status_code=201, tags=["sessions"])
    def new_session(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        """Start a session on a picture (`{"image": "<https | s3:// | base64>"}`); its `id`."""
        from retouch import sessions

        data = image_bytes(body.get("image"), settings)
        session = _session(sessions.new, settings, data, f"api:{request.state.key}")
        return {"id": session["id"], "rounds": []}

    @app.post("/v1/sessions/{session_id}/edits", tags=["sessions"])
    def session_round(session_id: str, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        """A round (`{"instruction"}`) on where the session is: its before, after and result."""
        from retouch import sessions

        service.plan(body.get("instruction"))
        service.admit(request.state.key)
        owner = f"api:{request.state.key}"
        with service.prefect.in_this_thread():
            entry = _session(sessions.edit, settings, session_id, body["instruction"], owner)
        return _public(entry, session_id, base(request))

    @app.post("/v1/sessions/{session_id}/undo", tags=["sessions"])
    def session_undo(session_id: str, request: Request) -> dict[str, Any]:
        """Undo the last round."""
        from retouch import sessions

        entry = _session(sessions.undo, settings, session_id, f"api:{request.state.key}")
        return _public(entry, session_id, base(request))

    @app.get("/v1/sessions/{session_id}", tags=["sessions"])
    def session_show(session_id: str, request: Request) -> dict[str, Any]:
        """The rounds (each with its before and after) and the picture the session is at."""
        from retouch import sessions

        session = _session(sessions.load, settings, session_id, f"api:{request.state.key}")
        counting = sessions.active(session)
        at = counting[-1]["n"] if counting else 0
        return {
            "id": session["id"],
            "rounds": [_public(r, session_id, base(request)) for r in session["rounds"]],
            "current": f"{base(request)}/v1/sessions/{session_id}/pictures/{at}",
        }

    @app.get("/v1/sessions/{session_id}/pictures/{n}", tags=["sessions"])
    def session_picture(session_id: str, n: int, request: Request) -> Response:
        """The picture of round `n` (0: the original)."""
        from retouch import sessions
        from tasks.pixels.formats import content_type, sniff_format

        session = _session(sessions.load, settings, session_id, f"api:{request.state.key}")
        paths = {0: session["original"], **{r["n"]: r["output"] for r in session["rounds"] if r["output"]}}
        if n not in paths:
            raise Refused(404, f"no picture for round {n}")
        data = Path(paths[n]).read_bytes()
        return Response(data, media_type=content_type(sniff_format(data) or "png"))

    def _public(entry: dict[str, Any], session_id: str, url: str) -> dict[str, Any]:
        """A round as a client sees it: URLs of its pictures, not the server's paths (its
        before is the picture the session was at: the round before that still counted)."""
        pictures = f"{url}/v1/sessions/{session_id}/pictures"
        return {
            **{k: v for k, v in entry.items() if k not in ("before", "output")},
            "before": f"{pictures}/{entry.get('before_n', 0)}",
            "output": f"{pictures}/{entry['n']}" if entry["output"] else None,
        }

    # ------------------------------------------------------------------ OpenAI-compatible

    @app.post("/v1/images/edits", tags=["OpenAI"])
    async def openai_edits(request: Request) -> JSONResponse:
        """OpenAI's image edits: multipart `image` (or `image[]`), `prompt`, `n` (1-4),
        `response_format` (`b64_json` or `url`) -> `{"created", "data": [...]}`."""
        form = await request.form()
        uploads = form.getlist("image") + form.getlist("image[]")
        files = [u for u in uploads if not isinstance(u, str)]
        if not files:
            raise BadInput("image: attach the picture as a file field named 'image'")
        if len(files) > 3:
            raise BadInput("image[]: at most 3 pictures (the first is edited, the others are references)")
        pictures = [checked(await f.read(), settings, f"image[{n}]") for n, f in enumerate(files)]
        prompt, fmt = form.get("prompt"), form.get("response_format") or "b64_json"
        if fmt not in ("b64_json", "url"):
            raise BadInput("response_format: b64_json or url")
        try:
            n = int(form.get("n") or 1)
        except ValueError:
            raise BadInput("n: a number from 1 to 4") from None
        if not 1 <= n <= 4:
            raise BadInput("n: a number from 1 to 4")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_openai, request.state.key, pictures, prompt, n, fmt, base(request))

    def _openai(key: str, pictures: list[bytes], prompt: Any, n: int, fmt: str, url: str) -> JSONResponse:
        plan = service.plan(prompt)
        service.admit(key)
        if plan.route == "model":
            service.model_ready(wait=True)
        out = []
        for i in range(n):  # a model edit per seed; an OpenCV edit is the same each time
            job, _ = service.new_job(key, "edit", {"instruction": prompt, "seed": i or None}, pictures, None)
            result = service.edit_now(job).to_dict()
            if result["status"] == "rejected":
                raise BadInput(f"instruction rejected: {result['error']}")
            if result["status"] == "failed":
                raise Refused(500, result.get("error") or "the edit failed")
            entry: dict[str, Any] = {
                "revised_prompt": prompt,
                "retouch": {"id": job["id"], "status": result["status"]},
            }
            if result["status"] == "published" and fmt == "b64_json":
                picture, _ = service.output(service.owned(job["id"], key))
                entry["b64_json"] = base64.b64encode(picture).decode()
            elif result["status"] == "published":
                entry["url"] = service.signed_output(url, job["id"])
            out.append(entry)
        return JSONResponse({"created": int(time.time()), "data": out})

    @app.get("/v1/files/{job_id}", include_in_schema=False)
    def signed_file(job_id: str, request: Request) -> Response:
        """An output behind a signed, expiring URL (what /v1/images/edits answers with `url`)."""
        if not service.link_valid(job_id, request.query_params):
            raise Refused(403, "this link is not valid (or has expired)")
        from tasks.record.ledger.api import get_job

        data, media = service.output(get_job(service.url, job_id))
        return Response(data, media_type=media)

    # ------------------------------------------------------------------ the rest

    @app.get("/v1/templates", tags=["instructions"])
    def templates() -> list[dict[str, Any]]:
        """The instruction template library (what the router knows best), zh and en."""
        from routing.library import load_library

        return [form.to_dict() for form in load_library()]

    @app.post("/v1/route", tags=["instructions"])
    def route_preview(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        """How an instruction would be done and what it would cost, nothing edited."""
        from retouch.api.estimate import estimate

        return estimate(body.get("instruction"), body.get("megapixels"), settings)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        from tasks.edit import qwen

        try:
            loaded = qwen.is_loaded(settings.qwen_config)
        except ImportError:
            loaded = False
        return {"status": "ok", "prefect_api": service.prefect.url, "model_loaded": loaded}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def operator_page() -> str:
        return page.PAGE

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/api.js", include_in_schema=False)
    def script() -> Response:
        return Response(page.SCRIPT, media_type="text/javascript")

    @app.get("/static/api.css", include_in_schema=False)
    def style() -> Response:
        return Response(page.STYLE, media_type="text/css")

    @app.middleware("http")
    async def no_sniffing(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path in ("/", "/static/api.js"):
            response.headers["Content-Security-Policy"] = page.POLICY
        return response

    return app


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        raise BadInput(f"seed: a whole number, not {one_line(ValueError(value), named=False)!r}") from None
