"""`retouch api` (the HTTP Inference API) and `retouch api-key` (its keys)."""

from __future__ import annotations

from typing import Annotated

import typer

from retouch.cli.basics import CliError, print_json
from retouch.cli.common import app, err, out

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("api")
def api_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Take requests without a key (loopback addresses only).")
    ] = False,
) -> None:
    """Serve the HTTP Inference API (Hugging Face, fal/Replicate-style jobs and OpenAI image-edit
    routes, the operator page at /, OpenAPI docs at /docs) on the configured Prefect API."""
    import uvicorn

    from config.settings import get_settings
    from retouch.api.app import create_app
    from retouch.api.service import Service
    from retouch.prefect_api import PrefectApi
    from tasks.record.ledger.api import any_keys

    settings = get_settings()
    if no_auth and host not in LOOPBACK:
        raise CliError(f"--no-auth on {host}: only on a loopback address (127.0.0.1); create keys instead")
    if not no_auth and not any_keys(settings.ledger_url):
        raise CliError(
            "no API key exists: create one with `retouch api-key create NAME` "
            "(or serve a loopback address with --no-auth)"
        )
    prefect = PrefectApi()
    try:
        from retouch.jobs import warm_up

        warm_up()
        prefect.ready()
        service = Service(settings, prefect, auth=not no_auth)
        taken = service.take_up_queued()
        service.start_keeping()
        shown = f"[{host}]" if ":" in host else host
        err.print(
            f"Retouch API on http://{shown}:{port} (docs: /docs, operator page: /); Prefect API "
            f"{prefect.url}{'; NO AUTH' if no_auth else ''}"
            + (f"; took up {taken} queued jobs" if taken else "")
        )
        try:
            uvicorn.run(create_app(service), host=host, port=port, log_level="warning")
        finally:
            service.close()
    finally:
        prefect.close()


key_app = typer.Typer(help="Keys of the HTTP API (only a hash of each is kept).", no_args_is_help=True)
app.add_typer(key_app, name="api-key")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Argument(help="Who the key is for: the audit's `who` is api:NAME.")],
    daily_usd: Annotated[
        float | None, typer.Option("--daily-usd", help="This key's spending quota a day (USD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"name", "key"}.')] = False,
) -> None:
    """Make a key and print it once (it cannot be shown again)."""
    from config.settings import get_settings
    from tasks.infra.storage import safe_name
    from tasks.record.ledger.api import ApiKeyError, create_key

    try:
        safe_name(name, "key name")
        key = create_key(get_settings().ledger_url, name, daily_usd)
    except (ValueError, ApiKeyError) as exc:
        raise CliError(str(exc)) from None
    if as_json:
        print_json({"name": name, "key": key})
    else:
        out.print(f"{key}\n(the key of {name}: shown once; clients send Authorization: Bearer <key>)")


@key_app.command("list")
def key_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The keys, without the keys themselves."""
    from config.settings import get_settings
    from tasks.record.ledger.api import list_keys

    keys = list_keys(get_settings().ledger_url)
    if as_json:
        print_json(keys)
        return
    if not keys:
        out.print("no keys (retouch api-key create NAME)")
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        quota = f", ${key['daily_usd']:g} a day" if key["daily_usd"] is not None else ""
        out.print(f"{key['name']}: created {key['created_at']}, {state}{quota}")


@key_app.command("revoke")
def key_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: its requests get 401 from now on."""
    from config.settings import get_settings
    from tasks.record.ledger.api import ApiKeyError, revoke_key

    try:
        revoke_key(get_settings().ledger_url, name)
    except ApiKeyError as exc:
        raise CliError(str(exc)) from None
    out.print(f"revoked the key of {name}")
