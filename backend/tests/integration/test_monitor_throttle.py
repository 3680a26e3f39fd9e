"""The one throttle rule end to end: time gate (honoured cooldown), price gate, config reset, restart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.session import make_engine, make_session_factory
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from atp.watchlist import service as watchlist
from tests.integration.monitor_support import NOW, cycle_at, seed_world, set_ticker


def _reason(
    sessions: sessionmaker[Session], symbol: str = "BTC_USDT"
) -> tuple[str | None, str | None]:
    with sessions() as s:
        row = s.get(WatchlistSignalState, symbol)
        assert row is not None
        return row.alert_status, row.alert_block_reason


def _alerts(sessions: sessionmaker[Session], symbol: str = "BTC_USDT") -> int:
    with sessions() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(TelegramMessage)
                .where(TelegramMessage.symbol == symbol, TelegramMessage.status == "PENDING")
            )
            or 0
        )


def _price(sessions: sessionmaker[Session], price: str, at_offset: timedelta) -> None:
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", price, at=NOW + at_offset)


def test_time_gate_then_price_gate_then_sent(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})  # preset cooldown 10 min, 1 %
    cycle_at(sessions, settings, NOW)
    assert _reason(sessions) == ("QUEUED", None)

    cycle_at(sessions, settings, NOW + timedelta(minutes=5))
    assert _reason(sessions) == ("BLOCKED", "THROTTLED_TIME_GATE")

    later = timedelta(minutes=11)
    _price(sessions, "100.5", later)  # 0.5 % < 1 % from the last SENT price
    cycle_at(sessions, settings, NOW + later)
    assert _reason(sessions) == ("BLOCKED", "THROTTLED_PRICE_GATE")

    _price(sessions, "101.2", later)  # 1.2 % from 100 (the sent price, not the blocked one)
    cycle_at(sessions, settings, NOW + later + timedelta(seconds=30))
    assert _reason(sessions) == ("QUEUED", None)
    assert _alerts(sessions) == 2
    with sessions() as s:
        memory = s.scalars(select(SignalThrottleState)).one()
    # SQLite keeps NUMERIC as a binary float: compare to the 1e-9 it preserves.
    assert abs(memory.last_sent_price - Decimal("101.2")) < Decimal("1e-9")
    assert memory.previous_sent_price == Decimal("100")
    assert memory.last_sent_at == NOW + later + timedelta(seconds=30)


def test_symbol_cooldown_overrides_the_preset_and_is_honoured(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(
        sessions,
        {
            "BTC_USDT": {"preset": "test:buy", "alert_cooldown_minutes": Decimal("30")},
            "ETH_USDT": {"preset": "test:buy"},
        },
    )
    cycle_at(sessions, settings, NOW)
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", "110", at=NOW + timedelta(minutes=15))
        set_ticker(s, "ETH_USDT", "110", at=NOW + timedelta(minutes=15))
    cycle_at(sessions, settings, NOW + timedelta(minutes=15))
    assert _reason(sessions, "BTC_USDT") == ("BLOCKED", "THROTTLED_TIME_GATE")  # 15 < 30 min
    assert _reason(sessions, "ETH_USDT") == ("QUEUED", None)  # preset's 10 min elapsed


def test_buy_and_sell_are_independent(sessions: sessionmaker[Session], settings: Settings) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    cycle_at(sessions, settings, NOW)
    with sessions.begin() as s:
        watchlist.set_fields(
            s, symbol="BTC_USDT", values={"preset": "test:sell"}, source=ChangeSource.CLI
        )
    cycle_at(sessions, settings, NOW + timedelta(minutes=1))
    assert _reason(sessions) == ("QUEUED", None)
    with sessions() as s:
        sides = sorted(s.scalars(select(SignalThrottleState.side)))
    assert sides == ["BUY", "SELL"]


def test_config_change_resets_only_that_symbols_baseline_and_is_recorded(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}, "ETH_USDT": {"preset": "test:buy"}})
    cycle_at(sessions, settings, NOW)
    with sessions.begin() as s:
        watchlist.set_fields(
            s, symbol="BTC_USDT", values={"min_price_change_pct": "2"}, source=ChangeSource.CLI
        )
    report = cycle_at(sessions, settings, NOW + timedelta(minutes=2))
    assert report.resets == 1
    assert _reason(sessions, "BTC_USDT") == ("QUEUED", None)  # baseline reset: first alert again
    assert _reason(sessions, "ETH_USDT") == ("BLOCKED", "THROTTLED_TIME_GATE")
    with sessions() as s:
        btc = s.scalars(
            select(SignalThrottleState).where(SignalThrottleState.symbol == "BTC_USDT")
        ).one()
        trail = s.scalars(select(ConfigChange).where(ConfigChange.entity == "throttle")).all()
    assert btc.reset_reason == "CONFIG_CHANGED"
    assert btc.reset_at == NOW + timedelta(minutes=2)
    assert btc.last_sent_at == NOW + timedelta(minutes=2)  # the alert right after the reset
    assert [(c.source, c.entity_key, c.field) for c in trail] == [
        ("system", "BTC_USDT", "baseline")
    ]
    assert trail[0].old_value["last_sent_price"] is not None

    cycle_at(sessions, settings, NOW + timedelta(minutes=3))  # same config: no second reset
    assert _reason(sessions, "BTC_USDT") == ("BLOCKED", "THROTTLED_TIME_GATE")


def test_restart_changes_nothing(
    db_url: str, sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    cycle_at(sessions, settings, NOW)
    fresh_engine = make_engine(db_url)  # a new process: nothing in memory survives
    try:
        fresh_sessions = make_session_factory(fresh_engine)
        cycle_at(fresh_sessions, settings, NOW + timedelta(minutes=1))
        assert _reason(fresh_sessions) == ("BLOCKED", "THROTTLED_TIME_GATE")
        assert _alerts(fresh_sessions) == 1
    finally:
        fresh_engine.dispose()


def test_throttled_cycles_write_one_blocked_row_per_reason(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    for minute in range(6):  # 1 sent + 5 throttled cycles
        cycle_at(sessions, settings, NOW + timedelta(minutes=minute))
    with sessions() as s:
        blocked = s.scalars(
            select(TelegramMessage.reason_code).where(TelegramMessage.status == "BLOCKED")
        ).all()
    assert blocked == ["THROTTLED_TIME_GATE"]
