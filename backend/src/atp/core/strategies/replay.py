"""Every candle's decision at once, for the backtest (pure, vectorised).

`signal_series(series, preset)` applies the rules of `rules.py` to whole indicator arrays
with price = close, exactly as `strategy.decide_at` does for one candle; tests check that the
two agree candle by candle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from atp.core.presets import PresetParams
from atp.core.strategies.rules import build_rules, required_inputs
from atp.core.strategy import IndicatorSeries

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True)
class SignalSeries:
    buy: BoolArray
    sell: BoolArray
    insufficient: BoolArray
    conflict: BoolArray


def signal_series(series: IndicatorSeries, preset: PresetParams) -> SignalSeries:
    """BUY / SELL / INSUFFICIENT_DATA / conflict masks, one element per candle."""
    inputs: dict[str, Any] = dict(series.values)
    inputs["price"] = series.values["close"]
    size = len(series)
    missing = np.zeros(size, dtype=bool)
    for name in required_inputs(preset):
        missing |= np.isnan(inputs[name])
    buy = ~missing
    sell = ~missing
    for rule in build_rules(preset):
        passed = np.broadcast_to(np.asarray(rule.test(inputs), dtype=bool), (size,))
        if rule.side == "BUY":
            buy = buy & passed
        else:
            sell = sell & passed
    conflict = buy & sell
    return SignalSeries(
        buy=buy & ~conflict, sell=sell & ~conflict, insufficient=missing, conflict=conflict
    )
