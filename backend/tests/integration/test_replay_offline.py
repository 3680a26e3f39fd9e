"""The whole decision path offline from CSV files: replay -> market tables -> monitor decisions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.db.session import unit_of_work
from atp.market.errors import MarketDataError
from atp.market.updater import MarketUpdater
from atp.monitor.cycle import run_cycle
from atp.ops.config_trail import ChangeSource
from atp.runtime.market_source import build_market_source
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from atp.watchlist import service as watchlist_service

STEPS = {"5m": 300_000, "1h": 3_600_000, "1d": 86_400_000}


def _write_history(directory: Path, symbol: str) -> None:
    """Three files ending at the same (old) instant, each with a backfill plus more than a day."""
    end = 1_600_000_000_000 - 1_600_000_000_000 % 86_400_000
    for name, step in STEPS.items():
        count = {"5m": 700, "1h": 340, "1d": 320}[name]
        start = end - count * step
        lines = ["ts_ms,open,high,low,close,volume"]
        for i in range(count):
            price = 100 + 10 * math.sin(i / 37) + i * 0.001
            lines.append(
                f"{start + i * step},{price},{price + 1},{price - 1},{price + 0.5},{50 + i % 7}"
            )
        (directory / f"{symbol}-{name}.csv").write_text("\n".join(lines) + "\n")


async def test_csv_replay_feeds_fresh_data_to_the_monitor(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    csv_dir = tmp_path / "candles"
    csv_dir.mkdir()
    _write_history(csv_dir, "ETH_USDT")
    replay = settings.model_copy(update={"market_source": "replay", "replay_csv_dir": csv_dir})
    seed_all(sessions)
    with unit_of_work(sessions) as session:
        watchlist_service.add_item(
            session,
            symbol="ETH_USDT",
            source=ChangeSource.CLI,
            values={"preset": "intraday:aggressive", "alert_enabled": "true"},
        )
    source = build_market_source(replay)
    try:
        report = await MarketUpdater(source, sessions, replay).run_pass()
    finally:
        await source.aclose()
    assert report.ok == 1 and not report.errors and not report.stale
    run_cycle(sessions, replay)  # judged by the wall clock, like production
    with sessions() as session:
        state = session.get(WatchlistSignalState, "ETH_USDT")
    assert state is not None and state.decision_reason != "MARKET_DATA_STALE"
    assert state.alert_block_reason != "MARKET_DATA_STALE" and state.indicators


def test_csv_history_too_short_to_follow_the_wall_clock_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    end = 1_600_000_000_000
    lines = ["ts_ms,open,high,low,close,volume"]
    lines += [f"{end - (300 - i) * 300_000},1,2,0.5,1.5,10" for i in range(300)]
    (tmp_path / "ETH_USDT-5m.csv").write_text("\n".join(lines) + "\n")
    replay = settings.model_copy(update={"market_source": "replay", "replay_csv_dir": tmp_path})
    with pytest.raises(MarketDataError, match="end too soon"):
        build_market_source(replay)
