"""Claiming updates: the offset and the dedup memory of the poller (table in atp.bot.models).

`claim` runs in its own committed transaction before any handler sees the update, so an
update is acted on at most once, even if Telegram delivers it twice (a lost confirmation, a
second poller, a restart). The price: a process killed while a handler runs does not retry
that command (its row stays `claimed`); the operator sends it again. A replayed toggle or
`/panic` would be worse than a lost one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atp.bot.models import BotUpdate

# Telegram keeps an unconfirmed update for at most 24 h: an older id can never come back.
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class UpdateFacts:
    """The ids of one update, as stored (no text, no names: nothing personal is kept)."""

    update_id: int
    kind: str
    chat_id: str | None
    user_id: int | None


def claim(session: Session, bot_id: int, facts: UpdateFacts, now: datetime) -> bool:
    """Record the update as claimed; False if it was claimed before (a duplicate). Flushes."""
    exists = session.get(BotUpdate, (bot_id, facts.update_id))
    if exists is not None:
        return False
    row = BotUpdate(
        bot_id=bot_id,
        update_id=facts.update_id,
        kind=facts.kind[:32],
        chat_id=None if facts.chat_id is None else facts.chat_id[:64],
        user_id=facts.user_id,
        received_at=now,
        status="claimed",
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another poller claimed it at the same moment
        return False
    return True


def finish(session: Session, bot_id: int, update_id: int, status: str, now: datetime) -> None:
    """Mark a claimed update done / refused / failed (flush only)."""
    session.execute(
        update(BotUpdate)
        .where(BotUpdate.bot_id == bot_id, BotUpdate.update_id == update_id)
        .values(status=status[:16], finished_at=now)
    )


@dataclass(frozen=True)
class Offset:
    value: int  # the next getUpdates offset (0 = none: let Telegram send everything pending)
    last_received_at: datetime | None


def next_offset(session: Session, bot_id: int, now: datetime) -> Offset:
    """Newest claimed id + 1, while that claim is younger than a day; else 0.

    After a day without updates, nothing we claimed can still be pending at Telegram, and update
    ids may restart at a random value after a long silence; polling without an offset then
    cannot skip new updates, and every id returned is checked against the claims anyway.
    """
    newest = session.execute(
        select(BotUpdate.update_id, BotUpdate.received_at)
        .where(BotUpdate.bot_id == bot_id)
        .order_by(BotUpdate.update_id.desc())
        .limit(1)
    ).first()
    if newest is None or newest.received_at < now - KEEP_FOR:
        return Offset(0, None if newest is None else newest.received_at)
    return Offset(int(newest.update_id) + 1, newest.received_at)


def prune(session: Session, bot_id: int, now: datetime) -> int:
    """Delete claims older than a day, keeping the newest one (it carries the offset)."""
    newest = select(func.max(BotUpdate.update_id)).where(BotUpdate.bot_id == bot_id)
    result = session.execute(
        delete(BotUpdate).where(
            and_(
                BotUpdate.bot_id == bot_id,
                BotUpdate.received_at < now - KEEP_FOR,
                BotUpdate.update_id < newest.scalar_subquery(),
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
