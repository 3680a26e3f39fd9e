"""Column-oriented candle arrays: the shape indicators and strategies consume."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CandleArrays:
    """OHLCV for one symbol and timeframe, oldest first. `open_time` is epoch ms (int64).

    `fetched_at` (epoch ms, int64) is when each stored candle was fetched: only a candle fetched
    after its close holds final values. None where that is unknown (CSV files, backtests).
    """

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    fetched_at: IntArray | None = None

    def __post_init__(self) -> None:
        length = len(self.open_time)
        for name in ("open", "high", "low", "close", "volume", "fetched_at"):
            value = getattr(self, name)
            if value is not None and len(value) != length:
                raise ValueError(f"CandleArrays.{name} has a different length than open_time")

    def __len__(self) -> int:
        return len(self.open_time)

    @classmethod
    def empty(cls) -> CandleArrays:
        floats = np.empty(0, dtype=np.float64)
        times = np.empty(0, dtype=np.int64)
        return cls(times, floats, floats, floats, floats, floats, times)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float]]) -> CandleArrays:
        """Build from (open_time_ms, open, high, low, close, volume[, fetched_at_ms]) tuples.

        Oldest first; a seventh column becomes `fetched_at`. Epoch milliseconds are exact in
        float64 (below 2**53), so one float table serves every column.
        """
        if not rows:
            return cls.empty()
        table = np.asarray(rows, dtype=np.float64)
        return cls(
            open_time=table[:, 0].astype(np.int64),
            open=np.ascontiguousarray(table[:, 1]),
            high=np.ascontiguousarray(table[:, 2]),
            low=np.ascontiguousarray(table[:, 3]),
            close=np.ascontiguousarray(table[:, 4]),
            volume=np.ascontiguousarray(table[:, 5]),
            fetched_at=table[:, 6].astype(np.int64) if table.shape[1] > 6 else None,
        )

    def tail(self, count: int) -> CandleArrays:
        """The newest `count` candles (all of them when fewer exist)."""
        start = max(0, len(self) - count)
        return self.slice(start, len(self))

    def slice(self, start: int, stop: int) -> CandleArrays:
        """Candles `start` (inclusive) to `stop` (exclusive), as views."""
        return CandleArrays(
            self.open_time[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
            None if self.fetched_at is None else self.fetched_at[start:stop],
        )
