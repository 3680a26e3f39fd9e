"""Telegram messages about orders and positions, queued in the alert outbox.

Each message has an idempotency key derived from exchange ids (the order id, the entry order id,
the closing trade id), so a re-sync or a restart that sees the same event again finds the row
already queued and sends nothing twice. Protection failures are critical and go to the ops chat
when one is configured (atp.alerts.outbox.chat_for). Functions only flush; callers commit, in the
same transaction as the fill or order update that caused the message.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from sqlalchemy.orm import Session

from atp.alerts.formatting import (
    OrderFilledContent,
    PositionClosedContent,
    ProtectionContent,
    format_order_filled,
    format_position_closed,
    format_protection_failed,
    format_protection_placed,
)
from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, chat_for, enqueue_alert
from atp.orders.ports import Fill
from atp.orders.positions import FillOutcome, round_trip_exits
from atp.settings import Settings


def order_filled_key(order_id: str) -> str:
    return f"order-filled:{order_id}"


def protection_placed_key(entry_order_id: str) -> str:
    return f"protection-placed:{entry_order_id}"


def protection_failed_key(entry_order_id: str, incident: str = "") -> str:
    return f"protection-failed:{entry_order_id}" + (f":{incident}" if incident else "")


def position_closed_key(symbol: str, closing_trade_id: str) -> str:
    return f"position-closed:{symbol}:{closing_trade_id}"


def notify_order_filled(
    session: Session,
    settings: Settings,
    filled: OrderFilledContent,
    *,
    correlation_id: str | None = None,
) -> TelegramMessage:
    """One message per filled order (however many fills and syncs it took)."""
    return _enqueue(
        session,
        settings,
        key=order_filled_key(filled.order_id),
        kind=MessageKind.ORDER_FILLED,
        symbol=filled.symbol,
        side=filled.side.upper(),
        text=format_order_filled(filled, settings.display_timezone),
        correlation_id=correlation_id,
        context={"order_id": filled.order_id, "quantity": str(filled.quantity)},
    )


def notify_protection_placed(
    session: Session,
    settings: Settings,
    protection: ProtectionContent,
    *,
    correlation_id: str | None = None,
) -> TelegramMessage:
    return _enqueue(
        session,
        settings,
        key=protection_placed_key(protection.entry_order_id),
        kind=MessageKind.PROTECTION_PLACED,
        symbol=protection.symbol,
        side=protection.side.upper(),
        text=format_protection_placed(protection, settings.display_timezone),
        correlation_id=correlation_id,
        context={"entry_order_id": protection.entry_order_id},
    )


def notify_protection_failed(
    session: Session,
    settings: Settings,
    protection: ProtectionContent,
    *,
    incident: str = "",
    correlation_id: str | None = None,
) -> TelegramMessage:
    """Critical, to the ops chat. One message per entry and `incident`: the order flow leaves
    `incident` empty; the guardian passes its own id for a later, separate loss of protection."""
    return _enqueue(
        session,
        settings,
        key=protection_failed_key(protection.entry_order_id, incident),
        kind=MessageKind.PROTECTION_FAILED,
        symbol=protection.symbol,
        side=protection.side.upper(),
        text=format_protection_failed(protection, settings.display_timezone),
        correlation_id=correlation_id,
        context={
            "entry_order_id": protection.entry_order_id,
            "reason_code": protection.reason_code,
            "critical": True,
        },
    )


def notify_position_closed(
    session: Session,
    settings: Settings,
    closed: PositionClosedContent,
    *,
    closing_trade_id: str,
    correlation_id: str | None = None,
) -> TelegramMessage:
    return _enqueue(
        session,
        settings,
        key=position_closed_key(closed.symbol, closing_trade_id),
        kind=MessageKind.POSITION_CLOSED,
        symbol=closed.symbol,
        side=None,
        text=format_position_closed(closed, settings.display_timezone),
        correlation_id=correlation_id,
        context={
            "closing_trade_id": closing_trade_id,
            "realised_pnl": str(closed.realised_pnl),
            "fees": str(closed.fees),
        },
    )


def position_closed_content(
    session: Session, fill: Fill, outcome: FillOutcome
) -> PositionClosedContent:
    """The message for a fill that closed its position (`outcome.closed`): the whole round
    trip's exit quantity and average exit price, read from the fill ledger."""
    if not outcome.closed:
        raise ValueError(f"fill {fill.trade_id} did not close its position")
    long = outcome.before.quantity > 0
    quantity, exit_price = round_trip_exits(
        session, fill.symbol, outcome.position.opened_at, "SELL" if long else "BUY"
    )
    return PositionClosedContent(
        symbol=fill.symbol,
        direction=outcome.before.direction,
        quantity=_plain(quantity),
        entry_price=_plain(outcome.before.avg_entry),
        exit_price=_plain(exit_price),
        realised_pnl=outcome.after.realised_pnl,
        fees=outcome.after.fees_paid,
        closing_order_id=fill.order_id,
        closed_at=fill.traded_at,
    )


def _plain(value: Decimal) -> Decimal:
    """Without the storage scale's trailing zeros, the same on PostgreSQL and SQLite."""
    with localcontext() as ctx:
        ctx.prec = 80
        stripped = value.normalize()
    return stripped.quantize(Decimal(1)) if stripped == stripped.to_integral_value() else stripped


def _enqueue(
    session: Session,
    settings: Settings,
    *,
    key: str,
    kind: MessageKind,
    symbol: str | None,
    side: str | None,
    text: str,
    correlation_id: str | None,
    context: dict[str, object],
) -> TelegramMessage:
    return enqueue_alert(
        session,
        idempotency_key=key,
        kind=kind,
        symbol=symbol,
        side=side,
        text=text,
        chat_id=chat_for(kind, settings),
        correlation_id=correlation_id,
        context=context,
    )
