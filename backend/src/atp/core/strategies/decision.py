"""What a strategy decides: the Decision / Condition types and the per-symbol builders.

Shared by `strategy.evaluate()` (one symbol, full indicator arrays) and
`strategies.batch` (many symbols, latest values only) so that both build their decisions
with the very same code. `atp.core.strategy` re-exports the public names; import them from
there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from atp.core.presets import PresetParams
from atp.core.risk import StopLevels, float_to_decimal, stop_levels
from atp.core.strategies.rules import Rule

SignalSide = Literal["BUY", "SELL", "NONE"]
BUY_SIGNAL = "BUY_SIGNAL"
SELL_SIGNAL = "SELL_SIGNAL"
NO_SIGNAL = "NO_SIGNAL"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
BUY_SELL_CONFLICT = "BUY_SELL_CONFLICT"

INDICATOR_KEYS = (
    "close",
    "rsi",
    "rsi_prev",
    "ema10",
    "ma50",
    "ma200",
    "atr",
    "volume_ratio",
    "macd",
    "macd_signal",
    "macd_hist",
)


@dataclass(frozen=True)
class Condition:
    side: Literal["BUY", "SELL"]
    name: str
    passed: bool
    actual: float | None
    threshold: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "name": self.name,
            "passed": self.passed,
            "actual": self.actual,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class PositionContext:
    """An open position on the symbol: its SL/TP are reported when there is no new signal."""

    side: Literal["LONG", "SHORT"]
    entry_price: Decimal


@dataclass(frozen=True)
class Decision:
    side: SignalSide
    reason: str
    conditions: tuple[Condition, ...]
    indicators: dict[str, float | None]
    sl_price: Decimal | None
    tp_price: Decimal | None
    price: float | None
    candle_open_time: int | None
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "reason": self.reason,
            "conditions": [c.to_dict() for c in self.conditions],
            "indicators": dict(self.indicators),
            "sl_price": None if self.sl_price is None else format(self.sl_price, "f"),
            "tp_price": None if self.tp_price is None else format(self.tp_price, "f"),
            "price": self.price,
            "candle_open_time": self.candle_open_time,
            "missing": list(self.missing),
        }


def condition_for(rule: Rule, inputs: Mapping[str, float]) -> Condition:
    """One rule applied to one candle's inputs (NaN = undefined: the rule fails)."""
    actual = rule.actual(inputs)
    threshold = rule.threshold(inputs)
    passed = bool(rule.compare(actual, threshold))
    if passed and rule.also is not None:
        passed = bool(rule.also(inputs))
    return Condition(rule.side, rule.name, passed, defined(actual), defined(threshold))


def side_and_reason(
    conditions: tuple[Condition, ...], missing: tuple[str, ...]
) -> tuple[SignalSide, str]:
    """The outcome of a candle's conditions (see `outcome`)."""
    buy = all(c.passed for c in conditions if c.side == "BUY")
    sell = all(c.passed for c in conditions if c.side == "SELL")
    return outcome(buy, sell, bool(missing))


def outcome(buy: bool, sell: bool, missing: bool) -> tuple[SignalSide, str]:
    """Side and reason from "every BUY / SELL condition passed" and "an input is undefined"."""
    if missing:
        return "NONE", INSUFFICIENT_DATA
    if buy and sell:
        return "NONE", BUY_SELL_CONFLICT
    if buy:
        return "BUY", BUY_SIGNAL
    if sell:
        return "SELL", SELL_SIGNAL
    return "NONE", NO_SIGNAL


def stop_levels_for(
    side: SignalSide,
    price: float | Decimal | None,
    price_float: float | None,
    preset: PresetParams,
    atr_value: float | None,
    position: PositionContext | None,
) -> StopLevels:
    """SL/TP for the decided side at `price`, or protecting the open position when NONE."""
    if side != "NONE" and price_float is not None:
        entry = price if isinstance(price, Decimal) else float_to_decimal(price_float)
        return stop_levels(side, entry, preset, atr_value)
    if side == "NONE" and position is not None:
        position_side: Literal["BUY", "SELL"] = "BUY" if position.side == "LONG" else "SELL"
        return stop_levels(position_side, position.entry_price, preset, atr_value)
    return StopLevels(None, None)


def defined(value: float) -> float | None:
    """The value, or None when it is undefined (NaN or infinite)."""
    return value if math.isfinite(value) else None


def price_as_float(price: float | Decimal | None) -> float | None:
    """The caller's price as a float (None stays None); a bad price is a ValueError."""
    if price is None:
        return None
    value = float(price)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"price must be a positive finite number, got {price!r}")
    return value
