"""Multi-round editing sessions: each round edits what the rounds before it made, with its
before and after kept, and the last round can be undone.

A session is a folder (RETOUCH_DATA_DIR/sessions/<id>/): the original, `session.json` (the
rounds) and each round's output. A round is one `edit` task run like any `retouch edit`. An
OpenCV round is made from the session's base (the original, or the last model round's output)
with the ops of every OpenCV round since then plus its own, in one go: cropping, then rotating,
then brightening is one encode of the original, never three generations. A model round sees the
latest picture only (the model takes pictures, not ops); the OpenCV rounds after it build on
its output.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from config.contracts import Finding, Item, Op, Plan, Route, Status
from config.settings import Settings
from routing import route
from tasks.infra.storage import StorageError, read_bytes
from tasks.pixels.formats import EXTENSIONS, sniff_format
from tasks.pixels.images import ImageError, open_header


class SessionError(ValueError):
    """An unknown session, a refused instruction, nothing to undo; one line."""


class Round(BaseModel):
    """One round of a session: what was asked, what was applied to its base, and what came of it."""

    n: int
    instruction: str
    route: Route | None = None
    ops: list[Op] = Field(default_factory=list)  # what was applied to its base
    own_ops: list[Op] = Field(default_factory=list)  # what this round's instruction asked
    before: str  # the picture it was asked on
    before_n: int = 0  # the round it builds on (0: the original)
    output: str | None = None
    status: Status
    error: str | None = None
    checks: list[Finding] = Field(default_factory=list)
    at: str  # ISO time (UTC)
    undone: bool = False


class Session(BaseModel):
    """A session as `session.json` holds it: whose, the original's copy, and its rounds."""

    id: str
    owner: str
    created_at: str
    original: str  # the copy of the picture it started on
    source: str | None = None  # where that picture came from (None: sent as bytes)
    rounds: list[Round] = Field(default_factory=list)

    def active(self) -> list[Round]:
        """The rounds that count (not undone, and not failed or refused)."""
        return [r for r in self.rounds if not r.undone and r.status in ("published", "review")]

    def current(self) -> str:
        """The picture the session is at: the last counting round's output, else the original."""
        rounds = self.active()
        return rounds[-1].output or self.original if rounds else self.original

    def base(self) -> tuple[str, list[Op]]:
        """Where an OpenCV round starts: the last model round's output (else the original), and
        the ops of the OpenCV rounds since."""
        base, ops = self.original, []
        for r in self.active():
            if r.route == "model":
                base, ops = r.output or base, []
            else:
                ops += [op for op in r.own_ops if op.name != "format"]
        return base, ops


def _folder(settings: Settings, session_id: str) -> Path:
    if not session_id.startswith("ses_") or not session_id[4:].isalnum():
        raise SessionError(f"no session {session_id!r}")
    return settings.data_dir / "sessions" / session_id


def load(settings: Settings, session_id: str, owner: str | None = None) -> Session:
    path = _folder(settings, session_id) / "session.json"
    try:
        session = Session.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        raise SessionError(f"no session {session_id!r}") from None
    if owner is not None and session.owner != owner:
        raise SessionError(f"no session {session_id!r}")
    return session


def _save(settings: Settings, session: Session) -> None:
    path = _folder(settings, session.id) / "session.json"
    tmp = path.with_suffix(".part")
    tmp.write_text(session.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)


def new(settings: Settings, image: str | bytes, owner: str) -> Session:
    """A session on a copy of `image` (a path or URI, or the bytes)."""
    try:
        data = image if isinstance(image, bytes) else read_bytes(image, settings.max_file_bytes)
        open_header(data, settings.max_pixels)
    except (ImageError, StorageError) as exc:
        raise SessionError(f"{'the image' if isinstance(image, bytes) else image}: {exc}") from None
    session_id = "ses_" + uuid.uuid4().hex[:16]
    folder = _folder(settings, session_id)
    folder.mkdir(parents=True)
    original = folder / f"original{EXTENSIONS.get(sniff_format(data) or '', '.png')}"
    original.write_bytes(data)
    session = Session(
        id=session_id,
        owner=owner,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        original=str(original),
        source=image if isinstance(image, str) else None,
    )
    _save(settings, session)
    return session


def edit(settings: Settings, session_id: str, instruction: str, owner: str) -> Round:
    """A new round: `instruction` applied to where the session is; the round (with its
    before, after and result)."""
    from flows.single import edit_one

    session = load(settings, session_id, owner)
    plan = route(instruction, limits=settings.limits)
    own = list(plan.ops)
    if plan.route == "reject":
        raise SessionError(f"rejected: {plan.reason}")
    before = session.current()
    counting = session.active()
    number = len(session.rounds) + 1
    if plan.route == "opencv":
        image, earlier = session.base()
        ops = (*earlier, *plan.ops)
        reason = f"{plan.reason} (after the {len(earlier)} ops before it, from {Path(image).name})"
        plan = Plan("opencv", ops, plan.confidence, reason)
    else:
        image = before  # the model sees the latest picture only
    item = Item(
        id=f"round-{number}", image=image, instruction=instruction, requested_by=owner, own_folder=True
    )
    folder = _folder(settings, session_id) / f"round-{number}"
    result = edit_one(item, str(folder), settings, plan)  # the session's plan, not a fresh routing
    entry = Round(
        n=number,
        instruction=instruction,
        route=result.route,
        ops=list(plan.ops),
        own_ops=own,
        before=before,
        before_n=counting[-1].n if counting else 0,
        output=result.output,
        status=result.status,
        error=result.error,
        checks=result.checks,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    session.rounds.append(entry)
    _save(settings, session)
    return entry


def undo(settings: Settings, session_id: str, owner: str) -> Round:
    """Undo the last counting round; the round undone."""
    session = load(settings, session_id, owner)
    rounds = session.active()
    if not rounds:
        raise SessionError("nothing to undo: the session is at its original")
    rounds[-1].undone = True
    _save(settings, session)
    return rounds[-1]


def remove(settings: Settings, session_id: str, owner: str) -> None:
    load(settings, session_id, owner)
    shutil.rmtree(_folder(settings, session_id))
