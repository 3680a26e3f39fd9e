"""The latest indicator values of many symbols at once, bit-identical to `indicators`.

`latest_indicators(close, high, low, volume, ...)` takes 2-D arrays (one row per symbol,
one column per candle, oldest first, every row the same length and free of NaN/inf) and
returns, per indicator key of `strategy.INDICATOR_KEYS`, a 1-D array with one value per
row: the value the single-series function gives at the last candle (`rsi_prev`: the one
before). One numpy call per operation covers every row, which removes the per-symbol call
overhead that dominated the monitor's cycle.

Bit-identical, not merely close: every step repeats the float operations of the
single-series code in the same order, row-wise -
- element-wise operations (differences, maxima, products, quotients) are the same IEEE
  operations on the same operands;
- the recursions run the same closed form: a cumulative sum along each row (cumsum is
  strictly sequential, so a row of a 2-D cumsum equals the 1-D cumsum), the same block
  powers and block boundaries (`indicators.block_powers`), the same seeds (the sum of the
  first `period` values of a row reduces that row alone, as the 1-D sum does);
- window sums go through `indicators.window_sums` (a dot product with ones per row), the
  very primitive `sma` and `volume_ratio` use.
Series with a gap (any non-finite input) are not accepted here: recursions restart after a
gap, so the caller evaluates those one by one. Tests compare both paths exactly on
randomised inputs (tests/unit/test_evaluate_many.py).
"""

from __future__ import annotations

import numpy as np

from atp.core.indicators import FloatArray, block_powers, window_sums
from atp.core.presets import EMA_FAST_PERIOD, MA_LONG_PERIOD, MA_MEDIUM_PERIOD

MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9  # `indicators.macd` defaults, used by strategy


def latest_indicators(
    close: FloatArray,
    high: FloatArray,
    low: FloatArray,
    volume: FloatArray,
    *,
    rsi_period: int,
    atr_period: int,
    volume_lookback: int,
) -> dict[str, FloatArray]:
    """Last-candle values per row, keyed like `strategy.compute_indicators` (see above)."""
    if close.shape[1] == 0:
        raise ValueError("latest_indicators needs at least one candle per row")
    rsi_now, rsi_prev = _rsi_last_two(close, rsi_period)
    line, signal = _macd_last(close)
    return {
        "close": close[:, -1].copy(),
        "rsi": rsi_now,
        "rsi_prev": rsi_prev,
        "ema10": _smooth_rows(close, EMA_FAST_PERIOD, 2.0 / (EMA_FAST_PERIOD + 1), 1)[:, 0],
        "ma50": _sma_last(close, MA_MEDIUM_PERIOD),
        "ma200": _sma_last(close, MA_LONG_PERIOD),
        "atr": _atr_last(high, low, close, atr_period),
        "volume_ratio": _volume_ratio_last(volume, volume_lookback),
        "macd": line,
        "macd_signal": signal,
        "macd_hist": line - signal,
    }


def _nan(rows: int) -> FloatArray:
    return np.full(rows, np.nan)


def _recurse_rows(
    seed: FloatArray, xs: FloatArray, alpha: float, keep: int | None = None
) -> FloatArray:
    """Row-wise `indicators._recurse`: y[n] = (1 - alpha) y[n-1] + alpha xs[n], y[-1] = seed.

    Every column is y = cumsum(x * beta^-k) * alpha beta^k + seed * beta^(k+1), element by
    element, so producing only the last `keep` columns (plus each block's last one, the next
    block's seed) gives the same values as slicing the full result.
    """
    size = xs.shape[1]
    first_kept = 0 if keep is None else max(0, size - keep)
    if alpha >= 1.0:
        return xs[:, first_kept:].copy()
    down, scaled_up, up_next = block_powers(alpha)
    block = down.size
    if size <= block and keep is None:  # the usual full-width case: all in place, no copies
        values = np.multiply(xs, down[:size])
        np.cumsum(values, axis=1, out=values)  # strictly sequential along the row, like 1-D
        values *= scaled_up[:size]
        values += seed[:, None] * up_next[:size]
        return values
    out = np.empty((xs.shape[0], size - first_kept), dtype=np.float64)
    prev = seed
    for start in range(0, size, block):
        m = min(block, size - start)
        sums = np.multiply(xs[:, start : start + m], down[:m])
        np.cumsum(sums, axis=1, out=sums)
        lo = min(max(first_kept - start, 0), m - 1)  # first column needed from this block
        values = sums[:, lo:] * scaled_up[lo:m] + prev[:, None] * up_next[lo:m]
        kept_from = max(first_kept - start, 0)
        if kept_from < m:
            out[:, start + kept_from - first_kept : start + m - first_kept] = values[
                :, kept_from - lo :
            ]
        prev = values[:, -1]
    return out


def _smooth_rows(x: FloatArray, period: int, alpha: float, keep: int | None = None) -> FloatArray:
    """Row-wise `indicators._smooth_run` (SMA-seeded smoothing of gap-free rows): all
    columns, or only the last `keep`."""
    rows, size = x.shape
    width = size if keep is None else min(keep, size)
    out = np.full((rows, width), np.nan)
    if size < period:
        return out
    seed: FloatArray = np.sum(x[:, :period], axis=1) / period
    tail = _recurse_rows(seed, x[:, period:], alpha, None if keep is None else width)
    out[:, width - tail.shape[1] :] = tail
    seed_column = period - 1 - (size - width)
    if seed_column >= 0:
        out[:, seed_column] = seed
    return out


def _sma_last(x: FloatArray, period: int) -> FloatArray:
    if x.shape[1] < period:
        return _nan(x.shape[0])
    result: FloatArray = window_sums(x[:, -period:]) / period
    return result


def _rsi_last_two(close: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """RSI at the last and the previous candle (`indicators.rsi`, one gap-free run)."""
    rows, size = close.shape
    if size <= period:
        return _nan(rows), _nan(rows)
    change = close[:, 1:] - close[:, :-1]
    falls = np.negative(change)
    np.maximum(falls, 0.0, out=falls)  # max(-change, 0) exactly as `indicators.rsi` has it
    np.maximum(change, 0.0, out=change)
    alpha = 1.0 / period
    gain = _smooth_rows(change, period, alpha, 2)
    loss = _smooth_rows(falls, period, alpha, 2)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 100.0 * gain / total
    value[~(total > 0.0)] = np.nan  # no movement at all: undefined, as in `indicators.rsi`
    return value[:, -1].copy(), value[:, 0].copy()  # change has >= period >= 2 columns


def _atr_last(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    rows, size = close.shape
    if size <= period:
        return _nan(rows)
    prev = close[:, :-1]
    h, lo = high[:, 1:], low[:, 1:]
    up, down = np.subtract(h, prev), np.subtract(lo, prev)
    np.abs(up, out=up)
    np.abs(down, out=down)
    np.maximum(up, down, out=up)
    tr = np.subtract(h, lo)
    np.maximum(tr, up, out=tr)  # max(h - lo, max(|h - prev|, |lo - prev|)) as in true_range
    return _smooth_rows(tr, period, 1.0 / period, 1)[:, 0]


def _macd_last(close: FloatArray) -> tuple[FloatArray, FloatArray]:
    """MACD line and signal at the last candle (`indicators._macd_run`, one run).

    Both EMAs are seeded at candle slow - 1 (the fast one with the mean of the `fast` closes
    ending there) and recurse over the same later closes, so the MACD line is the seed
    difference followed by the difference of the two recursions.
    """
    fast, slow, signal = MACD_FAST, MACD_SLOW, MACD_SIGNAL
    rows, size = close.shape
    if size <= slow + signal - 2:
        return _nan(rows), _nan(rows)
    fast_seed: FloatArray = np.sum(close[:, slow - fast : slow], axis=1) / fast
    slow_seed: FloatArray = np.sum(close[:, :slow], axis=1) / slow
    raw = np.empty((rows, size - slow + 1), dtype=np.float64)
    np.subtract(fast_seed, slow_seed, out=raw[:, 0])
    later = close[:, slow:]
    fast_part = _recurse_rows(fast_seed, later, 2.0 / (fast + 1))
    np.subtract(fast_part, _recurse_rows(slow_seed, later, 2.0 / (slow + 1)), out=raw[:, 1:])
    signal_line = _smooth_rows(raw, signal, 2.0 / (signal + 1), 1)
    return raw[:, -1].copy(), signal_line[:, 0]


def _volume_ratio_last(volume: FloatArray, lookback: int) -> FloatArray:
    rows, size = volume.shape
    if size <= lookback:
        return _nan(rows)
    mean = window_sums(volume[:, size - 1 - lookback : size - 1]) / lookback
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: FloatArray = volume[:, -1] / mean
    ratio[~(mean > 0.0)] = np.nan  # zero average volume: no ratio, as in `volume_ratio`
    return ratio
