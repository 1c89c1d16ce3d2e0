"""The full command line: every command group on one typer app, one-line errors and the exit
status contract (see retouch/cli/__init__.py)."""

from __future__ import annotations

import sys

import typer

from retouch.cli.basics import CliError
from retouch.cli.common import app, err

# the command groups, in the order `retouch --help` lists them
# isort: off
from retouch.cli import route, edit, check, gate, composite, cost, model, serve, fleet  # noqa: F401, E402
from retouch.cli import review, stack, doctor, daemon, api, audit, session, demo  # noqa: F401, E402
# isort: on


def run() -> None:
    """Run the command of sys.argv: one-line errors, exit codes of the contract, tracebacks
    only with --debug."""
    debug = "--debug" in sys.argv[1:]
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
