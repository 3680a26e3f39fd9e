"""The Telegram message ledger, filtered and paged newest first (the API's `atp alerts list`).

One statement per page on the table's own indexes: `id` (the cursor), `status`, `symbol` and
`created_at`. `last_error` is cleaned as it is read: rows written by older versions may hold a
multi-line error with a URL or a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.core.errors import clean_error_text


@dataclass(frozen=True)
class MessageFilter:
    status: str | None = None
    symbol: str | None = None
    reason_prefix: str | None = None  # matches reason_code, e.g. "THROTTLED" or "TELEGRAM_DISABLED"
    since: datetime | None = None  # created_at >= since
    until: datetime | None = None  # created_at < until

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone (e.g. 2026-01-31T10:00:00Z)")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")


@dataclass(frozen=True)
class MessageRow:
    id: int
    kind: str
    symbol: str | None
    side: str | None
    status: str
    reason_code: str | None
    reason_message: str | None
    text: str
    correlation_id: str | None
    attempts: int
    channel: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def message_page(
    session: Session, filters: MessageFilter, *, limit: int, before_id: int | None
) -> tuple[list[MessageRow], int | None]:
    """(rows newest first, id to continue before or None on the last page)."""
    query = select(TelegramMessage).order_by(TelegramMessage.id.desc()).limit(limit + 1)
    if before_id is not None:
        query = query.where(TelegramMessage.id < before_id)
    if filters.status:
        query = query.where(TelegramMessage.status == filters.status)
    if filters.symbol:
        query = query.where(TelegramMessage.symbol == filters.symbol)
    if filters.reason_prefix:
        query = query.where(
            TelegramMessage.reason_code.startswith(filters.reason_prefix, autoescape=True)
        )
    if filters.since:
        query = query.where(TelegramMessage.created_at >= filters.since)
    if filters.until:
        query = query.where(TelegramMessage.created_at < filters.until)
    rows = [_row(m) for m in session.scalars(query)]
    more = len(rows) > limit
    return rows[:limit], rows[limit - 1].id if more else None


def _row(m: TelegramMessage) -> MessageRow:
    return MessageRow(
        id=m.id,
        kind=m.kind,
        symbol=m.symbol,
        side=m.side,
        status=m.status,
        reason_code=m.reason_code,
        reason_message=m.reason_message,
        text=m.text,
        correlation_id=m.correlation_id,
        attempts=m.attempts,
        channel=m.channel,
        last_error=clean_error_text(m.last_error),
        created_at=m.created_at,
        sent_at=m.sent_at,
    )
