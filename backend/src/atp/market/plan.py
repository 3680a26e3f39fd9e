"""What one updater pass fetches: symbols, timeframes, and backfill vs incremental per key."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from atp.core.timeframes import Timeframe, duration_ms, parse_timeframe
from atp.market import repo
from atp.market.models import MarketDataStatus


@dataclass(frozen=True)
class CandleRequest:
    """Fetch the newest `count` candles, only those opened at or after `start_ms` if set."""

    count: int
    start_ms: int | None

    @property
    def is_backfill(self) -> bool:
        return self.start_ms is None


@dataclass
class PassPlan:
    symbols: list[str]
    timeframes: list[Timeframe]
    states: dict[tuple[str, Timeframe], repo.CandleState]
    known_instruments: set[str]
    statuses: dict[str, MarketDataStatus] = field(default_factory=dict)


def load_plan(
    session: Session, *, extra_symbols: tuple[str, ...], default_timeframes: tuple[str, ...]
) -> PassPlan:
    symbols = sorted(set(repo.active_watchlist_symbols(session)) | set(extra_symbols))
    timeframes = {parse_timeframe(name) for name in default_timeframes}
    timeframes |= repo.preset_timeframes(session)
    ordered = sorted(timeframes, key=duration_ms)
    return PassPlan(
        symbols=symbols,
        timeframes=ordered,
        states=repo.candle_states(session, symbols, ordered),
        known_instruments=repo.known_instrument_symbols(session),
        statuses=repo.load_statuses(session, symbols),
    )


def candle_request(
    state: repo.CandleState | None, timeframe: Timeframe, *, now_ms: int, backfill: int
) -> CandleRequest:
    """Backfill until `backfill` candles are stored; afterwards only new and still-open ones.

    After a downtime longer than `backfill` candles the newest `backfill` are fetched again
    (a hole in old history is acceptable; an unbounded catch-up is not).
    """
    if state is None or state.count < backfill:
        return CandleRequest(count=backfill, start_ms=None)
    missing = (now_ms - state.newest_open_ms) // duration_ms(timeframe) + 1
    if missing >= backfill:
        return CandleRequest(count=backfill, start_ms=None)
    return CandleRequest(count=max(1, missing + 1), start_ms=state.newest_open_ms)
