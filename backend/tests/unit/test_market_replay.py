"""The replay feed: deterministic synthetic data, CSV files revealed over replay time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from atp.core.timeframes import Timeframe, duration_ms
from atp.market.errors import MalformedDataError, MarketDataError
from atp.market.replay import CsvReplaySource, ReplayClock, SyntheticReplaySource
from atp.market.synthetic import SyntheticMarket

START = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


class Wall:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def source(seed: int, wall: Wall | None = None, speed: float = 1.0) -> SyntheticReplaySource:
    return SyntheticReplaySource(
        seed=seed, clock=ReplayClock(START, speed=speed, wall=wall or Wall())
    )


async def test_synthetic_feed_is_deterministic_given_a_seed() -> None:
    a = await source(7).fetch_candles("BTC_USDT", Timeframe.H1, count=300)
    b = await source(7).fetch_candles("BTC_USDT", Timeframe.H1, count=300)
    c = await source(8).fetch_candles("BTC_USDT", Timeframe.H1, count=300)
    assert a == b and a != c and len(a) == 300
    assert all(isinstance(x.close, Decimal) for x in a)
    assert all(x.low <= min(x.open, x.close) and x.high >= max(x.open, x.close) for x in a)
    opens = [x.open_time_ms for x in a]
    assert all(q - p == duration_ms(Timeframe.H1) for p, q in itertools.pairwise(opens))


def test_synthetic_path_has_trends_gaps_and_volume_spikes() -> None:
    market = SyntheticMarket(3)
    now_ms = int(START.timestamp() * 1000)
    daily = market.candles("ETH_USDT", Timeframe.D1, count=300, now_ms=now_ms)
    closes = [c[4] for c in daily]
    assert max(closes) / min(closes) > 1.2  # it moves
    fives = market.candles("ETH_USDT", Timeframe.M5, count=3000, now_ms=now_ms)
    jumps = [abs(b[1] / a[4] - 1) for a, b in itertools.pairwise(fives)]
    assert max(jumps) > 0.009  # at least one gap between candles
    volumes = sorted(c[5] for c in fives)
    assert volumes[-1] > 4 * volumes[len(volumes) // 2]  # spikes


async def test_replay_time_advances_with_speed() -> None:
    wall = Wall()
    feed = source(1, wall, speed=60.0)
    before = await feed.fetch_candles("SOL_USDT", Timeframe.M1, count=3)
    wall.t += 10  # 10 wall seconds at 60x = 10 replay minutes
    after = await feed.fetch_candles("SOL_USDT", Timeframe.M1, count=3)
    assert after[-1].open_time_ms - before[-1].open_time_ms == 10 * 60_000
    tickers = await feed.fetch_tickers(["SOL_USDT"])
    ticker = tickers.rows["SOL_USDT"]
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask
    assert ticker.exchange_ts_ms == int(feed.now().timestamp() * 1000)


def _write_csv(path: Path, start_ms: int, step_ms: int, n: int) -> None:
    lines = ["ts_ms,open,high,low,close,volume"]
    for i in range(n):
        lines.append(f"{start_ms + i * step_ms},{100 + i},{101 + i},{99 + i},{100.5 + i},{10 + i}")
    path.write_text("\n".join(lines) + "\n")


async def test_csv_replay_reveals_closed_candles_as_time_passes(tmp_path: Path) -> None:
    start = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000
    _write_csv(tmp_path / "BTC_USDT-1h.csv", start, 3_600_000, 24 * 320)
    _write_csv(tmp_path / "BTC_USDT-1d.csv", start, 86_400_000, 320)
    wall = Wall()
    feed = CsvReplaySource.from_dir(tmp_path, speed=3600.0, backfill=300, wall=wall)
    daily = await feed.fetch_candles("BTC_USDT", Timeframe.D1, count=300)
    assert len(daily) == 300 and daily[-1].open_time_ms == start + 299 * 86_400_000
    hourly = await feed.fetch_candles("BTC_USDT", Timeframe.H1, count=1000)
    wall.t += 5  # five replay hours
    later = await feed.fetch_candles("BTC_USDT", Timeframe.H1, count=1000)
    assert later[-1].open_time_ms - hourly[-1].open_time_ms == 5 * 3_600_000
    incremental = await feed.fetch_candles(
        "BTC_USDT", Timeframe.H1, count=10, start_ms=later[-2].open_time_ms
    )
    assert incremental == later[-2:]
    ticker = (await feed.fetch_tickers(["BTC_USDT"])).rows["BTC_USDT"]
    assert ticker.last == later[-1].close
    with pytest.raises(MarketDataError):
        await feed.fetch_candles("ETH_USDT", Timeframe.H1, count=10)


def test_csv_replay_rejects_bad_files(tmp_path: Path) -> None:
    (tmp_path / "BTC_USDT-1h.csv").write_text("time,o,h,l,c,v\n1,2,3,4,5,6\n")
    with pytest.raises(MalformedDataError, match="header"):
        CsvReplaySource.from_dir(tmp_path, speed=1, backfill=300)
    (tmp_path / "BTC_USDT-1h.csv").write_text("ts_ms,open,high,low,close,volume\n1,2,x,4,5,6\n")
    with pytest.raises(MalformedDataError, match=":2"):
        CsvReplaySource.from_dir(tmp_path, speed=1, backfill=300)
    with pytest.raises(MarketDataError, match="no"):
        CsvReplaySource.from_dir(tmp_path / "missing", speed=1, backfill=300)


async def test_csv_replay_relabelled_to_the_wall_clock_keeps_boundaries(tmp_path: Path) -> None:
    start = 1_600_000_000_000 - 1_600_000_000_000 % 86_400_000  # old history, midnight-aligned
    _write_csv(tmp_path / "BTC_USDT-1h.csv", start, 3_600_000, 24 * 320)
    _write_csv(tmp_path / "BTC_USDT-1d.csv", start, 86_400_000, 320)
    wall = Wall()
    wall.t = 1_800_000_123.456  # "now", far after the files, not on any boundary
    feed = CsvReplaySource.from_dir(
        tmp_path, speed=1.0, backfill=300, wall=wall, relabel_to_wall=True
    )
    assert abs(feed.now().timestamp() - wall.t) < 1e-3  # replay time is wall time
    hourly = await feed.fetch_candles("BTC_USDT", Timeframe.H1, count=300)
    daily = await feed.fetch_candles("BTC_USDT", Timeframe.D1, count=300)
    now_ms = int(wall.t * 1000)
    assert 0 < now_ms - hourly[-1].open_time_ms <= 2 * 3_600_000  # the last closed hour
    assert all(c.open_time_ms % 3_600_000 == 0 for c in hourly)
    assert all(c.open_time_ms % 86_400_000 == 0 for c in daily) and len(daily) == 300
    wall.t += 7200  # two real hours later, two more hourly candles have closed
    later = await feed.fetch_candles("BTC_USDT", Timeframe.H1, count=300)
    assert later[-1].open_time_ms - hourly[-1].open_time_ms == 2 * 3_600_000
    ticker = (await feed.fetch_tickers(["BTC_USDT"])).rows["BTC_USDT"]
    # The ticker is a snapshot taken now (the monitor refuses old tickers), priced at that close.
    assert abs(ticker.exchange_ts_ms - int(feed.now().timestamp() * 1000)) <= 1
    assert ticker.last == later[-1].close
