"""`retouch`: the command line (a contract: scripts and tests outside the project call it).

Exit status: 0 on success, 2 on bad usage or input (one-line error), 1 when something broke.
Tracebacks only with --debug. Heavy imports (Prefect, OpenCV) happen inside the commands that
need them, so that `retouch route` and `--help` stay fast. One module per command group; each
registers its commands on the one app (retouch.cli.common).
"""

from __future__ import annotations

import sys

import typer

from retouch.cli.common import CliError, app, err
from retouch.runtime import load_env_file, tune_allocator

# the command groups, in the order `retouch --help` lists them
# isort: off
from retouch.cli import route, edit, check, composite, cost, model, serve  # noqa: F401, E402
from retouch.cli import review, stack, doctor, daemon, api, audit, session, demo  # noqa: F401, E402
# isort: on


def main() -> None:
    """Entry point: one-line errors, exit codes of the contract, tracebacks only with --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        load_env_file()
    except OSError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)
    tune_allocator()
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code in this mode
        if isinstance(code, int) and code:
            sys.exit(code)
    except CliError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        first = str(exc).strip().splitlines()
        err.print(
            f"error: {type(exc).__name__}: {first[0] if first else ''} (run with --debug for details)",
            markup=False,
        )
        sys.exit(1)
