"""Protection prices and quantity for a filled long entry.

Prices: the stop-loss and take-profit the alert announced (intent.sl_price / tp_price), moved to
the fill price by keeping the announced distances: SL = fill - (reference - announced SL),
TP = fill + (announced TP - reference). For ATR presets this is the preset's own rule (the
distances are k x ATR); for percent presets the preset would scale with the price instead, and
the difference is slippage x percent (0.2 % slippage on a 3 % stop moves it by 0.006 % of the
price, below a tick on common pairs). Without a reference or fill price the announced prices are
used as they are. Then rounded away from the market (atp.core.formatting): the stop down, the
take-profit up, so quantisation never moves a trigger to the wrong side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.core.formatting import (
    TriggerSideError,
    check_trigger_side,
    round_price,
    stop_trigger_rounding,
    take_profit_rounding,
)
from atp.orders import states
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.ports import InstrumentRules

CLOSING_SIDE = "SELL"  # entries are spot longs
CLOSING_ROLES = (states.TAKE_PROFIT, states.STOP_LOSS, states.FLATTEN)


class CannotProtect(ValueError):
    """No valid stop can be placed (no stop price, or the market is already through it)."""


@dataclass(frozen=True)
class Prices:
    stop: Decimal
    take_profit: Decimal | None  # None: only a stop can be placed (TP already crossed)


def protection_prices(intent: OrderIntent, rules: InstrumentRules) -> Prices:
    """The rounded stop and take-profit for `intent`'s fill; CannotProtect if no stop is valid."""
    if intent.sl_price is None:
        raise CannotProtect("the intent carries no stop-loss price")
    shift = Decimal(0)
    if intent.avg_fill_price is not None and intent.reference_price is not None:
        shift = intent.avg_fill_price - intent.reference_price
    tick = rules.price_tick
    stop = round_price(intent.sl_price + shift, tick, stop_trigger_rounding(CLOSING_SIDE))
    if stop <= 0:
        raise CannotProtect(f"stop-loss {intent.sl_price + shift} is not a positive price")
    reference = intent.avg_fill_price or intent.reference_price
    take_profit = None
    if intent.tp_price is not None:
        take_profit = round_price(intent.tp_price + shift, tick, take_profit_rounding(CLOSING_SIDE))
    if reference is None:
        return Prices(stop, take_profit)
    try:
        check_trigger_side("STOP_LOSS", CLOSING_SIDE, stop, reference)
    except TriggerSideError as exc:
        raise CannotProtect(f"SL_ALREADY_CROSSED: {exc}") from None
    if take_profit is not None:
        try:
            check_trigger_side("TAKE_PROFIT", CLOSING_SIDE, take_profit, reference)
        except TriggerSideError:
            take_profit = None
    return Prices(stop, take_profit)


def remaining_quantity(session: Session, intent: OrderIntent) -> Decimal:
    """Filled entry quantity minus what its closing orders (TP, SL, flatten) have sold."""
    closed = session.scalar(
        select(func.coalesce(func.sum(ExchangeOrder.cumulative_quantity), 0)).where(
            ExchangeOrder.intent_id == intent.id, ExchangeOrder.order_role.in_(CLOSING_ROLES)
        )
    )
    return (intent.filled_quantity or Decimal(0)) - Decimal(str(closed or 0))
