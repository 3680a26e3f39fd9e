"""The paper broker's own book: its orders, fills and balances (survive a process restart).

Nothing else reads these tables: the order flow sees them only through the broker port, exactly
as it sees the exchange. Reservations are not stored; they are derived from the open orders, so
they can never drift from them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from atp.db.base import Base
from atp.db.columns import AMOUNT, PRICE, REASON, SIDE, STATUS, SYMBOL
from atp.db.types import UTCDateTime

CURRENCY = String(16)


class PaperOrderRow(Base):
    """One paper order. Its public id is `paper-<id>`; OCO legs share `list_id`."""

    __tablename__ = "paper_orders"
    __table_args__ = (Index(None, "status", "symbol"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_oid: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(STATUS, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    notional: Mapped[Decimal | None] = mapped_column(AMOUNT, nullable=True)
    cumulative_quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    avg_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    cumulative_fee: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    fee_currency: Mapped[str | None] = mapped_column(CURRENCY, nullable=True)
    limit_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    trigger_price: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    list_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # What this order holds back while open (base for a SELL, quote for a BUY).
    reserve_currency: Mapped[str] = mapped_column(CURRENCY, nullable=False)
    reserve_amount: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(REASON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    @property
    def order_id(self) -> str:
        return f"paper-{self.id}"


class PaperFillRow(Base):
    """One execution of a paper order. Its public trade id is `paper-fill-<id>`."""

    __tablename__ = "paper_fills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_pk: Mapped[int] = mapped_column(
        ForeignKey("paper_orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    symbol: Mapped[str] = mapped_column(SYMBOL, nullable=False)
    side: Mapped[str] = mapped_column(SIDE, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    price: Mapped[Decimal] = mapped_column(PRICE, nullable=False)
    fee: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    fee_currency: Mapped[str] = mapped_column(CURRENCY, nullable=False)
    traded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)

    order: Mapped[PaperOrderRow] = relationship(lazy="joined")


class PaperBalanceRow(Base):
    """Total holding per currency (free = total - what the open orders reserve)."""

    __tablename__ = "paper_balances"

    currency: Mapped[str] = mapped_column(CURRENCY, primary_key=True)
    total: Mapped[Decimal] = mapped_column(AMOUNT, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
