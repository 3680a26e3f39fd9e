"""Request checks the paper broker shares with the exchange (codes of spec §10.2 and §16)."""

from __future__ import annotations

from decimal import Decimal

from atp.core.retry import RetryClass
from atp.orders.ports import BrokerError, InstrumentRules, OrderKind

SIDES = ("BUY", "SELL")
MAX_CLIENT_OID = 36
FEE_STEP = Decimal("0.00000001")

DUPLICATE_CLORDID = 204
NO_PRICE = 207
INVALID_INSTRUMENT = 209
INVALID_QUANTITY = 213
INVALID_SIDE = 220
INVALID_REF_PRICE = 229
INSUFFICIENT_BALANCE = 306
INVALID_PRICE = 308
BELOW_MIN_ORDER_SIZE = 415
BAD_REQUEST = 40004
NOT_FOUND = 40401
INVALID_NOTIONAL = 50001
INVALID_TRIGGER_PRICE = 50007

STOP_KINDS = (OrderKind.STOP_LOSS, OrderKind.STOP_LIMIT)
LIMIT_AFTER_TRIGGER = (OrderKind.STOP_LIMIT, OrderKind.TAKE_PROFIT_LIMIT)


def refuse(code: int, message: str) -> BrokerError:
    """A request the exchange would refuse: resending it unchanged cannot help."""
    return BrokerError(f"paper: {message} (code {code})", code=code, retry=RetryClass.NO)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    # A whole number of steps times the step: `value - value % step` kept all of value's
    # digits (563.9521000000000000000000000 for a notional / price quotient).
    steps = value // step  # truncates toward zero
    if steps * step > value:
        steps -= 1
    return steps * step


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    floored = floor_to(value, step)
    return floored if floored == value else floored + step


def check_side(side: str) -> None:
    if side not in SIDES:
        raise refuse(INVALID_SIDE, f"side must be BUY or SELL, got {side!r}")


def check_client_oid(client_oid: str) -> None:
    if not client_oid or len(client_oid) > MAX_CLIENT_OID:
        raise refuse(BAD_REQUEST, f"client_oid must be 1..{MAX_CLIENT_OID} characters")


def check_quantity(quantity: Decimal, rules: InstrumentRules) -> None:
    if quantity <= 0 or quantity % rules.qty_tick != 0:
        raise refuse(
            INVALID_QUANTITY, f"quantity {quantity} is not a positive multiple of {rules.qty_tick}"
        )


def check_price(price: Decimal, rules: InstrumentRules, code: int, name: str) -> None:
    if price <= 0 or price % rules.price_tick != 0:
        raise refuse(code, f"{name} {price} is not a positive multiple of {rules.price_tick}")


def trigger_fires(kind: OrderKind, side: str, trigger: Decimal, last: Decimal) -> bool:
    """A stop fires when the price reaches it from the position's side; a take-profit likewise
    from the other side (spec §9.3: SELL stop below the market, SELL take-profit above)."""
    falling = (kind in STOP_KINDS) == (side == "SELL")
    return last <= trigger if falling else last >= trigger


def check_trigger_side(kind: OrderKind, side: str, trigger: Decimal, last: Decimal) -> None:
    if trigger_fires(kind, side, trigger, last):
        where = "below" if (kind in STOP_KINDS) == (side == "SELL") else "above"
        raise refuse(
            INVALID_TRIGGER_PRICE,
            f"{side} {kind.value} trigger {trigger} must be {where} the current price {last}",
        )


def limit_reachable(side: str, limit: Decimal, last: Decimal) -> bool:
    return last >= limit if side == "SELL" else last <= limit
