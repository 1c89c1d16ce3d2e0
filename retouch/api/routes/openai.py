"""`POST /v1/images/edits`: OpenAI's image-edit shape (multipart), what the `openai` client's
`images.edit` sends: `image` (or `image[]`, up to 3: the first is edited, the others are
references), `prompt`, `n` (1-4), `response_format` (`b64_json` or `url`). Errors are OpenAI's
error object; an edit a person must decide is 409 `review_required`, naming the job to follow
(`openai.ConflictError` in the client)."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from retouch.api.deps import Api, BaseUrl, Key
from retouch.api.errors import BadInput, NeedsReview, Refused
from retouch.api.inputs import checked
from retouch.api.service import Service

router = APIRouter(tags=["OpenAI"])


@router.post("/v1/images/edits")
async def openai_edits(
    service: Api,
    key: Key,
    url: BaseUrl,
    prompt: Annotated[str | None, Form(description="what to change")] = None,
    image: Annotated[list[UploadFile] | None, File(description="the picture to edit")] = None,
    images: Annotated[
        list[UploadFile] | None, File(alias="image[]", description="pictures: edited, references")
    ] = None,
    n: Annotated[int, Form(ge=1, le=4, description="how many edits (a model edit per seed)")] = 1,
    response_format: Annotated[Literal["b64_json", "url"], Form()] = "b64_json",
) -> dict[str, Any]:
    """Edit a picture now: `{"created", "data": [{"b64_json" | "url", "revised_prompt"}...]}`."""
    files = [*(image or []), *(images or [])]
    if not files:
        raise BadInput("image: attach the picture as a file field named 'image'")
    if len(files) > 3:
        raise BadInput("image[]: at most 3 pictures (the first is edited, the others are references)")
    pictures = [checked(await f.read(), service.settings, f"image[{i}]") for i, f in enumerate(files)]
    return await run_in_threadpool(edit_pictures, service, key, pictures, prompt, n, response_format, url)


def edit_pictures(
    service: Service, key: str, pictures: list[bytes], prompt: str | None, n: int, fmt: str, url: str
) -> dict[str, Any]:
    """`n` edits run in this request (a model edit per seed; an OpenCV edit is the same each time)."""
    plan = service.plan(prompt)
    service.admit(key)
    if plan.route == "model":
        service.model_ready(wait=True)
    out = []
    for i in range(n):
        job, _ = service.new_job(
            key, "edit", {"instruction": prompt, "seed": i or None, "sync": True}, pictures, None
        )
        result = service.edit_now(job).to_dict()
        if result["status"] == "rejected":
            raise BadInput(f"instruction rejected: {result['error']}")
        if result["status"] == "failed":
            raise Refused(500, result.get("error") or "the edit failed")
        if result["status"] == "review":
            raise NeedsReview(
                job["id"], service.job_view(service.owned(job["id"], key), url).urls.model_dump()
            )
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
    return {"created": int(time.time()), "data": out}
