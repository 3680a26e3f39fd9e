"""Column-oriented candle arrays: the shape indicators and strategies consume."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CandleArrays:
    """OHLCV for one symbol and timeframe, oldest first. `open_time` is epoch ms (int64)."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        length = len(self.open_time)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != length:
                raise ValueError(f"CandleArrays.{name} has a different length than open_time")

    def __len__(self) -> int:
        return len(self.open_time)

    @classmethod
    def empty(cls) -> CandleArrays:
        floats = np.empty(0, dtype=np.float64)
        return cls(np.empty(0, dtype=np.int64), floats, floats, floats, floats, floats)

    @classmethod
    def from_rows(cls, rows: list[tuple[int, float, float, float, float, float]]) -> CandleArrays:
        """Build from (open_time_ms, open, high, low, close, volume) tuples, oldest first."""
        if not rows:
            return cls.empty()
        table = np.asarray(rows, dtype=np.float64)
        return cls(
            open_time=np.asarray([r[0] for r in rows], dtype=np.int64),
            open=np.ascontiguousarray(table[:, 1]),
            high=np.ascontiguousarray(table[:, 2]),
            low=np.ascontiguousarray(table[:, 3]),
            close=np.ascontiguousarray(table[:, 4]),
            volume=np.ascontiguousarray(table[:, 5]),
        )

    def tail(self, count: int) -> CandleArrays:
        """The newest `count` candles (all of them when fewer exist)."""
        start = max(0, len(self) - count)
        return CandleArrays(
            self.open_time[start:],
            self.open[start:],
            self.high[start:],
            self.low[start:],
            self.close[start:],
            self.volume[start:],
        )
