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

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.contracts import Item, Op, Plan
from config.settings import Settings
from routing import route
from tasks.infra.storage import StorageError, read_bytes
from tasks.pixels.formats import EXTENSIONS, sniff_format
from tasks.pixels.images import ImageError, open_header


class SessionError(ValueError):
    """An unknown session, a refused instruction, nothing to undo; one line."""


def _folder(settings: Settings, session_id: str) -> Path:
    if not session_id.startswith("ses_") or not session_id[4:].isalnum():
        raise SessionError(f"no session {session_id!r}")
    return settings.data_dir / "sessions" / session_id


def load(settings: Settings, session_id: str, owner: str | None = None) -> dict[str, Any]:
    path = _folder(settings, session_id) / "session.json"
    try:
        session = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SessionError(f"no session {session_id!r}") from None
    if owner is not None and session["owner"] != owner:
        raise SessionError(f"no session {session_id!r}")
    return session


def _save(settings: Settings, session: dict[str, Any]) -> None:
    path = _folder(settings, session["id"]) / "session.json"
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(session, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def new(settings: Settings, image: str | bytes, owner: str) -> dict[str, Any]:
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
    session = {
        "id": session_id,
        "owner": owner,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "original": str(original),
        "source": image if isinstance(image, str) else None,
        "rounds": [],
    }
    _save(settings, session)
    return session


def active(session: dict[str, Any]) -> list[dict[str, Any]]:
    """The rounds that count (not undone, and not failed or refused)."""
    return [r for r in session["rounds"] if not r.get("undone") and r["status"] in ("published", "review")]


def current(session: dict[str, Any]) -> str:
    """The picture the session is at: the last counting round's output, else the original."""
    rounds = active(session)
    return rounds[-1]["output"] if rounds else session["original"]


def _base(session: dict[str, Any]) -> tuple[str, list[Op]]:
    """Where an OpenCV round starts: the last model round's output (else the original), and the
    ops of the OpenCV rounds since."""
    base, ops = session["original"], []
    for r in active(session):
        if r["route"] == "model":
            base, ops = r["output"], []
        else:
            ops += [Op.from_dict(op) for op in r["own_ops"] if op.get("op") != "format"]
    return base, ops


def edit(settings: Settings, session_id: str, instruction: str, owner: str) -> dict[str, Any]:
    """A new round: `instruction` applied to where the session is; the round (with its
    before, after and result)."""
    from flows.single import edit_one

    session = load(settings, session_id, owner)
    plan = route(instruction, limits=settings.limits)
    own = [op.to_dict() for op in plan.ops]
    if plan.route == "reject":
        raise SessionError(f"rejected: {plan.reason}")
    before = current(session)
    counting = active(session)
    number = len(session["rounds"]) + 1
    if plan.route == "opencv":
        image, earlier = _base(session)
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
    entry = {
        "n": number,
        "instruction": instruction,
        "route": result.route,
        "ops": [op.to_dict() for op in plan.ops],  # what was applied to its base
        "own_ops": own,  # what this round's instruction asked
        "before": before,
        "before_n": counting[-1]["n"] if counting else 0,  # the round it builds on (0: the original)
        "output": result.output,
        "status": result.status,
        "error": result.error,
        "checks": result.model_dump(mode="json")["checks"],
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "undone": False,
    }
    session["rounds"].append(entry)
    _save(settings, session)
    return entry


def undo(settings: Settings, session_id: str, owner: str) -> dict[str, Any]:
    """Undo the last counting round; the round undone."""
    session = load(settings, session_id, owner)
    rounds = active(session)
    if not rounds:
        raise SessionError("nothing to undo: the session is at its original")
    rounds[-1]["undone"] = True
    _save(settings, session)
    return rounds[-1]


def remove(settings: Settings, session_id: str, owner: str) -> None:
    load(settings, session_id, owner)
    shutil.rmtree(_folder(settings, session_id))
