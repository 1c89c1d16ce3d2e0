"""`retouch session`: edit a picture round after round, with history and undo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retouch.cli.basics import CliError, print_json, who
from retouch.cli.common import app, out

session_app = typer.Typer(
    help="Multi-round editing: each round edits what the rounds before made; show, undo.",
    no_args_is_help=True,
)
app.add_typer(session_app, name="session")


def _settings():
    from config.settings import get_settings

    return get_settings()


@session_app.command("new")
def session_new(
    image: Annotated[str, typer.Argument(help="The picture to start from (path or s3:// URI).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start a session on a copy of IMAGE; prints its id."""
    from retouch import sessions

    source = image if image.startswith("s3://") else str(Path(image).resolve())
    try:
        session = sessions.new(_settings(), source, who())
    except sessions.SessionError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        print_json({"id": session.id, "original": session.original})
    else:
        out.print(f'{session.id}  (retouch session edit {session.id} "...")')


@session_app.command("edit")
def session_edit(
    session_id: Annotated[str, typer.Argument(help="The session.")],
    instruction: Annotated[str, typer.Argument(help="What to change now.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A new round on where the session is (a recorded Prefect task run)."""
    from retouch.cli.edit import run_job

    (entry,) = run_job("session-edit", {"session": session_id, "instruction": instruction, "owner": who()})
    if as_json:
        print_json(entry)
        return
    if entry["status"] in ("failed", "rejected"):
        raise CliError(f"round {entry['n']} {entry['status']}: {entry['error']}")
    out.print(f"round {entry['n']} {entry['status']} ({entry['route']}): {entry['output']}")


@session_app.command("undo")
def session_undo(session_id: Annotated[str, typer.Argument(help="The session.")]) -> None:
    """Undo the last round: the session goes back to the picture before it."""
    from retouch import sessions

    try:
        entry = sessions.undo(_settings(), session_id, who())
    except sessions.SessionError as exc:
        raise CliError(str(exc)) from None
    out.print(f"undid round {entry.n} ({entry.instruction}); the session is back at {entry.before}")


@session_app.command("show")
def session_show(
    session_id: Annotated[str, typer.Argument(help="The session.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The rounds, each with its before and after, and where the session is."""
    from retouch import sessions

    try:
        session = sessions.load(_settings(), session_id, who())
    except sessions.SessionError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        print_json({**session.model_dump(mode="json"), "current": session.current()})
        return
    out.print(f"{session.id}: original {session.original}")
    for r in session.rounds:
        state = "undone" if r.undone else r.status
        out.print(f"  {r.n}. {r.instruction} [{r.route}, {state}]: {r.before} -> {r.output}")
    out.print(f"now at: {session.current()}")
