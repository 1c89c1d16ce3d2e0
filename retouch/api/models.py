"""The bodies the API takes and answers with, as pydantic models (so /docs documents them).

Fields the service checks itself (an image's bytes, an instruction's meaning) are plain strings
here: those checks answer with one line saying what to give instead (retouch/api/inputs.py,
retouch/api/service.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retouch.sessions import Round

IMAGE = "the picture: base64 (a data: prefix is fine), an https:// URL or an s3:// URI"
INSTRUCTION = "what to change, in Chinese, English or both: 'crop to 1:1', '把背景换成纯白'"


class HFInputs(BaseModel):
    """`inputs` given as an object."""

    image: str | None = Field(None, description=IMAGE)
    instruction: str | None = Field(None, description=INSTRUCTION)
    prompt: str | None = Field(None, description="another name for `instruction`")


class HFParameters(BaseModel):
    """`parameters` (others that clients send, such as `guidance_scale`, are ignored)."""

    model_config = ConfigDict(extra="allow")

    prompt: str | None = Field(None, description=INSTRUCTION)
    instruction: str | None = Field(None, description="another name for `prompt`")
    seed: int | None = Field(
        None, description="the model's seed (a model edit is the same for the same seed)"
    )


class HFRequest(BaseModel):
    """Hugging Face's inference shape: `{"inputs": {"image", "instruction"}}`, or image-to-image's
    `{"inputs": "<base64>", "parameters": {"prompt", "seed"}}`."""

    inputs: HFInputs | str | None = Field(None, description=f"an object, or {IMAGE}")
    parameters: HFParameters | None = None

    def image_and_instruction(self) -> tuple[str | None, str | None]:
        parameters = self.parameters or HFParameters()
        if isinstance(self.inputs, HFInputs):
            return self.inputs.image, self.inputs.instruction or self.inputs.prompt
        return self.inputs, parameters.prompt or parameters.instruction


class EditRequest(BaseModel):
    """An edit to queue (`POST /v1/edits`): JSON, or multipart with `image` as a file and the other
    fields as form fields."""

    image: str | None = Field(None, description=IMAGE + " (JSON only; multipart: a file field)")
    instruction: str | None = Field(None, description=INSTRUCTION)
    seed: int | None = Field(None, description="the model's seed")
    webhook: str | None = Field(None, description="an http(s) URL called (signed) when the job ends")
    id: str | None = Field(None, description="a client id: the same id again answers with the same job")
    format: str | None = Field(
        None, description="the output's format: jpg, png or webp (default: the input's)"
    )
    references: list[str] | None = Field(
        None, description="up to 2 more pictures (products to place), each given like `image`"
    )


class BatchItem(BaseModel):
    """One row of a batch (a row that is not valid becomes that row's `failed` result)."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    image: str | None = Field(None, description=IMAGE)
    instruction: str | None = Field(None, description=INSTRUCTION)


class BatchRequest(BaseModel):
    """A manifest as one flow run: its rows, or an s3:// URI of a CSV/JSONL manifest."""

    items: list[BatchItem | Any] | None = None
    manifest: str | None = Field(None, description="s3://bucket/catalog.csv (columns id,image,instruction)")
    id: str | None = Field(None, description="a client id: the same id again answers with the same batch")


STATUS = "queued | running | published | review | rejected | failed | cancelled"


class JobUrls(BaseModel):
    """Where a job is followed."""

    get: str
    cancel: str
    output: str = Field(description="the edited picture, once published")


class JobAccepted(BaseModel):
    """A job queued (or found again by its client id)."""

    id: str
    status: str = Field(description=STATUS)
    urls: JobUrls


class JobView(JobAccepted):
    """A job as its client sees it: its status now, what it was asked, its result once there is one
    (an edit's line of results.jsonl; a batch's summary)."""

    kind: Literal["edit", "batch"]
    created_at: str = Field(description="ISO time, UTC")
    updated_at: str
    instruction: str | None = None
    result: Any = None


class SessionStart(BaseModel):
    """A multi-round session on one picture."""

    image: str | None = Field(None, description=IMAGE)


class RoundRequest(BaseModel):
    """One round of a session, on where it is."""

    instruction: str | None = Field(None, description=INSTRUCTION)


class RoundView(Round):
    """A round as its client sees it: its `before` and `output` are URLs of its pictures
    (`/v1/sessions/{id}/pictures/{n}`), not the server's paths."""


class SessionView(BaseModel):
    """A session's rounds and the picture it is at now (a URL)."""

    id: str
    rounds: list[RoundView] = Field(default_factory=list)
    current: str | None = Field(None, description="the picture the session is at")


class RouteRequest(BaseModel):
    """An instruction to preview: how it would be done and what it would cost."""

    instruction: str | None = Field(None, description=INSTRUCTION)
    megapixels: float | None = Field(None, description="the picture's size, for the cost (default 1 MP)")
