"""Read-only signal views for the REST API (and later Telegram): the latest decision per symbol
and a symbol's candles with the indicators its preset uses, for charts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.presets import BUILTIN_PRESETS, DEFAULT_PRESET_KEY, MA_LONG_PERIOD, PresetParams
from atp.core.strategy import IndicatorSeries, compute_indicators, required_candles
from atp.core.timeframes import Timeframe, parse_timeframe
from atp.market.candles_read import load_candles
from atp.signals.models import StrategyPreset, WatchlistSignalState
from atp.signals.presets import params_of, resolve_for_item
from atp.watchlist.models import WatchlistItem

# The indicators a chart draws (names as in `compute_indicators`).
CHART_INDICATORS = ("rsi", "ema10", "ma50", "ma200", "volume_ratio", "atr")


@dataclass(frozen=True)
class SignalStateRow:
    """A state row with its watchlist row's id (the page key) and whether it is still listed."""

    item_id: int
    on_watchlist: bool
    state: WatchlistSignalState


def page_signal_states(
    session: Session,
    *,
    symbol: str | None = None,
    side: str | None = None,
    alert_status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[SignalStateRow]:
    """Newest watchlist rows first. State rows are keyed by symbol; every symbol evaluated has a
    watchlist row (deletion is soft), whose integer id gives a stable cursor."""
    stmt = (
        select(WatchlistItem.id, WatchlistItem.is_deleted, WatchlistSignalState)
        .join(WatchlistItem, WatchlistItem.symbol == WatchlistSignalState.symbol)
        .where(WatchlistItem.exchange == "CRYPTO_COM")
        .order_by(WatchlistItem.id.desc())
        .limit(limit)
    )
    if symbol is not None:
        stmt = stmt.where(WatchlistSignalState.symbol == symbol)
    if side is not None:
        stmt = stmt.where(WatchlistSignalState.signal_side == side)
    if alert_status is not None:
        stmt = stmt.where(WatchlistSignalState.alert_status == alert_status)
    if before_id is not None:
        stmt = stmt.where(WatchlistItem.id < before_id)
    return [
        SignalStateRow(item_id=item_id, on_watchlist=not deleted, state=state)
        for item_id, deleted, state in session.execute(stmt)
    ]


@dataclass(frozen=True)
class ChartSeries:
    symbol: str
    timeframe: Timeframe
    preset_key: str
    preset_version: int | None  # None: the built-in default (no preset rows stored)
    params: PresetParams
    candles: CandleArrays
    indicators: IndicatorSeries


def chart_series(
    session: Session, symbol: str, *, timeframe: str | None, limit: int
) -> ChartSeries:
    """The newest `limit` candles of `symbol` with the indicators of its effective preset.

    The preset is the watchlist row's (with its overrides) or the default one for a symbol not
    on the list; the timeframe is the preset's unless given. Indicators are computed over extra
    older candles first, so the first candle shown already has MA200 when history allows.
    Raises ValueError (UnknownTimeframeError, PresetResolutionError) for what cannot be drawn.
    """
    key, version, params = _effective_preset(session, symbol)
    tf = parse_timeframe(timeframe or params.timeframe)
    warmup = max(required_candles(params), MA_LONG_PERIOD)
    candles = load_candles(session, [symbol], tf, limit + warmup)[symbol]
    series = compute_indicators(candles, params)
    start = max(0, len(candles) - limit)
    return ChartSeries(
        symbol=symbol,
        timeframe=tf,
        preset_key=key,
        preset_version=version,
        params=params,
        candles=_tail(candles, start),
        indicators=IndicatorSeries(
            open_time=series.open_time[start:],
            values={name: series.values[name][start:] for name in CHART_INDICATORS},
        ),
    )


def _effective_preset(session: Session, symbol: str) -> tuple[str, int | None, PresetParams]:
    item = session.scalars(
        select(WatchlistItem).where(
            WatchlistItem.symbol == symbol, WatchlistItem.exchange == "CRYPTO_COM"
        )
    ).one_or_none()
    if item is not None:
        resolved = resolve_for_item(session, item)
        return resolved.key, resolved.version, resolved.params
    row = session.scalars(
        select(StrategyPreset).where(StrategyPreset.key == DEFAULT_PRESET_KEY)
    ).first()
    if row is None:  # presets not seeded yet: the built-in values the seed would store
        return DEFAULT_PRESET_KEY, None, BUILTIN_PRESETS[DEFAULT_PRESET_KEY]
    return row.key, row.version, params_of(row)


def _tail(candles: CandleArrays, start: int) -> CandleArrays:
    return CandleArrays(
        open_time=candles.open_time[start:],
        open=candles.open[start:],
        high=candles.high[start:],
        low=candles.low[start:],
        close=candles.close[start:],
        volume=candles.volume[start:],
        fetched_at=None if candles.fetched_at is None else candles.fetched_at[start:],
    )
