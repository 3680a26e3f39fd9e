"""The gate order and reasons (pure): every alert and trade gate, and what "not evaluated" means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from atp.monitor.activity import OrderActivity, base_currency
from atp.monitor.gates import (
    AlertGate,
    AlertGateInput,
    ThrottleView,
    TradeGate,
    TradeGateInput,
    alert_gates,
    first_block,
    trade_gates,
)
from atp.monitor.switches import TradingSwitches

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
OPEN = ThrottleView(True, None, "first alert")


def _alert(**changes: object) -> AlertGateInput:
    values: dict[str, object] = {
        "fresh": True,
        "freshness_detail": "fresh",
        "side": "BUY",
        "no_signal": "",
        "side_enabled": True,
        "throttle": OPEN,
        "telegram_enabled": True,
        "telegram_reasons": (),
    }
    values.update(changes)
    return AlertGateInput(**values)  # type: ignore[arg-type]


def test_alert_gates_are_reported_in_the_documented_order() -> None:
    results = alert_gates(_alert())
    assert [r.gate for r in results] == [g.value for g in AlertGate]
    assert all(r.passed for r in results)
    assert first_block(results) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"fresh": False, "freshness_detail": "stale (FETCH_TOO_OLD)"}, "MARKET_DATA_STALE"),
        (
            {"side": None, "no_signal": "BUY(rsi_below);SELL(rsi_above)"},
            "NO_SIGNAL:BUY(rsi_below);SELL(rsi_above)",
        ),
        ({"side_enabled": False}, "SIDE_DISABLED"),
        ({"muted": "muted until 2026-05-01T13:00:00+00:00"}, "MUTED"),
        (
            {"throttle": ThrottleView(False, "THROTTLED_TIME_GATE", "2 min < 10 min")},
            "THROTTLED_TIME_GATE",
        ),
        (
            {"throttle": ThrottleView(False, "THROTTLED_PRICE_GATE", "0.1 % < 1 %")},
            "THROTTLED_PRICE_GATE",
        ),
        (
            {"telegram_enabled": False, "telegram_reasons": ("token_missing", "chat_id_missing")},
            "TELEGRAM_DISABLED:token_missing,chat_id_missing",
        ),
    ],
)
def test_each_alert_gate_blocks_with_its_reason(changes: dict[str, object], reason: str) -> None:
    block = first_block(alert_gates(_alert(**changes)))
    assert block is not None
    assert block.reason == reason


def test_stale_data_makes_no_decision_and_later_gates_are_not_evaluated() -> None:
    results = alert_gates(_alert(fresh=False, side=None))
    by_gate = {r.gate: r for r in results}
    assert by_gate["MARKET_DATA_STALE"].passed is False
    for gate in (
        "NO_SIGNAL",
        "SIDE_DISABLED",
        "MUTED",
        "THROTTLED_TIME_GATE",
        "THROTTLED_PRICE_GATE",
    ):
        assert by_gate[gate].passed is None
        assert by_gate[gate].detail.startswith("not evaluated")


def test_time_gate_block_leaves_price_gate_unevaluated() -> None:
    results = alert_gates(_alert(throttle=ThrottleView(False, "THROTTLED_TIME_GATE", "x")))
    by_gate = {r.gate: r for r in results}
    assert by_gate["THROTTLED_PRICE_GATE"].passed is None


def test_an_unknown_throttle_refusal_is_never_a_silent_pass() -> None:
    block = first_block(alert_gates(_alert(throttle=ThrottleView(False, None, "?"))))
    assert block is not None and block.reason == "THROTTLED_TIME_GATE:UNKNOWN"


def test_long_no_signal_reason_is_truncated_to_the_column() -> None:
    block = first_block(alert_gates(_alert(side=None, no_signal="x" * 400)))
    assert block is not None and block.reason is not None
    assert len(block.reason) == 255


def _trade(**changes: object) -> TradeGateInput:
    values: dict[str, object] = {
        "symbol": "BTC_USDT",
        "side": "BUY",
        "trade_enabled": True,
        "trade_amount_usd": Decimal("50"),
        "switches": TradingSwitches(live_trading=True),
        "activity": OrderActivity(),
        "now": NOW,
    }
    values.update(changes)
    return TradeGateInput(**values)  # type: ignore[arg-type]


def test_trade_gates_pass_and_are_in_order() -> None:
    results = trade_gates(_trade())
    assert [r.gate for r in results] == [g.value for g in TradeGate]
    assert first_block(results) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"switches": TradingSwitches(kill_switch=True, live_trading=True)}, "KILL_SWITCH"),
        ({"switches": TradingSwitches(live_trading=False)}, "LIVE_TRADING_OFF"),
        ({"trade_enabled": False}, "TRADE_DISABLED"),
        ({"side": "SELL"}, "SIDE_NOT_TRADED"),
        ({"trade_amount_usd": None}, "INVALID_TRADE_AMOUNT"),
        ({"trade_amount_usd": Decimal("0")}, "INVALID_TRADE_AMOUNT"),
        ({"trade_amount_usd": Decimal("100.01")}, "MAX_USD_PER_ORDER"),
        (
            {"activity": OrderActivity(open_by_coin={"BTC": 3}, open_total=3)},
            "MAX_OPEN_ORDERS_PER_COIN",
        ),
        ({"activity": OrderActivity(open_total=10)}, "MAX_OPEN_ORDERS_TOTAL"),
        (
            {"activity": OrderActivity(last_order_at={"BTC_USDT": NOW - timedelta(seconds=599)})},
            "MIN_SECONDS_BETWEEN_ORDERS",
        ),
        (
            {"activity": OrderActivity(orders_today={"BTC_USDT": 2})},
            "MAX_ORDERS_PER_SYMBOL_PER_DAY",
        ),
    ],
)
def test_each_trade_gate_blocks_with_its_reason(changes: dict[str, object], reason: str) -> None:
    block = first_block(trade_gates(_trade(**changes)))
    assert block is not None
    assert block.reason == reason


def test_kill_switch_comes_before_everything_else() -> None:
    results = trade_gates(
        _trade(switches=TradingSwitches(kill_switch=True), trade_enabled=False, side="SELL")
    )
    assert first_block(results).reason == "KILL_SWITCH"  # type: ignore[union-attr]
    assert [r.gate for r in results if r.passed is False][:4] == [
        "KILL_SWITCH",
        "LIVE_TRADING_OFF",
        "TRADE_DISABLED",
        "SIDE_NOT_TRADED",
    ]


def test_order_exactly_at_the_spacing_limit_is_allowed() -> None:
    activity = OrderActivity(last_order_at={"BTC_USDT": NOW - timedelta(seconds=600)})
    assert first_block(trade_gates(_trade(activity=activity))) is None


def test_open_orders_count_per_base_currency() -> None:
    assert base_currency("BTC_USDT") == base_currency("BTC_USD") == "BTC"
    assert base_currency("BTCUSD-PERP") == "BTC"
    activity = OrderActivity(open_by_coin={"BTC": 3}, open_total=3)
    block = first_block(trade_gates(_trade(symbol="BTC_USD", activity=activity)))
    assert block is not None and block.reason == "MAX_OPEN_ORDERS_PER_COIN"


def test_record_new_order_updates_every_counter() -> None:
    activity = OrderActivity()
    activity.record_new_order("ETH_USDT", NOW)
    assert activity.open_by_coin == {"ETH": 1}
    assert activity.open_total == 1
    assert activity.orders_today == {"ETH_USDT": 1}
    assert activity.last_order_at == {"ETH_USDT": NOW}
