"""Many symbols' decisions in one pass: the implementation of `strategy.evaluate_many`.

The monitor evaluates every watched symbol once per cycle. Calling `evaluate()` per symbol
spends most of its time in numpy call overhead (~100 small array operations per symbol);
here the symbols are stacked instead:

1. items whose series on the preset's timeframe is missing or empty go to `evaluate()`;
2. the rest are grouped by (series length, rsi_period, atr_period, volume_lookback) and
   stacked into 2-D arrays, ~30 rows at a time (see CHUNK_BYTES); rows holding a NaN/inf
   anywhere (gaps restart the recursions) also go to `evaluate()`;
3. `indicators_batch.latest_indicators` computes the last-candle values of every row with
   one numpy call per operation (bit-identical to the full-series indicators);
4. rows sharing a preset object get their rules applied to whole columns at once (the rules
   are plain arithmetic and comparisons, as in the backtest), then one Decision per row is
   built with the same helpers `decide_at` uses.

The result equals `[evaluate(*item) for item in items]` exactly (tests compare `repr`s on
randomised inputs: gaps, flat runs, zero volume, short series, mixed presets, prices and
positions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, TypeAlias

import numpy as np

from atp.core.candles import CandleArrays
from atp.core.indicators import FloatArray
from atp.core.indicators_batch import latest_indicators
from atp.core.presets import PresetParams
from atp.core.risk import StopLevels
from atp.core.strategies.decision import (
    INDICATOR_KEYS,
    Condition,
    Decision,
    PositionContext,
    defined,
    outcome,
    price_as_float,
    stop_levels_for,
)
from atp.core.strategies.rules import Rule, build_rules, required_inputs

Price: TypeAlias = float | Decimal | None
EvaluationItem: TypeAlias = tuple[
    Mapping[str, CandleArrays], PresetParams, PositionContext | None, Price
]
Evaluator: TypeAlias = Callable[
    [Mapping[str, CandleArrays], PresetParams, PositionContext | None, Price], Decision
]
BoolArray: TypeAlias = np.ndarray[Any, np.dtype[np.bool_]]
_OHLC_FIELDS = ("close", "high", "low", "volume")
_NO_LEVELS = StopLevels(None, None)
# Rows stacked at a time: about this many bytes per (rows x candles) array. Small blocks keep
# every temporary in the CPU cache and below glibc's mmap threshold (128 KiB), so memory is
# reused instead of being handed back to the OS and page-faulted in again on every cycle
# (that cost ~10 ms per 500 symbols); a block of ~30 rows still amortises numpy's per-call
# overhead.
CHUNK_BYTES = 80_000
MIN_CHUNK_ROWS = 8


def evaluate_batch(items: Sequence[EvaluationItem], evaluate_one: Evaluator) -> list[Decision]:
    """One Decision per item, in order; `evaluate_one` (= `evaluate`) serves the odd cases."""
    for _candles, _preset, _position, price in items:
        price_as_float(price)  # a bad price raises before any work, as evaluate() would
    decisions: list[Decision | None] = [None] * len(items)
    groups: dict[tuple[int, int, int, int], list[int]] = {}
    for index, (candles, preset, position, price) in enumerate(items):
        series = candles.get(preset.timeframe)
        if series is None or len(series) == 0:
            decisions[index] = evaluate_one(candles, preset, position, price)
            continue
        key = (len(series), preset.rsi_period, preset.atr_period, preset.volume_lookback)
        groups.setdefault(key, []).append(index)
    for indexes in groups.values():
        for index, decision in _evaluate_group(items, indexes, evaluate_one):
            decisions[index] = decision
    done = [d for d in decisions if d is not None]
    assert len(done) == len(items)  # every item was decided exactly once
    return done


def _evaluate_group(
    items: Sequence[EvaluationItem], indexes: list[int], evaluate_one: Evaluator
) -> list[tuple[int, Decision]]:
    """Items with equally long series and the same indicator periods."""
    done: list[tuple[int, Decision]] = []
    stacked: list[int] = []
    parts: list[dict[str, FloatArray]] = []
    size = len(items[indexes[0]][0][items[indexes[0]][1].timeframe])
    step = max(MIN_CHUNK_ROWS, CHUNK_BYTES // (8 * size))
    for start in range(0, len(indexes), step):
        chunk_stacked, rejected, latest = _latest_values(items, indexes[start : start + step])
        done += [(i, evaluate_one(*items[i])) for i in rejected]
        if latest is not None:
            stacked += chunk_stacked
            parts.append(latest)
    if not parts:
        return done
    values = {key: np.concatenate([part[key] for part in parts]) for key in INDICATOR_KEYS}
    by_preset: dict[int, list[int]] = {}  # id(preset) -> rows; equal copies just split a group
    for row, index in enumerate(stacked):
        by_preset.setdefault(id(items[index][1]), []).append(row)
    for rows in by_preset.values():
        chosen = [items[stacked[r]] for r in rows]
        decided = decide_rows(
            values if len(rows) == len(stacked) else {k: v[rows] for k, v in values.items()},
            chosen[0][1],
            [int(item[0][item[1].timeframe].open_time[-1]) for item in chosen],
            [item[2] for item in chosen],
            [item[3] for item in chosen],
        )
        done += [(stacked[r], d) for r, d in zip(rows, decided, strict=True)]
    return done


def _latest_values(
    items: Sequence[EvaluationItem], indexes: list[int]
) -> tuple[list[int], list[int], dict[str, FloatArray] | None]:
    """(stacked, rejected, latest values of the stacked rows); a row with a NaN/inf anywhere
    is rejected (it goes to `evaluate()`)."""
    series = [items[i][0][items[i][1].timeframe] for i in indexes]
    shape = (len(series), len(series[0]))
    arrays = {  # one concatenate per field: much cheaper than np.stack for many short rows
        name: np.concatenate([getattr(s, name) for s in series])
        .astype(np.float64, copy=False)
        .reshape(shape)
        for name in _OHLC_FIELDS
    }
    finite: BoolArray = np.logical_and.reduce([np.isfinite(a).all(axis=1) for a in arrays.values()])
    flags = finite.tolist()
    stacked = [i for i, ok in zip(indexes, flags, strict=True) if ok]
    rejected = [i for i, ok in zip(indexes, flags, strict=True) if not ok]
    if not stacked:
        return stacked, rejected, None
    if rejected:
        arrays = {name: a[finite] for name, a in arrays.items()}
    periods = items[stacked[0]][1]
    latest = latest_indicators(
        arrays["close"],
        arrays["high"],
        arrays["low"],
        arrays["volume"],
        rsi_period=periods.rsi_period,
        atr_period=periods.atr_period,
        volume_lookback=periods.volume_lookback,
    )
    return stacked, rejected, latest


def decide_rows(
    values: Mapping[str, FloatArray],
    preset: PresetParams,
    open_times: Sequence[int],
    positions: Sequence[PositionContext | None],
    prices: Sequence[Price],
) -> list[Decision]:
    """`strategy.decide_at` for many rows of latest values that share one preset.

    Built column by column (one rule or indicator for every row at a time); `zip` then deals
    the columns out into one Decision per row.
    """
    rows = len(open_times)
    snapshot = {key: _defined_list(values[key]) for key in INDICATOR_KEYS}
    price_floats = [
        close if given is None else given
        for given, close in zip(map(price_as_float, prices), snapshot["close"], strict=True)
    ]
    inputs: dict[str, FloatArray] = {
        key: np.where(np.isfinite(values[key]), values[key], np.nan) for key in INDICATOR_KEYS
    }
    inputs["price"] = np.array([math.nan if p is None else p for p in price_floats])
    buy, sell = np.ones(rows, dtype=bool), np.ones(rows, dtype=bool)
    condition_columns = []
    for rule in build_rules(preset):
        passed, actual, threshold = _apply(rule, inputs, rows)
        if rule.side == "BUY":
            buy &= passed
        else:
            sell &= passed
        condition_columns.append(
            map(Condition, repeat(rule.side), repeat(rule.name), passed.tolist(), actual, threshold)
        )
    conditions = list(zip(*condition_columns, strict=True)) or [()] * rows
    missing = _missing(inputs, required_inputs(preset), rows)
    outcomes = list(map(outcome, buy.tolist(), sell.tolist(), map(bool, missing)))
    indicators = [
        dict(zip(INDICATOR_KEYS, row, strict=True)) for row in zip(*snapshot.values(), strict=True)
    ]
    levels = [
        _NO_LEVELS
        if side == "NONE" and position is None
        else stop_levels_for(side, price, price_float, preset, atr_value, position)
        for (side, _), price, price_float, atr_value, position in zip(
            outcomes, prices, price_floats, snapshot["atr"], positions, strict=True
        )
    ]
    return [
        Decision(side, reason, conds, ind, lv.sl_price, lv.tp_price, pf, open_time, miss)
        for (side, reason), conds, ind, lv, pf, open_time, miss in zip(
            outcomes, conditions, indicators, levels, price_floats, open_times, missing, strict=True
        )
    ]


def _apply(
    rule: Rule, inputs: Mapping[str, FloatArray], rows: int
) -> tuple[BoolArray, list[float | None], list[float | None]]:
    """A rule on whole columns: (passed, actual, threshold) per row, as `condition_for`."""
    actual = rule.actual(inputs)
    threshold = rule.threshold(inputs)
    passed = np.asarray(rule.compare(actual, threshold), dtype=bool)
    if rule.also is not None:
        passed = passed & np.asarray(rule.also(inputs), dtype=bool)
    return np.broadcast_to(passed, (rows,)), _column(actual, rows), _column(threshold, rows)


def _missing(
    inputs: Mapping[str, FloatArray], names: tuple[str, ...], rows: int
) -> list[tuple[str, ...]]:
    """Per row, the required inputs that are undefined (in `required_inputs` order)."""
    flags = np.stack([np.isnan(inputs[name]) for name in names]) if names else None
    result: list[tuple[str, ...]] = [()] * rows
    if flags is None:
        return result
    for row in np.flatnonzero(flags.any(axis=0)).tolist():
        result[row] = tuple(name for name, flag in zip(names, flags[:, row], strict=True) if flag)
    return result


def _column(value: Any, rows: int) -> list[float | None]:
    if isinstance(value, np.ndarray):
        return _defined_list(value)
    return [defined(float(value))] * rows  # a constant (a preset level)


def _defined_list(values: FloatArray) -> list[float | None]:
    """`defined()` of each element: Python floats, None where NaN or infinite."""
    result: list[float | None] = list(values.tolist())
    for index in np.flatnonzero(~np.isfinite(values)).tolist():
        result[index] = None
    return result
