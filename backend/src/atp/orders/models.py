"""Order intents (one per alert, deterministic client_oid) and the exchange order mirror."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, TimestampMixin, utcnow
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
    # --- order flow (atp.orders.flow): see docs/orders.md for the state machine -------------
    filled_quantity: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    avg_fill_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Each protection attempt gets its own leg client_oids (derived from the intent's and this
    # number), committed before the request, so a restart looks that attempt up first.
    protection_attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    protection_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    protection_mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    protected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    protection_quantity: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    sl_placed_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    tp_placed_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    flatten_attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    flatten_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExchangeOrder(TimestampMixin, Base):
    __tablename__ = "exchange_orders"
    __table_args__ = (Index(None, "symbol", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exchange_order_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    client_oid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    intent_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_intents.id", ondelete="SET NULL"), nullable=True, index=True
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
    reject_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)  # order flow


# --- positions and the fill ledger (atp.orders.positions) ------------------------------------

PROTECTION_STATUSES = ("covered", "naked", "flattening", "closed")


class Position(TimestampMixin, Base):
    """One row per symbol, built only from the fill ledger (atp.orders.positions).

    `fees_paid` and `realised_pnl` cover the current (or last) round trip, in the quote currency;
    they restart when a closed position opens again. A daily figure comes from `fills`.
    """

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint(
            "protection_status IN ('covered', 'naked', 'flattening', 'closed')",
            name="protection_status",
        ),
        Index(None, "protection_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False, unique=True)
    quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)  # signed: < 0 is short
    avg_entry_price: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    fees_paid: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    realised_pnl: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_fill_trade_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    protection_status: Mapped[str] = mapped_column(String(16), nullable=False)
    protection_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FillRecord(Base):
    """The fill ledger: one row per exchange trade, so applying a fill twice changes nothing."""

    __tablename__ = "fills"
    __table_args__ = (Index(None, "symbol", "traded_at"), Index(None, "traded_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trade_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    order_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    client_oid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    intent_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_intents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    price: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    fee: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)  # as reported, positive = paid
    fee_currency: Mapped[str] = mapped_column(String(16), nullable=False)
    fee_quote: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)  # None: not valued
    realised_pnl: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)  # net of fee_quote
    position_quantity_after: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    closed_position: Mapped[bool] = mapped_column(Boolean, nullable=False)
    traded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utcnow, server_default=func.now()
    )
