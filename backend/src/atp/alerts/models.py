"""`telegram_messages`: the outbox and the ledger in one table, one row per alert.

Status life cycle (see docs/alerts.md): PENDING -> SENDING (claimed by a sender, lease in
`next_attempt_at`, fencing token `attempts`) -> SENT | PENDING (retry) | FAILED | EXPIRED;
BLOCKED rows are written directly (gating refused) or by the sender when Telegram is blocked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, TimestampMixin
from atp.db.columns import KEY, REASON, SIDE, STATUS, SYMBOL
from atp.db.types import UTCDateTime


class TelegramMessage(TimestampMixin, Base):
    """PENDING rows are the outbox; SENT / BLOCKED / FAILED / EXPIRED rows are the ledger."""

    __tablename__ = "telegram_messages"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "chat_id", "id"),
        Index(None, "symbol", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(KEY, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # ALERT, ORDER_FILLED, ...
    chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    symbol: Mapped[str | None] = mapped_column(SYMBOL, nullable=True)
    side: Mapped[str | None] = mapped_column(SIDE, nullable=True)
    status: Mapped[str] = mapped_column(STATUS, nullable=False)
    reason_code: Mapped[str | None] = mapped_column(REASON, nullable=True)
    reason_message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # HTML, or PLAIN after Telegram refused the HTML entities once (retried as plain text).
    parse_mode: Mapped[str] = mapped_column(
        String(8), nullable=False, default="HTML", server_default="HTML"
    )
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # telegram / console
