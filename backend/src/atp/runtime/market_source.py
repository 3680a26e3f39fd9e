"""Composition of the market-data source: the Crypto.com public API or the offline replay feed."""

from __future__ import annotations

import random

from atp.market.ports import MarketData
from atp.settings import Settings


def build_market_source(settings: Settings, *, rng: random.Random | None = None) -> MarketData:
    """The configured source: the Crypto.com public API, or the offline replay feed."""
    if settings.market_source == "exchange":
        from atp.adapters.cryptocom.market_data import CryptoComMarketData

        return CryptoComMarketData.from_settings(settings, rng=rng)
    from datetime import UTC, datetime

    from atp.market.replay import CsvReplaySource, ReplayClock, SyntheticReplaySource

    if settings.replay_csv_dir is not None:
        return CsvReplaySource.from_dir(
            settings.replay_csv_dir,
            speed=settings.replay_speed,
            backfill=settings.market_backfill_candles,
            relabel_to_wall=True,  # the monitor judges freshness by the wall clock
        )
    clock = ReplayClock(datetime.now(UTC), speed=settings.replay_speed)
    return SyntheticReplaySource(seed=settings.replay_seed, clock=clock)
