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

Many symbols at once (the monitor's cycle):

    evaluate_many(items: Sequence[tuple[Mapping[str, CandleArrays], PresetParams,
                                        PositionContext | None, float | Decimal | None]])
        -> list[Decision]

returns exactly `[evaluate(candles, preset, position, price) for ... in items]` (equal
Decisions, bit-identical floats), in order, but stacks the symbols that share a series
length and indicator periods into 2-D arrays and computes only the latest values, one
numpy call per operation for all of them (`strategies/batch.py`, `indicators_batch.py`).
Series with gaps and missing/empty series are passed to `evaluate()` itself. Every price is
validated first: a bad one raises ValueError before anything is computed.

The rules live once, in `strategies/rules.py`, written with plain arithmetic and comparisons
so that the same code evaluates one candle (floats) here, many symbols' latest candles
(`evaluate_many`) and every candle at once (numpy arrays) in the backtest;
`decide_at(series, i)` equals `evaluate()` on the candles up to i.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from atp.core.candles import CandleArrays
from atp.core.indicators import FloatArray, atr, ema, macd, rsi, sma, volume_ratio
from atp.core.presets import EMA_FAST_PERIOD, MA_LONG_PERIOD, MA_MEDIUM_PERIOD, PresetParams
from atp.core.strategies.batch import EvaluationItem, evaluate_batch
from atp.core.strategies.decision import (
    BUY_SELL_CONFLICT,
    BUY_SIGNAL,
    INDICATOR_KEYS,
    INSUFFICIENT_DATA,
    NO_SIGNAL,
    SELL_SIGNAL,
    Condition,
    Decision,
    PositionContext,
    SignalSide,
    condition_for,
    defined,
    price_as_float,
    side_and_reason,
    stop_levels_for,
)
from atp.core.strategies.rules import build_rules, required_inputs

__all__ = [
    "BUY_SELL_CONFLICT",
    "BUY_SIGNAL",
    "INDICATOR_KEYS",
    "INSUFFICIENT_DATA",
    "NO_SIGNAL",
    "SELL_SIGNAL",
    "Condition",
    "Decision",
    "EvaluationItem",
    "IndicatorSeries",
    "PositionContext",
    "SignalSide",
    "compute_indicators",
    "decide_at",
    "evaluate",
    "evaluate_many",
    "required_candles",
]


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
            price_as_float(price),
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
    snapshot = {key: defined(float(arr[index])) for key, arr in series.values.items()}
    price_float = price_as_float(price)
    if price_float is None:
        price_float = snapshot["close"]
    inputs: dict[str, float] = {k: math.nan if v is None else v for k, v in snapshot.items()}
    inputs["price"] = math.nan if price_float is None else price_float
    rules = build_rules(preset)
    missing = tuple(name for name in required_inputs(preset) if math.isnan(inputs[name]))
    conditions = tuple(condition_for(rule, inputs) for rule in rules)
    side, reason = side_and_reason(conditions, missing)
    levels = stop_levels_for(side, price, price_float, preset, snapshot["atr"], position)
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


def evaluate_many(items: Sequence[EvaluationItem]) -> list[Decision]:
    """`[evaluate(*item) for item in items]`, batched (see the module docstring)."""
    return evaluate_batch(items, evaluate)
