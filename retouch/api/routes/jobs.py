"""Asynchronous jobs, fal/Replicate style: `POST /v1/edits` (JSON or multipart), `GET
/v1/edits[/{id}[/output|/input]]`, `POST /v1/edits/{id}/cancel`, `POST /v1/batches`, with
per-job webhooks signed like the batch webhooks; and `GET /v1/files/{id}`, an output behind a
signed, expiring link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from retouch.api.deps import Api, BaseUrl, Key
from retouch.api.errors import BadInput, Refused
from retouch.api.inputs import checked, image_bytes
from retouch.api.models import BatchItem, BatchRequest, EditRequest, JobAccepted, JobView
from retouch.api.service import Service
from tasks.pixels.formats import content_type, sniff_format
from tasks.record.ledger.api import get_job, jobs_of

router = APIRouter(tags=["jobs"])
_BOTH = {"schema": EditRequest.model_json_schema()}


@router.post(
    "/v1/edits",
    status_code=202,
    response_model=JobAccepted,
    openapi_extra={"requestBody": {"content": {"application/json": _BOTH, "multipart/form-data": _BOTH}}},
)
async def create_edit(request: Request, service: Api, key: Key, url: BaseUrl) -> JobAccepted:
    """Queue an edit (an `EditRequest`, as JSON or multipart with `image` as a file): 202 with its
    `id` and URLs; the same client `id` again answers with the job it made the first time."""
    data = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        fields: Any = {k: v for k, v in form.items() if isinstance(v, str) and v and k != "image"}
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            raise BadInput("image: attach the picture as a file field named 'image'")
        data = checked(await upload.read(), service.settings)
    else:
        try:
            fields = await request.json()
        except ValueError:
            raise BadInput("the body is not JSON") from None
    try:
        edit = EditRequest.model_validate(fields)
    except ValidationError as exc:  # answered as any other invalid body (retouch/api/app.py)
        raise RequestValidationError(exc.errors()) from None
    return await run_in_threadpool(queue_edit, service, key, edit, data, url)


def queue_edit(service: Service, key: str, edit: EditRequest, data: bytes | None, url: str) -> JobAccepted:
    """The edit checked (instruction, pictures, webhook), admitted and queued."""
    settings = service.settings
    service.plan(edit.instruction)
    if data is None:
        data = image_bytes(edit.image, settings)
    references = edit.references or []
    if len(references) > 2:
        raise BadInput("references: a list of at most 2 pictures (Qwen-Image-Edit-2509 takes 1-3)")
    extra = [image_bytes(ref, settings, f"references[{n}]") for n, ref in enumerate(references)]
    if edit.webhook is not None and not edit.webhook.startswith(("http://", "https://")):
        raise BadInput("webhook: give an http(s) URL")
    service.admit(key)
    request = {
        "instruction": edit.instruction,
        "seed": edit.seed,
        "webhook": edit.webhook,
        "format": edit.format,
        "base_url": url,  # the webhook's signed links point where the client called
    }
    job, created = service.new_job(key, "edit", request, [data, *extra], edit.id)
    if created:
        service.enqueue(job["id"])
    return accepted(service.job_view(job, url))


@router.get("/v1/edits")
def list_edits(service: Api, key: Key, url: BaseUrl, limit: int = 50) -> list[JobView]:
    """This key's latest jobs, newest first (the operator page's history)."""
    return [service.job_view(job, url) for job in jobs_of(service.url, key, limit)]


@router.get("/v1/edits/{job_id}")
def get_edit(job_id: str, service: Api, key: Key, url: BaseUrl) -> JobView:
    """`status`: queued | running | published | review | rejected | failed | cancelled, and
    the result line (as in results.jsonl) once there is one."""
    return service.job_view(service.owned(job_id, key), url)


@router.get("/v1/edits/{job_id}/output", response_class=Response)
def get_output(job_id: str, service: Api, key: Key) -> Response:
    """The edited picture (409 while it is not published)."""
    data, media = service.output(service.current(service.owned(job_id, key)))
    return Response(data, media_type=media)


@router.get("/v1/edits/{job_id}/input", response_class=Response)
def get_input(job_id: str, service: Api, key: Key) -> Response:
    """The picture the job was given (the operator page's "before")."""
    service.owned(job_id, key)
    sources = service.inputs(job_id)
    if not sources:
        raise Refused(404, "no input picture")
    data = sources[0].read_bytes()
    return Response(data, media_type=content_type(sniff_format(data) or "png"))


@router.post("/v1/edits/{job_id}/cancel")
def cancel_edit(job_id: str, service: Api, key: Key, url: BaseUrl) -> JobView:
    """Cancel a queued job (409 once it runs)."""
    return service.job_view(service.cancel(job_id, key), url)


@router.post("/v1/batches", status_code=202, response_model=JobAccepted)
def create_batch(body: BatchRequest, service: Api, key: Key, url: BaseUrl) -> JobAccepted:
    """A manifest as one flow run: `items` (images as https URLs, s3:// URIs or base64) or an
    s3:// `manifest`; a bad row becomes that row's `failed` result."""
    service.admit(key)
    if body.manifest:
        if not body.manifest.startswith("s3://"):
            raise BadInput("manifest: give an s3:// URI (the server reads no local paths for clients)")
        job, created = service.new_job(key, "batch", {"manifest": body.manifest}, [], body.id)
    else:
        rows, inputs = [], []
        for n, given in enumerate(body.items or []):
            if isinstance(given, BatchItem):
                row = given.model_dump(exclude_unset=True)
            else:  # a row that is no item ({"id": 5}, "x") is that row's failed result
                row = dict(given) if isinstance(given, dict) else {}
            try:
                inputs.append(image_bytes(row.get("image"), service.settings, f"items[{n}].image"))
                row.pop("error", None)
            except BadInput as exc:
                row["error"] = str(exc)
            row.pop("image", None)
            rows.append(row)
        if not rows:
            raise BadInput("give items (a list of {id, image, instruction}) or a manifest URI")
        job, created = service.new_job(key, "batch", {"items": rows}, inputs, body.id)
    if created:
        service.enqueue(job["id"])
    return accepted(service.job_view(job, url))


@router.get("/v1/files/{job_id}", include_in_schema=False)
def signed_file(job_id: str, request: Request, service: Api) -> Response:
    """An output behind a signed, expiring URL (what /v1/images/edits answers with `url`)."""
    if not service.link_valid(job_id, request.query_params):
        raise Refused(403, "this link is not valid (or has expired)")
    data, media = service.output(get_job(service.url, job_id))
    return Response(data, media_type=media)


def accepted(view: JobView) -> JobAccepted:
    return JobAccepted(id=view.id, status=view.status, urls=view.urls)
