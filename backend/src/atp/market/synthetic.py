"""Deterministic synthetic prices: a seeded random walk with trends, gaps and volume spikes.

The price is a pure function of (seed, symbol, time), so any candle of any timeframe can be
produced on demand, every timeframe agrees with every other, and two runs with the same seed
produce identical data. Components of log-price:

- a Brownian random walk built with the Levy-Ciesielski construction (hashed Gaussian
  coefficients on dyadic levels down to one minute), so it is a true random walk yet can be
  evaluated at any instant without generating the history before it;
- a slow, bounded trend (smoothly interpolated hashed values on a 5-day lattice): weeks of
  trend up, down, or flat ranges;
- gaps: in about 3 % of 6-hour buckets the price jumps by 1-4 % and jumps back a day later.

Volume has a per-candle lognormal level, ~3 % spikes of 4-8x, and grows with the candle's range.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import numpy.typing as npt

from atp.core.timeframes import Timeframe, duration_ms, floor_open_ms

FloatArray = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

_LEVELS = 22  # 2**22 minutes (~8 years) down to one-minute detail
_SPAN_MIN = float(2**_LEVELS)
_SIGMA_PER_MIN = 0.0007  # ~2.7 % daily volatility
_TREND_LATTICE_MIN = 5 * 1440.0
_TREND_AMPLITUDE = 0.12
_GAP_BUCKET_MIN = 360
_GAP_PROBABILITY = 0.03
_SAMPLES_PER_CANDLE = 12
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


# Rough USD levels of well-known bases; only the order of magnitude matters.
_TYPICAL_LEVELS = {
    "BTC": 60_000.0,
    "ETH": 3_000.0,
    "SOL": 150.0,
    "BNB": 550.0,
    "XRP": 0.6,
    "DOGE": 0.15,
    "ADA": 0.45,
    "DOT": 6.0,
    "LINK": 15.0,
    "LTC": 80.0,
    "AVAX": 30.0,
    "TRX": 0.12,
}


def _mix(values: U64) -> U64:
    """splitmix64 finaliser, vectorised (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        z = (values + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return z ^ (z >> np.uint64(31))


def _uniform(key: int, *parts: npt.ArrayLike) -> FloatArray:
    """Deterministic uniforms in (0, 1) from a key and integer arrays."""
    state = np.full(np.broadcast(*parts).shape if parts else (), key, dtype=np.uint64)
    for part in parts:
        with np.errstate(over="ignore"):
            state = _mix(state ^ np.asarray(part).astype(np.int64).astype(np.uint64))
    return ((state >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def _gauss(key: int, *parts: npt.ArrayLike) -> FloatArray:
    u1 = _uniform(key, *parts, 1)
    u2 = _uniform(key, *parts, 2)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


class SyntheticMarket:
    """Prices and candles for any symbol, deterministic given `seed`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _key(self, symbol: str, component: str) -> int:
        return zlib.crc32(f"{self.seed}|{symbol}|{component}".encode()) * 2654435761 % 2**63

    def base_price(self, symbol: str) -> float:
        """A stable magnitude per symbol: near a familiar level for well-known coins (so a
        newcomer's demo does not show BTC at $17), else anywhere in 0.05 .. 50,000."""
        u = float(_uniform(self._key(symbol, "base")))
        typical = _TYPICAL_LEVELS.get(symbol.split("_", 1)[0].split("-", 1)[0])
        if typical is not None:
            return typical * float(10 ** ((u - 0.5) * 0.2))  # within about +-25 %
        return float(10 ** (u * 6 - 1.3))

    def log_price(self, symbol: str, ts_ms: npt.ArrayLike) -> FloatArray:
        minutes = np.asarray(ts_ms, dtype=np.float64) / 60_000.0
        walk = self._brownian(symbol, minutes) * _SIGMA_PER_MIN
        return (
            math.log(self.base_price(symbol))
            + walk
            + self._trend(symbol, minutes)
            + self._gaps(symbol, minutes)
        )

    def prices(self, symbol: str, ts_ms: npt.ArrayLike) -> FloatArray:
        return np.exp(self.log_price(symbol, ts_ms))

    def _brownian(self, symbol: str, minutes: FloatArray) -> FloatArray:
        key = self._key(symbol, "walk")
        x = np.mod(minutes, _SPAN_MIN) / _SPAN_MIN
        walk = _gauss(key, np.zeros_like(x, dtype=np.int64), -1) * x
        for level in range(_LEVELS):
            scaled = x * (1 << level)
            cell = np.floor(scaled)
            frac = scaled - cell
            tent = np.minimum(frac, 1.0 - frac) * 2.0 ** (-level / 2)
            walk += _gauss(key, cell.astype(np.int64), level) * tent
        return walk * math.sqrt(_SPAN_MIN)

    def _trend(self, symbol: str, minutes: FloatArray) -> FloatArray:
        key = self._key(symbol, "trend")
        scaled = minutes / _TREND_LATTICE_MIN
        cell = np.floor(scaled)
        frac = scaled - cell
        smooth = frac * frac * (3 - 2 * frac)
        left = _gauss(key, cell.astype(np.int64))
        right = _gauss(key, cell.astype(np.int64) + 1)
        return _TREND_AMPLITUDE * (left + (right - left) * smooth)

    def _gaps(self, symbol: str, minutes: FloatArray) -> FloatArray:
        key = self._key(symbol, "gap")
        bucket = np.floor(minutes / _GAP_BUCKET_MIN).astype(np.int64)
        total = np.zeros_like(minutes)
        for back in range(1440 // _GAP_BUCKET_MIN):  # a gap lasts one day
            b = bucket - back
            happens = _uniform(key, b, 0) < _GAP_PROBABILITY
            size = (0.01 + 0.03 * _uniform(key, b, 1)) * np.where(_uniform(key, b, 2) < 0.5, -1, 1)
            total += np.where(happens, size, 0.0)
        return total

    def candles(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        count: int,
        now_ms: int,
        start_ms: int | None = None,
    ) -> list[tuple[int, float, float, float, float, float]]:
        """The newest `count` candles at `now_ms` (the last one still open), oldest first."""
        opens = self._open_times(timeframe, count=count, now_ms=now_ms, start_ms=start_ms)
        if not opens:
            return []
        step = duration_ms(timeframe)
        grid = np.linspace(0.0, 1.0, _SAMPLES_PER_CANDLE + 1)
        starts = np.asarray(opens, dtype=np.float64)[:, None]
        ends = np.minimum(starts + step - 1, now_ms)
        points = starts + (ends - starts) * grid[None, :]
        path = self.prices(symbol, points)
        volumes = self._volumes(symbol, timeframe, np.asarray(opens, dtype=np.int64), path)
        return [
            (
                opens[i],
                float(path[i, 0]),
                float(path[i].max()),
                float(path[i].min()),
                float(path[i, -1]),
                float(volumes[i]),
            )
            for i in range(len(opens))
        ]

    def _volumes(
        self, symbol: str, timeframe: Timeframe, opens: npt.NDArray[np.int64], path: FloatArray
    ) -> FloatArray:
        key = self._key(symbol, "volume")
        minutes = duration_ms(timeframe) / 60_000.0
        level = 1000.0 / self.base_price(symbol) * minutes
        noise = np.exp(0.35 * _gauss(key, opens))
        spike = np.where(_uniform(key, opens, 7) < 0.03, 4.0 + 4.0 * _uniform(key, opens, 8), 1.0)
        swing = 1.0 + 20.0 * (path.max(axis=1) - path.min(axis=1)) / path[:, 0]
        return np.asarray(level * noise * spike * swing, dtype=np.float64)

    @staticmethod
    def _open_times(
        timeframe: Timeframe, *, count: int, now_ms: int, start_ms: int | None
    ) -> list[int]:
        opens: list[int] = []
        cursor = floor_open_ms(now_ms, timeframe)
        while len(opens) < count and (start_ms is None or cursor >= start_ms):
            opens.append(cursor)
            cursor = floor_open_ms(cursor - 1, timeframe)
        opens.reverse()
        return opens
