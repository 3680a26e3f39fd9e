"""Pacing shared between processes: the menu bot's requests, as the alert sender sees them.

The alert sender and the menu bot (`atp bot`) use the same bot token, so Telegram counts both
against one set of limits (about 1 message/s per chat, 20/min per group, 30/s overall). They
may be different processes, so each tells the other what it sent through the database:

- the sender's requests are already in the ledger (`telegram_messages`: SENT rows at `sent_at`,
  SENDING rows in flight); the bot reads them before each reply (`alert_traffic`);
- the bot records each request it completed in `telegram_chat_requests` (`record_request`);
  the sender replays those rows into its own pacer before each dispatch (`recent_requests`).

Alerts keep priority: while an alert for a chat is due, the bot's reply to that chat waits
(see atp.bot.pacing). Times are UTC wall clock here; each side turns them into ages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from atp.alerts import store
from atp.alerts.pacing import ChatPacer
from atp.db.base import Base
from atp.db.types import UTCDateTime
from atp.db.upsert import upsert_rows


class ChatRequest(Base):
    """The last request the menu bot completed to each chat (one row per chat)."""

    __tablename__ = "telegram_chat_requests"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_request_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)


# Rows older than this no longer constrain any pacing window (the longest, per group, is 60 s).
KEEP_FOR = timedelta(minutes=10)


def record_request(session: Session, chat_id: str, at: datetime, source: str = "bot") -> None:
    """Upsert the chat's last request time (flush only)."""
    upsert_rows(
        session,
        ChatRequest.__table__,  # type: ignore[arg-type]
        [{"chat_id": chat_id[:64], "last_request_at": at, "source": source}],
        conflict_columns=["chat_id"],
    )
    session.execute(delete(ChatRequest).where(ChatRequest.last_request_at < at - KEEP_FOR))


def recent_requests(session: Session, since: datetime) -> list[tuple[str, datetime]]:
    """(chat id, time) of the bot's requests completed after `since`."""
    rows = session.execute(
        select(ChatRequest.chat_id, ChatRequest.last_request_at).where(
            ChatRequest.last_request_at > since
        )
    ).all()
    return [(r.chat_id, r.last_request_at) for r in rows]


class BotRequests:
    """The sender's side: the bot's requests read with the heads, each counted in the pacer once."""

    def __init__(self) -> None:
        self._read: list[tuple[str, datetime]] = []
        self._counted: dict[str, datetime] = {}  # chat -> the request time already replayed

    def read(self, session: Session, since: datetime) -> None:
        self._read = recent_requests(session, since)

    def replay(self, pacer: ChatPacer, now: datetime, mono_now: float) -> None:
        for chat_id, at in self._read:
            if self._counted.get(chat_id) == at:
                continue
            self._counted[chat_id] = at
            pacer.restore(chat_id, mono_now - max(0.0, (now - at).total_seconds()))


@dataclass(frozen=True)
class AlertTraffic:
    """What the alert sender does in one chat right now, as the ledger says."""

    last_request_at: datetime | None  # newest SENT (or in-flight SENDING = now) to the chat
    alert_due: bool  # a queued alert for the chat may be sent now: replies wait for it


def alert_traffic(
    session: Session, chat_id: str, default_chat_id: str, now: datetime, window: timedelta
) -> AlertTraffic:
    """The sender's recent and imminent requests to `chat_id` (NULL chat = `default_chat_id`)."""

    def same_chat(value: str | None) -> bool:
        return (value or default_chat_id) == chat_id

    # Heads first, sends second: a row only moves PENDING -> SENDING -> SENT, so an alert that
    # is not due in the first read is already in flight or sent in the second one. The other
    # order could miss an alert claimed between the two reads (two statements, two snapshots).
    due = any(same_chat(h.chat_id) and store.is_due(h, now) for h in store.open_heads(session))
    since = now - window
    sends = store.recent_sends(session, since, now, created_after=since - timedelta(days=1))
    times = [at for chat, at in sends if same_chat(chat)]
    return AlertTraffic(max(times, default=None), due)
