"""Chart markers for one symbol in a time range: past signals, alerts and orders.

Read-only, three bounded queries. Where each marker comes from:

- **alert**: an ALERT row of the message ledger that became an alert (queued, sent, failed,
  expired): the monitor wrote it when a BUY/SELL signal passed every alert gate.
- **signal**: an ALERT ledger row with status BLOCKED: a BUY/SELL signal the gates refused
  (throttle, switches, stale data...), with its reason. The monitor writes one such row when the
  reason changes, not one per cycle, so repeats of an unchanged block are one marker.
- **order**: an exchange order of the symbol (entry, stop-loss, take-profit, flatten), placed at
  its fill price when it has one, else its limit/trigger price.

The symbol's current decision is not a marker: it is the `why` answer and the state row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, MessageStatus
from atp.orders.models import ExchangeOrder

SIGNAL, ALERT, ORDER = "signal", "alert", "order"


@dataclass(frozen=True)
class Marker:
    at: datetime
    kind: str  # signal / alert / order
    side: str | None  # BUY / SELL; None for a ledger row without a side (stale data)
    status: str  # ledger status, or the order's status
    price: Decimal | None
    reason: str | None  # block reason, or the order's reject reason
    label: str  # short text for the chart, e.g. "BUY sent", "STOP_LOSS FILLED"
    ref_id: int  # telegram_messages.id or exchange_orders.id


@dataclass(frozen=True)
class MarkerWindow:
    markers: list[Marker]  # oldest first
    truncated: bool  # more than `limit` markers of one kind in the window: the newest are kept


def chart_markers(
    session: Session, symbol: str, *, since: datetime, until: datetime, limit: int
) -> MarkerWindow:
    """Markers of `symbol` with `since <= at < until`, oldest first (at most `limit` per kind)."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must carry a time zone")
    ledger, ledger_cut = _ledger_markers(session, symbol, since, until, limit)
    orders, orders_cut = _order_markers(session, symbol, since, until, limit)
    markers = sorted(ledger + orders, key=lambda m: (m.at, m.kind, m.ref_id))
    return MarkerWindow(markers=markers, truncated=ledger_cut or orders_cut)


def _ledger_markers(
    session: Session, symbol: str, since: datetime, until: datetime, limit: int
) -> tuple[list[Marker], bool]:
    m = TelegramMessage
    rows = list(
        session.scalars(
            select(m)
            .where(
                m.symbol == symbol,
                m.kind == MessageKind.ALERT,
                m.created_at >= since,
                m.created_at < until,
            )
            .order_by(m.created_at.desc(), m.id.desc())
            .limit(limit + 1)
        )
    )
    return [_ledger_marker(r) for r in rows[:limit]], len(rows) > limit


def _ledger_marker(row: TelegramMessage) -> Marker:
    blocked = row.status == MessageStatus.BLOCKED
    side = row.side or "DATA"
    label = f"{side} blocked: {row.reason_code}" if blocked else f"{side} {row.status.lower()}"
    return Marker(
        at=row.created_at,
        kind=SIGNAL if blocked else ALERT,
        side=row.side,
        status=row.status,
        price=_price_of(row.context),
        reason=row.reason_code,
        label=label,
        ref_id=row.id,
    )


def _price_of(context: dict[str, Any] | None) -> Decimal | None:
    raw = (context or {}).get("price")
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:  # an old or foreign row: no price rather than a failed chart
        return None


def _order_markers(
    session: Session, symbol: str, since: datetime, until: datetime, limit: int
) -> tuple[list[Marker], bool]:
    o = ExchangeOrder
    rows = list(
        session.scalars(
            select(o)
            .where(o.symbol == symbol, o.created_at >= since, o.created_at < until)
            .order_by(o.created_at.desc(), o.id.desc())
            .limit(limit + 1)
        )
    )
    return [_order_marker(r) for r in rows[:limit]], len(rows) > limit


def _order_marker(row: ExchangeOrder) -> Marker:
    filled = row.avg_price is not None and (row.cumulative_quantity or 0) > 0
    at = (row.exchange_update_time if filled else row.exchange_create_time) or row.created_at
    return Marker(
        at=at,
        kind=ORDER,
        side=row.side,
        status=row.status,
        price=row.avg_price if filled else (row.price or row.ref_price),
        reason=row.reject_reason,
        label=f"{row.order_role or row.order_type} {row.side} {row.status.lower()}",
        ref_id=row.id,
    )
