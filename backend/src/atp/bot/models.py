"""The poller's durable memory: every update id it claimed, per bot.

One row per (bot, update). The poller inserts the row - and so claims the update - in its own
committed transaction *before* any handler runs; an id already present is a duplicate and is
never acted on again. The next getUpdates offset is the newest claimed id + 1, so a restart
neither replays nor loses commands. Rows older than a day are deleted (Telegram keeps an
unconfirmed update for at most 24 h, so an older id can never be delivered again); the newest
row of each bot is always kept, because it carries the offset.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base
from atp.db.types import UTCDateTime


class BotUpdate(Base):
    __tablename__ = "telegram_bot_updates"
    __table_args__ = (Index(None, "bot_id", "received_at"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # message, callback_query, ...
    chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # claimed (handlers running or interrupted) / done / refused / failed
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
