"""Order intents (one per alert, deterministic client_oid) and the exchange order mirror."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, TimestampMixin
from atp.db.columns import AMOUNT, KEY, PRICE, REASON, SIDE, STATUS, SYMBOL
from atp.db.types import UTCDateTime


class OrderIntent(TimestampMixin, Base):
    __tablename__ = "order_intents"
    __table_args__ = (Index(None, "symbol", "side"), Index(None, "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(KEY, nullable=False, unique=True)
    client_oid: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    telegram_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("telegram_messages.id", ondelete="SET NULL"), nullable=True
    )
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    status: Mapped[str] = mapped_column(STATUS, nullable=False)
    amount_usd: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    quantity: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    reference_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    sl_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    tp_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    strategy_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    correlation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    block_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ExchangeOrder(TimestampMixin, Base):
    __tablename__ = "exchange_orders"
    __table_args__ = (Index(None, "symbol", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exchange_order_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    client_oid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    intent_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_intents.id", ondelete="SET NULL"), nullable=True
    )
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    order_type: Mapped[str] = mapped_column(String(32), nullable=False)
    order_role: Mapped[str | None] = mapped_column(String(16), nullable=True)  # ENTRY/STOP_LOSS/...
    status: Mapped[str] = mapped_column(STATUS, nullable=False)
    price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    ref_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    cumulative_quantity: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    cumulative_value: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    avg_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    parent_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    list_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    exchange_create_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exchange_update_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    execution_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
