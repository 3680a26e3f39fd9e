"""The daily summary never reports a day before the platform existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind
from atp.alerts.summary import maybe_enqueue_daily_summary, platform_born_at
from atp.ops.models import ConfigChange
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.signals.models import StrategyPreset

INSTALLED = datetime(2030, 1, 10, 14, 0, tzinfo=UTC)  # `atp migrate` on a fresh machine


def _install_at(sessions: sessionmaker[Session], moment: datetime) -> None:
    seed_all(sessions)  # what `atp migrate` does: the built-in presets are the first records
    with sessions.begin() as session:  # as if that had happened at `moment`
        session.execute(update(StrategyPreset).values(created_at=moment, updated_at=moment))
        session.execute(update(ConfigChange).values(changed_at=moment))
        assert platform_born_at(session) == moment


def _summaries(sessions: sessionmaker[Session]) -> list[TelegramMessage]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TelegramMessage).where(TelegramMessage.kind == MessageKind.DAILY_SUMMARY)
            )
        )


def test_fresh_install_after_the_summary_time_sends_no_summary_for_yesterday(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _install_at(sessions, INSTALLED)
    summary_at_eight = settings.model_copy(update={"telegram_daily_summary_time": "08:00"})
    with sessions.begin() as session:  # 14:05 on install day: 08:00 has passed, but for a
        # period (08:00 yesterday - 08:00 today) the platform never saw
        sent = maybe_enqueue_daily_summary(
            session, summary_at_eight, INSTALLED + timedelta(minutes=5)
        )
    assert sent is False
    assert _summaries(sessions) == []


def test_first_summary_covers_only_the_time_since_install(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _install_at(sessions, INSTALLED)
    summary_at_eight = settings.model_copy(update={"telegram_daily_summary_time": "08:00"})
    next_morning = datetime(2030, 1, 11, 8, 1, tzinfo=UTC)
    with sessions.begin() as session:
        assert maybe_enqueue_daily_summary(session, summary_at_eight, next_morning)
    (row,) = _summaries(sessions)
    assert row.idempotency_key == "daily-summary:2030-01-11"
    assert "From 2030-01-10 14:00" in row.text  # not 2030-01-10 08:00
    assert "To 2030-01-11 08:00" in row.text


def test_an_unused_database_sends_no_summary(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        assert not maybe_enqueue_daily_summary(
            session, settings, datetime(2030, 1, 11, 9, 0, tzinfo=UTC)
        )
    assert _summaries(sessions) == []
