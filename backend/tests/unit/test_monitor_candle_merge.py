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
    return CandleArrays(np.asarray(times, dtype=np.int64), *values)


def _changed(times: list[int], rng: np.random.Generator) -> ChangedRows:
    arrays = _arrays(times, rng)
    return ChangedRows(
        open_time=arrays.open_time,
        open=arrays.open,
        high=arrays.high,
        low=arrays.low,
        close=arrays.close,
        volume=arrays.volume,
        newest_fetched_at=AT,
        max_fetched_at=AT,
    )


def _expected(window: CandleArrays, rows: ChangedRows) -> CandleArrays:
    merged: dict[int, tuple[float, ...]] = {}
    for source in (window, rows):
        for i, opened in enumerate(source.open_time.tolist()):
            merged[opened] = tuple(float(getattr(source, f)[i]) for f in FIELDS)
    times = sorted(merged)
    columns = [[merged[t][k] for t in times] for k in range(5)]
    return CandleArrays(np.asarray(times, dtype=np.int64), *(np.asarray(c) for c in columns))


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
    assert all(getattr(got, f).flags.c_contiguous for f in ("open_time", *FIELDS))
