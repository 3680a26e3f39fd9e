"""Routes: the Telegram message ledger (`GET /api/telegram/messages`), newest first, paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from atp.alerts.outbox import MessageStatus
from atp.api.deps import get_session
from atp.api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from atp.api.schemas_orders import MessageOut, MessagePage
from atp.ops.message_pages import MessageFilter, message_page
from atp.watchlist.fields import InvalidValueError, normalise_symbol

router = APIRouter(prefix="/api", tags=["messages"])


@router.get("/telegram/messages", response_model=MessagePage)
def telegram_messages(
    session: Annotated[Session, Depends(get_session, scope="function")],
    status: Annotated[MessageStatus | None, Query(description="one ledger status")] = None,
    symbol: Annotated[str | None, Query(max_length=32, examples=["BTC_USDT"])] = None,
    reason: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="reason_code prefix, e.g. THROTTLED"),
    ] = None,
    since: Annotated[datetime | None, Query(description="created at or after (with zone)")] = None,
    until: Annotated[datetime | None, Query(description="created before (with zone)")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MessagePage:
    """Alerts and notices with their delivery status and reason, newest first."""
    try:
        filters = MessageFilter(
            status=None if status is None else status.value,
            symbol=None if symbol is None else normalise_symbol(symbol),
            reason_prefix=reason,
            since=since,
            until=until,
        )
    except (InvalidValueError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    rows, before_id = message_page(session, filters, limit=limit, before_id=decode_cursor(cursor))
    return MessagePage(
        items=[MessageOut.model_validate(r) for r in rows],
        next_cursor=None if before_id is None else encode_cursor(before_id),
    )
