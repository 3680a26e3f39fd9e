"""`merge_rows` equals a dict merge (changed rows win, sorted by open time) on random inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from atp.core.candles import CandleArrays
from atp.monitor.candle_cache import merge_rows, same_arrays
from atp.monitor.candle_delta import ChangedRows

AT = datetime(2026, 5, 1, tzinfo=UTC)
FIELDS = ("open", "high", "low", "close", "volume")


def _arrays(times: list[int], rng: np.random.Generator) -> CandleArrays:
    values = rng.random((5, len(times)))
    fetched = rng.integers(0, 10**12, size=len(times), dtype=np.int64)
    opened = np.asarray(times, dtype=np.int64)
    return CandleArrays(opened, values[0], values[1], values[2], values[3], values[4], fetched)


def _changed(times: list[int], rng: np.random.Generator) -> ChangedRows:
    arrays = _arrays(times, rng)
    assert arrays.fetched_at is not None
    return ChangedRows(
        open_time=arrays.open_time,
        open=arrays.open,
        high=arrays.high,
        low=arrays.low,
        close=arrays.close,
        volume=arrays.volume,
        fetched_at=arrays.fetched_at,
        newest_fetched_at=AT,
        max_fetched_at=AT,
    )


def _expected(window: CandleArrays, rows: ChangedRows) -> CandleArrays:
    merged: dict[int, tuple[float, ...]] = {}
    fetched: dict[int, int] = {}
    for source in (window, rows):
        assert source.fetched_at is not None
        for i, opened in enumerate(source.open_time.tolist()):
            merged[opened] = tuple(float(getattr(source, f)[i]) for f in FIELDS)
            fetched[opened] = int(source.fetched_at[i])
    times = sorted(merged)
    columns = [np.asarray([merged[t][k] for t in times]) for k in range(5)]
    opened = np.asarray(times, dtype=np.int64)
    fetched_at = np.asarray([fetched[t] for t in times], dtype=np.int64)
    o, h, lo, c, v = columns
    return CandleArrays(opened, o, h, lo, c, v, fetched_at)


@pytest.mark.parametrize("seed", range(40))
def test_merge_matches_a_dict_merge(seed: int) -> None:
    rng = np.random.default_rng(seed)
    window_times = sorted(rng.choice(60, size=int(rng.integers(0, 30)), replace=False).tolist())
    if seed % 3 == 0 and window_times:  # the usual shape: tail rewritten plus new candles
        changed_times = list(range(window_times[-1], window_times[-1] + int(rng.integers(1, 4))))
    else:
        changed_times = sorted(
            rng.choice(70, size=int(rng.integers(1, 10)), replace=False).tolist()
        )
    window, rows = _arrays(window_times, rng), _changed(changed_times, rng)
    got = merge_rows(window, rows)
    assert same_arrays(got, _expected(window, rows))
    assert all(getattr(got, f).flags.c_contiguous for f in ("open_time", *FIELDS, "fetched_at"))
