"""Exchange number formatting: from an exact Decimal to the string Crypto.com accepts.

Contract section 12: every decimal field is sent as a string of plain digits (no sign, no
exponent, no separators), an exact multiple of the instrument's tick, strictly positive and with
no more decimals than the tick. This module pads to the tick's decimals (`2500.10` for tick 0.01).

All arithmetic is done on exact fractions, so no Decimal context precision can round a value
silently, and floats are refused outright (`TypeError`): a float has already lost the value.

Rounding intents (12.2): quantities and MARKET BUY notionals round down; a LIMIT BUY price rounds
down and a LIMIT SELL up (never worse than intended); stop and take-profit triggers round away
from the market so quantization cannot push them onto the wrong side (9.3, error 50007).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Rounding = Literal["down", "up"]
TriggerPosition = Literal["below", "above"]

BUY = "BUY"
SELL = "SELL"
STOP_KINDS = frozenset({"STOP_LOSS", "STOP_LIMIT"})
TAKE_PROFIT_KINDS = frozenset({"TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
DEFAULT_TRIGGER_BUFFER_PCT = Decimal("0.1")


class TriggerSideError(ValueError):
    """A trigger price on the wrong side of (or too close to) the reference price: 50007."""


def _exact(value: object, name: str) -> Fraction:
    """`value` as an exact fraction; only finite Decimals are accepted."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return Fraction(value)


def _tick(tick: object, name: str = "tick") -> Fraction:
    exact = _exact(tick, name)
    if exact <= 0:
        raise ValueError(f"{name} must be positive, got {tick}")
    return exact


def tick_decimals(tick: Decimal) -> int:
    """Fraction digits of the tick, ignoring trailing zeros: 0.010 -> 2, 0.5 -> 1, 5 -> 0."""
    exact = _tick(tick)
    places = 0
    while (exact * 10**places).denominator != 1:
        places += 1
    return places


def _check_side(side: str) -> None:
    if side not in (BUY, SELL):
        raise ValueError(f"side must be BUY or SELL, got {side!r}")


def _round_to_tick(value: Decimal, tick: Decimal, rounding: Rounding, name: str) -> Decimal:
    exact_tick = _tick(tick, name)
    ratio = _exact(value, "value") / exact_tick
    if rounding == "down":
        steps = math.floor(ratio)
    elif rounding == "up":
        steps = math.ceil(ratio)
    else:
        raise ValueError(f"rounding must be 'down' or 'up', got {rounding!r}")
    if steps < 1:
        raise ValueError(f"{value} rounded {rounding} to {name} {tick} is below one {name}")
    places = tick_decimals(tick)
    units = steps * exact_tick * 10**places  # an integer: tick * 10**places is one
    return Decimal(f"{int(units)}E-{places}")  # built from text: exact at any size


def round_price(value: Decimal, tick: Decimal, rounding: Rounding) -> Decimal:
    """`value` rounded down or up to a multiple of `tick`; ValueError unless the result is > 0."""
    return _round_to_tick(value, tick, rounding, "tick")


def round_quantity(value: Decimal, step: Decimal) -> Decimal:
    """`value` floored to a multiple of `step`; ValueError below the minimum (one step, 12.3)."""
    return _round_to_tick(value, step, "down", "step")


def to_text(value: Decimal, tick: Decimal) -> str:
    """The wire text of a positive `value` already on `tick`, padded to the tick's decimals."""
    exact = _exact(value, "value")
    exact_tick = _tick(tick)
    if exact <= 0:
        raise ValueError(f"value must be positive, got {value}")
    if exact % exact_tick != 0:
        raise ValueError(f"value {value} is not a multiple of tick {tick}")
    places = tick_decimals(tick)
    digits = str(int(exact * 10**places)).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}" if places else digits


def format_price(value: Decimal, tick: Decimal, rounding: Rounding) -> str:
    """The wire text of `value` rounded `rounding` onto `tick` (e.g. 2984.4086, 0.01, up -> 2984.41)."""
    return to_text(round_price(value, tick, rounding), tick)


def format_quantity(value: Decimal, step: Decimal) -> str:
    """The wire text of `value` floored onto `step`; ValueError below one step."""
    return to_text(round_quantity(value, step), step)


def protection_quantity(filled: Decimal, free_base: Decimal, step: Decimal) -> Decimal:
    """SL/TP quantity: floor of min(filled, free base balance); never inflated to the minimum."""
    _exact(filled, "filled")
    _exact(free_base, "free_base")
    return round_quantity(min(filled, free_base), step)


def limit_price_rounding(side: str) -> Rounding:
    """LIMIT BUY rounds down (never pay more), LIMIT SELL up (never sell for less)."""
    _check_side(side)
    return "down" if side == BUY else "up"


def stop_trigger_rounding(closing_side: str) -> Rounding:
    """Away from the market: a SELL stop sits below it (down), a BUY stop above it (up)."""
    _check_side(closing_side)
    return "down" if closing_side == SELL else "up"


def take_profit_rounding(closing_side: str) -> Rounding:
    """Away from the market: a SELL take-profit sits above it (up), a BUY one below it (down)."""
    _check_side(closing_side)
    return "up" if closing_side == SELL else "down"


def notional_rounding() -> Rounding:
    """A MARKET BUY notional rounds down: never spend more than the free quote balance."""
    return "down"


def trigger_position(kind: str, closing_side: str) -> TriggerPosition:
    """Where the trigger must sit relative to the reference price (section 9.3)."""
    _check_side(closing_side)
    if kind in STOP_KINDS:
        return "below" if closing_side == SELL else "above"
    if kind in TAKE_PROFIT_KINDS:
        return "above" if closing_side == SELL else "below"
    raise ValueError(f"kind must be a stop or take-profit type, got {kind!r}")


def check_trigger_side(
    kind: str,
    closing_side: str,
    trigger: Decimal,
    reference: Decimal,
    buffer_pct: Decimal = DEFAULT_TRIGGER_BUFFER_PCT,
) -> None:
    """Raise TriggerSideError unless `trigger` is strictly on its valid side of `reference`
    and at least `buffer_pct` percent away from it (the reference is the mark price, which
    the bot usually only approximates)."""
    position = trigger_position(kind, closing_side)
    exact_trigger = _exact(trigger, "trigger")
    exact_reference = _tick(reference, "reference")
    buffer = _exact(buffer_pct, "buffer_pct")
    if not 0 <= buffer < 100:
        raise ValueError(f"buffer_pct must be in [0, 100), got {buffer_pct}")
    margin = exact_reference * buffer / 100
    if position == "below":
        valid = exact_trigger < exact_reference and exact_trigger <= exact_reference - margin
    else:
        valid = exact_trigger > exact_reference and exact_trigger >= exact_reference + margin
    if not valid:
        raise TriggerSideError(
            f"{closing_side} {kind} trigger {trigger} must be {position} reference {reference} "
            f"by at least {buffer_pct}%"
        )
