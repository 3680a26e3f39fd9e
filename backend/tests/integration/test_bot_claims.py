"""The poller's claim table: duplicates, the offset and bounded retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.bot import updates as claims
from atp.bot.models import BotUpdate
from atp.db.session import unit_of_work

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BOT = 123456


def _facts(update_id: int) -> claims.UpdateFacts:
    return claims.UpdateFacts(update_id, "message", "111", 111)


def test_a_claim_is_taken_once_and_sets_the_offset(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        assert claims.claim(session, BOT, _facts(41), NOW)
        assert not claims.claim(session, BOT, _facts(41), NOW)
        assert claims.claim(session, 999, _facts(41), NOW)  # another bot token: its own ids
    with sessions() as session:
        assert claims.next_offset(session, BOT, NOW).value == 42
        assert claims.next_offset(session, 1, NOW).value == 0


def test_old_claims_are_pruned_but_the_newest_keeps_the_offset(
    sessions: sessionmaker[Session],
) -> None:
    old = NOW - timedelta(hours=30)
    with unit_of_work(sessions) as session:
        for update_id in (1, 2, 3):
            claims.claim(session, BOT, _facts(update_id), old)
        claims.claim(session, BOT, _facts(4), NOW - timedelta(hours=1))
    with unit_of_work(sessions) as session:
        assert claims.prune(session, BOT, NOW) == 3
    with unit_of_work(sessions) as session:
        assert claims.prune(session, BOT, NOW + timedelta(days=2)) == 0  # the newest stays
        count = session.scalar(select(func.count()).select_from(BotUpdate))
        assert count == 1
        # a day after the newest claim, poll without an offset (ids may restart after silence)
        assert claims.next_offset(session, BOT, NOW).value == 5
        assert claims.next_offset(session, BOT, NOW + timedelta(days=2)).value == 0
