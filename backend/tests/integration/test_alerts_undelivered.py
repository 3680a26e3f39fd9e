""" "Last sent" means delivered: an alert that ends EXPIRED, FAILED or BLOCKED takes back its
throttle step (conditionally) and cancels its linked order intent, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts import store
from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.monitor.cycle import run_cycle
from atp.ops.models import TradingSetting
from atp.orders.models import OrderIntent
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import telegram_settings, telegram_worker
from tests.integration.monitor_support import NOW, seed_world, set_ticker

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

MAX_AGE = timedelta(minutes=10)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def _trading_world(sessions: sessionmaker[Session]) -> None:
    symbol = {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": Decimal("50")}
    seed_world(sessions, {"BTC_USDT": symbol})  # preset cooldown 10 min
    with sessions.begin() as s:
        s.merge(TradingSetting(key="LIVE_TRADING", value="true", updated_at=NOW))


def _alert_status(sessions: sessionmaker[Session]) -> tuple[str | None, str | None]:
    with sessions() as s:
        row = s.get(WatchlistSignalState, "BTC_USDT")
        assert row is not None
        return row.alert_status, row.alert_block_reason


def _intents(sessions: sessionmaker[Session]) -> list[tuple[int | None, str]]:
    with sessions() as s:
        return [
            (i.telegram_message_id, i.status)
            for i in s.scalars(select(OrderIntent).order_by(OrderIntent.id))
        ]


def _messages(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    with sessions() as s:
        return [
            (m.id, m.status)
            for m in s.scalars(select(TelegramMessage).order_by(TelegramMessage.id))
        ]


def test_an_expired_alert_lets_the_next_signal_through_and_cancels_its_intent(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trading_world(sessions)
    run_cycle(sessions, settings, now=NOW)
    [(alert_id, status)] = _messages(sessions)
    assert status == "PENDING"
    assert _intents(sessions) == [(alert_id, "PENDING")]

    with sessions.begin() as s:  # the sender's expiry: nobody delivered it within the max age
        assert store.expire_overdue(s, utcnow() + MAX_AGE + timedelta(seconds=1), MAX_AGE) == 1
    assert _intents(sessions) == [(alert_id, "CANCELLED")]
    with sessions() as s:
        throttle = s.scalars(select(SignalThrottleState)).one()
        assert throttle.last_sent_at is None and throttle.reset_reason == "ALERT_NOT_DELIVERED"

    later = NOW + timedelta(minutes=2)  # inside the preset's 10 min cooldown
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", "100", at=later)
    run_cycle(sessions, settings, now=later)
    assert _alert_status(sessions) == ("QUEUED", None)
    assert [status for _, status in _messages(sessions)] == ["EXPIRED", "PENDING"]
    # (Whether the next alert gets a new intent is the trade gates' call: every intent, a
    # cancelled one too, counts for MIN_SECONDS_BETWEEN_ORDERS.)
    assert _intents(sessions)[0] == (alert_id, "CANCELLED")


async def test_a_failed_alert_rolls_back_only_its_own_step(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path, fake: FakeTelegram
) -> None:
    """FAILED via the sender (bot removed from the chat); a baseline moved since is left alone."""
    _trading_world(sessions)
    run_cycle(sessions, settings, now=NOW)
    with sessions.begin() as s:  # a later alert moved the baseline (e.g. another strategy run)
        throttle = s.scalars(select(SignalThrottleState)).one()
        throttle.last_sent_at = NOW + timedelta(minutes=1)
    fake.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    url = settings.effective_database_url
    worker = telegram_worker(sessions, telegram_settings(url, tmp_path, fake))
    await worker.tick()
    await worker.notifier.close()
    [(alert_id, status)] = _messages(sessions)
    assert status == "FAILED"
    assert _intents(sessions) == [(alert_id, "CANCELLED")]
    with sessions() as s:
        throttle = s.scalars(select(SignalThrottleState)).one()
        assert throttle.last_sent_at == NOW + timedelta(minutes=1)  # not this alert's step
