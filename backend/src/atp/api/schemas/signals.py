"""Signal state rows (the monitor's latest decision per symbol) and chart candles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from atp.api.schemas.common import DecimalStr, finite
from atp.signals.views import ChartSeries, SignalStateRow

SignalSide = Literal["BUY", "SELL", "NONE"]


class ConditionOut(BaseModel):
    """One strategy condition as evaluated: `actual` against `threshold`."""

    model_config = ConfigDict(extra="ignore")

    side: str
    name: str
    passed: bool
    actual: float | None = None
    threshold: float | None = None


class SignalStateOut(BaseModel):
    symbol: str
    on_watchlist: bool = Field(description="false: the symbol was removed (soft delete) since")
    strategy_key: str | None
    signal_side: str = Field(description="BUY / SELL / NONE")
    last_price: DecimalStr | None
    evaluated_at_utc: datetime
    decision_reason: str | None
    conditions: list[ConditionOut]
    indicators: dict[str, float | None]
    alert_status: str | None
    alert_block_reason: str | None
    alert_block_detail: str | None
    last_alert_at_utc: datetime | None
    trade_status: str | None
    trade_block_reason: str | None
    trade_block_detail: str | None
    last_trade_at_utc: datetime | None
    correlation_id: str | None

    @classmethod
    def of(cls, row: SignalStateRow) -> SignalStateOut:
        s = row.state
        return cls(
            symbol=s.symbol,
            on_watchlist=row.on_watchlist,
            strategy_key=s.strategy_key,
            signal_side=s.signal_side,
            last_price=s.last_price,
            evaluated_at_utc=s.evaluated_at_utc,
            decision_reason=s.decision_reason,
            conditions=[ConditionOut.model_validate(c) for c in s.conditions or []],
            indicators={k: _number(v) for k, v in (s.indicators or {}).items()},
            alert_status=s.alert_status,
            alert_block_reason=s.alert_block_reason,
            alert_block_detail=s.alert_block_detail,
            last_alert_at_utc=s.last_alert_at_utc,
            trade_status=s.trade_status,
            trade_block_reason=s.trade_block_reason,
            trade_block_detail=s.trade_block_detail,
            last_trade_at_utc=s.last_trade_at_utc,
            correlation_id=s.correlation_id,
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite(float(value))


class CandlePoint(BaseModel):
    """One candle with the preset's indicators (null while undefined: warm-up or a gap)."""

    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    rsi: float | None
    ema10: float | None
    ma50: float | None
    ma200: float | None
    volume_ratio: float | None
    atr: float | None


class ChartLevels(BaseModel):
    rsi_buy_below: float
    rsi_sell_above: float
    volume_min_ratio: float


class CandlesOut(BaseModel):
    symbol: str
    timeframe: str
    preset_key: str = Field(description="the symbol's effective preset (default when not listed)")
    preset_version: int | None = Field(description="null: built-in values, presets not seeded")
    levels: ChartLevels = Field(description="the preset's thresholds, for reference lines")
    candles: list[CandlePoint] = Field(description="oldest first")

    @classmethod
    def of(cls, chart: ChartSeries) -> CandlesOut:
        c, values = chart.candles, chart.indicators.values
        points = [
            CandlePoint(
                open_time=datetime.fromtimestamp(int(c.open_time[i]) / 1000, tz=UTC),
                open=float(c.open[i]),
                high=float(c.high[i]),
                low=float(c.low[i]),
                close=float(c.close[i]),
                volume=float(c.volume[i]),
                rsi=finite(float(values["rsi"][i])),
                ema10=finite(float(values["ema10"][i])),
                ma50=finite(float(values["ma50"][i])),
                ma200=finite(float(values["ma200"][i])),
                volume_ratio=finite(float(values["volume_ratio"][i])),
                atr=finite(float(values["atr"][i])),
            )
            for i in range(len(c))
        ]
        p = chart.params
        return cls(
            symbol=chart.symbol,
            timeframe=chart.timeframe.value,
            preset_key=chart.preset_key,
            preset_version=chart.preset_version,
            levels=ChartLevels(
                rsi_buy_below=p.rsi_buy_below,
                rsi_sell_above=p.rsi_sell_above,
                volume_min_ratio=p.volume_min_ratio,
            ),
            candles=points,
        )
