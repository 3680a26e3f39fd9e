"""In-process candle windows for the monitor: read the history once, then only what changed.

Reading 250 candles x 500 symbols every cycle was most of a cycle's time. The leader keeps, per
(timeframe, symbol), the newest `limit` stored candles (the one still in progress included) and
the (open time, fetched_at) of the newest one; every candle keeps its own fetch time, which
decides whether it was fetched after its close (`atp.market.freshness.closed_candles`, applied
by `atp.monitor.inputs` to both this and a cold read). Each cycle then, per timeframe:

1. changed rows: candles of the cached windows with `fetched_at >= watermark - overlap`
   (`candle_delta.changed_rows`), merged in: same open time replaced, newer appended, the
   window cut back to `limit`;
2. counts: the number of stored candles in each window's range (`candle_delta.window_counts`);
   a window whose merged length differs (rows were pruned or deleted, or a row slipped under
   the watermark) is read again in full;
3. symbols new to the cache, windows that failed the count check and a few of the windows
   read longest ago (every window is re-read once per `refresh_cycles`; a difference from the
   cached copy is logged as drift) are read in full with the market area's `load_candles`,
   after the newest-candle query (`newest_candles`) that also feeds freshness.

Watermark. The updater writes a whole pass in one transaction, and every fetch of the next pass
starts after that commit, so any row committed after a read has a `fetched_at` later than every
`fetched_at` that read could see. The watermark is therefore the largest `fetched_at` seen by a
read that covered every window of the timeframe (capped at the cycle's `now`); the changed-rows
query starts `overlap_s` earlier to absorb clock steps and a second writer, re-reading a few
rows (merging them again is a no-op). Freshness comes from the cached newest candle through the
shared rule `atp.market.freshness.check_freshness`, exactly what `load_freshness` computes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.market.freshness import Freshness, check_freshness
from atp.monitor import sources
from atp.monitor.candle_delta import EPOCH, ChangedRows, as_utc, changed_rows, window_counts

log = logging.getLogger(__name__)

DEFAULT_OVERLAP_S = 300.0
DEFAULT_REFRESH_CYCLES = 120  # every window is re-read in full about once an hour at 30 s


@dataclass
class _Window:
    arrays: CandleArrays
    newest: tuple[int, datetime] | None  # (open time ms, fetched_at) of the newest stored candle
    loaded_cycle: int


@dataclass
class _Timeframe:
    limit: int
    windows: dict[str, _Window] = field(default_factory=dict)
    watermark: datetime | None = None


@dataclass
class CacheStats:
    """What the last `read` calls of a cycle did (heartbeat details, benchmark, tests)."""

    loaded: int = 0  # windows read in full: new symbols and refreshes
    reloaded: int = 0  # windows read again because the count check failed
    changed_rows: int = 0
    drift: int = 0  # refreshed windows that differed from the cached copy

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass(frozen=True)
class MarketWindow:
    candles: dict[str, CandleArrays]  # newest `limit` stored candles, in progress included
    freshness: dict[str, Freshness]


class CandleCache:
    """One per monitor leader; `read` is called once per timeframe per cycle."""

    def __init__(
        self,
        *,
        overlap_s: float = DEFAULT_OVERLAP_S,
        refresh_cycles: int | None = DEFAULT_REFRESH_CYCLES,
    ) -> None:
        """`refresh_cycles=None` turns the rolling full re-read off (tests of the delta path)."""
        if overlap_s < 0 or (refresh_cycles is not None and refresh_cycles < 1):
            raise ValueError("overlap_s must be >= 0 and refresh_cycles >= 1")
        self.overlap = timedelta(seconds=overlap_s)
        self.refresh_cycles = refresh_cycles
        self.cycle = 0
        self.stats = CacheStats()
        self._timeframes: dict[str, _Timeframe] = {}

    def clear(self) -> None:
        """Forget everything (lost leadership, failed cycle): the next read starts cold."""
        self._timeframes.clear()

    def start_cycle(self, timeframes: Iterable[str]) -> None:
        """Count a cycle, reset the stats and drop timeframes no symbol uses any more."""
        self.cycle += 1
        self.stats = CacheStats()
        keep = set(timeframes)
        for name in [tf for tf in self._timeframes if tf not in keep]:
            del self._timeframes[name]

    def read(
        self, session: Session, symbols: Iterable[str], timeframe: str, limit: int, now: datetime
    ) -> MarketWindow:
        """Windows and freshness of exactly `symbols` (others are dropped from the cache)."""
        wanted = sorted(set(symbols))
        group = self._timeframes.get(timeframe)
        if group is None or group.limit != limit:
            group = self._timeframes[timeframe] = _Timeframe(limit)
        for gone in set(group.windows) - set(wanted):
            del group.windows[gone]
        known = [s for s in wanted if s in group.windows]
        failed = self._apply_changes(session, group, known, timeframe, now) if known else []
        missing = [s for s in wanted if s not in group.windows]
        due = self._due_for_refresh(group, known, set(failed))
        self._load(session, group, missing + due, timeframe, now, covers_all=not known)
        self.stats.reloaded += len(failed)
        windows = group.windows
        return MarketWindow(
            candles={s: windows[s].arrays for s in wanted},
            freshness={s: _freshness(s, timeframe, windows[s].newest, now) for s in wanted},
        )

    # --- steps ----------------------------------------------------------------------------

    def _apply_changes(
        self, session: Session, group: _Timeframe, known: list[str], timeframe: str, now: datetime
    ) -> list[str]:
        """Merge changed rows into `known` windows; returns (and drops) windows to read again."""
        starts = [(s, _window_start(group.windows[s].arrays, group.limit)) for s in known]
        since = EPOCH if group.watermark is None else group.watermark - self.overlap
        changes = changed_rows(session, starts, timeframe, since)
        counts = window_counts(session, starts, timeframe)
        failed: list[str] = []
        for symbol in known:
            window = group.windows[symbol]
            rows = changes.get(symbol)
            merged = window.arrays if rows is None else merge_rows(window.arrays, rows)
            newest = window.newest if rows is None else _newer(window.newest, rows)
            last = int(merged.open_time[-1]) if len(merged) else None
            if len(merged) != counts.get(symbol, 0) or last != (newest and newest[0]):
                failed.append(symbol)
                del group.windows[symbol]
                continue
            window.arrays, window.newest = merged.tail(group.limit), newest
        seen = [rows.max_fetched_at for rows in changes.values()]
        self.stats.changed_rows += sum(len(rows.open_time) for rows in changes.values())
        group.watermark = _cap(max([*seen, *_present(group.watermark)], default=None), now)
        return failed

    def _due_for_refresh(self, group: _Timeframe, known: list[str], skip: set[str]) -> list[str]:
        """The windows read longest ago, spread so each is re-read once per `refresh_cycles`."""
        if self.refresh_cycles is None:
            return []
        n, cycles = len(known), self.refresh_cycles
        count = (self.cycle * n) // cycles - ((self.cycle - 1) * n) // cycles
        candidates = [s for s in known if s not in skip and s in group.windows]
        oldest = sorted(candidates, key=lambda s: (group.windows[s].loaded_cycle, s))[:count]
        return [s for s in oldest if group.windows[s].loaded_cycle < self.cycle]

    def _load(
        self,
        session: Session,
        group: _Timeframe,
        symbols: list[str],
        timeframe: str,
        now: datetime,
        *,
        covers_all: bool,
    ) -> None:
        if not symbols:
            return
        # Newest candles first: everything committed after this query is newer than what it saw.
        newest = sources.newest_candles(session, symbols, timeframe)
        arrays = sources.load_candles(session, symbols, timeframe, group.limit)
        for symbol in symbols:
            pair = newest.get(symbol)
            entry = None if pair is None else (_ms(pair[0]), as_utc(pair[1]))
            series = arrays.get(symbol, CandleArrays.empty())
            previous = group.windows.get(symbol)
            if previous is not None and not same_arrays(previous.arrays, series):
                self.stats.drift += 1
                log.warning(
                    "[MONITOR] candle cache drift symbol=%s timeframe=%s (a full re-read differed"
                    " from the merged window; an updater commit in between also does this)",
                    symbol,
                    timeframe,
                )
            group.windows[symbol] = _Window(series, entry, self.cycle)
        self.stats.loaded += len(symbols)
        if covers_all:
            fetched = [as_utc(pair[1]) for pair in newest.values()]
            group.watermark = _cap(max(fetched, default=None), now)


_MERGED = ("open", "high", "low", "close", "volume", "fetched_at")


def merge_rows(window: CandleArrays, rows: ChangedRows) -> CandleArrays:
    """`window` with `rows` merged in: same open time replaced, others inserted in order."""
    if window.fetched_at is None:
        raise ValueError("a cached window must carry each candle's fetch time")
    times = window.open_time
    if len(times) == 0 or rows.open_time[0] >= times[-1]:  # the usual case: tail rewritten
        keep = int(np.searchsorted(times, rows.open_time[0], side="left"))
        parts = {name: (getattr(window, name)[:keep], getattr(rows, name)) for name in _MERGED}
        return CandleArrays(
            np.concatenate((times[:keep], rows.open_time)),
            *(np.concatenate(parts[name]) for name in _MERGED),
        )
    kept = ~np.isin(times, rows.open_time)
    joined = np.concatenate((times[kept], rows.open_time))
    order = np.argsort(joined, kind="stable")
    return CandleArrays(
        np.ascontiguousarray(joined[order]),
        *(
            np.ascontiguousarray(
                np.concatenate((getattr(window, name)[kept], getattr(rows, name)))[order]
            )
            for name in _MERGED
        ),
    )


def same_arrays(a: CandleArrays, b: CandleArrays) -> bool:
    fields = ("open_time", "open", "high", "low", "close", "volume")
    if a.fetched_at is None or b.fetched_at is None:
        fetched_same = a.fetched_at is None and b.fetched_at is None
    else:
        fetched_same = np.array_equal(a.fetched_at, b.fetched_at)
    return (
        len(a) == len(b)
        and fetched_same
        and all(
            np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True) for name in fields
        )
    )


def _window_start(arrays: CandleArrays, limit: int) -> datetime:
    """A full window only changes from its oldest candle on; a short one takes every row."""
    if len(arrays) < limit:
        return EPOCH
    return datetime.fromtimestamp(int(arrays.open_time[0]) / 1000, tz=UTC)


def _newer(current: tuple[int, datetime] | None, rows: ChangedRows) -> tuple[int, datetime] | None:
    last = int(rows.open_time[-1])
    if current is None or last >= current[0]:
        return last, rows.newest_fetched_at
    return current


def _present(value: datetime | None) -> list[datetime]:
    return [] if value is None else [value]


def _cap(watermark: datetime | None, now: datetime) -> datetime | None:
    """A fetched_at from a clock ahead of ours must not push the watermark past our `now`."""
    return None if watermark is None else min(watermark, now)


def _ms(moment: datetime) -> int:
    return int(as_utc(moment).timestamp() * 1000)


def _freshness(
    symbol: str, timeframe: str, newest: tuple[int, datetime] | None, now: datetime
) -> Freshness:
    opened = None if newest is None else datetime.fromtimestamp(newest[0] / 1000, tz=UTC)
    fetched = None if newest is None else newest[1]
    return check_freshness(
        symbol=symbol, timeframe=timeframe, last_candle_open=opened, fetched_at=fetched, now=now
    )
