"""Rows of the public endpoints (spec §7) into the market-data port types."""

from __future__ import annotations

from typing import Any

from atp.adapters.cryptocom.envelope import (
    FieldError,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_optional_decimal,
    require,
)
from atp.market.ports import Candle, InstrumentInfo, RowsWithErrors, Ticker


def data_rows(result: Any) -> list[Any]:
    """`result.data` as a list, or FieldError."""
    if not isinstance(result, dict) or not isinstance(result.get("data"), list):
        raise FieldError("result.data is missing or not a list")
    return list(result["data"])


def instrument_from_row(row: dict[str, Any]) -> InstrumentInfo:
    max_leverage = row.get("max_leverage")
    return InstrumentInfo(
        symbol=str(require(row, "symbol")),
        inst_type=str(require(row, "inst_type")),
        base_ccy=str(require(row, "base_ccy")),
        quote_ccy=str(require(row, "quote_ccy")),
        price_tick_size=_positive(row, "price_tick_size"),
        qty_tick_size=_positive(row, "qty_tick_size"),
        quote_decimals=parse_int(require(row, "quote_decimals"), "quote_decimals"),
        quantity_decimals=parse_int(require(row, "quantity_decimals"), "quantity_decimals"),
        max_leverage=parse_optional_decimal(max_leverage, "max_leverage"),
        tradable=parse_bool(require(row, "tradable"), "tradable"),
        margin_buy_enabled=parse_bool(row.get("margin_buy_enabled", False), "margin_buy_enabled"),
        margin_sell_enabled=parse_bool(
            row.get("margin_sell_enabled", False), "margin_sell_enabled"
        ),
    )


def ticker_from_row(row: dict[str, Any]) -> Ticker:
    """`a` is the LAST TRADE, `k` the ask, `b` the bid (the legacy bot read `a` as the ask)."""
    return Ticker(
        symbol=str(require(row, "i")),
        last=parse_optional_decimal(row.get("a"), "a"),
        bid=parse_optional_decimal(row.get("b"), "b"),
        ask=parse_optional_decimal(row.get("k"), "k"),
        high_24h=parse_optional_decimal(row.get("h"), "h"),
        low_24h=parse_optional_decimal(row.get("l"), "l"),
        volume_24h=parse_optional_decimal(row.get("v"), "v"),
        volume_value_24h=parse_optional_decimal(row.get("vv"), "vv"),
        change_24h=parse_optional_decimal(row.get("c"), "c"),
        exchange_ts_ms=parse_int(require(row, "t"), "t"),
    )


def candle_from_row(row: Any) -> Candle:
    if not isinstance(row, dict):
        raise FieldError("candle row is not an object")
    candle = Candle(
        open_time_ms=parse_int(require(row, "t"), "t"),
        open=_positive(row, "o"),
        high=_positive(row, "h"),
        low=_positive(row, "l"),
        close=_positive(row, "c"),
        volume=parse_decimal(require(row, "v"), "v"),
    )
    if candle.volume < 0:
        raise FieldError("v is negative")
    if candle.high < max(candle.open, candle.close) or candle.low > min(candle.open, candle.close):
        raise FieldError(f"candle t={candle.open_time_ms} has high/low outside open/close")
    return candle


def parse_bulk(rows: list[Any], key: str, parse: Any) -> RowsWithErrors[Any]:
    """Parse each row on its own: a bad row costs its own symbol only (or is dropped if unnamed)."""
    out: RowsWithErrors[Any] = RowsWithErrors()
    for index, row in enumerate(rows):
        name = row.get(key) if isinstance(row, dict) else None
        try:
            if not isinstance(row, dict):
                raise FieldError("row is not an object")
            parsed = parse(row)
        except FieldError as exc:
            out.errors[str(name) if name else f"#row{index}"] = str(exc)
            continue
        out.rows[parsed.symbol] = parsed
    return out


def _positive(row: dict[str, Any], name: str) -> Any:
    value = parse_decimal(require(row, name), name)
    if value <= 0:
        raise FieldError(f"{name}={value} is not positive")
    return value
