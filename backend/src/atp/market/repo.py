"""Market tables: what to track, what is stored, and the batch writes of one pass.

Writers flush and never commit: the caller's unit of work owns the transaction.
`load_candles` (numpy arrays for the monitor) lives in `candles_read` and is re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from atp.core.timeframes import Timeframe, parse_timeframe
from atp.market.bulk import CandleBatch, upsert_candle_batches
from atp.market.candles_read import load_candles
from atp.market.models import Instrument, MarketCandle, MarketDataStatus, MarketPrice
from atp.market.ports import Candle, InstrumentInfo, Ticker
from atp.ops.heartbeats import MARKET_SERVICE
from atp.ops.heartbeats import write_heartbeat as write_shared_heartbeat
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem

__all__ = ["CandleState", "load_candles"]

log = logging.getLogger(__name__)

_WRITE_CHUNK = 5000


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def datetime_to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- what to track -------------------------------------------------------------------------


def active_watchlist_symbols(session: Session) -> list[str]:
    stmt = select(WatchlistItem.symbol).where(WatchlistItem.is_deleted.is_(False))
    return sorted(set(session.scalars(stmt)))


def preset_timeframes(session: Session) -> set[Timeframe]:
    """Timeframes named by presets (or per-symbol overrides) of active watchlist rows.

    Read defensively: presets are owned by the signal engine and may carry no timeframe or an
    unknown spelling; such values are skipped with a warning instead of failing the pass.
    """
    rows = session.execute(
        select(WatchlistItem.symbol, WatchlistItem.overrides, StrategyPreset.params)
        .outerjoin(StrategyPreset, StrategyPreset.key == WatchlistItem.preset)
        .where(WatchlistItem.is_deleted.is_(False))
    ).all()
    found: set[Timeframe] = set()
    for symbol, overrides, params in rows:
        for source in (params, overrides):
            value = source.get("timeframe") if isinstance(source, dict) else None
            if value is None:
                continue
            try:
                found.add(parse_timeframe(str(value)))
            except ValueError:
                log.warning("ignoring unknown timeframe %r configured for %s", value, symbol)
    return found


# --- what is stored ------------------------------------------------------------------------


@dataclass(frozen=True)
class CandleState:
    newest_open_ms: int
    count: int


def candle_states(
    session: Session, symbols: Sequence[str], timeframes: Iterable[Timeframe]
) -> dict[tuple[str, Timeframe], CandleState]:
    tf_values = [tf.value for tf in timeframes]
    if not symbols or not tf_values:
        return {}
    c = MarketCandle.__table__.c
    stmt = (
        select(c.symbol, c.timeframe, func.max(c.open_time), func.count())
        .where(c.symbol.in_(list(symbols)), c.timeframe.in_(tf_values))
        .group_by(c.symbol, c.timeframe)
    )
    states: dict[tuple[str, Timeframe], CandleState] = {}
    for symbol, timeframe, newest, count in session.execute(stmt):
        newest_dt = _as_utc(newest)
        states[(symbol, Timeframe(timeframe))] = CandleState(datetime_to_ms(newest_dt), int(count))
    return states


def _as_utc(value: Any) -> datetime:
    # Aggregates bypass the column type: SQLite hands back text, PostgreSQL an aware datetime.
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def known_instrument_symbols(session: Session) -> set[str]:
    return set(session.scalars(select(Instrument.symbol)))


def load_statuses(session: Session, symbols: Sequence[str]) -> dict[str, MarketDataStatus]:
    if not symbols:
        return {}
    stmt = select(MarketDataStatus).where(MarketDataStatus.symbol.in_(list(symbols)))
    return {row.symbol: row for row in session.scalars(stmt)}


# --- writes --------------------------------------------------------------------------------


def upsert_instruments(
    session: Session, rows: Iterable[InstrumentInfo], fetched_at: datetime
) -> int:
    values = [{**vars(info), "fetched_at": fetched_at} for info in rows]
    return _upsert(session, Instrument, values, ["symbol"])


def upsert_tickers(
    session: Session, tickers: Iterable[tuple[Ticker | None, datetime | None]], *, source: str
) -> int:
    """Latest ticker per symbol, each with the time it was fetched (only successful fetches)."""
    values = []
    for ticker, fetched_at in tickers:
        if ticker is None or fetched_at is None:
            raise ValueError("a ticker row needs the ticker and its fetch time")
        row = {k: v for k, v in vars(ticker).items() if k != "exchange_ts_ms"}
        row.update(
            exchange_ts=ms_to_datetime(ticker.exchange_ts_ms), fetched_at=fetched_at, source=source
        )
        values.append(row)
    return _upsert(session, MarketPrice, values, ["symbol"])


def candle_rows(
    symbol: str,
    timeframe: Timeframe,
    candles: Iterable[Candle],
    *,
    fetched_at: datetime,
    source: str,
) -> list[dict[str, Any]]:
    """Candles as column dicts (for callers that build rows themselves)."""
    return [
        {
            "symbol": symbol,
            "timeframe": timeframe.value,
            "open_time": ms_to_datetime(c.open_time_ms),
            "open": c.open,
            "high": c.high,
            "low": c.low,
            "close": c.close,
            "volume": c.volume,
            "fetched_at": fetched_at,
            "source": source,
        }
        for c in candles
    ]


def upsert_candle_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Upsert column dicts on (symbol, timeframe, open_time)."""
    return _upsert(session, MarketCandle, rows, ["symbol", "timeframe", "open_time"])


def upsert_candles(session: Session, batches: Iterable[CandleBatch], *, source: str) -> int:
    """The fast path for a pass: (symbol, timeframe, candles, fetched_at) batches in bulk.

    A still-open candle is overwritten in place with its new values and fetch time.
    """
    return upsert_candle_batches(session, batches, source=source)


def write_heartbeat(
    session: Session,
    *,
    instance_id: str,
    started_at: datetime,
    cycle: int,
    last_cycle_ms: int,
    items: int,
    errors: int,
    last_error: str | None,
    details: dict[str, Any],
) -> None:
    """The updater's own liveness row (service `market`), rewritten every pass."""
    write_shared_heartbeat(
        session,
        service=MARKET_SERVICE,
        instance_id=instance_id,
        role="single",
        started_at=started_at,
        beat_at=datetime.now(UTC),
        cycle=cycle,
        last_cycle_ms=last_cycle_ms,
        items=items,
        errors=errors,
        last_error=last_error,
        details=details,
    )


def upsert_statuses(session: Session, rows: list[dict[str, Any]]) -> int:
    return _upsert(session, MarketDataStatus, rows, ["symbol"])


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """INSERT ... ON CONFLICT DO UPDATE as one compiled statement run with executemany.

    (`atp.db.upsert.upsert_rows` builds one multi-VALUES statement per batch; compiling that
    costs ~0.3 ms per row, which dominated a 45,000-candle backfill.)
    """
    if not rows:
        return 0
    table = model.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    updates = [name for name in rows[0] if name not in keys]
    stmt = insert.on_conflict_do_update(
        index_elements=keys, set_={name: insert.excluded[name] for name in updates}
    )
    for start in range(0, len(rows), _WRITE_CHUNK):
        session.execute(stmt, rows[start : start + _WRITE_CHUNK])
    return len(rows)
