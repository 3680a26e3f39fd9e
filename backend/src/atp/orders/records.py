"""What the order flow writes: fenced transactions, the exchange order mirror, critical alerts.

Every transaction that writes order effects starts with the leader's fence check (atp.ops.leases):
a deposed `atp sync` instance fails before it writes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.outbox import MessageKind, chat_for, enqueue_alert
from atp.db.session import unit_of_work
from atp.ops.leases import Fence
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.ports import OrderState
from atp.orders.positions import set_protection_status
from atp.settings import Settings

log = logging.getLogger(__name__)
_REASON_MAX = 255


@contextmanager
def fenced_tx(sessions: sessionmaker[Session], fence: Fence | None) -> Iterator[Session]:
    """One committed unit of work whose first statement is the fence check (when leading)."""
    with unit_of_work(sessions) as session:
        if fence is not None:
            fence.check(session)
        yield session


def clip(reason: str) -> str:
    return reason[:_REASON_MAX]


def record_order(
    session: Session,
    state: OrderState,
    *,
    intent_id: int | None,
    role: str | None,
    parent_order_id: str | None,
) -> ExchangeOrder:
    """Insert or refresh the mirror row of one exchange order (by exchange order id). Flush."""
    row = session.scalar(
        select(ExchangeOrder).where(ExchangeOrder.exchange_order_id == state.order_id)
    )
    if row is None:
        row = ExchangeOrder(
            exchange_order_id=state.order_id,
            client_oid=state.client_oid,
            intent_id=intent_id,
            symbol=state.symbol,
            side=state.side,
            order_type=str(state.kind),
            order_role=role,
            parent_order_id=parent_order_id,
        )
        session.add(row)
    apply_state(row, state)
    session.flush()
    return row


def apply_state(row: ExchangeOrder, state: OrderState) -> None:
    """Copy what the exchange says about an order onto its mirror row."""
    row.status = str(state.status)
    row.quantity = state.quantity
    row.cumulative_quantity = state.cumulative_quantity
    row.avg_price = state.avg_price
    if state.avg_price is not None:
        row.cumulative_value = state.avg_price * state.cumulative_quantity
    row.price = state.limit_price
    row.ref_price = state.trigger_price
    row.list_id = state.list_id
    row.reject_reason = None if state.reject_reason is None else clip(state.reject_reason)
    row.exchange_create_time = state.created_at
    row.exchange_update_time = state.updated_at


def critical_alert(
    session: Session, settings: Settings, intent: OrderIntent, code: str, text: str
) -> None:
    """Queue a PROTECTION_FAILED message for the ops chat (once per intent, code and attempt)."""
    key = f"orders:{code}:{intent.client_oid}:{intent.protection_attempts}"
    log.critical("[ORDERS] %s %s intent=%s: %s", code, intent.symbol, intent.id, text)
    enqueue_alert(
        session,
        idempotency_key=key[:128],
        kind=MessageKind.PROTECTION_FAILED,
        symbol=intent.symbol,
        side=intent.side,
        text=f"CRITICAL {code} {intent.symbol}: {text}",
        chat_id=chat_for(MessageKind.PROTECTION_FAILED, settings),
        correlation_id=intent.correlation_id,
        context={"intent_id": intent.id, "client_oid": intent.client_oid, "code": code},
    )


def mark_position(session: Session, symbol: str, status: str, now: datetime) -> None:
    """The position's protection status, when its fills are already recorded (flush only).

    The sync records fills a moment after the flow sees them; a position without a row yet
    gets its status from the next transition or guardian pass.
    """
    try:
        set_protection_status(session, symbol, status, now)
    except LookupError:
        log.debug("no position row for %s yet; protection status %s not recorded", symbol, status)
