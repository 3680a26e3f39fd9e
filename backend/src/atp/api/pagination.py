"""Cursor pagination, one way for every list route.

A cursor is opaque to clients: the url-safe base64 of the last row's sort key (an integer id,
newest first). Pages are stable while rows are added: a row inserted after the first page was
read has a larger id and never shifts an older page. `?limit=` is 1..500 (default 50).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Generic, TypeVar

from fastapi import HTTPException, Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 500
MAX_ID = 2**63 - 1  # BIGINT: a larger cursor is not one this API issued

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page (1..500)")]
Cursor = Annotated[
    str | None, Query(description="`next_cursor` of the previous page; omit for the first")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None  # None: this is the last page


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id to continue before (exclusive); 422 for a cursor this API did not issue."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isdigit() or int(value) > MAX_ID:
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(status_code=422, detail="invalid cursor") from None


def next_cursor(ids: list[int], limit: int) -> str | None:
    """Cursor after a page fetched with `limit + 1` rows (`ids` newest first, extra row kept)."""
    return encode_cursor(ids[limit - 1]) if len(ids) > limit else None
