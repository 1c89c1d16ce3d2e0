"""What Retouch understands, without editing anything: `GET /v1/templates` (the instruction
library) and `POST /v1/route` (how an instruction would be done and what it would cost)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from retouch.api.deps import Api, Key
from retouch.api.estimate import estimate
from retouch.api.models import RouteRequest
from routing.library import load_library

router = APIRouter(tags=["instructions"])


@router.get("/v1/templates")
def templates(key: Key) -> list[dict[str, Any]]:
    """The instruction template library (what the router knows best), zh and en."""
    return [form.to_dict() for form in load_library()]


@router.post("/v1/route")
def route_preview(body: RouteRequest, service: Api, key: Key) -> dict[str, Any]:
    """How an instruction would be done and what it would cost, nothing edited; an unsure one
    comes with `suggestion` and ranked `choices` ("did you mean ...")."""
    return estimate(body.instruction, body.megapixels, service.settings)
