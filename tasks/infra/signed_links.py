"""Signed, expiring links to one review's pictures and page (the Prefect form's links).

The Prefect UI shows the review form's description as Markdown: its before/after pictures and
its "Open the before/after page" link are fetched by the reviewer's browser, which carries no
review token. So those links carry a signature instead: `?expires=<unix seconds>&sig=<HMAC>`
over the review run's id and the expiry. A signed link lets its holder *see* that one review
(page, pictures, findings), nothing else, until it expires; deciding still takes a token.

The signing key is RETOUCH_REVIEW_LINK_KEY, or else derived from the review token(s): whoever
can sign links can already review. Without any token the page is open and links are unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from config.settings import Settings

_DOMAIN = b"retouch review links v1\0"


def link_key(settings: Settings) -> bytes | None:
    """The key that signs review links, or None when the review page needs no token."""
    if settings.review_link_key:
        return settings.review_link_key.encode()
    if not (settings.review_token or settings.review_tokens):
        return None
    secrets = json.dumps([settings.review_token, sorted(settings.review_tokens.items())])
    return hashlib.sha256(_DOMAIN + secrets.encode()).digest()


def _mac(key: bytes, run_id: str, expires: int) -> str:
    return hmac.new(key, f"{run_id}\n{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def sign_query(key: bytes | None, run_id: str, seconds: float, now: float | None = None) -> str:
    """The query string ("" without a key) that opens review `run_id` for `seconds`."""
    if key is None:
        return ""
    expires = int((time.time() if now is None else now) + seconds)
    return f"?expires={expires}&sig={_mac(key, run_id, expires)}"


def link_is_valid(key: bytes | None, run_id: str, query: Mapping[str, str], now: float | None = None) -> bool:
    """Whether `query` (expires, sig) signs review `run_id` and has not expired."""
    if key is None:
        return False
    try:
        expires = int(query.get("expires", ""))
    except ValueError:
        return False
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(query.get("sig", ""), _mac(key, run_id, expires))
