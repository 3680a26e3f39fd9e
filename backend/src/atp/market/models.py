"""Market data tables. Each stored value keeps the exchange timestamp and the fetch time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base
from atp.db.columns import AMOUNT, PRICE, STATUS, SYMBOL
from atp.db.types import UTCDateTime


class Instrument(Base):
    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(SYMBOL, primary_key=True)
    inst_type: Mapped[str] = mapped_column(String(32), nullable=False)
    base_ccy: Mapped[str] = mapped_column(String(16), nullable=False)
    quote_ccy: Mapped[str] = mapped_column(String(16), nullable=False)
    price_tick_size: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    qty_tick_size: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    quote_decimals: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity_decimals: Mapped[int] = mapped_column(Integer, nullable=False)
    max_leverage: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    tradable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    margin_buy_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    margin_sell_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class MarketPrice(Base):
    """Latest ticker per symbol. Written only from a successful fetch."""

    __tablename__ = "market_prices"

    symbol: Mapped[str] = mapped_column(SYMBOL, primary_key=True)
    last: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    bid: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    ask: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    high_24h: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    low_24h: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    volume_24h: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    volume_value_24h: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    change_24h: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    exchange_ts: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)


class MarketCandle(Base):
    """OHLCV history, upserted on (symbol, timeframe, open_time)."""

    __tablename__ = "market_candles"

    symbol: Mapped[str] = mapped_column(SYMBOL, primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    open_time: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    open: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    high: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    low: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    close: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    volume: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)


class MarketDataStatus(Base):
    """Per symbol fetch health: the data-health view reads this, never a rewritten timestamp."""

    __tablename__ = "market_data_status"
    symbol: Mapped[str] = mapped_column(SYMBOL, primary_key=True)
    status: Mapped[str] = mapped_column(STATUS, nullable=False, index=True)  # OK / ERROR / STALE
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Set when a pass first finds the symbol's data stale, cleared when it is fresh again, so
    # `[MARKET_DATA_STALE]` is logged once per state change, even across restarts.
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stale_detail: Mapped[str | None] = mapped_column(String(255), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
