"""Position arithmetic: average-cost accounting of fills, realised and unrealised P&L.

Pure and exact: `Decimal` in, `Decimal` out, floats refused with a `TypeError`.

Conventions:
- `quantity` is signed: > 0 long, < 0 short, 0 flat.
- `avg_entry` is the average price of the open quantity; adding to a position moves it, reducing
  leaves it alone, closing resets it to 0 and a fill that goes through zero opens the remainder
  at the fill price.
- Fees (in the quote currency, positive = paid, negative = rebate) are realised when paid, so a
  round trip at one price realises exactly minus its fees, and at every moment
  `realised + unrealised(mark)` equals the net cash flow plus the open quantity valued at `mark`.
- The average and every realised amount are rounded half-even to 18 decimals, the scale of the
  database columns (atp.db.columns), so a state read back from storage continues exactly as the
  one that was written. Intermediate products are computed without rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal

Side = Literal["BUY", "SELL"]
ZERO = Decimal(0)
SCALE = Decimal("1e-18")  # NUMERIC(38, 18)
_EXACT_PRECISION = 120  # digits: any product of two NUMERIC(38, 18) values fits without rounding


@dataclass(frozen=True)
class PositionState:
    quantity: Decimal = ZERO  # signed
    avg_entry: Decimal = ZERO  # 0 when flat
    fees_paid: Decimal = ZERO  # quote currency
    realised_pnl: Decimal = ZERO  # quote currency, net of fees

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    @property
    def direction(self) -> Literal["LONG", "SHORT", "FLAT"]:
        if self.quantity > 0:
            return "LONG"
        return "SHORT" if self.quantity < 0 else "FLAT"


def apply_fill(
    state: PositionState, side: str, qty: Decimal, price: Decimal, fee: Decimal
) -> tuple[PositionState, Decimal]:
    """The state after one fill, and the P&L this fill realised (net of its fee).

    `qty` and `price` are positive; `fee` is in the quote currency (negative for a rebate).
    """
    signed = _signed_quantity(side, _positive(qty, "qty"))
    _positive(price, "price")
    _finite(fee, "fee")
    with localcontext() as ctx:
        ctx.prec = _EXACT_PRECISION
        held = state.quantity
        if held == 0 or (held > 0) == (signed > 0):
            gross = ZERO
            avg = _round((abs(held) * state.avg_entry + qty * price) / (abs(held) + qty))
        else:
            closed = min(abs(held), qty)
            per_unit = price - state.avg_entry if held > 0 else state.avg_entry - price
            gross = per_unit * closed
            avg = _avg_after_reduction(state, held + signed, price)
        delta = _round(gross - fee)
        new_state = PositionState(
            quantity=held + signed,
            avg_entry=avg,
            fees_paid=_round(state.fees_paid + fee),
            realised_pnl=state.realised_pnl + delta,
        )
    return new_state, delta


def unrealised(state: PositionState, mark: Decimal) -> Decimal:
    """P&L of the open quantity if it were closed at `mark` (before closing fees)."""
    _positive(mark, "mark")
    with localcontext() as ctx:
        ctx.prec = _EXACT_PRECISION
        return _round((mark - state.avg_entry) * state.quantity)


def start_round_trip(state: PositionState) -> PositionState:
    """The same holding with realised P&L and fees reset: a new position's accounting starts.

    Used when a position opens again after it was closed (a dust remainder, if any, is kept)."""
    return replace(state, fees_paid=ZERO, realised_pnl=ZERO)


def _avg_after_reduction(state: PositionState, remaining: Decimal, price: Decimal) -> Decimal:
    if remaining == 0:
        return ZERO  # closed
    if (remaining > 0) == (state.quantity > 0):
        return state.avg_entry  # partly closed: the rest keeps its entry price
    return price  # went through zero: the remainder was opened by this fill


def _round(value: Decimal) -> Decimal:
    return value.quantize(SCALE, rounding=ROUND_HALF_EVEN)


def _signed_quantity(side: str, qty: Decimal) -> Decimal:
    if side == "BUY":
        return qty
    if side == "SELL":
        return -qty
    raise ValueError(f"side must be BUY or SELL, not {side!r}")


def _finite(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _positive(value: object, name: str) -> Decimal:
    checked = _finite(value, name)
    if checked <= 0:
        raise ValueError(f"{name} must be positive, got {checked}")
    return checked
