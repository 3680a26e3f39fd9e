"""`watchlist_items`: one row per symbol, soft-deleted, every change audited."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, TimestampMixin
from atp.db.columns import AMOUNT, MINUTES, PERCENT, PRICE, SYMBOL
from atp.db.types import UTCDateTime


class WatchlistItem(TimestampMixin, Base):
    __tablename__ = "watchlist_items"
    # One row per (symbol, exchange) ever: deleting is soft, restoring revives the same row,
    # so a symbol can never appear twice (legacy pain point 6).
    __table_args__ = (UniqueConstraint("symbol", "exchange"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    exchange: Mapped[str] = mapped_column(String(16), nullable=False, default="CRYPTO_COM")
    is_deleted: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    alert_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    buy_alert_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    sell_alert_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    trade_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    trade_on_margin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    trade_amount_usd: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    # "mute 1 h": no alert (and so no order) for this symbol until then. Not part of the
    # throttle's config hash: muting must not reset a cooldown.
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    preset: Mapped[str | None] = mapped_column(String(64), nullable=True)  # strategy_presets.key
    overrides: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    min_price_change_pct: Mapped[Decimal | None] = mapped_column(PERCENT, nullable=True)
    alert_cooldown_minutes: Mapped[Decimal | None] = mapped_column(MINUTES, nullable=True)
    sl_percentage: Mapped[Decimal | None] = mapped_column(PERCENT, nullable=True)
    tp_percentage: Mapped[Decimal | None] = mapped_column(PERCENT, nullable=True)
    buy_target: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    notes: Mapped[str | None] = mapped_column(String(500), nullable=True)
