"""Explainable BUY / SELL evaluation: (candles, preset, position) -> Decision. Pure.

Contract used by the signal monitor:

    evaluate(candles: Mapping[str, CandleArrays], preset: PresetParams,
             position: PositionContext | None = None, price: float | Decimal | None = None)
        -> Decision

- `candles` maps a timeframe (e.g. "1h") to completed candles, oldest first; the preset's
  `timeframe` entry is used. The caller drops the candle still in progress.
- `price` is the latest traded price used for the price-vs-average checks and the SL/TP
  entry; it defaults to the last close. Indicators are computed on closes only (the legacy
  engine spliced the live price into RSI).
- `Decision.side` is BUY, SELL or NONE; `reason` is BUY_SIGNAL, SELL_SIGNAL, NO_SIGNAL,
  INSUFFICIENT_DATA (an indicator a condition needs is undefined: too few candles, a gap,
  zero volume, a perfectly flat window) or BUY_SELL_CONFLICT (both rule sets held; never
  with validated presets unless RSI jumps across both levels in one candle).
- `Decision.conditions` lists every condition of both sides as Condition(side, name,
  passed, actual, threshold); `to_dict()` gives JSON. `indicators` holds the values used
  (None when undefined - never a default). `sl_price` / `tp_price` (Decimal) are what the
  preset would place for the decided side, or for the open position when NONE.

The rules live once, in `strategies/rules.py`, written with plain arithmetic and comparisons so that the
same code evaluates one candle (floats) here and every candle at once (numpy arrays) in the
backtest; `decide_at(series, i)` equals `evaluate()` on the candles up to i.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np

from atp.core.candles import CandleArrays
from atp.core.indicators import FloatArray, atr, ema, macd, rsi, sma, volume_ratio
from atp.core.presets import EMA_FAST_PERIOD, MA_LONG_PERIOD, MA_MEDIUM_PERIOD, PresetParams
from atp.core.risk import StopLevels, float_to_decimal, stop_levels
from atp.core.strategies.rules import Rule, build_rules, required_inputs

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


@dataclass(frozen=True)
class IndicatorSeries:
    """Indicator arrays over a whole candle series (same length, NaN where undefined)."""

    open_time: np.ndarray[Any, np.dtype[np.int64]]
    values: dict[str, FloatArray]

    def __len__(self) -> int:
        return len(self.open_time)


def required_candles(preset: PresetParams) -> int:
    """Fewest completed candles for which every input the preset needs can be defined."""
    needs = [preset.rsi_period + (2 if preset.rsi_cross else 1)]
    if preset.check_ema10:
        needs.append(EMA_FAST_PERIOD)
    if preset.check_ma50:
        needs.append(MA_MEDIUM_PERIOD)
    if preset.trend_filter:
        needs += [MA_MEDIUM_PERIOD, EMA_FAST_PERIOD]
    if preset.check_ma200:
        needs.append(MA_LONG_PERIOD)
    if preset.volume_min_ratio > 0:
        needs.append(preset.volume_lookback + 1)
    if preset.sl_method == "atr":
        needs.append(preset.atr_period + 1)
    return max(needs)


def compute_indicators(candles: CandleArrays, preset: PresetParams) -> IndicatorSeries:
    """Every indicator the rules and the explanation use, vectorised over the series."""
    close = candles.close
    rsi_values = rsi(close, preset.rsi_period)
    rsi_prev = np.concatenate(([np.nan], rsi_values[:-1])) if close.size else rsi_values
    line, signal, hist = macd(close)
    values = {
        "close": close,
        "rsi": rsi_values,
        "rsi_prev": rsi_prev,
        "ema10": ema(close, EMA_FAST_PERIOD),
        "ma50": sma(close, MA_MEDIUM_PERIOD),
        "ma200": sma(close, MA_LONG_PERIOD),
        "atr": atr(candles.high, candles.low, close, preset.atr_period),
        "volume_ratio": volume_ratio(candles.volume, preset.volume_lookback),
        "macd": line,
        "macd_signal": signal,
        "macd_hist": hist,
    }
    return IndicatorSeries(open_time=candles.open_time, values=values)


def evaluate(
    candles: Mapping[str, CandleArrays],
    preset: PresetParams,
    position: PositionContext | None = None,
    price: float | Decimal | None = None,
) -> Decision:
    """Decide BUY / SELL / NONE on the preset's timeframe (see the module docstring)."""
    series = candles.get(preset.timeframe)
    if series is None or len(series) == 0:
        rules = build_rules(preset)
        conditions = tuple(Condition(r.side, r.name, False, None, None) for r in rules)
        return Decision(
            "NONE",
            INSUFFICIENT_DATA,
            conditions,
            dict.fromkeys(INDICATOR_KEYS),
            None,
            None,
            _as_float(price),
            None,
            (f"candles:{preset.timeframe}",),
        )
    return decide_at(compute_indicators(series, preset), len(series) - 1, preset, position, price)


def decide_at(
    series: IndicatorSeries,
    index: int,
    preset: PresetParams,
    position: PositionContext | None = None,
    price: float | Decimal | None = None,
) -> Decision:
    """The decision on candle `index` of precomputed indicator arrays."""
    snapshot = {key: _defined(float(arr[index])) for key, arr in series.values.items()}
    price_float = _as_float(price)
    if price_float is None:
        price_float = snapshot["close"]
    inputs: dict[str, float] = {k: math.nan if v is None else v for k, v in snapshot.items()}
    inputs["price"] = math.nan if price_float is None else price_float
    rules = build_rules(preset)
    missing = tuple(name for name in required_inputs(preset) if math.isnan(inputs[name]))
    conditions = tuple(_condition(rule, inputs) for rule in rules)
    side, reason = _side(conditions, missing)
    levels = _levels(side, price, price_float, preset, snapshot["atr"], position)
    return Decision(
        side,
        reason,
        conditions,
        {k: snapshot.get(k) for k in INDICATOR_KEYS},
        levels.sl_price,
        levels.tp_price,
        price_float,
        int(series.open_time[index]),
        missing,
    )


def _condition(rule: Rule, inputs: Mapping[str, float]) -> Condition:
    actual = rule.actual(inputs)
    threshold = rule.threshold(inputs)
    passed = bool(rule.compare(actual, threshold))
    if passed and rule.also is not None:
        passed = bool(rule.also(inputs))
    return Condition(rule.side, rule.name, passed, _defined(actual), _defined(threshold))


def _side(conditions: tuple[Condition, ...], missing: tuple[str, ...]) -> tuple[SignalSide, str]:
    if missing:
        return "NONE", INSUFFICIENT_DATA
    buy = all(c.passed for c in conditions if c.side == "BUY")
    sell = all(c.passed for c in conditions if c.side == "SELL")
    if buy and sell:
        return "NONE", BUY_SELL_CONFLICT
    if buy:
        return "BUY", BUY_SIGNAL
    if sell:
        return "SELL", SELL_SIGNAL
    return "NONE", NO_SIGNAL


def _levels(
    side: SignalSide,
    price: float | Decimal | None,
    price_float: float | None,
    preset: PresetParams,
    atr_value: float | None,
    position: PositionContext | None,
) -> StopLevels:
    if side != "NONE" and price_float is not None:
        entry = price if isinstance(price, Decimal) else float_to_decimal(price_float)
        return stop_levels(side, entry, preset, atr_value)
    if side == "NONE" and position is not None:
        position_side: Literal["BUY", "SELL"] = "BUY" if position.side == "LONG" else "SELL"
        return stop_levels(position_side, position.entry_price, preset, atr_value)
    return StopLevels(None, None)


def _defined(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _as_float(price: float | Decimal | None) -> float | None:
    if price is None:
        return None
    value = float(price)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"price must be a positive finite number, got {price!r}")
    return value
