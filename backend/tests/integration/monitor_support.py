"""Seed helpers for the monitor tests: presets that force a side, synthetic candles, tickers.

Candles are generated here (never copied from real data). Timeframe 1h; the newest candle is the
one in progress at `now` (the monitor drops it), all fetched at `now` so the data is fresh.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from atp.core.presets import PresetParams
from atp.market.models import MarketCandle, MarketPrice
from atp.monitor.cycle import CycleReport, run_cycle
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem

NOW = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)

_BASE = {
    "timeframe": "1h",
    "check_ema10": False,
    "check_ma50": False,
    "check_ma200": False,
    "volume_min_ratio": 0,
    "cooldown_minutes": "10",
    "min_price_change_pct": "1.0",
    "sl_method": "percent",
    "sl_pct": "2",
    "tp_method": "percent",
    "tp_pct": "3",
}
# RSI of the synthetic series stays between ~20 and ~80, so these thresholds force a side.
PRESETS: dict[str, dict[str, Any]] = {
    "test:buy": {"rsi_buy_below": 99, "rsi_sell_above": 99.5},
    "test:sell": {"rsi_buy_below": 1, "rsi_sell_above": 2},
    "test:none": {"rsi_buy_below": 1, "rsi_sell_above": 99},
}


def seed_presets(session: Session) -> None:
    for key, values in PRESETS.items():
        params = PresetParams.from_dict({**_BASE, **values})
        strategy, risk = key.split(":")
        session.add(
            StrategyPreset(
                key=key, strategy=strategy, risk=risk, version=1, params=params.to_dict()
            )
        )
    session.flush()


def add_symbol(
    session: Session, symbol: str, preset: str = "test:buy", **fields: Any
) -> WatchlistItem:
    values: dict[str, Any] = {"alert_enabled": True, "preset": preset}
    values.update(fields)
    item = WatchlistItem(symbol=symbol, exchange="CRYPTO_COM", **values)
    session.add(item)
    session.flush()
    return item


def candle_rows(
    symbol: str,
    *,
    now: datetime = NOW,
    count: int = 60,
    base: float = 100.0,
    fetched_at: datetime | None = None,
) -> list[dict[str, Any]]:
    fetched = fetched_at or now
    newest_open = now.replace(minute=0, second=0, microsecond=0)
    rows = []
    for i in range(count):
        open_time = newest_open - (count - 1 - i) * HOUR
        close = base * (1 + 0.02 * math.sin(i / 3.0) + 0.001 * (i % 5))
        prev = base * (1 + 0.02 * math.sin((i - 1) / 3.0) + 0.001 * ((i - 1) % 5))
        rows.append(
            {
                "symbol": symbol,
                "timeframe": "1h",
                "open_time": open_time,
                "open": _d(prev),
                "high": _d(max(prev, close) * 1.002),
                "low": _d(min(prev, close) * 0.998),
                "close": _d(close),
                "volume": _d(1000 + 10 * (i % 7)),
                "fetched_at": fetched,
                "source": "test",
            }
        )
    return rows


def _d(value: float) -> Decimal:
    return Decimal(f"{value:.8f}")


def seed_candles(session: Session, symbols: Iterable[str], **kwargs: Any) -> None:
    rows: list[dict[str, Any]] = []
    for symbol in symbols:
        rows += candle_rows(symbol, **kwargs)
    session.execute(insert(MarketCandle), rows)


def set_ticker(session: Session, symbol: str, price: str, *, at: datetime = NOW) -> None:
    row = session.get(MarketPrice, symbol)
    if row is None:
        row = MarketPrice(symbol=symbol, exchange_ts=at, fetched_at=at, source="test")
        session.add(row)
    row.last, row.exchange_ts, row.fetched_at = Decimal(price), at, at
    session.flush()


def cycle_at(sessions: sessionmaker[Session], settings: Settings, at: datetime) -> CycleReport:
    """A monitor cycle at `at` with every ticker re-fetched just then (same price, fresh)."""
    with sessions.begin() as session:
        for row in session.scalars(select(MarketPrice)):
            row.exchange_ts = row.fetched_at = at
    return run_cycle(sessions, settings, now=at)


def seed_world(
    sessions: sessionmaker[Session], symbols: dict[str, dict[str, Any]], *, now: datetime = NOW
) -> None:
    """Presets + watchlist rows ({symbol: fields incl. preset}) + fresh candles + tickers at 100."""
    with sessions.begin() as session:
        seed_presets(session)
        for symbol, fields in symbols.items():
            add_symbol(session, symbol, **fields)
        seed_candles(session, symbols, now=now)
        for symbol in symbols:
            set_ticker(session, symbol, "100", at=now)


def write_leader_beat(
    sessions: sessionmaker[Session],
    *,
    state: str = "running",
    at: datetime | None = None,
    instance: str = "beat-test",
) -> None:
    """A leader heartbeat row as a live `atp monitor` writes it (its own code), without a cycle."""
    from atp.db.base import utcnow
    from atp.monitor.heartbeat import Beat, Heartbeat

    at = at or utcnow()
    beat = Beat("leader", state, 1, 1, 5, 0, details={"last_cycle_at": at.isoformat()})
    with sessions.begin() as session:
        Heartbeat(instance, log_every_s=300, interval_s=30).write(session, beat, at)
