"""Effects once: throttle update + outbox row + order intent, in the caller's ONE transaction.

`emit` only flushes; the cycle wraps each emitting symbol in its own unit of work, so a failure
anywhere in between (formatting, outbox, intent, a concurrent writer) rolls back all three and
leaves the symbol exactly as before - the next cycle simply decides again.

Concurrency guard (behind the leader lock): the throttle row is advanced with a compare-and-set
on its previous `last_sent_at`, the first row for a (symbol, strategy, side) relies on the unique
constraint, and the alert/intent keys are derived from the baseline they replace. A second
writer with the same view of the world therefore fails instead of sending twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from atp.alerts.formatting import AlertContent, OrderPlan, format_alert
from atp.alerts.formatting import Condition as AlertCondition
from atp.alerts.outbox import MessageKind, chat_for, enqueue_alert
from atp.monitor.decide import SymbolDecision
from atp.monitor.inputs import SymbolInput
from atp.monitor.throttle_state import (
    alert_idempotency_key,
    client_oid_for,
    intent_idempotency_key,
)
from atp.orders.models import OrderIntent
from atp.settings import Settings
from atp.signals.models import SignalThrottleState

INTENT_PENDING = "PENDING"
ALERT_INDICATORS = ("rsi", "ema10", "ma50", "ma200", "volume_ratio", "atr")


class ConcurrentEmitError(RuntimeError):
    """Another writer advanced this throttle state or used this alert key first."""


@dataclass(frozen=True)
class EmitResult:
    alert_key: str
    message_id: int
    intent_id: int | None


def emit(
    session: Session,
    decision: SymbolDecision,
    inp: SymbolInput,
    *,
    settings: Settings,
    config_hash: str,
) -> EmitResult:
    """Write the three effects of one alert (flush only; the caller commits or rolls back)."""
    if not decision.emits or decision.price is None or decision.strategy_key is None:
        raise ValueError(f"{decision.symbol}: nothing to emit")
    key = alert_idempotency_key(
        decision.symbol, decision.strategy_key, decision.side, decision.memory
    )
    _advance_throttle(session, decision, decision.price, config_hash)
    message = enqueue_alert(
        session,
        idempotency_key=key,
        kind=MessageKind.ALERT,
        symbol=decision.symbol,
        side=decision.side,
        text=format_alert(_content(decision, inp), settings.display_timezone),
        chat_id=chat_for(MessageKind.ALERT, settings),
        correlation_id=decision.correlation_id,
        context=_context(decision),
    )
    if message.correlation_id != decision.correlation_id:
        raise ConcurrentEmitError(f"{decision.symbol}: alert {key} already exists")
    intent_id = None
    if decision.creates_intent:
        intent_id = _create_intent(session, decision, inp, key, message.id)
    return EmitResult(key, message.id, intent_id)


def _advance_throttle(
    session: Session, decision: SymbolDecision, price: Decimal, config_hash: str
) -> None:
    memory, now = decision.memory, decision.evaluated_at
    if memory is None:
        session.add(
            SignalThrottleState(
                symbol=decision.symbol,
                strategy_key=decision.strategy_key,
                side=decision.side,
                last_sent_at=now,
                last_sent_price=price,
                config_hash=config_hash,
                updated_at=now,
            )
        )
        session.flush()  # the unique (symbol, strategy_key, side) refuses a concurrent first
        return
    table = SignalThrottleState
    same_baseline = (
        table.last_sent_at.is_(None)
        if memory.last_sent_at is None
        else table.last_sent_at == memory.last_sent_at
    )
    result = session.execute(
        update(table)
        .where(table.id == memory.id, same_baseline)
        .values(
            last_sent_at=now,
            last_sent_price=price,
            previous_sent_price=memory.last_sent_price,
            config_hash=config_hash,
            updated_at=now,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentEmitError(f"{decision.symbol}: throttle state changed underneath")


def _create_intent(
    session: Session, decision: SymbolDecision, inp: SymbolInput, alert_key: str, message_id: int
) -> int:
    intent_key = intent_idempotency_key(alert_key)
    intent = OrderIntent(
        idempotency_key=intent_key,
        client_oid=client_oid_for(intent_key),
        telegram_message_id=message_id,
        symbol=decision.symbol,
        side=decision.side,
        status=INTENT_PENDING,
        amount_usd=inp.item.trade_amount_usd,
        reference_price=decision.price,
        sl_price=decision.sl_price,
        tp_price=decision.tp_price,
        strategy_key=decision.strategy_key,
        correlation_id=decision.correlation_id,
    )
    session.add(intent)
    session.flush()
    return intent.id


def _content(decision: SymbolDecision, inp: SymbolInput) -> AlertContent:
    assert decision.price is not None and decision.strategy_key is not None
    memory = decision.memory
    plan = None
    if decision.creates_intent and inp.item.trade_amount_usd is not None:
        plan = OrderPlan(inp.item.trade_amount_usd, decision.sl_price, decision.tp_price)
    block = decision.trade_block
    return AlertContent(
        symbol=decision.symbol,
        side=decision.side,
        price=decision.price,
        strategy=decision.strategy_key,
        detected_at=decision.evaluated_at,
        previous_alert_price=None if memory is None else memory.last_sent_price,
        indicators={
            k: decision.indicators[k]
            for k in ALERT_INDICATORS
            if decision.indicators.get(k) is not None
        },
        conditions=[
            AlertCondition(c["name"], bool(c["passed"]), _condition_detail(c))
            for c in decision.conditions
            if c.get("side") == decision.side
        ],
        order_plan=plan,
        no_order_reason=None if plan is not None else (block.reason if block else "NO_ORDER"),
    )


def _condition_detail(condition: dict[str, Any]) -> str:
    actual, threshold = condition.get("actual"), condition.get("threshold")
    if actual is None:
        return "undefined"
    return f"{actual:.6g} vs {threshold:.6g}" if threshold is not None else f"{actual:.6g}"


def _context(decision: SymbolDecision) -> dict[str, Any]:
    block = decision.trade_block
    return {
        "strategy_key": decision.strategy_key,
        "price": None if decision.price is None else format(decision.price, "f"),
        "sl_price": None if decision.sl_price is None else format(decision.sl_price, "f"),
        "tp_price": None if decision.tp_price is None else format(decision.tp_price, "f"),
        "decision_reason": decision.decision_reason,
        "indicators": decision.indicators,
        "alert_gates": [g.to_dict() for g in decision.alert_gates],
        "trade_gates": [g.to_dict() for g in decision.trade_gates],
        "trade_block_reason": None if block is None else block.reason,
        "evaluated_at": decision.evaluated_at.isoformat(),
    }
