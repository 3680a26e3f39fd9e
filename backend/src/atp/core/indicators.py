"""Technical indicators: pure, vectorised, TA-Lib compatible.

Every function takes numpy arrays or pandas Series and returns float64 numpy arrays of the
same length, oldest first, with NaN where the value is not defined:

- during warm-up (fewer valid candles than the indicator needs);
- in any window that touches a NaN input (a gap). Recursive indicators (EMA, RSI, ATR,
  MACD) restart after a gap as if the series began there, so a gap never leaks a made-up
  value forward. TA-Lib instead returns NaN for the whole rest of the series after an
  interior NaN; wherever TA-Lib does give a value, these functions agree with it to 1e-9
  relative (tested in tests/unit/test_indicators*.py);
- RSI over a window without any price movement (average gain and loss both exactly 0).
  TA-Lib returns 0 there, which reads as "extremely oversold" and would trigger a BUY on a
  dead market; here it is NaN ("undefined"), and the strategy reports INSUFFICIENT_DATA.
  This is the one documented deviation from TA-Lib. (TA-Lib also returns 0 whenever
  gain + loss < 1e-8, e.g. sub-cent coins; this module computes the real value.)

Nothing here substitutes a default (the legacy engine used RSI = 50 and MA = price).

Recursive smoothing (EMA, Wilder) runs in numpy, not a Python loop per candle: inside a
block y[k] = beta^(k+1) * y0 + alpha * beta^k * cumsum(x[j] * beta^-j). Blocks are short
enough that beta^-k stays far from float64 overflow, and they start at fixed offsets from
the beginning of a run, so a prefix of a series gives bit-identical values to the same
prefix of the longer series (the backtest relies on that).

`indicators_batch` repeats these computations row-wise for many symbols at once (only the
latest values, bit-identical); `block_powers` and `window_sums` are shared with it for that.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
ArrayInput: TypeAlias = FloatArray | pd.Series | list[float]

# Largest exponent of beta^-k allowed inside one block (float64 overflows near 1e308).
_MAX_LOG_SCALE = 600.0
_MAX_BLOCK = 1024


def as_float_array(values: ArrayInput) -> FloatArray:
    """A float64 numpy view/copy of the input (Series, list or array)."""
    return np.asarray(values, dtype=np.float64)


def _check_period(period: int, name: str = "period") -> None:
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"{name} must be a positive integer, got {period!r}")


def _finite_runs(valid: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) index pairs of consecutive True values."""
    if valid.size == 0:
        return []
    if valid.all():  # the common case, kept cheap: one run over everything
        return [(0, int(valid.size))]
    padded = np.concatenate(([False], valid, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]


@lru_cache(maxsize=64)
def block_powers(alpha: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """beta^-k, alpha * beta^k and beta^(k+1) for k in one block (beta = 1 - alpha)."""
    beta = 1.0 - alpha
    block = min(_MAX_BLOCK, max(8, int(_MAX_LOG_SCALE / -math.log(beta))))
    k = np.arange(block, dtype=np.float64)
    return beta**-k, alpha * beta**k, beta ** (k + 1)


def _recurse(seed: float, xs: FloatArray, alpha: float) -> FloatArray:
    """y[n] = (1 - alpha) * y[n-1] + alpha * xs[n], with y[-1] = seed."""
    if alpha >= 1.0:
        return xs.copy()
    down, scaled_up, up_next = block_powers(alpha)
    block = down.size
    if xs.size <= block:  # one block: the usual case for a monitor window
        m = xs.size
        result: FloatArray = np.cumsum(xs * down[:m]) * scaled_up[:m] + seed * up_next[:m]
        return result
    out = np.empty(xs.size, dtype=np.float64)
    prev = seed
    for start in range(0, xs.size, block):
        chunk = xs[start : start + block]
        m = chunk.size
        values = np.cumsum(chunk * down[:m]) * scaled_up[:m] + prev * up_next[:m]
        out[start : start + m] = values
        prev = float(values[-1])
    return out


def window_sums(windows: FloatArray) -> FloatArray:
    """Sum along the last axis, one window per row (a dot product with ones).

    The single primitive behind SMA and the volume mean, for the whole series here and for
    the latest window of many symbols at once in `indicators_batch`, so both give
    bit-identical sums (a direct sum per window: a NaN only spoils the windows it is in).
    """
    result: FloatArray = np.vecdot(windows, np.ones(windows.shape[-1]))
    return result


def _smooth_run(x: FloatArray, period: int, alpha: float) -> FloatArray:
    """SMA-seeded exponential smoothing of one gap-free run (TA-Lib's EMA/Wilder seeding)."""
    out = np.empty(x.size, dtype=np.float64)
    if x.size < period:
        out.fill(np.nan)
        return out
    seed = float(np.sum(x[:period]) / period)
    out[: period - 1] = np.nan
    out[period - 1] = seed
    out[period:] = _recurse(seed, x[period:], alpha)
    return out


def _smooth(x: FloatArray, period: int, alpha: float) -> FloatArray:
    runs = _finite_runs(np.isfinite(x))
    if runs == [(0, x.size)]:
        return _smooth_run(x, period, alpha)
    out = np.full(x.size, np.nan)
    for start, end in runs:
        out[start:end] = _smooth_run(x[start:end], period, alpha)
    return out


def sma(close: ArrayInput, period: int) -> FloatArray:
    """Simple moving average of the last `period` values (NaN if any of them is NaN)."""
    _check_period(period)
    x = as_float_array(close)
    out = np.full(x.size, np.nan)
    if x.size < period:
        return out
    out[period - 1 :] = window_sums(sliding_window_view(x, period)) / period
    return out


def ema(close: ArrayInput, period: int) -> FloatArray:
    """Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first
    `period` values (TA-Lib's default), first value at index period - 1."""
    _check_period(period)
    return _smooth(as_float_array(close), period, 2.0 / (period + 1))


def wilder(values: ArrayInput, period: int) -> FloatArray:
    """Wilder's smoothing (alpha = 1 / period), SMA-seeded; used by RSI and ATR."""
    _check_period(period)
    return _smooth(as_float_array(values), period, 1.0 / period)


def rsi(close: ArrayInput, period: int = 14) -> FloatArray:
    """Wilder RSI. First value at index `period` (needs period + 1 closes).

    RSI = 100 * avg_gain / (avg_gain + avg_loss); NaN when both averages are exactly 0
    (a perfectly flat window: no movement means RSI is undefined, not 0 and not 50).
    """
    _check_period(period)
    x = as_float_array(close)
    out = np.full(x.size, np.nan)
    alpha = 1.0 / period
    for start, end in _finite_runs(np.isfinite(x)):
        if end - start <= period:
            continue
        run = x[start:end]
        change = run[1:] - run[:-1]
        gain = _smooth_run(np.maximum(change, 0.0), period, alpha)
        loss = _smooth_run(np.maximum(-change, 0.0), period, alpha)
        total = gain + loss
        with np.errstate(invalid="ignore", divide="ignore"):
            value = 100.0 * gain / total
        value[~(total > 0.0)] = np.nan  # no movement at all: undefined (TA-Lib says 0)
        out[start + 1 : end] = value
    return out


def true_range(high: ArrayInput, low: ArrayInput, close: ArrayInput) -> FloatArray:
    """max(high - low, |high - prev close|, |low - prev close|); NaN at index 0 and gaps."""
    h, lo, c = as_float_array(high), as_float_array(low), as_float_array(close)
    if not h.size == lo.size == c.size:
        raise ValueError("high, low and close must have the same length")
    out = np.full(c.size, np.nan)
    if c.size < 2:
        return out
    prev = c[:-1]
    out[1:] = np.maximum(h[1:] - lo[1:], np.maximum(np.abs(h[1:] - prev), np.abs(lo[1:] - prev)))
    return out


def atr(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """Wilder Average True Range. First value at index `period` (mean of TR[1..period])."""
    _check_period(period)
    h, lo, c = as_float_array(high), as_float_array(low), as_float_array(close)
    tr = true_range(h, lo, c)
    out = np.full(c.size, np.nan)
    valid = np.isfinite(h) & np.isfinite(lo) & np.isfinite(c)
    for start, end in _finite_runs(valid):
        if end - start <= period:
            continue
        out[start + 1 : end] = _smooth_run(tr[start + 1 : end], period, 1.0 / period)
    return out


def macd(
    close: ArrayInput, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(macd, signal, histogram) as TA-Lib computes them.

    Like TA-Lib, the fast EMA is seeded at the same candle as the slow one (index slow - 1,
    with the SMA of the `fast` closes ending there), the signal line is the EMA of the MACD
    line, and all three outputs start at index slow + signal - 2.
    """
    for value, name in ((fast, "fast"), (slow, "slow"), (signal, "signal")):
        _check_period(value, name)
    if fast >= slow:
        raise ValueError(f"fast period ({fast}) must be shorter than slow period ({slow})")
    x = as_float_array(close)
    runs = _finite_runs(np.isfinite(x))
    if runs == [(0, x.size)]:
        line, sig = _macd_run(x, fast, slow, signal)
        return line, sig, line - sig
    line = np.full(x.size, np.nan)
    sig = np.full(x.size, np.nan)
    for start, end in runs:
        run_line, run_sig = _macd_run(x[start:end], fast, slow, signal)
        line[start:end], sig[start:end] = run_line, run_sig
    return line, sig, line - sig


def _macd_run(x: FloatArray, fast: int, slow: int, signal: int) -> tuple[FloatArray, FloatArray]:
    line = np.full(x.size, np.nan)
    sig = np.full(x.size, np.nan)
    first = slow + signal - 2
    if x.size <= first:
        return line, sig
    offset = slow - fast  # fast EMA starts here so that it is seeded at index slow - 1
    fast_ema = _smooth_run(x[offset:], fast, 2.0 / (fast + 1))[fast - 1 :]
    slow_ema = _smooth_run(x, slow, 2.0 / (slow + 1))[slow - 1 :]
    raw = fast_ema - slow_ema  # MACD line from index slow - 1
    signal_line = _smooth_run(raw, signal, 2.0 / (signal + 1))
    line[first:] = raw[signal - 1 :]
    sig[first:] = signal_line[signal - 1 :]
    return line, sig


def volume_ratio(volume: ArrayInput, lookback: int) -> FloatArray:
    """volume[i] / mean(volume[i - lookback : i]): a candle against the `lookback` before it.

    Evaluated on the last *completed* candle. NaN during warm-up, when the window holds a NaN,
    and when the previous volumes average exactly 0 (no trading: a ratio would be made up).
    """
    _check_period(lookback, "lookback")
    v = as_float_array(volume)
    out = np.full(v.size, np.nan)
    if v.size <= lookback:
        return out
    mean = window_sums(sliding_window_view(v[:-1], lookback)) / lookback
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = v[lookback:] / mean
    ratio[~(mean > 0.0)] = np.nan  # zero or undefined average volume: no ratio
    out[lookback:] = ratio
    return out
