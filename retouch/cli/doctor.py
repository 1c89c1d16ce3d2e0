"""`retouch doctor`: check the set-up, one line per check, each failure with its fix."""

from __future__ import annotations

from typing import Annotated

import typer

from retouch.cli.basics import print_json
from retouch.cli.common import app, out


@app.command("doctor")
def doctor_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check.")] = False,
) -> None:
    """Check the configuration, the Prefect server and its deployments, S3 with the configured
    credentials, the database, the model weights, the review page, the webhook and the fonts.
    Exit status 1 when a check fails."""
    from prefect.settings import get_current_settings

    from config.settings import get_settings
    from deployments.serve import served_names
    from retouch.doctor import run_checks
    from retouch.runtime import env_file_read

    api_url = get_current_settings().api.url
    checks = run_checks(get_settings(), env_file_read(), api_url, served_names())
    for check in checks:
        if as_json:
            print_json(check.to_dict())
        else:
            out.print(check.line())
    failed = [c.name for c in checks if c.status == "FAIL"]
    if not as_json:
        out.print(f"{len(failed)} check(s) failed: {', '.join(failed)}" if failed else "all good")
    if failed:
        raise typer.Exit(1)
