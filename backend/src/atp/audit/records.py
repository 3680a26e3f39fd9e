"""Batch reads of what the monitor and the sender recorded in the window (one query per table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, MessageStatus
from atp.orders.models import OrderIntent
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from atp.watchlist.models import WatchlistItem


@dataclass
class SymbolRecords:
    """Everything recorded for one symbol that the audit reads."""

    state: WatchlistSignalState | None = None
    blocked: dict[str, dict[str, Any]] = field(default_factory=dict)  # reason -> count/first/last
    alerts: dict[str, int] = field(default_factory=dict)  # emitted alerts by status
    last_alert: TelegramMessage | None = None  # the newest emitted (not BLOCKED) alert
    intents: int = 0
    last_intent: dict[str, Any] | None = None
    throttle: list[dict[str, Any]] = field(default_factory=list)


def load_items(session: Session, symbols: Sequence[str] | None) -> list[WatchlistItem]:
    """The audited watchlist rows: the requested symbols (deleted ones too), else every live row."""
    stmt = select(WatchlistItem)
    if symbols is None:
        stmt = stmt.where(WatchlistItem.is_deleted.is_(False))
    else:
        stmt = stmt.where(WatchlistItem.symbol.in_(list(symbols)))
    rows = list(session.scalars(stmt.order_by(WatchlistItem.symbol, WatchlistItem.id)))
    # One row per symbol (a symbol on two exchanges: the live row wins).
    by_symbol: dict[str, WatchlistItem] = {}
    for row in rows:
        if row.symbol not in by_symbol or by_symbol[row.symbol].is_deleted:
            by_symbol[row.symbol] = row
    return list(by_symbol.values())


def load_records(
    session: Session, symbols: Sequence[str], since: datetime
) -> dict[str, SymbolRecords]:
    out = {symbol: SymbolRecords() for symbol in symbols}
    if not out:
        return out
    wanted = list(out)
    for state in session.scalars(
        select(WatchlistSignalState).where(WatchlistSignalState.symbol.in_(wanted))
    ):
        out[state.symbol].state = state
    _blocked(session, wanted, since, out)
    _alerts(session, wanted, since, out)
    _intents(session, wanted, since, out)
    _throttle(session, wanted, out)
    return out


def _blocked(
    session: Session, symbols: list[str], since: datetime, out: dict[str, SymbolRecords]
) -> None:
    msg = TelegramMessage
    rows = session.execute(
        select(
            msg.symbol,
            msg.reason_code,
            func.count(),
            func.min(msg.created_at),
            func.max(msg.created_at),
        )
        .where(
            msg.kind == MessageKind.ALERT,
            msg.status == MessageStatus.BLOCKED,
            msg.created_at >= since,
            msg.symbol.in_(symbols),
        )
        .group_by(msg.symbol, msg.reason_code)
    )
    for symbol, reason, count, first, last in rows:
        out[symbol].blocked[reason or "UNKNOWN"] = {
            "count": int(count),
            "first_at": _iso(first),
            "last_at": _iso(last),
        }


def _alerts(
    session: Session, symbols: list[str], since: datetime, out: dict[str, SymbolRecords]
) -> None:
    msg = TelegramMessage
    emitted = (
        msg.kind == MessageKind.ALERT,
        msg.status != MessageStatus.BLOCKED,
        msg.created_at >= since,
        msg.symbol.in_(symbols),
    )
    by_status = session.execute(
        select(msg.symbol, msg.status, func.count())
        .where(*emitted)
        .group_by(msg.symbol, msg.status)
    )
    for symbol, status, count in by_status:
        out[symbol].alerts[status] = int(count)
    newest = select(func.max(msg.id)).where(*emitted).group_by(msg.symbol)
    for row in session.scalars(select(msg).where(msg.id.in_(newest))):
        if row.symbol is not None:
            out[row.symbol].last_alert = row


def _intents(
    session: Session, symbols: list[str], since: datetime, out: dict[str, SymbolRecords]
) -> None:
    intent = OrderIntent
    recent = (intent.created_at >= since, intent.symbol.in_(symbols))
    counts = session.execute(
        select(intent.symbol, func.count()).where(*recent).group_by(intent.symbol)
    )
    for symbol, count in counts:
        out[symbol].intents = int(count)
    newest = select(func.max(intent.id)).where(*recent).group_by(intent.symbol)
    for row in session.scalars(select(intent).where(intent.id.in_(newest))):
        out[row.symbol].last_intent = {
            "id": row.id,
            "status": row.status,
            "created_at": _iso(row.created_at),
            "block_reason": row.block_reason,
        }


def _throttle(session: Session, symbols: list[str], out: dict[str, SymbolRecords]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in session.scalars(
        select(SignalThrottleState).where(SignalThrottleState.symbol.in_(symbols))
    ):
        grouped[row.symbol].append(
            {
                "strategy_key": row.strategy_key,
                "side": row.side,
                "last_sent_at": _iso(row.last_sent_at),
                "last_sent_price": None
                if row.last_sent_price is None
                else format(row.last_sent_price, "f"),
            }
        )
    for symbol, rows in grouped.items():
        out[symbol].throttle = rows


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):  # func.min/max may come back as text on SQLite
        return value
    return value.isoformat()
