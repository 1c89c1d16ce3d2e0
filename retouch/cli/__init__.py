"""`retouch`: the command line (a contract: scripts and tests outside the project call it).

Exit status: 0 on success, 2 on bad usage or input (one-line error), 1 when something broke.
Tracebacks only with --debug. Heavy imports (Prefect, OpenCV) happen inside the commands that
need them, so that `retouch route` and `--help` stay fast; `retouch edit` with this
configuration's daemon already running skips even the CLI framework (retouch/cli/warm_edit.py).
The commands themselves: retouch/cli/commands.py and one module per command group.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point: read .env (and find the local stack's Prefect server), then the warm lane
    of `retouch edit` if it applies, else the full command line."""
    from retouch.runtime import load_env_file, tune_allocator, use_stack_server

    try:
        load_env_file()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    use_stack_server()
    tune_allocator()
    from retouch.cli.warm_edit import warm_edit

    code = warm_edit(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from retouch.cli.commands import run

    run()
