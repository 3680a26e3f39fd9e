"""Alert-frequency backtest: replay a preset's evaluation and the throttle over history.

Indicators are computed once over the whole series (vectorised), every candle's decision is
derived from those arrays with the same rule table `evaluate()` uses (see
atp.core.strategies.replay), and only the candles that signal go through the throttle.
A decision is made when a candle closes, at its close price; the live monitor decides on the
same completed candles every cycle, so between two closes it sees the same signal (its price
checks use the live ticker, which the replay approximates by the close).

Throttle state starts empty at the first counted candle and is kept per side, exactly like
`signal_throttle_state`: only an alert that is *sent* moves the time and price baseline.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.presets import PresetParams
from atp.core.risk import float_to_decimal
from atp.core.strategies.replay import SignalSeries, signal_series
from atp.core.strategy import IndicatorSeries, compute_indicators, required_candles
from atp.core.throttle import evaluate_throttle
from atp.core.timeframes import duration_ms, parse_timeframe
from atp.market.models import MarketCandle

WEEK_MS = 7 * 24 * 3600 * 1000
SIDES = ("BUY", "SELL")


class BacktestError(ValueError):
    """Input the backtest cannot use (unreadable CSV, no candles in range...)."""


@dataclass
class SideStats:
    signals: int = 0
    alerts: int = 0
    throttled: dict[str, int] = field(default_factory=dict)
    first_signals: list[str] = field(default_factory=list)
    first_alerts: list[str] = field(default_factory=list)
    alert_index: list[int] = field(default_factory=list)


@dataclass
class BacktestResult:
    symbol: str
    preset_key: str
    timeframe: str
    candles: int
    counted_candles: int
    start: datetime
    end: datetime
    weeks: float
    insufficient_candles: int
    sides: dict[str, SideStats]
    series: IndicatorSeries
    signals: SignalSeries
    first_counted: int

    def to_dict(self) -> dict[str, Any]:
        per_week = {
            side: {
                "signals_per_week": _rate(stats.signals, self.weeks),
                "alerts_per_week": _rate(stats.alerts, self.weeks),
            }
            for side, stats in self.sides.items()
        }
        return {
            "symbol": self.symbol,
            "preset": self.preset_key,
            "timeframe": self.timeframe,
            "candles": self.candles,
            "counted_candles": self.counted_candles,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": round(self.weeks, 3),
            "insufficient_data_candles": self.insufficient_candles,
            **{
                side.lower(): {
                    "signals": s.signals,
                    "alerts": s.alerts,
                    "throttled": dict(s.throttled),
                    **per_week[side],
                    "first_signals": s.first_signals,
                    "first_alerts": s.first_alerts,
                }
                for side, s in self.sides.items()
            },
        }


def _rate(count: int, weeks: float) -> float:
    return round(count / weeks, 3) if weeks > 0 else 0.0


def run_backtest(
    candles: CandleArrays,
    preset: PresetParams,
    *,
    symbol: str,
    preset_key: str,
    count_from_ms: int | None = None,
    first: int = 5,
) -> BacktestResult:
    """Replay `preset` over `candles` (oldest first); candles before `count_from_ms` only
    warm the indicators up."""
    if len(candles) == 0:
        raise BacktestError("no candles to replay")
    step = duration_ms(parse_timeframe(preset.timeframe))
    series = compute_indicators(candles, preset)
    signals = signal_series(series, preset)
    times = candles.open_time
    start_index = 0 if count_from_ms is None else int(np.searchsorted(times, count_from_ms))
    if start_index >= len(candles):
        raise BacktestError("no candles in the requested range")
    masks = {"BUY": signals.buy, "SELL": signals.sell}
    sides = {
        side: _replay_side(masks[side], candles, start_index, step, preset, first) for side in SIDES
    }
    span_ms = int(times[-1]) - int(times[start_index]) + step
    return BacktestResult(
        symbol=symbol,
        preset_key=preset_key,
        timeframe=preset.timeframe,
        candles=len(candles),
        counted_candles=len(candles) - start_index,
        start=_utc(int(times[start_index])),
        end=_utc(int(times[-1]) + step),
        weeks=span_ms / WEEK_MS,
        insufficient_candles=int(signals.insufficient[start_index:].sum()),
        sides=sides,
        series=series,
        signals=signals,
        first_counted=start_index,
    )


def _replay_side(
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    candles: CandleArrays,
    start_index: int,
    step: int,
    preset: PresetParams,
    first: int,
) -> SideStats:
    stats = SideStats()
    last_at: datetime | None = None
    last_price: Decimal | None = None
    for index in np.flatnonzero(mask[start_index:]) + start_index:
        decided_at = _utc(int(candles.open_time[index]) + step)  # the candle's close
        price = float_to_decimal(float(candles.close[index]))
        stats.signals += 1
        if len(stats.first_signals) < first:
            stats.first_signals.append(decided_at.isoformat())
        verdict = evaluate_throttle(
            now=decided_at,
            price=price,
            last_sent_at=last_at,
            last_sent_price=last_price,
            cooldown_minutes=preset.cooldown_minutes,
            min_price_change_pct=preset.min_price_change_pct,
        )
        if not verdict.allowed:
            assert verdict.reason is not None
            stats.throttled[verdict.reason] = stats.throttled.get(verdict.reason, 0) + 1
            continue
        stats.alerts += 1
        stats.alert_index.append(int(index))
        last_at, last_price = decided_at, price
        if len(stats.first_alerts) < first:
            stats.first_alerts.append(decided_at.isoformat())
    return stats


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --- candle sources -----------------------------------------------------------------------

_TIME_COLUMNS = ("ts_ms", "open_time", "timestamp", "time")


def read_csv(path: Path) -> CandleArrays:
    """CSV with a header: a time column (ts_ms / open_time / timestamp, epoch ms or ISO 8601)
    and open, high, low, close, volume. Rows are sorted by time; duplicates are refused."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise BacktestError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not rows:
        raise BacktestError(f"{path} has no candle rows")
    header = {name.strip().lower(): name for name in rows[0]}
    time_key = next((header[c] for c in _TIME_COLUMNS if c in header), None)
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in header]
    if time_key is None or missing:
        raise BacktestError(
            f"{path}: expected columns ts_ms (or open_time), open, high, low, close, volume"
        )
    try:
        parsed = sorted(
            (
                _parse_time(r[time_key]),
                *(float(r[header[c]]) for c in ("open", "high", "low", "close", "volume")),
            )
            for r in rows
        )
    except (ValueError, TypeError) as exc:
        raise BacktestError(f"{path}: bad value: {exc}") from None
    times = [row[0] for row in parsed]
    if len(set(times)) != len(times):
        raise BacktestError(f"{path}: duplicate candle times")
    return CandleArrays.from_rows([(int(t), o, h, lo, c, v) for t, o, h, lo, c, v in parsed])


def _parse_time(text: str) -> int:
    value = text.strip()
    if value.lstrip("-").isdigit():
        number = int(value)
        return number * 1000 if abs(number) < 10**11 else number  # seconds or milliseconds
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def load_stored(
    session: Session, symbol: str, preset: PresetParams, start: datetime, end: datetime
) -> CandleArrays:
    """Stored candles of `symbol` on the preset's timeframe in [start - warm-up, end)."""
    step = duration_ms(parse_timeframe(preset.timeframe))
    warmup = timedelta(milliseconds=step * (required_candles(preset) + 100))
    stmt = (
        select(
            MarketCandle.open_time,
            MarketCandle.open,
            MarketCandle.high,
            MarketCandle.low,
            MarketCandle.close,
            MarketCandle.volume,
        )
        .where(
            MarketCandle.symbol == symbol,
            MarketCandle.timeframe == preset.timeframe,
            MarketCandle.open_time >= start - warmup,
            MarketCandle.open_time < end,
        )
        .order_by(MarketCandle.open_time)
    )
    rows = [
        (int(t.timestamp() * 1000), float(o), float(h), float(lo), float(c), float(v))
        for t, o, h, lo, c, v in session.execute(stmt)
    ]
    return CandleArrays.from_rows(rows)
