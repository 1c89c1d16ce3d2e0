"""`POST /models/{model_id}`: Hugging Face's synchronous inference shape. 200 with the edited
picture (headers: route, verdict, cost); JSON errors `{"error": "..."}`, which
`huggingface_hub.InferenceClient` raises with their text: 409 when a person must decide (the
message names the job and where to follow it; the body also has `status`, `id`, `urls`), 400 a
refused instruction; `X-Wait-For-Model: true` waits while the image model loads instead of
answering 503."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from retouch.api.deps import Api, BaseUrl, Key
from retouch.api.errors import NeedsReview
from retouch.api.inputs import image_bytes
from retouch.api.models import HFRequest
from retouch.api.service import Service

router = APIRouter(tags=["Hugging Face"])


@router.post("/models/{model_id:path}", response_class=Response)
async def hf_inference(
    model_id: str,
    body: HFRequest,
    service: Api,
    key: Key,
    url: BaseUrl,
    x_wait_for_model: Annotated[str | None, Header()] = None,
) -> Response:
    """Edit a picture now: the picture (200), or an error (409: a person must decide first)."""
    image, instruction = body.image_and_instruction()
    seed = body.parameters.seed if body.parameters else None
    wait = (x_wait_for_model or "").lower() == "true"
    return await run_in_threadpool(edit_now, service, key, image, instruction, seed, wait, url)


def edit_now(
    service: Service,
    key: str,
    image: str | None,
    instruction: str | None,
    seed: int | None,
    wait: bool,
    url: str,
) -> Response:
    """The edit, run in this request: checked, admitted, edited, answered."""
    plan = service.plan(instruction)
    data = image_bytes(image, service.settings)
    service.admit(key)
    if plan.route == "model":
        service.model_ready(wait)
    job, _ = service.new_job(
        key, "edit", {"instruction": instruction, "seed": seed, "sync": True}, [data], None
    )
    result = service.edit_now(job).to_dict()
    headers = result_headers(job["id"], result)
    if result["status"] == "published":
        picture, media = service.output(service.owned(job["id"], key))
        return Response(picture, media_type=media, headers=headers)
    if result["status"] == "review":
        view = service.job_view(service.owned(job["id"], key), url)
        raise NeedsReview(job["id"], view.urls.model_dump(), headers)
    if result["status"] == "rejected":
        return JSONResponse({"error": f"instruction rejected: {result['error']}"}, 400, headers=headers)
    return JSONResponse({"error": result.get("error") or "the edit failed"}, 500, headers=headers)


def result_headers(job_id: str, result: dict[str, Any]) -> dict[str, str]:
    """How the edit went, in headers beside the picture."""
    failed = [f["check"] for f in result.get("checks", []) if not f.get("passed")]
    return {
        "X-Retouch-Id": job_id,
        "X-Retouch-Status": result["status"],
        "X-Retouch-Route": str(result.get("route")),
        "X-Retouch-Verdict": "review" if result["status"] == "review" else "publish",
        "X-Retouch-Failed-Checks": ",".join(failed),
        "X-Retouch-Cost-Usd": f"{(result.get('cost') or {}).get('usd', 0.0):.8f}",
    }
