"""Indicators against TA-Lib on generated series: random walks, flat runs, zero volume, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib  # the reference implementation (dev dependency): a hard import, never a skip

from atp.core import indicators as ind

RTOL = 1e-9


def walk(n: int, seed: int, start: float = 100.0, vol: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, vol, n)))


def ohlc(close: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    high = close * (1 + rng.random(close.size) * 0.01)
    low = close * (1 - rng.random(close.size) * 0.01)
    return high, low, close


def with_flat_runs(close: np.ndarray) -> np.ndarray:
    out = close.copy()
    out[100:140] = out[100]  # 40 identical closes inside the series
    out[300:303] = out[300]
    return out


def with_gaps(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[:3] = np.nan  # leading gap (TA-Lib skips it)
    out[250] = np.nan  # interior gap (TA-Lib returns NaN for the rest)
    out[400:405] = np.nan
    return out


def assert_agrees(ours: np.ndarray, ref: np.ndarray, *, atol: float = 0.0) -> int:
    """Equal to TA-Lib (1e-9 relative) wherever TA-Lib gives a value; returns how many."""
    assert ours.shape == ref.shape
    defined = ~np.isnan(ref)
    assert not np.isnan(ours[defined]).any(), "undefined where TA-Lib has a value"
    np.testing.assert_allclose(ours[defined], ref[defined], rtol=RTOL, atol=atol)
    return int(defined.sum())


SERIES = {
    "walk": walk(600, 1),
    "flat_runs": with_flat_runs(walk(600, 2)),
    "gaps": with_gaps(walk(600, 3)),
    "tiny_prices": walk(600, 4, start=0.00002, vol=0.02),
    "large_prices": walk(600, 5, start=65000.0),
}


@pytest.mark.parametrize("name", SERIES)
@pytest.mark.parametrize("period", [2, 10, 50, 200])
def test_sma_and_ema_match_talib(name: str, period: int) -> None:
    close = SERIES[name]
    assert assert_agrees(ind.sma(close, period), talib.SMA(close, period)) > 0
    assert assert_agrees(ind.ema(close, period), talib.EMA(close, period)) > 0


@pytest.mark.parametrize("name", SERIES)
@pytest.mark.parametrize("period", [2, 14, 30])
def test_rsi_matches_talib(name: str, period: int) -> None:
    close = SERIES[name]
    ours, ref = ind.rsi(close, period), talib.RSI(close, period)
    compared = assert_agrees(ours, ref)
    assert compared > 200
    assert ours[period - 1] != ours[period - 1]  # NaN during warm-up, first value at `period`


@pytest.mark.parametrize("name", SERIES)
@pytest.mark.parametrize("period", [1, 14])
def test_atr_matches_talib(name: str, period: int) -> None:
    high, low, close = ohlc(SERIES[name], 7)
    ours, ref = ind.atr(high, low, close, period), talib.ATR(high, low, close, period)
    if name == "gaps" and period == 1:
        # Documented difference: right after a missing close TA-Lib's TRANGE silently drops the
        # gap terms and reports high - low; the true range needs the previous close, so here it
        # is undefined (NaN). Everywhere else the two agree.
        after_gap = np.isnan(close[:-1]) & ~np.isnan(close[1:])
        positions = np.flatnonzero(after_gap) + 1
        differing = positions[~np.isnan(ref[positions])]
        assert len(differing) >= 2 and np.all(np.isnan(ours[positions]))
        ref = ref.copy()
        ref[differing] = np.nan
    assert assert_agrees(ours, ref) > 200


@pytest.mark.parametrize("name", SERIES)
def test_macd_matches_talib(name: str) -> None:
    close = SERIES[name]
    ours = ind.macd(close, 12, 26, 9)
    ref = talib.MACD(close, 12, 26, 9)
    # The MACD line is a difference of two EMAs near the price; where it crosses zero a relative
    # tolerance is meaningless, so the absolute part is 1e-12 of the price level.
    atol = 1e-12 * float(np.nanmax(np.abs(close)))
    for mine, theirs in zip(ours, ref, strict=True):
        assert assert_agrees(mine, theirs, atol=atol) > 200
    first = 33 + (3 if name == "gaps" else 0)  # slow + signal - 2 after any leading gap
    assert np.isnan(ours[0][:first]).all() and not np.isnan(ours[0][first])


def test_volume_ratio_matches_talib_sma_of_previous_candles() -> None:
    rng = np.random.default_rng(9)
    volume = rng.random(500) * 1000
    volume[200:230] = 0.0  # a zero-volume stretch
    ours = ind.volume_ratio(volume, 20)
    ref = np.full(500, np.nan)
    mean_prev = talib.SMA(volume, 20)[19:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ref[20:] = np.where(mean_prev > 0, volume[20:] / mean_prev, np.nan)
    assert assert_agrees(ours, ref) > 400
    # after 20 zero candles the average is 0: no ratio, not infinity and not a default
    assert np.isnan(ours[225])  # zero volume against a window of zeros only
    assert np.isnan(ours[230])  # trading resumes, but the previous 20 candles average 0
    assert ours[205] == pytest.approx(0.0)  # a zero candle against a positive average is 0


def test_flat_window_gives_undefined_rsi_where_talib_says_zero() -> None:
    close = np.full(40, 123.45)
    ours, ref = ind.rsi(close, 14), talib.RSI(close, 14)
    assert (ref[14:] == 0.0).all()  # TA-Lib: "oversold" on a dead market
    assert np.isnan(ours).all()  # here: undefined
    # once the price moves the value is real again
    moved = np.concatenate([close, [124.0]])
    assert ind.rsi(moved, 14)[-1] == pytest.approx(100.0)


def test_flat_run_inside_moving_series_keeps_real_values() -> None:
    close = with_flat_runs(walk(600, 11))
    ours = ind.rsi(close, 14)
    assert not np.isnan(ours[120:140]).any()  # decaying Wilder averages are still defined


def test_gap_restarts_recursive_indicators_instead_of_inventing_values() -> None:
    close = walk(120, 12)
    close[60] = np.nan
    ema10 = ind.ema(close, 10)
    assert np.isnan(ema10[60:70]).all()  # warm-up again after the gap
    assert ema10[70] == pytest.approx(np.mean(close[61:71]), rel=1e-12)
    fresh = ind.ema(close[61:], 10)
    np.testing.assert_array_equal(ema10[61:], fresh)
    rsi = ind.rsi(close, 14)
    assert np.isnan(rsi[60:75]).all() and not np.isnan(rsi[75])


@pytest.mark.parametrize(
    ("func", "needed"),
    [
        (lambda c: ind.sma(c, 50), 50),
        (lambda c: ind.ema(c, 10), 10),
        (lambda c: ind.rsi(c, 14), 15),
        (lambda c: ind.macd(c)[2], 34),
        (lambda c: ind.atr(c * 1.01, c * 0.99, c, 14), 15),
        (lambda c: ind.volume_ratio(c, 20), 21),
    ],
)
def test_too_few_candles_give_nan_never_a_default(func, needed: int) -> None:  # type: ignore[no-untyped-def]
    close = walk(needed - 1, 13)
    short = func(close)
    assert short.shape == close.shape and np.isnan(short).all()
    enough = func(walk(needed, 13))
    assert not np.isnan(enough[-1])
    assert func(np.array([], dtype=float)).shape == (0,)


def test_accepts_pandas_series_and_returns_same_length_arrays() -> None:
    close = pd.Series(walk(300, 14))
    out = ind.ema(close, 10)
    assert isinstance(out, np.ndarray) and out.shape == (300,)
    np.testing.assert_array_equal(out, ind.ema(close.to_numpy(), 10))


def test_long_series_spanning_many_blocks_still_matches_talib() -> None:
    close = walk(20000, 15)
    assert_agrees(ind.ema(close, 10), talib.EMA(close, 10))
    assert_agrees(ind.rsi(close, 14), talib.RSI(close, 14))


def test_prefix_gives_identical_values_to_the_full_series() -> None:
    close = walk(3000, 16)
    full = ind.rsi(close, 14)
    for end in (100, 1025, 2049):
        np.testing.assert_array_equal(ind.rsi(close[:end], 14), full[:end])


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="period"):
        ind.sma(walk(10, 1), 0)
    with pytest.raises(ValueError, match="fast period"):
        ind.macd(walk(100, 1), 26, 12, 9)
