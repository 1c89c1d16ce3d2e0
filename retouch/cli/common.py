"""What every command shares: the app, its consoles, one-line errors, JSON output, who runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from retouch.cli.basics import CliError, prefect_log_defaults

app = typer.Typer(
    help="Edit product images from natural-language instructions (zh/en), the cheapest safe way, on Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# markup off: ids, paths, errors and instructions are printed as they are ("[model]" stays);
# the few styled lines say markup=True and escape what they interpolate
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
state = {"debug": False}
REPO_ROOT = Path(__file__).resolve().parents[2]


@app.callback()
def options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and Prefect's logs.")] = False,
) -> None:
    state["debug"] = debug
    prefect_log_defaults(debug)


def image_size(path: str | None) -> tuple[int, int] | None:
    if not path:
        return None
    from config.settings import get_settings
    from tasks.infra.storage import StorageError, read_bytes
    from tasks.pixels.images import ImageError, open_header

    settings = get_settings()
    try:
        return open_header(read_bytes(path, settings.max_file_bytes), settings.max_pixels).size
    except (ImageError, StorageError) as exc:
        raise CliError(f"{path}: {exc}") from None


def jsonl_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, line) of every non-blank line of a JSONL file (a BOM is ignored), or a
    one-line error when it cannot be read."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def require_server(what: str) -> None:
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        raise CliError(
            f"{what} needs a Prefect server: set PREFECT_API_URL "
            "(e.g. http://127.0.0.1:4200/api after `prefect server start`)"
        )


def review_port() -> int:
    """Where the review page listens by default: the port of RETOUCH_REVIEW_PAGE_URL (8765)."""
    from urllib.parse import urlsplit

    from config.settings import get_settings

    try:
        return urlsplit(get_settings().review_page_url or "").port or 8765
    except ValueError:
        return 8765


def since_date(since: str | None):
    """The UTC start of `--since YYYY-MM-DD`, or None without one."""
    from datetime import UTC, datetime

    if not since:
        return None
    try:
        return datetime.fromisoformat(since).replace(tzinfo=UTC)
    except ValueError:
        raise CliError(f"--since {since}: not a date (YYYY-MM-DD)") from None
