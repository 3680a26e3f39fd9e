"""Strategy presets, the latest decision per symbol, and the throttle memory."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, TimestampMixin, utcnow
from atp.db.columns import KEY, PRICE, REASON, SIDE, STATUS, SYMBOL
from atp.db.types import UTCDateTime


class StrategyPreset(TimestampMixin, Base):
    """A named, versioned parameter set, e.g. key `swing:conservative`."""

    __tablename__ = "strategy_presets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    strategy: Mapped[str] = mapped_column(String(32), nullable=False)
    risk: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    is_builtin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)


class WatchlistSignalState(Base):
    """The latest evaluation for one symbol, overwritten each cycle by one batch upsert."""

    __tablename__ = "watchlist_signal_state"

    symbol: Mapped[str] = mapped_column(SYMBOL, primary_key=True)
    strategy_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signal_side: Mapped[str] = mapped_column(
        SIDE, nullable=False, default="NONE", server_default="NONE"
    )
    last_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    evaluated_at_utc: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now()
    )
    conditions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    indicators: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    alert_status: Mapped[str | None] = mapped_column(STATUS, nullable=True)
    alert_block_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    alert_block_detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_alert_at_utc: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    trade_status: Mapped[str | None] = mapped_column(STATUS, nullable=True)
    trade_block_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    trade_block_detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_trade_at_utc: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # {side: reason} of the last BLOCKED ledger row written per side: a blocked row is written
    # only when (symbol, side, reason) changes, so an unchanged block is one row, not one per cycle.
    ledger_reasons: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class SignalThrottleState(Base):
    """Throttle memory per (symbol, strategy key, side): the last *sent* alert's time and price."""

    __tablename__ = "signal_throttle_state"
    __table_args__ = (UniqueConstraint("symbol", "strategy_key", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    strategy_key: Mapped[str] = mapped_column(KEY, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_sent_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    previous_sent_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    config_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reset_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
