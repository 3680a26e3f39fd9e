"""Positions built from fills: the fill ledger, average-cost accounting, protection status.

Every exchange trade is recorded once in `fills` (unique `trade_id`) and applied to the symbol's
`positions` row in the same flush, so a re-sync that sees the same trade again changes nothing.
Fills of one symbol must be applied in trade order (`record_fills` sorts a batch); the position
row is locked (PostgreSQL `FOR UPDATE`) while a fill is applied.

Fees are turned into the quote currency: a fee in the quote currency as is; a fee in the base
currency is valued at the fill price and also changes the holding (a BUY receives `qty - fee`,
a SELL gives up `qty + fee`), which is what the wallet shows. A fee in any other currency (CRO)
cannot be valued here: it stays in the ledger as reported, with `fee_quote` NULL.

A position whose remaining quantity is below `dust_below` (the instrument's quantity tick,
when the caller knows it) is closed: nothing more can be sold, so it is not an open position.
Functions only flush; callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.pnl import SCALE, PositionState, apply_fill, start_round_trip, unrealised
from atp.orders.models import FillRecord, Position
from atp.orders.ports import Fill

ZERO = Decimal(0)


class ProtectionStatus(StrEnum):
    COVERED = "covered"  # an active stop-loss for the whole quantity is confirmed
    NAKED = "naked"  # no confirmed stop-loss (just opened, grown, or protection lost)
    FLATTENING = "flattening"  # being closed at market because protection failed
    CLOSED = "closed"  # flat (or dust)


@dataclass(frozen=True)
class FillOutcome:
    position: Position
    before: PositionState
    after: PositionState
    realised: Decimal  # this fill's realised P&L, net of its fee (quote currency)
    opened: bool  # this fill opened a position from flat
    closed: bool  # this fill closed the position (flat or dust)


@dataclass(frozen=True)
class FillTotals:
    fills: int
    orders: int  # distinct orders with a fill
    closed_positions: int
    realised_pnl: Decimal  # net of valued fees
    fees_quote: Decimal
    unvalued_fees: int  # fills whose fee currency could not be valued in the quote currency


def record_fill(
    session: Session, fill: Fill, intent_id: int | None, *, dust_below: Decimal | None = None
) -> bool:
    """Record and apply one fill. False if this trade was already recorded (nothing changes)."""
    return record_fill_outcome(session, fill, intent_id, dust_below=dust_below) is not None


def record_fills(
    session: Session,
    fills: Iterable[Fill],
    intent_ids: Mapping[str, int] | None = None,
    *,
    dust_below: Mapping[str, Decimal] | None = None,
) -> list[tuple[Fill, FillOutcome]]:
    """Apply a batch in trade order. `intent_ids` by order id; `dust_below` by symbol.

    Returns the fills that were new, each with its outcome."""
    intents, dust = intent_ids or {}, dust_below or {}
    applied = []
    for fill in sorted(fills, key=lambda f: (f.traded_at, f.trade_id)):
        outcome = record_fill_outcome(
            session, fill, intents.get(fill.order_id), dust_below=dust.get(fill.symbol)
        )
        if outcome is not None:
            applied.append((fill, outcome))
    return applied


def record_fill_outcome(
    session: Session, fill: Fill, intent_id: int | None, *, dust_below: Decimal | None = None
) -> FillOutcome | None:
    """Like `record_fill`, with what the fill did to the position (None if already recorded)."""
    side = _validate(fill)
    if session.scalar(select(FillRecord.id).where(FillRecord.trade_id == fill.trade_id)):
        return None
    row = _locked_position(session, fill.symbol)
    was_open = row.protection_status != ProtectionStatus.CLOSED
    before = position_state(row)
    start = before if was_open else start_round_trip(before)
    quantity, fee_quote = _effective_quantity_and_fee(fill, side)
    after, realised = apply_fill(start, side, quantity, fill.price, fee_quote or ZERO)
    closed = _is_dust(after.quantity, dust_below)
    _write_position(row, before, after, fill, was_open=was_open, now_flat=closed)
    session.add(
        FillRecord(
            trade_id=fill.trade_id,
            order_id=fill.order_id,
            client_oid=fill.client_oid,
            intent_id=intent_id,
            symbol=fill.symbol,
            side=side,
            quantity=fill.quantity,
            price=fill.price,
            fee=fill.fee,
            fee_currency=fill.fee_currency.upper(),
            fee_quote=fee_quote,
            realised_pnl=realised,
            position_quantity_after=after.quantity,
            closed_position=was_open and closed,
            traded_at=fill.traded_at,
        )
    )
    session.flush()
    return FillOutcome(
        row, before, after, realised, not was_open and not closed, was_open and closed
    )


def position_state(row: Position) -> PositionState:
    return PositionState(row.quantity, row.avg_entry_price, row.fees_paid, row.realised_pnl)


def position_for(session: Session, symbol: str) -> Position | None:
    return session.scalar(select(Position).where(Position.symbol == symbol))


def open_positions(session: Session) -> list[Position]:
    """Positions not closed (including naked and flattening ones), by symbol."""
    return list(
        session.scalars(
            select(Position)
            .where(Position.protection_status != ProtectionStatus.CLOSED)
            .order_by(Position.symbol)
        )
    )


def set_protection_status(session: Session, symbol: str, status: str, now: datetime) -> bool:
    """Record the guardian's / order flow's view of a position's protection. Flush only.

    False when the position closed meanwhile (a protection check never reopens it).
    A position is closed only by its fills, so `closed` is refused here.
    """
    wanted = ProtectionStatus(status)  # ValueError for an unknown status
    if wanted is ProtectionStatus.CLOSED:
        raise ValueError("a position is closed by its fills, not by a status change")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    row = session.scalar(select(Position).where(Position.symbol == symbol).with_for_update())
    if row is None:
        raise LookupError(f"no position for {symbol}")
    if row.protection_status == ProtectionStatus.CLOSED:
        return False
    row.protection_status = str(wanted)
    row.protection_checked_at = now
    session.flush()
    return True


def unrealised_pnl(session: Session, symbol: str, mark: Decimal) -> Decimal:
    """Unrealised P&L of the symbol's position at `mark` (0 without a position)."""
    row = position_for(session, symbol)
    return ZERO if row is None else unrealised(position_state(row), mark)


def fill_totals(session: Session, start: datetime, end: datetime) -> FillTotals:
    """What the fill ledger says about trades in [start, end).

    Summed in Python: SUM() over NUMERIC is a binary float on SQLite, and a day has few fills.
    """
    rows = session.execute(
        select(
            FillRecord.order_id,
            FillRecord.closed_position,
            FillRecord.realised_pnl,
            FillRecord.fee_quote,
        ).where(FillRecord.traded_at >= start, FillRecord.traded_at < end)
    ).all()
    return FillTotals(
        fills=len(rows),
        orders=len({order_id for order_id, *_ in rows}),
        closed_positions=sum(1 for row in rows if row.closed_position),
        realised_pnl=sum((row.realised_pnl for row in rows), ZERO),
        fees_quote=sum((row.fee_quote for row in rows if row.fee_quote is not None), ZERO),
        unvalued_fees=sum(1 for row in rows if row.fee_quote is None),
    )


def round_trip_exits(
    session: Session, symbol: str, opened_at: datetime | None, closing_side: str
) -> tuple[Decimal, Decimal]:
    """(quantity, average price) of the `closing_side` fills of `symbol` since `opened_at`.

    For a closed position's message: an exit often fills in several trades."""
    query = select(FillRecord.quantity, FillRecord.price).where(
        FillRecord.symbol == symbol, FillRecord.side == closing_side
    )
    if opened_at is not None:
        query = query.where(FillRecord.traded_at >= opened_at)
    rows = session.execute(query).all()
    quantity = sum((row.quantity for row in rows), ZERO)
    if quantity == 0:
        return ZERO, ZERO
    value = sum((row.quantity * row.price for row in rows), ZERO)
    return quantity, (value / quantity).quantize(SCALE)


def split_symbol(symbol: str) -> tuple[str, str]:
    """(base, quote): BTC_USDT -> (BTC, USDT); BTCUSD-PERP -> (BTC, USD)."""
    if "_" in symbol:
        base, quote = symbol.split("_", 1)
        return base, quote
    if symbol.endswith("USD-PERP"):
        return symbol.removesuffix("USD-PERP"), "USD"
    raise ValueError(f"cannot tell base and quote currencies of {symbol!r}")


def _validate(fill: Fill) -> str:
    side = fill.side.upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"fill {fill.trade_id}: side must be BUY or SELL, not {fill.side!r}")
    if not fill.trade_id or not fill.order_id:
        raise ValueError("a fill needs its trade_id and order_id")
    if fill.traded_at.tzinfo is None:
        raise ValueError(f"fill {fill.trade_id}: traded_at must be timezone-aware")
    split_symbol(fill.symbol)
    return side


def _effective_quantity_and_fee(fill: Fill, side: str) -> tuple[Decimal, Decimal | None]:
    base, quote = split_symbol(fill.symbol)
    currency = fill.fee_currency.upper()
    if currency == quote:
        return fill.quantity, fill.fee
    if currency != base:
        return fill.quantity, None
    quantity = fill.quantity - fill.fee if side == "BUY" else fill.quantity + fill.fee
    if quantity <= 0:
        raise ValueError(f"fill {fill.trade_id}: a base-currency fee larger than the fill")
    return quantity, fill.fee * fill.price


def _locked_position(session: Session, symbol: str) -> Position:
    row = session.scalar(select(Position).where(Position.symbol == symbol).with_for_update())
    if row is None:
        row = Position(
            symbol=symbol,
            quantity=ZERO,
            avg_entry_price=ZERO,
            fees_paid=ZERO,
            realised_pnl=ZERO,
            protection_status=str(ProtectionStatus.CLOSED),
        )
        session.add(row)
        session.flush()
    return row


def _write_position(
    row: Position,
    before: PositionState,
    after: PositionState,
    fill: Fill,
    *,
    was_open: bool,
    now_flat: bool,
) -> None:
    row.quantity = after.quantity
    row.avg_entry_price = after.avg_entry
    row.fees_paid = after.fees_paid
    row.realised_pnl = after.realised_pnl
    row.last_fill_trade_id = fill.trade_id
    if now_flat:
        if was_open:
            row.closed_at = fill.traded_at
        row.protection_status = str(ProtectionStatus.CLOSED)
    elif not was_open:
        row.opened_at, row.closed_at = fill.traded_at, None
        row.protection_status = str(ProtectionStatus.NAKED)
    elif _grew_or_flipped(before.quantity, after.quantity):
        # The stop-loss in place covers less than is now held (or the wrong side).
        if row.protection_status != ProtectionStatus.FLATTENING:
            row.protection_status = str(ProtectionStatus.NAKED)


def _grew_or_flipped(held: Decimal, now: Decimal) -> bool:
    return abs(now) > abs(held) or (held > 0) != (now > 0)


def _is_dust(quantity: Decimal, dust_below: Decimal | None) -> bool:
    return quantity == 0 or (dust_below is not None and abs(quantity) < dust_below)
