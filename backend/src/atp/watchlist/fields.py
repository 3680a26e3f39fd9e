"""The configurable watchlist columns and how a text value for each is parsed and checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from atp.core.flags import parse_flag
from atp.ops.trading_settings import MAX_USD_PER_ORDER_BOUND

# Spot pairs (BTC_USDT) and perpetuals (BTCUSD-PERP); a bare coin such as ALGO is not an
# instrument on Crypto.com (error 209), so it is refused here rather than at order time.
SYMBOL_PATTERN = re.compile(r"^[A-Z0-9]{1,20}(_[A-Z0-9]{2,10}|-PERP)$")
_NONE = {"none", "null", ""}


class InvalidValueError(ValueError):
    """A value an operator typed that cannot be applied; the message says why."""


def normalise_symbol(raw: str) -> str:
    symbol = raw.strip().upper()
    if not SYMBOL_PATTERN.match(symbol):
        raise InvalidValueError(
            f"invalid symbol {raw!r}: expected BASE_QUOTE such as BTC_USDT (or BTCUSD-PERP)"
        )
    return symbol


def parse_bool(raw: str) -> bool:
    value = parse_flag(raw)
    if value is None:
        raise InvalidValueError(f"expected true/false (yes/no, on/off), got {raw!r}")
    return value


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidValueError(f"expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise InvalidValueError(f"expected a finite number, got {raw!r}")
    return value


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_optional(raw: str) -> Any:
        return None if raw.strip().lower() in _NONE else parse(raw)

    return parse_optional


def _fits(value: Decimal, raw: str, *, integer_digits: int, scale: int) -> Decimal:
    """Refuse (never round) a value the column cannot store exactly."""
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and -exponent > scale
        and value != value.quantize(Decimal(1).scaleb(-scale))
    ):
        raise InvalidValueError(f"at most {scale} decimal places, got {raw!r}")
    if abs(value) >= Decimal(10) ** integer_digits:
        raise InvalidValueError(f"must be below {10**integer_digits:,}, got {raw!r}")
    return value


def _amount(raw: str) -> Decimal:
    # AMOUNT/PRICE columns are NUMERIC(38, 18): 20 integer digits, 18 decimals.
    return _fits(_decimal(raw), raw, integer_digits=20, scale=18)


def _small(raw: str) -> Decimal:
    # PERCENT/MINUTES columns are NUMERIC(12, 6): 6 integer digits, 6 decimals.
    return _fits(_decimal(raw), raw, integer_digits=6, scale=6)


def positive_decimal(raw: str) -> Decimal:
    value = _amount(raw)
    if value <= 0:
        raise InvalidValueError(f"must be greater than 0, got {raw!r}")
    return value


def trade_amount(raw: str) -> Decimal:
    """Above the current MAX_USD_PER_ORDER is saved (with a warning: the cap may be raised);
    above the largest cap the settings accept, no order could ever be sent, so it is refused."""
    value = positive_decimal(raw)
    if value > MAX_USD_PER_ORDER_BOUND:
        raise InvalidValueError(
            f"must be at most {MAX_USD_PER_ORDER_BOUND} USD (the largest MAX_USD_PER_ORDER "
            f"allowed), got {raw!r}"
        )
    return value


def non_negative_small(raw: str) -> Decimal:
    value = _small(raw)
    if value < 0:
        raise InvalidValueError(f"must not be negative, got {raw!r}")
    return value


def percent(raw: str) -> Decimal:
    value = _small(raw)
    if not 0 < value < 100:
        raise InvalidValueError(f"must be above 0 and below 100 (percent), got {raw!r}")
    return value


def notes(raw: str) -> str:
    if len(raw) > 500:
        raise InvalidValueError(f"notes are limited to 500 characters, got {len(raw)}")
    return raw


def overrides(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidValueError(f"overrides must be a JSON object: {exc.msg}") from None
    if not isinstance(value, dict):
        raise InvalidValueError('overrides must be a JSON object such as {"rsi_buy_below": 40}')
    return value


def preset_key(raw: str) -> str:
    return raw.strip().lower()


PARSERS: dict[str, Callable[[str], Any]] = {
    "alert_enabled": parse_bool,
    "buy_alert_enabled": parse_bool,
    "sell_alert_enabled": parse_bool,
    "trade_enabled": parse_bool,
    "trade_on_margin": parse_bool,
    "trade_amount_usd": _optional(trade_amount),
    "preset": _optional(preset_key),
    "overrides": _optional(overrides),
    "min_price_change_pct": _optional(non_negative_small),
    "alert_cooldown_minutes": _optional(non_negative_small),
    "sl_percentage": _optional(percent),
    "tp_percentage": _optional(percent),
    "buy_target": _optional(positive_decimal),
    "notes": _optional(notes),
}


def parse_field(name: str, raw: str) -> Any:
    parser = PARSERS.get(name)
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise InvalidValueError(f"unknown key {name!r}; configurable keys: {known}")
    try:
        return parser(raw)
    except InvalidValueError as exc:
        raise InvalidValueError(f"{name}: {exc}") from None
