"""The edit cache: a model edit's result by everything that decides its output."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from config.contracts import ItemResult
from tasks.record.ledger.db import edit_cache, engine_for, now


def cached_edit(url: str, key: str) -> dict[str, Any] | None:
    with engine_for(url).connect() as connection:
        row = connection.execute(select(edit_cache.c.result).where(edit_cache.c.key == key)).first()
    return dict(row[0]) if row else None


def remember_edit(url: str, key: str, output: str, result: ItemResult) -> None:
    """Index an edit's result; the first of two processes doing the same edit at once wins."""
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            if connection.execute(select(edit_cache.c.key).where(edit_cache.c.key == key)).first():
                return
            connection.execute(
                insert(edit_cache).values(key=key, at=now(), output=output, result=result.to_dict())
            )
    except IntegrityError:
        return
