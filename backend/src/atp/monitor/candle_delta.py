"""The two small per-cycle queries behind the monitor's candle cache (one of each per timeframe).

- `changed_rows`: candles of the cached windows whose `fetched_at` is at or after a watermark
  (the market updater re-upserts the still-open candle and new ones with a new `fetched_at`).
  Each symbol is bounded by its own window start, so the primary key index
  (symbol, timeframe, open_time) serves it; no index on `fetched_at` is needed.
- `window_counts`: how many candles each window range holds now, to notice deleted rows
  (retention pruning) that a `fetched_at` watermark cannot see.

Values are converted with exactly the SQL expressions `atp.market.candles_read.load_candles`
uses (float8 / REAL casts, epoch milliseconds, fetch times in ms rounded down), so a merged window is bit-identical to a fresh
read; `tests/integration/test_monitor_candle_cache.py` checks that on both databases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from atp.core.candles import FloatArray, IntArray
from atp.market.candles_read import SQLITE_FETCHED_MS

# "No lower bound": a window that is not full takes every stored candle of the symbol.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime values are stored as text on SQLite

_PG_CHANGED = """
SELECT s.ord - 1, (date_part('epoch', c.open_time) * 1000)::int8,
       c.open::float8, c.high::float8, c.low::float8, c.close::float8, c.volume::float8,
       floor(date_part('epoch', c.fetched_at) * 1000)::int8, c.fetched_at
FROM unnest(CAST(:symbols AS text[]), CAST(:starts AS timestamptz[]))
     WITH ORDINALITY AS s(symbol, start, ord)
CROSS JOIN LATERAL (
  SELECT m.open_time, m.open, m.high, m.low, m.close, m.volume, m.fetched_at
  FROM market_candles m
  WHERE m.symbol = s.symbol AND m.timeframe = :timeframe AND m.open_time >= s.start
    AND m.fetched_at >= :since
) c
"""
_PG_COUNTS = """
SELECT s.ord - 1, (
  SELECT count(*) FROM market_candles m
  WHERE m.symbol = s.symbol AND m.timeframe = :timeframe AND m.open_time >= s.start
)
FROM unnest(CAST(:symbols AS text[]), CAST(:starts AS timestamptz[]))
     WITH ORDINALITY AS s(symbol, start, ord)
"""
# SQLite: the (position, symbol, start) list travels as one JSON parameter.
_SQLITE_WINDOWS = """
WITH w(pos, symbol, start) AS (
  SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), json_extract(value, '$[1]')
  FROM json_each(:windows)
)
"""
_SQLITE_CHANGED = (
    _SQLITE_WINDOWS
    + f"""
SELECT w.pos, CAST(strftime('%s', m.open_time) AS INTEGER) * 1000,
       CAST(m.open AS REAL), CAST(m.high AS REAL), CAST(m.low AS REAL), CAST(m.close AS REAL),
       CAST(m.volume AS REAL), {SQLITE_FETCHED_MS.replace("fetched_at", "m.fetched_at")},
       m.fetched_at
FROM w JOIN market_candles m
  ON m.symbol = w.symbol AND m.timeframe = :timeframe AND m.open_time >= w.start
WHERE m.fetched_at >= :since
"""
)
_SQLITE_COUNTS = (
    _SQLITE_WINDOWS
    + """
SELECT w.pos, (
  SELECT count(*) FROM market_candles m
  WHERE m.symbol = w.symbol AND m.timeframe = :timeframe AND m.open_time >= w.start
) FROM w
"""
)


@dataclass(frozen=True)
class ChangedRows:
    """Changed candles of one symbol, sorted by open time (epoch ms)."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    fetched_at: IntArray  # epoch ms, rounded down (as `load_candles` reads it)
    newest_fetched_at: datetime  # of the row with the latest open time
    max_fetched_at: datetime


def changed_rows(
    session: Session,
    windows: Sequence[tuple[str, datetime]],
    timeframe: str,
    since: datetime,
) -> dict[str, ChangedRows]:
    """{symbol: rows with open_time >= its window start and fetched_at >= since}."""
    if not windows:
        return {}
    rows = _execute(session, windows, timeframe, (_PG_CHANGED, _SQLITE_CHANGED), since=since)
    if not rows:
        return {}
    # Column-wise with numpy: after a backfill every row of every window may come back.
    columns = list(zip(*rows, strict=True))
    position = np.asarray(columns[0], dtype=np.int64)
    times = np.asarray(columns[1], dtype=np.int64)
    values = np.asarray(columns[2:7], dtype=np.float64)
    fetched_ms = np.asarray(columns[7], dtype=np.int64)
    fetched = columns[8]
    order = np.lexsort((times, position))
    position, times, values = position[order], times[order], values[:, order]
    fetched_ms = fetched_ms[order]
    cuts = np.flatnonzero(position[1:] != position[:-1]) + 1
    starts, ends = np.concatenate(([0], cuts)), np.concatenate((cuts, [len(position)]))
    out: dict[str, ChangedRows] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        # SQLite text timestamps are fixed-width, so max() on the raw values is chronological.
        raw = [fetched[i] for i in order[start:end].tolist()]
        out[windows[int(position[start])][0]] = ChangedRows(
            open_time=times[start:end],
            open=values[0, start:end],
            high=values[1, start:end],
            low=values[2, start:end],
            close=values[3, start:end],
            volume=values[4, start:end],
            fetched_at=fetched_ms[start:end],
            newest_fetched_at=as_utc(raw[-1]),
            max_fetched_at=as_utc(max(raw)),
        )
    return out


def window_counts(
    session: Session, windows: Sequence[tuple[str, datetime]], timeframe: str
) -> dict[str, int]:
    """{symbol: number of stored candles with open_time >= its window start}."""
    if not windows:
        return {}
    rows = _execute(session, windows, timeframe, (_PG_COUNTS, _SQLITE_COUNTS))
    return {windows[int(pos)][0]: int(count) for pos, count in rows}


def _execute(
    session: Session,
    windows: Sequence[tuple[str, datetime]],
    timeframe: str,
    queries: tuple[str, str],
    **extra: datetime,
) -> list[Any]:
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, Any] = {
            "symbols": [symbol for symbol, _ in windows],
            "starts": [start for _, start in windows],
            "timeframe": timeframe,
            **extra,
        }
        return list(session.execute(text(queries[0]), params))
    payload = json.dumps([[symbol, _sqlite_time(start)] for symbol, start in windows])
    sqlite_params: dict[str, Any] = {"windows": payload, "timeframe": timeframe}
    sqlite_params.update({name: _sqlite_time(value) for name, value in extra.items()})
    return list(session.execute(text(queries[1]), sqlite_params))


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_TIME)


def as_utc(value: Any) -> datetime:
    """A fetched_at from raw SQL: SQLite hands back naive UTC text, PostgreSQL an aware value."""
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
