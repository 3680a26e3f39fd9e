"""One symbol's decision: evaluate the strategy, then run the gates. No I/O.

Shared by the cycle (which then applies the effects) and the dry run (which only reports).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from atp.core.strategies.batch import EvaluationItem
from atp.core.strategy import INSUFFICIENT_DATA, NO_SIGNAL, Decision, evaluate, evaluate_many
from atp.core.throttle import evaluate_throttle
from atp.market.freshness import Freshness
from atp.monitor.activity import OrderActivity
from atp.monitor.gates import (
    AlertGateInput,
    GateResult,
    ThrottleView,
    TradeGateInput,
    alert_gates,
    first_block,
    trade_gates,
)
from atp.monitor.inputs import SymbolInput
from atp.monitor.switches import TradingSwitches
from atp.monitor.throttle_state import ThrottleMemory

log = logging.getLogger(__name__)

# alert_status / trade_status values stored on watchlist_signal_state
QUEUED = "QUEUED"  # written to the durable outbox (delivery is tracked on the ledger row)
BLOCKED = "BLOCKED"
NONE = "NONE"
ERROR = "ERROR"
INTENT_CREATED = "INTENT_CREATED"

_LEVEL_DIGITS = 12
_PRICE_SCALE = 18


@dataclass(frozen=True)
class TelegramGateState:
    """Telegram as the alert gate sees it: the console notifier (embedded default) counts as open."""

    open: bool
    reasons: tuple[str, ...]
    notifier: str
    # The notifier kind when order intents must not follow its alerts (alerts that do not
    # reach Telegram, outside TRADING_MODE=paper); None = intents may follow.
    refuses_intents: str | None = None


@dataclass(frozen=True)
class CycleContext:
    now: datetime
    switches: TradingSwitches
    telegram: TelegramGateState


@dataclass
class SymbolDecision:
    symbol: str
    correlation_id: str
    evaluated_at: datetime
    strategy_key: str | None = None
    side: str = "NONE"
    price: Decimal | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    indicators: dict[str, Any] = field(default_factory=dict)
    decision_reason: str | None = None
    sl_price: Decimal | None = None
    tp_price: Decimal | None = None
    memory: ThrottleMemory | None = None
    alert_gates: list[GateResult] = field(default_factory=list)
    trade_gates: list[GateResult] = field(default_factory=list)
    error: str | None = None

    @property
    def alert_block(self) -> GateResult | None:
        return first_block(self.alert_gates)

    @property
    def trade_block(self) -> GateResult | None:
        return first_block(self.trade_gates)

    @property
    def emits(self) -> bool:
        """An alert goes to the outbox: a BUY/SELL signal that passed every alert gate."""
        return (
            self.error is None
            and self.side in ("BUY", "SELL")
            and bool(self.alert_gates)
            and self.alert_block is None
        )

    @property
    def creates_intent(self) -> bool:
        return self.emits and bool(self.trade_gates) and self.trade_block is None

    def alert_outcome(self) -> tuple[str, str | None, str | None]:
        """(status, reason, detail) for the state row."""
        if self.error is not None:
            return ERROR, self.error, None
        if self.emits:
            return QUEUED, None, None
        block = self.alert_block
        if block is None:
            return NONE, None, None
        status = NONE if block.gate == "NO_SIGNAL" else BLOCKED
        return status, block.reason, block.detail[:500]

    def trade_outcome(self) -> tuple[str, str | None, str | None]:
        """Trades only follow an emitted alert; otherwise the alert's reason explains it."""
        if not self.emits:
            status, reason, detail = self.alert_outcome()
            return (ERROR if status == ERROR else NONE), reason, detail
        block = self.trade_block
        if block is not None:
            return BLOCKED, block.reason, block.detail[:500]
        return INTENT_CREATED, None, None


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def evaluate_fresh(inputs: Sequence[SymbolInput]) -> list[Decision | None]:
    """The strategy decision of every symbol that will be evaluated, in one batched call.

    `evaluate_many` equals `evaluate` per symbol but stacks the symbols into 2-D arrays. If the
    batch raises (one bad input spoils it), every entry is None and each symbol is evaluated on
    its own in `decide_symbol`, so the failure stays that symbol's ERROR row.
    """
    chosen: list[int] = []
    items: list[EvaluationItem] = []
    for index, inp in enumerate(inputs):
        if inp.params is not None and _fresh(inp):
            chosen.append(index)
            items.append((inp.candles, inp.params, None, inp.price))
    out: list[Decision | None] = [None] * len(inputs)
    try:
        decisions = evaluate_many(items)
    except Exception:
        log.warning(
            "[MONITOR] batched evaluation failed; evaluating symbol by symbol", exc_info=True
        )
        return out
    for index, decision in zip(chosen, decisions, strict=True):
        out[index] = decision
    return out


def _fresh(inp: SymbolInput) -> bool:
    """Closed candles within their limits and a fresh ticker (the price): else MARKET_DATA_STALE."""
    candles_ok = inp.freshness is not None and inp.freshness.fresh
    ticker_ok = inp.ticker is not None and inp.ticker.fresh and inp.price is not None
    return candles_ok and ticker_ok


def decide_symbol(
    inp: SymbolInput, ctx: CycleContext, evaluated: Decision | None = None
) -> SymbolDecision:
    """Evaluate and gate one symbol; any exception becomes an ERROR decision, never a crash.

    `evaluated` is this symbol's decision from `evaluate_fresh` (None: evaluate here).
    """
    out = SymbolDecision(inp.item.symbol, new_correlation_id(), ctx.now, inp.strategy_key)
    try:
        _decide(inp, ctx, out, evaluated)
    except Exception as exc:
        log.exception("[MONITOR] evaluation failed symbol=%s", inp.item.symbol)
        out.error = f"EVALUATION_ERROR:{exc.__class__.__name__}"[:255]
        out.alert_gates, out.trade_gates = [], []
    return out


def _decide(
    inp: SymbolInput, ctx: CycleContext, out: SymbolDecision, evaluated: Decision | None
) -> None:
    if inp.params is None:
        out.error = f"PRESET_UNRESOLVED:{inp.preset_error or 'unknown'}"[:255]
        return
    fresh = _fresh(inp)
    side: str | None = None
    no_signal = ""
    if fresh:
        decision = evaluated or evaluate(inp.candles, inp.params, price=inp.price)
        _copy_decision(decision, inp, out)
        side = decision.side if decision.side in ("BUY", "SELL") else None
        no_signal = _no_signal_reason(decision)
    else:
        out.price = inp.price
    throttle = _throttle(inp, out, side, ctx.now)
    out.alert_gates = alert_gates(
        AlertGateInput(
            fresh=fresh,
            freshness_detail=_freshness_detail(inp),
            side=side,
            no_signal=no_signal,
            side_enabled=_side_enabled(inp, side),
            throttle=throttle,
            telegram_enabled=ctx.telegram.open,
            telegram_reasons=ctx.telegram.reasons,
            muted=_muted(inp, ctx.now),
        )
    )


def _copy_decision(decision: Decision, inp: SymbolInput, out: SymbolDecision) -> None:
    """Indicators may be floats; the price is the ticker's Decimal, SL/TP derive from it."""
    out.side = decision.side
    out.conditions = [c.to_dict() for c in decision.conditions]
    out.indicators = dict(decision.indicators)
    out.decision_reason = decision.reason
    out.price = inp.price
    out.sl_price, out.tp_price = (
        quantize_level(decision.sl_price),
        quantize_level(decision.tp_price),
    )


def quantize_level(value: Decimal | None) -> Decimal | None:
    """An SL/TP level to 12 significant digits, at most 18 decimals (the price columns' scale).

    Levels are computed in Decimal from the ticker price and a percentage or ATR, which can
    give 28 digits; the order path still rounds them to the instrument's tick.
    """
    if value is None or not value.is_finite() or value == 0:
        return value
    exponent = max(value.adjusted() - _LEVEL_DIGITS + 1, -_PRICE_SCALE)
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)


def _no_signal_reason(decision: Decision) -> str:
    if decision.reason == INSUFFICIENT_DATA:
        return f"{INSUFFICIENT_DATA}({','.join(decision.missing)})"
    if decision.reason != NO_SIGNAL:
        return decision.reason
    parts = []
    for side in ("BUY", "SELL"):
        failing = [c.name for c in decision.conditions if c.side == side and not c.passed]
        if failing:
            parts.append(f"{side}({','.join(failing)})")
    return ";".join(parts)


def _freshness_detail(inp: SymbolInput) -> str:
    """The candles' verdict, then the ticker's (the failing one first), with their evidence."""
    verdicts = [inp.freshness, inp.ticker]
    if any(v is None for v in verdicts):
        return "no freshness verdict"
    ordered = sorted((v for v in verdicts if v is not None), key=lambda v: v.fresh)
    return "; ".join(_describe(v) for v in ordered)


def _describe(f: Freshness) -> str:
    age = "none" if f.age_s is None else f"{f.age_s:.0f}"
    verdict = "fresh" if f.fresh else f"stale ({f.reason})"
    text = f"{verdict}: timeframe={f.timeframe} age_s={age} limit_s={f.limit_s:.0f}"
    return text + (f" [{f.detail}]" if f.detail else "")


def _muted(inp: SymbolInput, now: datetime) -> str | None:
    until = inp.item.muted_until
    return None if until is None or until <= now else f"muted until {until.isoformat()}"


def _side_enabled(inp: SymbolInput, side: str | None) -> bool:
    if side == "BUY":
        return inp.item.buy_alert_enabled
    if side == "SELL":
        return inp.item.sell_alert_enabled
    return False


def _throttle(
    inp: SymbolInput, out: SymbolDecision, side: str | None, now: datetime
) -> ThrottleView | None:
    if side is None or inp.params is None or out.price is None:
        return None
    memory = inp.memory.get(side)
    out.memory = memory
    cooldown = inp.item.alert_cooldown_minutes
    min_change = inp.item.min_price_change_pct
    result = evaluate_throttle(
        now=now,
        price=out.price,
        last_sent_at=None if memory is None else memory.last_sent_at,
        last_sent_price=None if memory is None else memory.last_sent_price,
        cooldown_minutes=inp.params.cooldown_minutes if cooldown is None else cooldown,
        min_price_change_pct=inp.params.min_price_change_pct if min_change is None else min_change,
    )
    return ThrottleView(result.allowed, result.reason, result.detail)


def gate_trade(
    decision: SymbolDecision,
    inp: SymbolInput,
    switches: TradingSwitches,
    activity: OrderActivity,
    telegram: TelegramGateState | None = None,
    *,
    live_trading_required: bool = True,
) -> None:
    """Fill `decision.trade_gates` (called for emitted alerts, and always by the dry run).

    `live_trading_required`: atp.orders.checks.live_trading_required(settings) (False on paper)."""
    if decision.side not in ("BUY", "SELL"):
        return
    decision.trade_gates = trade_gates(
        TradeGateInput(
            symbol=decision.symbol,
            side=decision.side,
            alerts_not_delivered=None if telegram is None else telegram.refuses_intents,
            live_trading_required=live_trading_required,
            trade_enabled=inp.item.trade_enabled,
            trade_amount_usd=inp.item.trade_amount_usd,
            switches=switches,
            activity=activity,
            now=decision.evaluated_at,
        )
    )
