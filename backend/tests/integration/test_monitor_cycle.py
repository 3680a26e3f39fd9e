"""One cycle against a real database (SQLite and PostgreSQL): gates stored, one upsert, effects once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.market.models import MarketCandle
from atp.monitor import effects
from atp.monitor.cycle import run_cycle
from atp.ops.models import TradingSetting
from atp.orders.models import OrderIntent
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from tests.integration.monitor_support import NOW, candle_rows, seed_world


def _state(sessions: sessionmaker[Session], symbol: str) -> WatchlistSignalState:
    with sessions() as s:
        row = s.get(WatchlistSignalState, symbol)
        assert row is not None
        return row


def _count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def _setting(sessions: sessionmaker[Session], key: str, value: str) -> None:
    with sessions.begin() as s:
        s.merge(TradingSetting(key=key, value=value, updated_at=NOW))


def test_every_state_row_carries_decision_and_reasons(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(
        sessions,
        {
            "BTC_USDT": {"preset": "test:buy"},
            "ETH_USDT": {"preset": "test:sell"},
            "XRP_USDT": {"preset": "test:none"},
            "ADA_USDT": {"preset": "test:buy", "buy_alert_enabled": False},
        },
    )
    report = run_cycle(sessions, settings, now=NOW)
    assert report.symbols == 4 and report.emitted == 2 and report.errors == 0

    btc = _state(sessions, "BTC_USDT")
    assert (btc.signal_side, btc.alert_status, btc.strategy_key) == ("BUY", "QUEUED", "test:buy")
    assert btc.last_price == Decimal("100")
    assert btc.evaluated_at_utc == NOW and btc.last_alert_at_utc == NOW
    assert btc.conditions and {c["name"] for c in btc.conditions} >= {"rsi_below", "rsi_above"}
    assert btc.indicators["rsi"] is not None
    assert btc.correlation_id and len(btc.correlation_id) == 32
    # Paper mode (the default) does not need LIVE_TRADING; BTC does not trade.
    assert (btc.trade_status, btc.trade_block_reason) == ("BLOCKED", "TRADE_DISABLED")

    xrp = _state(sessions, "XRP_USDT")
    assert xrp.signal_side == "NONE" and xrp.alert_status == "NONE"
    assert xrp.alert_block_reason == "NO_SIGNAL:BUY(rsi_below);SELL(rsi_above)"

    ada = _state(sessions, "ADA_USDT")
    assert (ada.signal_side, ada.alert_status, ada.alert_block_reason) == (
        "BUY",
        "BLOCKED",
        "SIDE_DISABLED",
    )
    assert ada.trade_status == "NONE" and ada.trade_block_reason == "SIDE_DISABLED"

    with sessions() as s:
        ledger = {(m.symbol, m.status, m.reason_code) for m in s.scalars(select(TelegramMessage))}
    assert ledger == {
        ("BTC_USDT", "PENDING", None),
        ("ETH_USDT", "PENDING", None),
        ("ADA_USDT", "BLOCKED", "SIDE_DISABLED"),
    }


def test_alert_text_says_why_no_order_follows(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(
        sessions,
        {
            "BTC_USDT": {"preset": "test:buy"},
            "ETH_USDT": {"preset": "test:sell", "trade_enabled": True, "trade_amount_usd": 50},
        },
    )
    _setting(sessions, "LIVE_TRADING", "true")
    run_cycle(sessions, settings, now=NOW)
    with sessions() as s:
        texts = {m.symbol: m.text for m in s.scalars(select(TelegramMessage))}
    assert "no order: TRADE_DISABLED" in texts["BTC_USDT"]
    assert "no order: SIDE_NOT_TRADED" in texts["ETH_USDT"]


def test_stale_market_data_makes_no_decision(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    report = run_cycle(sessions, settings, now=NOW + timedelta(hours=3))
    state = _state(sessions, "BTC_USDT")
    assert (state.signal_side, state.alert_status, state.alert_block_reason) == (
        "NONE",
        "BLOCKED",
        "MARKET_DATA_STALE",
    )
    assert "CANDLE_TOO_OLD" in (state.alert_block_detail or "")
    assert report.stale == 1 and report.emitted == 0
    run_cycle(sessions, settings, now=NOW + timedelta(hours=3, seconds=30))
    blocked = _count(sessions, TelegramMessage, TelegramMessage.reason_code == "MARKET_DATA_STALE")
    assert blocked == 1  # one ledger row per episode, not one per cycle


def test_telegram_disabled_by_operator_blocks_with_reason(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    _setting(sessions, "TELEGRAM_ALERTS_ENABLED", "false")
    run_cycle(sessions, settings, now=NOW)
    state = _state(sessions, "BTC_USDT")
    assert state.alert_status == "BLOCKED"
    assert state.alert_block_reason is not None
    assert state.alert_block_reason.startswith("TELEGRAM_DISABLED:")
    assert "disabled_by_operator" in state.alert_block_reason
    assert _count(sessions, SignalThrottleState) == 0  # nothing sent: baseline untouched
    assert _count(sessions, TelegramMessage, TelegramMessage.status == "BLOCKED") == 1


def _trade_world(sessions: sessionmaker[Session], **fields: Any) -> None:
    values: dict[str, Any] = {
        "preset": "test:buy",
        "trade_enabled": True,
        "trade_amount_usd": Decimal("50"),
    }
    values.update(fields)
    seed_world(sessions, {"BTC_USDT": values})
    _setting(sessions, "LIVE_TRADING", "true")


def _intent(symbol: str, minutes_ago: float, status: str = "PENDING", n: int = 0) -> OrderIntent:
    created = NOW - timedelta(minutes=minutes_ago)
    return OrderIntent(
        idempotency_key=f"seed-{symbol}-{n}",
        client_oid=f"seed-{symbol}-{n}",
        symbol=symbol,
        side="BUY",
        status=status,
        created_at=created,
        updated_at=created,
    )


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"settings": {"KILL_SWITCH": "true"}}, "KILL_SWITCH"),
        ({"settings": {"LIVE_TRADING": "false"}, "mode": "live"}, "LIVE_TRADING_OFF"),
        ({"fields": {"trade_enabled": False}}, "TRADE_DISABLED"),
        ({"fields": {"trade_amount_usd": None}}, "INVALID_TRADE_AMOUNT"),
        ({"fields": {"trade_amount_usd": Decimal("1000")}}, "MAX_USD_PER_ORDER"),
        (
            {
                "intents": [("BTC_USD", 120, i) for i in range(3)],
                "settings": {"MAX_ORDERS_PER_SYMBOL_PER_DAY": "10"},
            },
            "MAX_OPEN_ORDERS_PER_COIN",
        ),
        ({"intents": [(f"C{i}_USDT", 120, i) for i in range(10)]}, "MAX_OPEN_ORDERS_TOTAL"),
        ({"intents": [("BTC_USDT", 5, 0)]}, "MIN_SECONDS_BETWEEN_ORDERS"),
        (
            {
                "intents": [("BTC_USDT", 100, 0), ("BTC_USDT", 200, 1)],
                "settings": {"MAX_OPEN_ORDERS_PER_COIN": "5"},
            },
            "MAX_ORDERS_PER_SYMBOL_PER_DAY",
        ),
    ],
)
def test_trade_gates_block_the_order_never_the_alert(
    sessions: sessionmaker[Session], settings: Settings, setup: dict[str, Any], reason: str
) -> None:
    _trade_world(sessions, **setup.get("fields", {}))
    # LIVE_TRADING guards real money: it blocks only in TRADING_MODE=live.
    settings = settings.model_copy(update={"trading_mode": setup.get("mode", "paper")})
    for key, value in setup.get("settings", {}).items():
        _setting(sessions, key, value)
    with sessions.begin() as s:
        s.add_all(_intent(sym, ago, n=n) for sym, ago, n in setup.get("intents", []))
    intents_before = _count(sessions, OrderIntent)
    run_cycle(sessions, settings, now=NOW)
    state = _state(sessions, "BTC_USDT")
    assert state.alert_status == "QUEUED"  # the alert always goes out
    assert (state.trade_status, state.trade_block_reason) == ("BLOCKED", reason)
    assert _count(sessions, OrderIntent) == intents_before
    with sessions() as s:
        text = s.scalars(
            select(TelegramMessage.text).where(TelegramMessage.symbol == "BTC_USDT")
        ).one()
    assert f"no order: {reason}" in text


def test_buy_with_trading_allowed_creates_one_linked_intent(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    _trade_world(sessions)
    report = run_cycle(sessions, settings, now=NOW)
    assert report.intents == 1
    with sessions() as s:
        intent = s.scalars(select(OrderIntent)).one()
        message = s.scalars(select(TelegramMessage)).one()
    assert intent.telegram_message_id == message.id
    assert (intent.symbol, intent.side, intent.status) == ("BTC_USDT", "BUY", "PENDING")
    assert intent.amount_usd == Decimal("50") and intent.reference_price == Decimal("100")
    assert intent.sl_price == Decimal("98") and intent.tp_price == Decimal("103")
    assert len(intent.client_oid) <= 36 and intent.correlation_id == message.correlation_id
    assert "will buy $50.00" in message.text
    state = _state(sessions, "BTC_USDT")
    assert (state.trade_status, state.last_trade_at_utc) == ("INTENT_CREATED", NOW)


def test_state_rows_are_written_by_one_upsert_except_emitting_ones(
    engine: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    symbols = {f"S{i:02d}_USDT": {"preset": ("test:buy", "test:none")[i % 2]} for i in range(30)}
    seed_world(sessions, symbols)
    statements: list[str] = []
    bound: list[int] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, _many: bool
    ) -> None:
        if "watchlist_signal_state" in statement and statement.lstrip().upper().startswith(
            ("INSERT", "UPDATE")
        ):
            statements.append(statement)
            bound.append(len(params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run_cycle(sessions, settings, now=NOW)
        run_cycle(sessions, settings, now=NOW + timedelta(seconds=30))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    # cycle 1: each of the 15 emitting symbols writes its row with its alert (same transaction),
    # the 15 others share one statement; cycle 2 (all throttled): one statement for all 30 rows.
    # A multi-row statement carries every row's values, not 30 executions of a small one.
    columns = len(WatchlistSignalState.__table__.columns)
    assert bound == [columns] * 15 + [15 * columns, 30 * columns]
    assert all("ON CONFLICT" in s.upper() for s in statements)
    assert _count(sessions, WatchlistSignalState) == 30


def test_a_failure_between_effects_leaves_neither(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trade_world(sessions)
    with sessions.begin() as s:
        from tests.integration.monitor_support import add_symbol, set_ticker

        add_symbol(s, "ETH_USDT", preset="test:buy")
        s.execute(MarketCandle.__table__.insert(), candle_rows("ETH_USDT"))
        set_ticker(s, "ETH_USDT", "100")

    real = effects._create_intent

    def explode(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)  # the intent is flushed, then the transaction fails
        raise RuntimeError("crash between intent and commit")

    monkeypatch.setattr(effects, "_create_intent", explode)
    report = run_cycle(sessions, settings, now=NOW)
    assert report.errors == 1
    btc = _state(sessions, "BTC_USDT")
    assert (btc.alert_status, btc.alert_block_reason) == ("ERROR", "EFFECTS_FAILED:RuntimeError")
    assert btc.last_alert_at_utc is None
    with sessions() as s:
        assert s.scalars(select(SignalThrottleState.symbol)).all() == ["ETH_USDT"]
        assert s.scalars(select(TelegramMessage.symbol)).all() == ["ETH_USDT"]
        assert s.scalar(select(func.count()).select_from(OrderIntent)) == 0
    assert _state(sessions, "ETH_USDT").alert_status == "QUEUED"  # the other symbol went on

    monkeypatch.setattr(effects, "_create_intent", real)
    run_cycle(sessions, settings, now=NOW + timedelta(seconds=30))  # decides again, emits once
    assert _count(sessions, OrderIntent) == 1
    assert _count(sessions, TelegramMessage, TelegramMessage.symbol == "BTC_USDT") == 1


def test_one_symbols_exception_never_aborts_the_cycle(
    sessions: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}, "ETH_USDT": {"preset": "test:buy"}})
    from atp.monitor import decide

    real = decide.evaluate

    def flaky(candles: Any, preset: Any, **kwargs: Any) -> Any:
        if kwargs.get("price") is not None and len(candles["1h"]) and flaky.calls == 0:
            flaky.calls += 1
            raise ZeroDivisionError("boom")
        return real(candles, preset, **kwargs)

    def spoiled_batch(items: Any) -> Any:
        raise ZeroDivisionError("one bad symbol spoils the batched evaluation")

    flaky.calls = 0  # type: ignore[attr-defined]
    monkeypatch.setattr(decide, "evaluate", flaky)
    monkeypatch.setattr(decide, "evaluate_many", spoiled_batch)  # -> symbol by symbol
    report = run_cycle(sessions, settings, now=NOW)
    assert report.errors == 1 and report.emitted == 1
    statuses = {_state(sessions, s).alert_status for s in ("BTC_USDT", "ETH_USDT")}
    assert statuses == {"ERROR", "QUEUED"}
    errored = [d for d in report.decisions if d.error]
    assert errored[0].error == "EVALUATION_ERROR:ZeroDivisionError"


def test_unknown_preset_is_an_error_row_with_reason(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "nope:missing"}})
    report = run_cycle(sessions, settings, now=NOW)
    state = _state(sessions, "BTC_USDT")
    assert state.alert_status == "ERROR"
    assert (state.alert_block_reason or "").startswith("PRESET_UNRESOLVED:PRESET_UNKNOWN")
    assert report.errors == 1
