"""`retouch review`: list, show and decide the edits waiting for a person; the review page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, out, require_server, review_port
from tasks.infra.errors import one_line

if TYPE_CHECKING:
    from config.settings import Settings

review_app = typer.Typer(help="Human review of edits the post-checks did not pass.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _review_runs(with_paths: bool = False, starting: bool = False) -> list[dict[str, Any]]:
    import asyncio

    from retouch.review_page import pending_reviews

    require_server("review")
    return asyncio.run(pending_reviews(with_paths, starting))


@review_app.command("list")
def review_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Edits waiting for a decision (suspended review-edit runs), and those a batch has just
    asked for (starting: decidable once their run has suspended, seconds later)."""
    runs = _review_runs(starting=True)
    if as_json:
        for run in runs:
            print_json(run)
        return
    if not runs:
        out.print("nothing to review")
    for run in runs:
        starting = "  (starting: decide it in a few seconds)" if run["starting"] else ""
        out.print(f"{run['id']}  {run['item']}: {run['instruction']}{starting}", markup=False)
        for why in run["failed"]:
            out.print(f"    - {why}", markup=False)


def _decide(
    run_id: str,
    decision: str,
    note: str,
    reviewer: str,
    instruction: str | None = None,
    candidate: int | None = None,
) -> None:
    import asyncio
    from uuid import UUID

    from fastapi import HTTPException

    from config.contracts import ReviewAnswer
    from retouch.review_page import decide

    require_server("review")
    try:
        asyncio.run(
            decide(
                UUID(run_id),
                ReviewAnswer(
                    decision=decision,
                    note=note,
                    reviewer=reviewer,
                    instruction=instruction,
                    candidate=candidate,
                ),
            )
        )
    except ValueError:
        raise CliError(f"{run_id} is not a flow run id") from None
    except HTTPException as exc:
        raise CliError(str(exc.detail)) from None
    except Exception as exc:  # not found, not paused...
        raise CliError(f"cannot resume {run_id}: {one_line(exc, named=False)}") from None
    out.print(f"{decision}: {run_id}")


@review_app.command("show")
def review_show(run_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One pending review: the request, why it needs a person, where the pictures are."""
    run = next((r for r in _review_runs(with_paths=True, starting=True) if r["id"] == run_id), None)
    if run is None:
        raise CliError(f"{run_id} is not waiting for review (`retouch review list` shows those that are)")
    if as_json:
        print_json(run)
        return
    lines = [
        f"review {run['id']} ({run['name']}), waiting since {run['since']}",
        f"item:        {run['item']}",
        f"instruction: {run['instruction']}",
        f"before:      {run['before']}",
        f"after:       {run['after']}",
    ]
    lines += ["why it needs a person:"] + [f"  - {why}" for why in run["failed"]]
    for c in run["candidates"]:
        failed = f" (failed: {', '.join(c['failed'])})" if c["failed"] else ""
        shown = "  <- shown" if c["chosen"] else ""
        lines.append(
            f"candidate {c['index']}: seed {c['seed']}, {c['verdict']}{failed}: {c['output']}{shown}"
        )
    lines.append(
        f"decide: retouch review approve|reject {run['id']}"
        + (" [--candidate N]" if len(run["candidates"]) > 1 else "")
    )
    for line in lines:
        out.print(line, markup=False)


@review_app.command("approve")
def review_approve(
    run_id: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
    candidate: Annotated[
        int | None,
        typer.Option(
            "--candidate",
            help="Publish this one of the model "
            "outputs tried (0, 1...; `review show` lists them) instead of the shown one.",
        ),
    ] = None,
) -> None:
    """Publish the edit."""
    _decide(run_id, "approve", note, reviewer, candidate=candidate)


@review_app.command("reject")
def review_reject(
    run_id: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
) -> None:
    """Refuse the edit (the note says why)."""
    _decide(run_id, "reject", note, reviewer)


@review_app.command("re-edit")
def review_reedit(
    run_id: str,
    instruction: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
) -> None:
    """Edit again from the original with a new instruction; the result is reviewed again."""
    _decide(run_id, "re-edit", note, reviewer, instruction)


@review_app.command("serve")
def review_serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option("--port", help="Default: the port of RETOUCH_REVIEW_PAGE_URL (8765).")
    ] = None,
) -> None:
    """The review page: pending edits, a before/after slider, approve/reject/re-edit."""
    import uvicorn

    from retouch.review_page import create_app

    require_server("the review page")
    from config.settings import get_settings

    settings = get_settings()
    port = port or review_port()
    out.print(f"review page: {page_address(host, port, settings)}", markup=False)
    if settings.review_tokens:
        names = ", ".join(sorted(settings.review_tokens))
        out.print(f"reviewers ({names}) open it with ?token=<their own token from RETOUCH_REVIEW_TOKENS>")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


def page_address(host: str, port: int, settings: Settings) -> str:
    """The page's URL as a reviewer opens it: with the shared token when one is set."""
    from urllib.parse import quote

    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    return f"{url}?token={quote(settings.review_token)}" if settings.review_token else url
