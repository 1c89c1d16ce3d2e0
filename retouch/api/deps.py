"""What the API's routes depend on: the service, the caller's key (bearer auth, then the key's
rate limit, before any work), and the address clients reach the API at (for the URLs it
answers with)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from retouch.api.errors import Refused
from retouch.api.service import Service

NO_KEY = "a valid API key is required: Authorization: Bearer <key> (retouch api-key create)"
_BEARER = HTTPBearer(auto_error=False, description="An API key (`retouch api-key create NAME`).")


def service_of(request: Request) -> Service:
    """The one service of this API process (jobs, limits, the Prefect API)."""
    return request.app.state.service


def api_key(
    service: Annotated[Service, Depends(service_of)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> str:
    """The caller's key name from `Authorization: Bearer KEY` (401 without a valid one; every
    request of a key counts against its rate limit, 429 over it)."""
    key = service.key_of(credentials.credentials.strip() if credentials else None)
    if key is None:
        raise Refused(401, NO_KEY, {"WWW-Authenticate": "Bearer"})
    service.limiter.admit(key)
    return key


def base_url(request: Request) -> str:
    """The API's address as the client called it (the URLs in answers start with it)."""
    return str(request.base_url).rstrip("/")


Api = Annotated[Service, Depends(service_of)]
Key = Annotated[str, Depends(api_key)]
BaseUrl = Annotated[str, Depends(base_url)]
