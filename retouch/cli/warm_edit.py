"""The lane of a plain `retouch edit`: straight to this configuration's daemon, started if need be.

With the daemon warm, the edit itself takes tens of milliseconds; loading typer and rich, and
building every command's options to parse one, took longer than that. When the command line
is a plain `retouch edit IMAGE INSTRUCTION [-o/--out PATH] [--json] [--ref PATH]...`, it is
parsed here and sent to the daemon, with the same checks, output and exit status as the full
command line (retouch/cli/edit_request.py). With no daemon running, one is started first, at
once: its imports are then the first edit's only wait (it takes the job before its Prefect
server has finished booting: retouch/daemon_server.py). Anything else (help, other options,
the daemon off or unable to start, a daemon gone mid-job) is left to the full command line:
`warm_edit` says None.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from retouch.cli.basics import CliError, prefect_log_defaults


def parse_edit(argv: list[str]) -> dict[str, Any] | None:
    """`edit IMAGE INSTRUCTION` with -o/--out, --json and --ref (click's rules: options anywhere,
    `--opt=value`, `-oPATH`, `--` ends options); None for anything else."""
    if not argv or argv[0] != "edit":
        return None
    positional: list[str] = []
    request: dict[str, Any] = {"out": None, "json": False, "ref": []}
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":
            positional += list(args)
            break
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        elif arg == "--json":
            request["json"] = True
        elif arg.startswith("--"):
            name, equals, value = arg.partition("=")
            if name not in ("--out", "--ref"):
                return None  # help, --debug, an unknown option: the full command line says
            value = value if equals else next(args, None)
            if value is None:
                return None
            if name == "--ref":
                request["ref"].append(value)
            else:
                request["out"] = value
        elif arg.startswith("-o") and not arg.startswith("-o="):  # -o PATH, -oPATH
            request["out"] = arg[2:] or next(args, None)
            if request["out"] is None:
                return None
        else:
            return None
    if len(positional) != 2:
        return None
    request["image"], request["instruction"] = positional
    return request


def _daemon_off() -> bool:
    """Whether the environment turns the daemon off (retouch.toml can too: the daemon reads
    its settings when it starts, and then exits)."""
    try:
        return float(os.environ.get("RETOUCH_DAEMON_IDLE_SECONDS", "1")) <= 0
    except ValueError:  # the settings say what is wrong with it
        return False


def warm_edit(argv: list[str]) -> int | None:
    """Run `retouch edit` through this configuration's daemon: its exit status, or None when
    the full command line should take the command."""
    request = parse_edit(argv)
    if request is None:
        return None
    prefect_log_defaults(debug=False)  # as the full command line would, before the fingerprint
    from retouch import daemon
    from retouch.cli.edit_request import edit_params, report_edit

    if _daemon_off():
        return None  # the full command line runs the edit in its own process
    try:
        params = edit_params(request["image"], request["instruction"], request["out"], request["ref"])
        path = daemon.ensure_daemon(daemon.fingerprint())
        (result,) = daemon.submit(path, "edit", params)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except daemon.JobFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.code == 2 else 1
    except daemon.DaemonUnavailable:
        return None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return report_edit(result, request["json"])
