"""The alert and trade gates, in their documented order, each with a machine-readable reason.

Pure functions: the cycle and the dry-run evaluation call the same code, so "why" is computed
once and stored, never re-derived. Every gate is reported (passed / blocked / not evaluated);
the first blocking gate is the reason stored on the state row and in the message ledger.

Alert gates, in order:
  MARKET_DATA_STALE -> NO_SIGNAL -> SIDE_DISABLED -> THROTTLED_TIME_GATE -> THROTTLED_PRICE_GATE
  -> TELEGRAM_DISABLED:<reason>
Trade gates (only after an alert is emitted; they never suppress the alert), in order:
  KILL_SWITCH -> LIVE_TRADING_OFF -> ALERTS_NOT_DELIVERED -> TRADE_DISABLED -> SIDE_NOT_TRADED -> INVALID_TRADE_AMOUNT
  -> MAX_USD_PER_ORDER -> MAX_OPEN_ORDERS_PER_COIN -> MAX_OPEN_ORDERS_TOTAL
  -> MIN_SECONDS_BETWEEN_ORDERS -> MAX_ORDERS_PER_SYMBOL_PER_DAY
LIVE_TRADING_OFF blocks only when entries spend real money (TRADING_MODE=live; the rule is
atp.orders.checks.live_trading_required, which the order flow applies again at execution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from atp.monitor.activity import OrderActivity, base_currency
from atp.monitor.switches import TradingSwitches

REASON_MAX_LEN = 255


class AlertGate(StrEnum):
    MARKET_DATA_STALE = "MARKET_DATA_STALE"
    NO_SIGNAL = "NO_SIGNAL"
    SIDE_DISABLED = "SIDE_DISABLED"
    MUTED = "MUTED"
    THROTTLED_TIME_GATE = "THROTTLED_TIME_GATE"
    THROTTLED_PRICE_GATE = "THROTTLED_PRICE_GATE"
    TELEGRAM_DISABLED = "TELEGRAM_DISABLED"


class TradeGate(StrEnum):
    KILL_SWITCH = "KILL_SWITCH"
    LIVE_TRADING_OFF = "LIVE_TRADING_OFF"
    ALERTS_NOT_DELIVERED = "ALERTS_NOT_DELIVERED"
    TRADE_DISABLED = "TRADE_DISABLED"
    SIDE_NOT_TRADED = "SIDE_NOT_TRADED"
    INVALID_TRADE_AMOUNT = "INVALID_TRADE_AMOUNT"
    MAX_USD_PER_ORDER = "MAX_USD_PER_ORDER"
    MAX_OPEN_ORDERS_PER_COIN = "MAX_OPEN_ORDERS_PER_COIN"
    MAX_OPEN_ORDERS_TOTAL = "MAX_OPEN_ORDERS_TOTAL"
    MIN_SECONDS_BETWEEN_ORDERS = "MIN_SECONDS_BETWEEN_ORDERS"
    MAX_ORDERS_PER_SYMBOL_PER_DAY = "MAX_ORDERS_PER_SYMBOL_PER_DAY"


@dataclass(frozen=True)
class GateResult:
    """One gate: `passed` is None when it could not be evaluated (an earlier gate decided)."""

    gate: str
    passed: bool | None
    reason: str | None = None  # the stored code when blocked, e.g. TELEGRAM_DISABLED:token_missing
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "passed": self.passed,
            "reason": self.reason,
            "detail": self.detail,
        }


def first_block(results: Sequence[GateResult]) -> GateResult | None:
    return next((r for r in results if r.passed is False), None)


def _code(text: str) -> str:
    return text if len(text) <= REASON_MAX_LEN else text[: REASON_MAX_LEN - 3] + "..."


def _ok(gate: StrEnum, detail: str = "") -> GateResult:
    return GateResult(str(gate), True, None, detail)


def _block(gate: StrEnum, detail: str, suffix: str | None = None) -> GateResult:
    reason = str(gate) if suffix is None else f"{gate}:{suffix}"
    return GateResult(str(gate), False, _code(reason), detail)


def _skip(gate: StrEnum, why: str) -> GateResult:
    return GateResult(str(gate), None, None, f"not evaluated: {why}")


@dataclass(frozen=True)
class ThrottleView:
    """The throttle verdict for the signal's side, as returned by atp.core.throttle."""

    allowed: bool
    reason: str | None
    detail: str


@dataclass(frozen=True)
class AlertGateInput:
    fresh: bool
    freshness_detail: str
    side: str | None  # BUY / SELL, None = no signal
    no_signal: str  # why there is no signal, e.g. BUY(rsi_below);SELL(rsi_above)
    side_enabled: bool
    throttle: ThrottleView | None  # None when there is no side to throttle
    telegram_enabled: bool
    telegram_reasons: Sequence[str]
    muted: str | None = None  # e.g. "muted until 2026-11-29T18:00:00+00:00"; None = not muted


# The gates between the freshness verdict and Telegram, in order.
_SIGNAL_GATES = [
    g for g in AlertGate if g not in (AlertGate.MARKET_DATA_STALE, AlertGate.TELEGRAM_DISABLED)
]


def alert_gates(inp: AlertGateInput) -> list[GateResult]:
    """Every alert gate in order; gates after a decisive block are reported but not evaluated."""
    out = [
        _ok(AlertGate.MARKET_DATA_STALE, inp.freshness_detail)
        if inp.fresh
        else _block(AlertGate.MARKET_DATA_STALE, inp.freshness_detail)
    ]
    if not inp.fresh:
        why = "market data is stale, no decision was made"
        out += [_skip(g, why) for g in _SIGNAL_GATES]
    elif inp.side is None:
        why = inp.no_signal or "unknown"
        out.append(_block(AlertGate.NO_SIGNAL, f"failing conditions: {why}", why))
        out += [_skip(g, "no signal") for g in _SIGNAL_GATES[1:]]
    else:
        out.append(_ok(AlertGate.NO_SIGNAL, f"signal {inp.side}"))
        out.append(
            _ok(AlertGate.SIDE_DISABLED, f"{inp.side.lower()}_alert_enabled")
            if inp.side_enabled
            else _block(AlertGate.SIDE_DISABLED, f"{inp.side.lower()}_alert_enabled is off")
        )
        out.append(
            _ok(AlertGate.MUTED, "not muted")
            if inp.muted is None
            else _block(AlertGate.MUTED, inp.muted)
        )
        out += _throttle_gates(inp.throttle)
    out.append(_telegram_gate(inp.telegram_enabled, inp.telegram_reasons))
    return out


def _throttle_gates(view: ThrottleView | None) -> list[GateResult]:
    if view is None:
        return [
            _skip(AlertGate.THROTTLED_TIME_GATE, "no throttle state"),
            _skip(AlertGate.THROTTLED_PRICE_GATE, "no throttle state"),
        ]
    if view.reason == AlertGate.THROTTLED_TIME_GATE:
        return [
            _block(AlertGate.THROTTLED_TIME_GATE, view.detail),
            _skip(AlertGate.THROTTLED_PRICE_GATE, "time gate is closed"),
        ]
    if view.reason == AlertGate.THROTTLED_PRICE_GATE:
        return [
            _ok(AlertGate.THROTTLED_TIME_GATE, "cooldown elapsed"),
            _block(AlertGate.THROTTLED_PRICE_GATE, view.detail),
        ]
    if not view.allowed:  # an unknown refusal is still a refusal, never a silent pass
        return [
            _block(AlertGate.THROTTLED_TIME_GATE, view.detail, view.reason or "UNKNOWN"),
            _skip(AlertGate.THROTTLED_PRICE_GATE, "throttle refused"),
        ]
    return [
        _ok(AlertGate.THROTTLED_TIME_GATE, view.detail),
        _ok(AlertGate.THROTTLED_PRICE_GATE, view.detail),
    ]


def _telegram_gate(enabled: bool, reasons: Sequence[str]) -> GateResult:
    if enabled and reasons:  # the embedded default's console notifier (not-production reasons)
        return _ok(
            AlertGate.TELEGRAM_DISABLED, "console notifier; Telegram off: " + ",".join(reasons)
        )
    if enabled:
        return _ok(AlertGate.TELEGRAM_DISABLED, "telegram enabled")
    joined = ",".join(reasons) or "unknown"
    return _block(AlertGate.TELEGRAM_DISABLED, f"telegram disabled: {joined}", joined)


@dataclass(frozen=True)
class TradeGateInput:
    symbol: str
    side: str
    trade_enabled: bool
    trade_amount_usd: Decimal | None
    switches: TradingSwitches
    activity: OrderActivity
    now: datetime
    # The notifier kind when alerts do not reach Telegram and TRADING_MODE is not paper.
    alerts_not_delivered: str | None = None
    # False in paper mode: LIVE_TRADING guards real money only (atp.orders.checks).
    live_trading_required: bool = True


def trade_gates(inp: TradeGateInput) -> list[GateResult]:
    """Every trade gate in order (all are cheap, so all are evaluated and reported)."""
    sw = inp.switches
    amount = inp.trade_amount_usd
    amount_ok = amount is not None and amount.is_finite() and amount > 0
    out = [
        _check(TradeGate.KILL_SWITCH, not sw.kill_switch, "kill switch is ON"),
        _live_trading_gate(sw.live_trading, inp.live_trading_required),
        _delivery_gate(inp.alerts_not_delivered),
        _check(TradeGate.TRADE_DISABLED, inp.trade_enabled, "trade_enabled is off for the symbol"),
        _check(
            TradeGate.SIDE_NOT_TRADED,
            inp.side == "BUY",
            "only BUY alerts open orders; SELL alerts are informational",
        ),
        _check(
            TradeGate.INVALID_TRADE_AMOUNT,
            amount_ok,
            f"trade_amount_usd must be a positive amount, got {amount}",
        ),
    ]
    if amount_ok and amount is not None:
        out.append(
            _check(
                TradeGate.MAX_USD_PER_ORDER,
                amount <= sw.max_usd_per_order,
                f"trade_amount_usd {amount} exceeds max {sw.max_usd_per_order}",
            )
        )
    else:
        out.append(_skip(TradeGate.MAX_USD_PER_ORDER, "no valid amount"))
    out += _activity_gates(inp)
    return out


def _activity_gates(inp: TradeGateInput) -> list[GateResult]:
    sw, act = inp.switches, inp.activity
    coin = base_currency(inp.symbol)
    per_coin = act.open_by_coin.get(coin, 0)
    last = act.last_order_at.get(inp.symbol)
    since = None if last is None else (inp.now - last).total_seconds()
    today = act.orders_today.get(inp.symbol, 0)
    return [
        _check(
            TradeGate.MAX_OPEN_ORDERS_PER_COIN,
            per_coin < sw.max_open_orders_per_coin,
            f"{per_coin} open for {coin}, max {sw.max_open_orders_per_coin}",
        ),
        _check(
            TradeGate.MAX_OPEN_ORDERS_TOTAL,
            act.open_total < sw.max_open_orders_total,
            f"{act.open_total} open in total, max {sw.max_open_orders_total}",
        ),
        _check(
            TradeGate.MIN_SECONDS_BETWEEN_ORDERS,
            since is None or since >= sw.min_seconds_between_orders,
            f"last order for {inp.symbol} {since if since is None else int(since)} s ago, "
            f"minimum {sw.min_seconds_between_orders} s",
        ),
        _check(
            TradeGate.MAX_ORDERS_PER_SYMBOL_PER_DAY,
            today < sw.max_orders_per_symbol_per_day,
            f"{today} orders today for {inp.symbol}, max {sw.max_orders_per_symbol_per_day}",
        ),
    ]


def _live_trading_gate(live_trading: bool, required: bool) -> GateResult:
    if not required:
        return _ok(TradeGate.LIVE_TRADING_OFF, "paper trading: LIVE_TRADING is not needed")
    return _check(TradeGate.LIVE_TRADING_OFF, live_trading, "LIVE_TRADING is off")


def _delivery_gate(notifier: str | None) -> GateResult:
    if notifier is None:
        return _ok(TradeGate.ALERTS_NOT_DELIVERED)
    detail = f"alerts go to the {notifier}, not Telegram, and TRADING_MODE is live"
    return _block(TradeGate.ALERTS_NOT_DELIVERED, detail, notifier)


def _check(gate: TradeGate, ok: bool, detail_if_blocked: str) -> GateResult:
    return _ok(gate) if ok else _block(gate, detail_if_blocked)
