"""State, throttle and intents tell the truth (issue 9, item 6, monitor side).

- an emitting symbol's state row is written in the same transaction as its alert and intent;
- an edit that does not change what an alert means (the trade amount) keeps the cooldown;
- an older hash format is re-stamped, never treated as a configuration change;
- with TRADING_MODE=live, alerts that only reach the console create no order intent;
- PENDING intents expire; an intent is cancelled when its alert is not delivered.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.monitor import cycle, records
from atp.monitor.cycle import run_cycle
from atp.monitor.decide import SymbolDecision
from atp.ops.config_trail import ChangeSource
from atp.ops.models import TradingSetting
from atp.orders.intents import cancel_intent_for_message, expire_pending
from atp.orders.models import OrderIntent
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from atp.watchlist import service as watchlist
from tests.integration.monitor_support import NOW, seed_world, set_ticker

TRADE = {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": Decimal("50")}


def _count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _state(sessions: sessionmaker[Session], symbol: str = "BTC_USDT") -> WatchlistSignalState:
    with sessions() as s:
        row = s.get(WatchlistSignalState, symbol)
        assert row is not None
        return row


def _trade_world(sessions: sessionmaker[Session], **more: dict[str, Any]) -> None:
    seed_world(sessions, {"BTC_USDT": TRADE, **more})
    with sessions.begin() as s:
        s.merge(TradingSetting(key="LIVE_TRADING", value="true", updated_at=NOW))


def _cycle_at(sessions: sessionmaker[Session], settings: Settings, minutes: float) -> None:
    """A cycle `minutes` after NOW, with the tickers fetched just then (fresh)."""
    at = NOW + timedelta(minutes=minutes)
    with sessions.begin() as s:
        for symbol in s.scalars(select(WatchlistSignalState.symbol)).all() or ["BTC_USDT"]:
            set_ticker(s, symbol, "100", at=at)
    run_cycle(sessions, settings, now=at)


def _edit(sessions: sessionmaker[Session], **values: str) -> None:
    with sessions.begin() as s:
        watchlist.set_fields(s, symbol="BTC_USDT", values=values, source=ChangeSource.CLI)


# --- the state row travels with its alert ----------------------------------------------------


def test_a_failure_after_emit_writes_nothing_of_that_symbol(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trade_world(sessions)
    real = records.state_row

    def fail_for_the_alert(decision: SymbolDecision, *args: Any) -> dict[str, Any]:
        if decision.emits:  # the emitting symbol's row, written after emit()
            raise RuntimeError("crash after emit")
        return real(decision, *args)

    monkeypatch.setattr(records, "state_row", fail_for_the_alert)
    try:
        run_cycle(sessions, settings, now=NOW)
    except RuntimeError:
        pass  # before the fix the cycle ended here, with the alert already committed
    assert _count(sessions, TelegramMessage) == 0
    assert _count(sessions, OrderIntent) == 0
    assert _count(sessions, SignalThrottleState) == 0
    state = _state(sessions)  # the symbol's row says what happened
    assert (state.alert_status, state.alert_block_reason) == (
        "ERROR",
        "EFFECTS_FAILED:RuntimeError",
    )

    monkeypatch.setattr(records, "state_row", real)
    run_cycle(sessions, settings, now=NOW + timedelta(seconds=30))
    assert _count(sessions, TelegramMessage) == 1 and _count(sessions, OrderIntent) == 1


def test_an_emitted_alerts_state_row_is_committed_with_it(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trade_world(sessions, ETH_USDT={"preset": "test:none"})
    real = records.write_records

    def batch_fails(session: Session, decisions: list[SymbolDecision], *args: Any) -> int:
        if any(not d.emits for d in decisions):  # the later batch of non-emitting symbols
            raise RuntimeError("database gone before the batch")
        return real(session, decisions, *args)

    monkeypatch.setattr(cycle, "write_records", batch_fails)
    with pytest.raises(RuntimeError):
        run_cycle(sessions, settings, now=NOW)
    with sessions() as s:
        message = s.scalars(select(TelegramMessage)).one()
        intent = s.scalars(select(OrderIntent)).one()
    state = _state(sessions)
    assert (state.alert_status, state.trade_status) == ("QUEUED", "INTENT_CREATED")
    assert state.correlation_id == message.correlation_id == intent.correlation_id
    assert state.last_alert_at_utc == NOW
    assert _count(sessions, WatchlistSignalState, WatchlistSignalState.symbol == "ETH_USDT") == 0


# --- edits that do not change an alert's meaning keep the cooldown ------------------------------


def test_trade_amount_edit_keeps_the_cooldown_and_cooldown_edit_resets(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trade_world(sessions)
    _cycle_at(sessions, settings, 0)
    assert _state(sessions).alert_status == "QUEUED"

    _edit(sessions, trade_amount_usd="25")
    _cycle_at(sessions, settings, 2)
    state = _state(sessions)
    assert (state.alert_status, state.alert_block_reason) == ("BLOCKED", "THROTTLED_TIME_GATE")
    _edit(sessions, trade_enabled="false")
    _cycle_at(sessions, settings, 3)
    assert _state(sessions).alert_block_reason == "THROTTLED_TIME_GATE"
    assert _count(sessions, TelegramMessage, TelegramMessage.status == "PENDING") == 1

    _edit(sessions, alert_cooldown_minutes="20")  # what the alert means changed: a new baseline
    _cycle_at(sessions, settings, 4)
    assert _state(sessions).alert_status == "QUEUED"
    with sessions() as s:
        row = s.scalars(select(SignalThrottleState)).one()
    assert (row.reset_reason, row.reset_at) == ("CONFIG_CHANGED", NOW + timedelta(minutes=4))


def test_a_hash_of_the_old_field_set_is_restamped_not_reset(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trade_world(sessions)
    with sessions.begin() as s:  # as left by the previous release: a bare sha256 hex digest
        s.add(
            SignalThrottleState(
                symbol="BTC_USDT",
                strategy_key="test:buy",
                side="BUY",
                last_sent_at=NOW - timedelta(minutes=2),
                last_sent_price=Decimal("100"),
                config_hash="ab" * 32,
                updated_at=NOW - timedelta(minutes=2),
            )
        )
    _cycle_at(sessions, settings, 0)
    assert _state(sessions).alert_block_reason == "THROTTLED_TIME_GATE"
    with sessions() as s:
        row = s.scalars(select(SignalThrottleState)).one()
    assert row.config_hash is not None and row.config_hash.startswith("v2:")
    assert row.reset_at is None and row.last_sent_at == NOW - timedelta(minutes=2)


# --- intents only behind delivered alerts (or in paper mode) -----------------------------------


@pytest.mark.parametrize(("mode", "intents"), [("paper", 1), ("live", 0)])
def test_console_alerts_create_intents_only_in_paper_mode(
    sessions: sessionmaker[Session], settings: Settings, mode: str, intents: int
) -> None:
    _trade_world(sessions)
    live = settings.model_copy(update={"trading_mode": mode})  # environment=test: console
    run_cycle(sessions, live, now=NOW)
    assert _count(sessions, OrderIntent) == intents
    state = _state(sessions)
    assert state.alert_status == "QUEUED"  # the alert itself is unaffected
    if intents == 0:
        assert (state.trade_status, state.trade_block_reason) == (
            "BLOCKED",
            "ALERTS_NOT_DELIVERED:console",
        )
        with sessions() as s:
            text = s.scalars(select(TelegramMessage.text)).one()
        assert "no order: ALERTS_NOT_DELIVERED:console" in text


def test_settings_default_to_paper_and_refuse_other_modes() -> None:
    assert Settings(_env_file=None).trading_mode == "paper"
    with pytest.raises(ValueError, match="TRADING_MODE"):
        Settings(_env_file=None, TRADING_MODE="livee")


# --- pending intents end ------------------------------------------------------------------------


def _intent(
    n: int, minutes_ago: float, status: str = "PENDING", message: int | None = None
) -> OrderIntent:
    created = NOW - timedelta(minutes=minutes_ago)
    return OrderIntent(
        idempotency_key=f"seed-{n}",
        client_oid=f"seed-{n}",
        telegram_message_id=message,
        symbol="BTC_USDT",
        side="BUY",
        status=status,
        created_at=created,
        updated_at=created,
    )


def _statuses(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None]]:
    with sessions() as s:
        rows = s.scalars(select(OrderIntent)).all()
        return {r.idempotency_key: (r.status, r.block_reason) for r in rows}


def test_pending_intents_expire_after_the_ttl(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trade_world(sessions)
    with sessions.begin() as s:
        s.add_all([_intent(1, 10), _intent(2, 1), _intent(3, 30, status="SUBMITTED")])
    run_cycle(sessions, settings, now=NOW)  # the monitor expires them every cycle
    statuses = _statuses(sessions)
    assert statuses["seed-1"] == ("EXPIRED", "EXPIRED:pending longer than 300 s")
    assert statuses["seed-2"] == ("PENDING", None)
    assert statuses["seed-3"] == ("SUBMITTED", None)
    with sessions.begin() as s:
        assert expire_pending(s, NOW, 300) == 0  # nothing left to expire: idempotent


def test_an_undelivered_alerts_intent_is_cancelled_once(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trade_world(sessions)
    run_cycle(sessions, settings, now=NOW)
    with sessions() as s:
        message_id = s.scalars(select(TelegramMessage.id)).one()
    with sessions.begin() as s:
        assert cancel_intent_for_message(s, message_id, "ALERT_EXPIRED") is True
    with sessions.begin() as s:
        assert cancel_intent_for_message(s, message_id, "ALERT_EXPIRED") is False
        assert cancel_intent_for_message(s, message_id + 999, "ALERT_FAILED") is False
    (status,) = _statuses(sessions).values()
    assert status == ("CANCELLED", "ALERT_EXPIRED")


def test_intents_that_never_reached_the_exchange_do_not_count_as_orders(
    sessions: sessionmaker[Session],
) -> None:
    from atp.monitor.activity import load_activity

    with sessions.begin() as s:
        s.add_all([_intent(1, 5, "EXPIRED"), _intent(2, 3, "CANCELLED"), _intent(3, 90, "FAILED")])
    with sessions() as s:
        activity = load_activity(s, NOW)
    # Only the FAILED attempt (it went to the exchange) counts for spacing and the daily cap.
    assert activity.last_order_at["BTC_USDT"] == NOW - timedelta(minutes=90)
    assert activity.orders_today["BTC_USDT"] == 1  # NOW is 12:00 UTC: 90 min ago is today
    assert activity.open_total == 0
