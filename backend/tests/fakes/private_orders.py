"""Records of the fake exchange's private side: orders, trades and the price pair.

A list leg (OCO, OTO, OTOCO) carries `list_id`, `leg_id` and `contingency`. The trigger legs of an
OTO/OTOCO wait unarmed (status PENDING, nothing reserved) until their working leg has fully
filled (spec §9.4, F-19).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tests.fakes.private_rules import OrderSpec

OPEN = frozenset({"QUEUED", "PENDING", "NEW", "ACTIVE"})
FOLLOWER_LISTS = frozenset({"OTO", "OTOCO"})  # lists whose triggers wait for a working leg
ZERO = Decimal(0)
INSUFFICIENT = "INSUFFICIENT_ACC_BALANCE"


@dataclass
class FakeOrder:
    order_id: str
    spec: OrderSpec
    advanced: bool
    client_oid: str
    # QUEUED (accepted, not yet visible), PENDING (an unarmed OTO/OTOCO trigger), NEW, ACTIVE,
    # FILLED, CANCELED, REJECTED
    status: str
    create_ms: int
    update_ms: int
    cumulative_quantity: Decimal = ZERO
    cumulative_value: Decimal = ZERO
    cumulative_fee: Decimal = ZERO
    fee_currency: str = ""
    list_id: str | None = None
    leg_id: str | None = None
    contingency: str | None = None  # OCO, OTO, OTOCO
    armed: bool = True  # False on an OTO/OTOCO trigger until its working leg has fully filled
    exchange_order_id: str | None = None  # the spot child of a fired trigger
    parent_id: str | None = None  # on a child: the advanced order that fired
    reject_reason: str | None = None
    cancel_requested: bool = False
    taker: bool = True

    @property
    def symbol(self) -> str:
        return self.spec.instrument.symbol

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def visible(self) -> bool:
        return self.status != "QUEUED"

    @property
    def remaining(self) -> Decimal:
        return (self.spec.quantity or ZERO) - self.cumulative_quantity

    @property
    def fired(self) -> bool:
        return self.exchange_order_id is not None

    @property
    def is_working_leg(self) -> bool:
        """The LIMIT/MARKET leg of an OTO/OTOCO, whose full fill arms the trigger legs."""
        return self.contingency in FOLLOWER_LISTS and not self.spec.is_trigger


@dataclass(frozen=True)
class Trade:
    trade_id: str
    order_id: str
    client_oid: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal  # positive amount paid; rendered negative (deducted)
    fee_currency: str
    taker: bool
    create_ms: int


@dataclass
class Prices:
    last: Decimal
    mark: Decimal
