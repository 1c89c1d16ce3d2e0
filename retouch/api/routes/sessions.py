"""Multi-round sessions: `POST /v1/sessions` on a picture, `POST /v1/sessions/{id}/edits` a round
on where it is, `POST .../undo`, `GET /v1/sessions/{id}` its rounds, `GET .../pictures/{n}`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from retouch import sessions
from retouch.api.deps import Api, BaseUrl, Key
from retouch.api.errors import Refused
from retouch.api.inputs import image_bytes
from retouch.api.models import RoundRequest, RoundView, SessionStart, SessionView
from retouch.sessions import Round
from tasks.pixels.formats import content_type, sniff_format

router = APIRouter(tags=["sessions"])


@router.post("/v1/sessions", status_code=201)
def new_session(body: SessionStart, service: Api, key: Key) -> SessionView:
    """Start a session on a picture; its `id`."""
    data = image_bytes(body.image, service.settings)
    session = _session(sessions.new, service.settings, data, f"api:{key}")
    return SessionView(id=session.id)


@router.post("/v1/sessions/{session_id}/edits")
def session_round(session_id: str, body: RoundRequest, service: Api, key: Key, url: BaseUrl) -> RoundView:
    """A round on where the session is: its before, after and result."""
    service.plan(body.instruction)
    service.admit(key)
    with service.prefect.in_this_thread():
        entry = _session(sessions.edit, service.settings, session_id, body.instruction, f"api:{key}")
    return _public(entry, session_id, url)


@router.post("/v1/sessions/{session_id}/undo")
def session_undo(session_id: str, service: Api, key: Key, url: BaseUrl) -> RoundView:
    """Undo the last round."""
    entry = _session(sessions.undo, service.settings, session_id, f"api:{key}")
    return _public(entry, session_id, url)


@router.get("/v1/sessions/{session_id}")
def session_show(session_id: str, service: Api, key: Key, url: BaseUrl) -> SessionView:
    """The rounds (each with its before and after) and the picture the session is at."""
    session = _session(sessions.load, service.settings, session_id, f"api:{key}")
    counting = session.active()
    at = counting[-1].n if counting else 0
    return SessionView(
        id=session.id,
        rounds=[_public(r, session_id, url) for r in session.rounds],
        current=f"{url}/v1/sessions/{session_id}/pictures/{at}",
    )


@router.get("/v1/sessions/{session_id}/pictures/{n}", response_class=Response)
def session_picture(session_id: str, n: int, service: Api, key: Key) -> Response:
    """The picture of round `n` (0: the original)."""
    session = _session(sessions.load, service.settings, session_id, f"api:{key}")
    paths = {0: session.original, **{r.n: r.output for r in session.rounds if r.output}}
    if n not in paths:
        raise Refused(404, f"no picture for round {n}")
    data = Path(paths[n]).read_bytes()
    return Response(data, media_type=content_type(sniff_format(data) or "png"))


def _session(call: Callable[..., Any], *args: Any) -> Any:
    """A session call, its errors answered: 404 for a session this key does not have, else 400."""
    try:
        return call(*args)
    except sessions.SessionError as exc:
        raise Refused(404 if str(exc).startswith("no session") else 400, str(exc)) from None


def _public(entry: Round, session_id: str, url: str) -> RoundView:
    """A round as a client sees it: URLs of its pictures, not the server's paths (its
    before is the picture the session was at: the round before that still counted)."""
    pictures = f"{url}/v1/sessions/{session_id}/pictures"
    return RoundView.model_validate(
        {
            **entry.model_dump(),
            "before": f"{pictures}/{entry.before_n}",
            "output": f"{pictures}/{entry.n}" if entry.output else None,
        }
    )
