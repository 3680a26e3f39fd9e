"""The data-health view: per watchlist symbol, fetch status and freshness per timeframe.

Read by `atp market health`, `GET /api/market/health` and (later) the dashboard and audit. It
only reads: `market_data_status` (written by the updater, with the error reason of the last
failed fetch) and the newest candle per timeframe judged by the one freshness rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.timeframes import parse_timeframe
from atp.market import repo
from atp.market.freshness import Freshness, load_freshness
from atp.market.models import MarketDataStatus

NEVER_FETCHED = "NEVER_FETCHED"


@dataclass(frozen=True)
class SymbolHealth:
    symbol: str
    status: str  # OK / ERROR / STALE / NEVER_FETCHED
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    freshness: dict[str, Freshness]

    @property
    def healthy(self) -> bool:
        return self.status == "OK" and all(f.fresh for f in self.freshness.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "status": self.status,
            "healthy": self.healthy,
            "last_success_at": _iso(self.last_success_at),
            "last_attempt_at": _iso(self.last_attempt_at),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "freshness": {
                tf: {"fresh": f.fresh, "age_s": f.age_s, "limit_s": f.limit_s, "reason": f.reason}
                for tf, f in self.freshness.items()
            },
        }


def data_health(
    session: Session, *, timeframes: list[str], now: datetime, symbols: list[str] | None = None
) -> list[SymbolHealth]:
    """Health of `symbols` (default: the active watchlist) for each of `timeframes`."""
    wanted = sorted(symbols) if symbols is not None else repo.active_watchlist_symbols(session)
    by_tf = {tf: load_freshness(session, wanted, parse_timeframe(tf), now) for tf in timeframes}
    statuses = {
        row.symbol: row
        for row in session.scalars(
            select(MarketDataStatus).where(MarketDataStatus.symbol.in_(wanted))
        )
    }
    return [_health(symbol, statuses.get(symbol), by_tf) for symbol in wanted]


def _health(
    symbol: str, row: MarketDataStatus | None, by_tf: dict[str, dict[str, Freshness]]
) -> SymbolHealth:
    freshness = {tf: verdicts[symbol] for tf, verdicts in by_tf.items()}
    if row is None:
        return SymbolHealth(symbol, NEVER_FETCHED, None, None, None, 0, freshness)
    return SymbolHealth(
        symbol,
        row.status,
        row.last_success_at,
        row.last_attempt_at,
        row.last_error,
        row.consecutive_failures,
        freshness,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
