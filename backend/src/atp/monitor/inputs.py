"""Everything one cycle needs, read in batch: one query per table (candles: a few per timeframe).

500 symbols must evaluate in well under a second, so nothing here runs a query per symbol.
Candles and freshness come from the leader's `CandleCache` (only changed rows are read after
the first cycle); without one (dry run, tests) a throw-away cache reads everything. Both go
through `closed_candles` here, so the cached and the full read decide on the same candles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.presets import PresetParams
from atp.core.strategy import required_candles
from atp.market.freshness import Freshness, check_ticker, closed_candles
from atp.market.models import MarketPrice
from atp.monitor import sources
from atp.monitor.candle_cache import CandleCache
from atp.monitor.throttle_state import HASHED_FIELDS, ThrottleMemory, load_memory
from atp.signals.models import WatchlistSignalState
from atp.watchlist.models import WatchlistItem

# The `MONITOR_TICKER_MAX_AGE_SECONDS` default (callers pass the setting).
DEFAULT_TICKER_MAX_AGE_S = 90.0


@dataclass(frozen=True)
class WatchItem:
    """The watchlist fields the monitor uses, detached from the ORM session."""

    symbol: str
    buy_alert_enabled: bool
    sell_alert_enabled: bool
    trade_enabled: bool
    trade_amount_usd: Decimal | None
    min_price_change_pct: Decimal | None
    alert_cooldown_minutes: Decimal | None
    config: dict[str, Any]
    muted_until: datetime | None = None

    @classmethod
    def from_row(cls, row: WatchlistItem) -> WatchItem:
        return cls(
            symbol=row.symbol,
            buy_alert_enabled=row.buy_alert_enabled,
            sell_alert_enabled=row.sell_alert_enabled,
            trade_enabled=row.trade_enabled,
            trade_amount_usd=row.trade_amount_usd,
            min_price_change_pct=row.min_price_change_pct,
            alert_cooldown_minutes=row.alert_cooldown_minutes,
            config={name: getattr(row, name) for name in HASHED_FIELDS},
            muted_until=row.muted_until,
        )


@dataclass(frozen=True)
class PreviousState:
    last_alert_at_utc: datetime | None
    last_trade_at_utc: datetime | None
    ledger_reasons: dict[str, str]


@dataclass
class SymbolInput:
    item: WatchItem
    strategy_key: str | None = None
    preset_version: int | None = None
    params: PresetParams | None = None
    preset_error: str | None = None
    candles: dict[str, CandleArrays] = field(default_factory=dict)
    freshness: Freshness | None = None  # of the candles decided on (closed candles only)
    ticker: Freshness | None = None  # of the ticker that gives `price`
    price: Decimal | None = None  # the fresh ticker's last trade price, exactly as stored
    throttle_rows: list[ThrottleMemory] = field(default_factory=list)  # every strategy key
    memory: dict[str, ThrottleMemory] = field(default_factory=dict)  # side -> current key's row
    previous: PreviousState | None = None

    def select_memory(self) -> None:
        """Point `memory` at the rows of the current strategy key (after any reset)."""
        self.memory = {m.side: m for m in self.throttle_rows if m.strategy_key == self.strategy_key}


def load_watchlist(session: Session, symbols: Sequence[str] | None = None) -> list[WatchlistItem]:
    """Alert-enabled, not deleted rows (or exactly `symbols`, for the dry run)."""
    stmt = select(WatchlistItem).where(WatchlistItem.is_deleted.is_(False))
    if symbols is None:
        stmt = stmt.where(WatchlistItem.alert_enabled.is_(True))
    else:
        stmt = stmt.where(WatchlistItem.symbol.in_(list(symbols)))
    return list(session.scalars(stmt.order_by(WatchlistItem.symbol)))


def load_inputs(
    session: Session,
    rows: Sequence[WatchlistItem],
    *,
    now: datetime,
    candle_limit: int,
    cache: CandleCache | None = None,
    ticker_max_age_s: float = DEFAULT_TICKER_MAX_AGE_S,
) -> list[SymbolInput]:
    inputs = {row.symbol: SymbolInput(item=WatchItem.from_row(row)) for row in rows}
    if not inputs:
        return []
    _attach_presets(session, rows, inputs)
    _attach_market(
        session,
        inputs,
        now=now,
        candle_limit=candle_limit,
        cache=cache,
        ticker_max_age_s=ticker_max_age_s,
    )
    _attach_memory(session, inputs)
    _attach_previous(session, inputs)
    return list(inputs.values())


def _attach_presets(
    session: Session, rows: Sequence[WatchlistItem], inputs: dict[str, SymbolInput]
) -> None:
    resolved, errors = sources.resolve_presets(session, rows)
    # Symbols with equal parameters share one PresetParams object: `evaluate_many` applies the
    # rules to whole columns for rows that share a preset object (per row otherwise).
    shared: dict[PresetParams, PresetParams] = {}
    for symbol, inp in inputs.items():
        preset = resolved.get(symbol)
        if preset is None:
            inp.preset_error = errors.get(symbol, "preset could not be resolved")
            continue
        inp.strategy_key, inp.preset_version = preset.key, preset.version
        inp.params = _share(shared, preset.params)


def _share(shared: dict[PresetParams, PresetParams], params: PresetParams) -> PresetParams:
    try:
        return shared.setdefault(params, params)
    except TypeError:  # an unhashable field: correct either way, only slower to evaluate
        return params


def _attach_market(
    session: Session,
    inputs: dict[str, SymbolInput],
    *,
    now: datetime,
    candle_limit: int,
    cache: CandleCache | None,
    ticker_max_age_s: float,
) -> None:
    by_timeframe: dict[str, list[SymbolInput]] = defaultdict(list)
    for inp in inputs.values():
        if inp.params is not None:
            by_timeframe[inp.params.timeframe].append(inp)
    _attach_tickers(session, inputs, now, ticker_max_age_s)
    cache = cache or CandleCache()
    cache.start_cycle(by_timeframe)
    for timeframe, group in by_timeframe.items():
        symbols = [inp.item.symbol for inp in group]
        limit = max(
            candle_limit, *(required_candles(inp.params) + 2 for inp in group if inp.params)
        )
        market = cache.read(session, symbols, timeframe, limit, now)
        for inp in group:
            symbol = inp.item.symbol
            verdict = market.freshness[symbol]
            closed = closed_candles(market.candles[symbol], timeframe, now, verdict)
            inp.candles = {timeframe: closed.candles}
            inp.freshness = closed.freshness


def _attach_tickers(
    session: Session, inputs: dict[str, SymbolInput], now: datetime, max_age_s: float
) -> None:
    """The decision price: the ticker's last trade (Decimal as stored), only while it is fresh.

    Never the candle close instead: a stale ticker stops the alert (`MARKET_DATA_STALE`).
    """
    rows = session.scalars(select(MarketPrice).where(MarketPrice.symbol.in_(list(inputs))))
    tickers = {row.symbol: row for row in rows}
    for symbol, inp in inputs.items():
        row = tickers.get(symbol)
        inp.ticker = check_ticker(
            symbol=symbol,
            last=None if row is None else row.last,
            fetched_at=None if row is None else row.fetched_at,
            exchange_ts=None if row is None else row.exchange_ts,
            now=now,
            limit_s=max_age_s,
        )
        inp.price = row.last if row is not None and inp.ticker.fresh else None


def _attach_memory(session: Session, inputs: dict[str, SymbolInput]) -> None:
    for (symbol, _key, _side), memory in load_memory(session, inputs).items():
        inputs[symbol].throttle_rows.append(memory)
    for inp in inputs.values():
        inp.select_memory()


def _attach_previous(session: Session, inputs: dict[str, SymbolInput]) -> None:
    state = WatchlistSignalState
    rows = session.execute(
        select(
            state.symbol, state.last_alert_at_utc, state.last_trade_at_utc, state.ledger_reasons
        ).where(state.symbol.in_(list(inputs)))
    )
    for symbol, last_alert, last_trade, ledger in rows:
        inputs[symbol].previous = PreviousState(last_alert, last_trade, dict(ledger or {}))
