"""The broker port: what the order flow, sync and guardian need from an exchange.

Two implementations: Crypto.com (atp.adapters.cryptocom.broker, over the signed private client)
and the paper broker (atp.adapters.paper). The order flow never knows which one it talks to.

Every price and quantity is a `Decimal` already on the instrument's tick (the caller formats
with atp.core.formatting and passes the rounded Decimal; the adapter turns it into the exact
string). Every write carries a deterministic `client_oid` so a resend after an unknown outcome
can be looked up instead of placed twice. Writes are asynchronous on the exchange: an
`Accepted` only means "queued"; the state is read back with `order_by_client_oid` / `open_orders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from atp.core.retry import RetryClass


class OrderStatus(StrEnum):
    """Normalised order status (the exchange's NEW/PENDING/ACTIVE are all OPEN)."""

    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELED = "CANCELED"  # may carry cumulative_quantity > 0 (partially filled, then cancelled)
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        return self is not OrderStatus.OPEN


class OrderKind(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LOSS = "STOP_LOSS"
    STOP_LIMIT = "STOP_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"

    @property
    def is_trigger(self) -> bool:
        """Trigger orders live only in the advanced namespace (spec §9.1, §9.5)."""
        return self not in (OrderKind.MARKET, OrderKind.LIMIT)


@dataclass(frozen=True)
class InstrumentRules:
    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    qty_tick: Decimal


@dataclass(frozen=True)
class MarketEntry:
    """A MARKET entry: BUY by `notional` (quote to spend) or by `quantity`; SELL by quantity."""

    client_oid: str
    symbol: str
    side: str  # "BUY" | "SELL"
    notional: Decimal | None = None
    quantity: Decimal | None = None


@dataclass(frozen=True)
class ProtectionOco:
    """Native OCO protecting a filled entry (spec §9.4): a LIMIT take-profit leg and a stop leg,
    both on the closing side, same quantity. `sl_limit_price` None = STOP_LOSS (market when
    triggered); set = STOP_LIMIT at that price."""

    symbol: str
    side: str  # the closing side: SELL for a long
    quantity: Decimal
    tp_price: Decimal
    sl_trigger: Decimal
    tp_client_oid: str
    sl_client_oid: str
    sl_limit_price: Decimal | None = None


@dataclass(frozen=True)
class StopOrder:
    """One standalone trigger order (the fallback when an OCO is refused, spec §9.2)."""

    client_oid: str
    symbol: str
    side: str
    kind: OrderKind  # STOP_LOSS / STOP_LIMIT / TAKE_PROFIT / TAKE_PROFIT_LIMIT
    quantity: Decimal
    trigger: Decimal
    limit_price: Decimal | None = None


@dataclass(frozen=True)
class Accepted:
    """The exchange queued the request (code 0). For an OCO only `list_id` is known."""

    order_id: str | None = None
    client_oid: str | None = None
    list_id: str | None = None


@dataclass(frozen=True)
class OrderState:
    order_id: str
    client_oid: str | None
    symbol: str
    side: str
    kind: OrderKind
    status: OrderStatus
    quantity: Decimal
    cumulative_quantity: Decimal
    avg_price: Decimal | None
    cumulative_fee: Decimal
    fee_currency: str | None
    limit_price: Decimal | None
    trigger_price: Decimal | None
    list_id: str | None
    reject_reason: str | None
    child_order_id: str | None  # a fired trigger's spot order (spec §9.6)
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def advanced(self) -> bool:
        return self.kind.is_trigger or self.list_id is not None


@dataclass(frozen=True)
class Fill:
    trade_id: str
    order_id: str
    client_oid: str | None
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal  # positive = paid
    fee_currency: str
    traded_at: datetime


@dataclass(frozen=True)
class Balance:
    currency: str
    total: Decimal
    reserved: Decimal

    @property
    def free(self) -> Decimal:
        return self.total - self.reserved


class BrokerError(Exception):
    """A broker call failed. `code` is the exchange code (0 when not an exchange answer)."""

    def __init__(self, message: str, *, code: int = 0, retry: RetryClass = RetryClass.NO) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry


class BrokerAuthError(BrokerError):
    """Keys refused, nonce outside the window, IP not allowed: a global blocker."""


class Broker(Protocol):
    name: str  # "paper" | "cryptocom"

    async def instrument(self, symbol: str) -> InstrumentRules: ...

    async def place_market_entry(self, entry: MarketEntry) -> Accepted: ...

    async def place_oco(self, oco: ProtectionOco) -> Accepted: ...

    async def place_stop(self, stop: StopOrder) -> Accepted: ...

    async def cancel(self, order: OrderState) -> None:
        """Routed by kind (plain vs advanced, spec R-CXL-1); asynchronous: verify afterwards."""
        ...

    async def cancel_list(self, list_id: str) -> None: ...

    async def order_by_client_oid(
        self, client_oid: str, *, advanced: bool | None = None
    ) -> OrderState | None:
        """None when the exchange has no such order. `advanced`: the namespace to ask (spec
        §9.1): True = advanced only (trigger orders, list legs), False = plain only, None
        (unknown) = plain first, then advanced. A broker with one namespace ignores it."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """The union of plain and advanced open orders (spec §13.4)."""
        ...

    async def fills(self, since: datetime, symbol: str | None = None) -> list[Fill]: ...

    async def balances(self) -> list[Balance]: ...

    async def aclose(self) -> None: ...
