"""What every command shares that needs no CLI framework: the one-line error, who runs the
command, JSON lines, Prefect's logging defaults. The warm lane of `retouch edit` uses these
without importing typer or rich (retouch/cli/warm_edit.py)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


class CliError(Exception):
    """Bad usage or input: printed as one line, exit status 2."""


def who() -> str:
    """Who runs this command, for the audit log: `cli:<login name>`."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return f"cli:uid-{os.getuid()}"


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def prefect_log_defaults(debug: bool) -> None:
    """Prefect's logging for a command (before its settings are read, and before the daemon's
    fingerprint: these variables are part of it)."""
    # a single edit is a task run outside any flow run: its logs stay local (no warning about it)
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    if not debug:  # keep Prefect's per-task chatter out of the terminal (it still reaches the UI)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
