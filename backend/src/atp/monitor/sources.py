"""The monitor's only touch-points with other areas' reading code (one adapter per contract).

Keeping them here means a contract change in market data or preset resolution is one edit.
(`candle_delta` is the exception: the monitor's own incremental read of `market_candles`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.timeframes import parse_timeframe
from atp.market.candles_read import load_candles as _load_candles
from atp.market.freshness import newest_candles as _newest_candles
from atp.signals.presets import ResolvedPreset, resolve_many
from atp.watchlist.models import WatchlistItem


def load_candles(
    session: Session, symbols: Sequence[str], timeframe: str, limit: int
) -> dict[str, CandleArrays]:
    """Newest `limit` candles per symbol, oldest first (market-data area)."""
    return _load_candles(session, symbols, timeframe, limit)


def newest_candles(
    session: Session, symbols: Sequence[str], timeframe: str
) -> dict[str, tuple[datetime, datetime]]:
    """{symbol: (open_time, fetched_at)} of the newest stored candle: what freshness judges."""
    return _newest_candles(session, sorted(set(symbols)), parse_timeframe(timeframe))


def resolve_presets(
    session: Session, rows: Sequence[WatchlistItem]
) -> tuple[dict[str, ResolvedPreset], dict[str, str]]:
    """({symbol: ResolvedPreset(key, version, params)}, {symbol: why it did not resolve})."""
    batch = resolve_many(session, list(rows))
    return dict(batch), dict(batch.errors)
