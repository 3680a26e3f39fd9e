"""State and matching of the fake exchange's private side: balances, orders, trades.

One account. Creates and cancels are queued and applied by `advance()` (spec P-4, F-22); the
same call then fills MARKET orders at the last price, LIMIT orders the price path crossed, and
fires triggers against the mark (or last) price. A fired trigger creates a spot child order with
a new id; its trades carry the child's id (spec §9.6, F-21). OCO legs share one reservation and
any execution of one leg cancels the other (F-15, F-18). OTO/OTOCO triggers arm only once their
working leg has fully filled; the two OTOCO triggers then behave as an OCO (spot, F-19).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from tests.fakes.private_orders import (
    FOLLOWER_LISTS,
    INSUFFICIENT,
    OPEN,
    ZERO,
    FakeOrder,
    Prices,
    Trade,
)
from tests.fakes.private_rules import LIMIT_TRIGGER_TYPES, Instrument, OrderSpec, reject


class Book:
    def __init__(
        self, clock_ms: Callable[[], int], default_price: Callable[[str], Decimal]
    ) -> None:
        self.clock_ms = clock_ms
        self.default_price = default_price
        self.lock = threading.RLock()
        self.balances: dict[str, Decimal] = {}
        self.prices: dict[str, Prices] = {}
        self.orders: dict[str, FakeOrder] = {}
        self.trades: list[Trade] = []
        self.maker_fee_rate = Decimal("0.001")
        self.taker_fee_rate = Decimal("0.001")
        self.trigger_balance_reject = "code"  # or "async": accepted, then REJECTED on advance
        self.min_order_value: Decimal | None = None  # F-14: below -> 415
        self.price_band: Decimal | None = None  # F-14: |limit - last| / last above -> 315
        self._ids = {"spot": 5_755_000_000_000_000_000, "adv": 7_381_000_000_000_000_000}
        self._ids |= {"list": 6_498_000_000_000_000_000, "trade": 8_800_000_000_000_000_000}

    def next_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return str(self._ids[kind])

    # --- prices and balances ---------------------------------------------------------------

    def price(self, symbol: str) -> Prices:
        if symbol not in self.prices:
            start = self.default_price(symbol)
            self.prices[symbol] = Prices(start, start)
        return self.prices[symbol]

    def reference(self, order: FakeOrder) -> Decimal:
        prices = self.price(order.symbol)
        return prices.last if order.spec.ref_price_type == "LAST_PRICE" else prices.mark

    def hold(self, order: FakeOrder) -> tuple[str, Decimal] | None:
        """What an open order keeps locked: (currency, amount). An unarmed OTO/OTOCO trigger
        holds nothing: what it would sell is only bought by its working leg."""
        if not order.is_open or order.fired or not order.armed:
            return None
        spec = order.spec
        if spec.side == "SELL":
            return spec.instrument.base, order.remaining
        if spec.notional is not None and spec.quantity is None:
            return spec.instrument.quote, spec.notional - order.cumulative_value
        unit = spec.price or spec.ref_price or self.price(order.symbol).last
        return spec.instrument.quote, order.remaining * unit

    def reserved(self, currency: str, *, live_only: bool = False) -> Decimal:
        groups: dict[str, Decimal] = {}
        for order in self.orders.values():
            if live_only and order.status == "QUEUED":
                continue
            held = self.hold(order)
            if held is not None and held[0] == currency:
                key = order.list_id or order.order_id  # OCO (and OTOCO trigger) legs share one
                groups[key] = max(groups.get(key, ZERO), held[1])
        return sum(groups.values(), ZERO)

    def free(self, currency: str) -> Decimal:
        return self.balances.get(currency, ZERO) - self.reserved(currency)

    # --- placing -----------------------------------------------------------------------------

    def find(self, order_id: str | None, client_oid: str | None) -> FakeOrder | None:
        if order_id is not None:
            return self.orders.get(order_id)
        return next((o for o in self.orders.values() if o.client_oid == client_oid), None)

    def place(
        self,
        specs: list[OrderSpec],
        *,
        advanced: bool,
        default_oid: str,
        contingency: str | None = None,
    ) -> list[FakeOrder]:
        """Validate against the state, then queue. Raises the production code on refusal.
        `contingency` ("OCO", "OTO", "OTOCO") makes the specs the legs of one list."""
        now = self.clock_ms()
        for spec in specs:
            if spec.client_oid is not None and self.find(None, spec.client_oid) is not None:
                raise reject(204)
            self._check_size(spec)
            if spec.is_trigger:
                self._check_trigger_side(spec)
        waits = contingency in FOLLOWER_LISTS  # triggers are paid for by the working leg's fill
        if not (advanced and self.trigger_balance_reject == "async"):
            self._check_balance([s for s in specs if not (waits and s.is_trigger)])
        list_id = self.next_id("list") if contingency else None
        orders = []
        for index, spec in enumerate(specs):
            order_id = self.next_id("adv" if advanced else "spot")
            oid = spec.client_oid or default_oid
            order = FakeOrder(order_id, spec, advanced, oid, "QUEUED", now, now)
            if contingency:
                order.list_id, order.leg_id = list_id, str(index + 1)
                order.contingency, order.armed = contingency, not (waits and spec.is_trigger)
            self.orders[order_id] = order
            orders.append(order)
        return orders

    def _check_size(self, spec: OrderSpec) -> None:
        last = self.price(spec.instrument.symbol).last
        if spec.order_type == "LIMIT" and spec.price is not None and self.price_band is not None:
            if abs(spec.price - last) > last * self.price_band:
                raise reject(315)
        if self.min_order_value is not None:
            unit = spec.price or spec.ref_price or last
            value = spec.notional if spec.quantity is None else spec.quantity * unit
            if value is not None and value < self.min_order_value:
                raise reject(415)

    def _check_trigger_side(self, spec: OrderSpec) -> None:
        """Spec §9.3 / F-17: stops below (SELL) / above (BUY) the reference; take-profits the
        other way round. Equal to the reference counts as the wrong side."""
        prices = self.price(spec.instrument.symbol)
        reference = prices.last if spec.ref_price_type == "LAST_PRICE" else prices.mark
        assert spec.ref_price is not None
        is_stop = spec.order_type.startswith("STOP")
        below_wanted = is_stop == (spec.side == "SELL")
        ok = spec.ref_price < reference if below_wanted else spec.ref_price > reference
        if not ok:
            raise reject(50007)

    def _check_balance(self, specs: list[OrderSpec]) -> None:
        needs: dict[str, Decimal] = {}
        for spec in specs:
            probe = FakeOrder("probe", spec, False, "", "QUEUED", 0, 0)
            currency, amount = self.hold(probe) or ("", ZERO)
            needs[currency] = max(needs.get(currency, ZERO), amount)
        for currency, amount in needs.items():
            if amount > self.free(currency):
                raise reject(306)

    # --- the tick ----------------------------------------------------------------------------

    def advance(self) -> None:
        with self.lock:
            now = self.clock_ms()
            for order in [o for o in self.orders.values() if o.status == "QUEUED"]:
                if order.status == "QUEUED":  # a refused working leg may have closed it
                    self._activate(order, now)
            for order in [o for o in self.orders.values() if o.cancel_requested and o.is_open]:
                if order.is_open:  # cancelling a fired trigger may have closed its child
                    self._cancel(order, now)
            for order in [o for o in self.orders.values() if o.status in ("NEW", "ACTIVE")]:
                if order.is_open:  # an earlier step of this tick may have closed it
                    self._process(order, now)

    def _activate(self, order: FakeOrder, now: int) -> None:
        order.update_ms = now
        if order.advanced and self.trigger_balance_reject == "async" and not self._covered(order):
            order.status, order.reject_reason = "REJECTED", INSUFFICIENT
            self._settle_followers(order, now)
            return
        order.status = "NEW" if order.spec.is_trigger else "ACTIVE"
        if not order.armed:
            order.status = "PENDING"
        order.taker = self._crosses(order)
        tif = order.spec.time_in_force
        if order.spec.order_type == "LIMIT" and tif != "GOOD_TILL_CANCEL" and not order.taker:
            order.status = "CANCELED"  # IOC / FOK that cannot trade now
            self._settle_followers(order, now)

    def _covered(self, order: FakeOrder) -> bool:
        held = self.hold(order)
        if held is None:
            return True
        siblings = [o for o in self.orders.values() if o.list_id and o.list_id == order.list_id]
        if any(o.status == "REJECTED" for o in siblings):
            return False  # an OCO is accepted or rejected as a whole
        order.status = "ACTIVE"  # count it with the live orders (its own list shares the max)
        try:
            reserved = self.reserved(held[0], live_only=True)
        finally:
            order.status = "QUEUED"
        return self.balances.get(held[0], ZERO) >= reserved

    def request_cancel(self, order: FakeOrder) -> None:
        order.cancel_requested = True

    def _cancel(self, order: FakeOrder, now: int) -> None:
        child = self.orders.get(order.exchange_order_id or "")
        if child is not None and child.is_open:
            # Cancelling a fired trigger cancels its resting child. Spec §9.6: the advanced
            # order stays the handle of the execution (`exchange_order_id`, fills mirrored), so
            # an advanced cancel that reported CANCELED while the child could still trade would
            # leave a live order nobody tracks. The parent then mirrors the child's end.
            self._cancel(child, now)
            return
        order.status, order.update_ms = "CANCELED", now
        # A fired trigger mirrors its child (spec §9.6, F-21): cancelling a resting child
        # must not leave the advanced order listed as live forever.
        self._sync_parent(order)
        self._settle_followers(order, now)

    def _crosses(self, order: FakeOrder) -> bool:
        if order.spec.order_type != "LIMIT" or order.spec.price is None:
            return order.spec.order_type == "MARKET"
        last = self.price(order.symbol).last
        return last <= order.spec.price if order.spec.side == "BUY" else last >= order.spec.price

    def _process(self, order: FakeOrder, now: int) -> None:
        if order.spec.is_trigger:
            if not order.fired and self._trigger_reached(order):
                self._fire(order, now)
            return
        last = self.price(order.symbol).last
        if order.spec.order_type == "MARKET":
            self.execute(order, self._market_quantity(order, last), last, taker=True)
        elif self._crosses(order):
            assert order.spec.price is not None
            price = last if order.taker else order.spec.price
            self.execute(order, order.remaining, price, taker=order.taker)

    def _market_quantity(self, order: FakeOrder, last: Decimal) -> Decimal:
        if order.spec.quantity is not None:
            return order.remaining
        assert order.spec.notional is not None
        tick = order.spec.instrument.qty_tick
        steps = (order.spec.notional / last / tick).to_integral_value(ROUND_DOWN)
        return (steps * tick).quantize(tick)

    def _trigger_reached(self, order: FakeOrder) -> bool:
        assert order.spec.ref_price is not None
        reference = self.reference(order)
        falling = order.spec.order_type.startswith("STOP") == (order.spec.side == "SELL")
        return reference <= order.spec.ref_price if falling else reference >= order.spec.ref_price

    def _fire(self, order: FakeOrder, now: int) -> None:
        spec = order.spec
        child_type = "LIMIT" if spec.order_type in LIMIT_TRIGGER_TYPES else "MARKET"
        child_spec = OrderSpec(spec.instrument, spec.side, child_type, spec.quantity, spec.price)
        child_id = self.next_id("spot")
        child = FakeOrder(child_id, child_spec, False, child_id, "ACTIVE", now, now)
        child.parent_id = order.order_id
        child.taker = self._crosses(child)
        self.orders[child_id] = child
        order.exchange_order_id, order.status, order.update_ms = child_id, "ACTIVE", now
        self._cancel_siblings(order, now)
        self._process(child, now)

    def _cancel_siblings(self, order: FakeOrder, now: int) -> None:
        """OCO behaviour: any execution of a leg cancels the other legs. An OTO/OTOCO working
        leg never does (its fill arms the triggers); the OTOCO triggers are an OCO (spot)."""
        if order.list_id is None or order.is_working_leg:
            return
        for other in self.orders.values():
            if other.list_id == order.list_id and other is not order and other.is_open:
                if not other.is_working_leg:
                    self._cancel(other, now)

    def _followers(self, working: FakeOrder) -> list[FakeOrder]:
        return [
            o
            for o in self.orders.values()
            if o.list_id == working.list_id and not o.armed and o.is_open
        ]

    def _settle_followers(self, order: FakeOrder, now: int) -> None:
        """After a working leg changed: a full fill arms its triggers (they then reserve what
        they would sell, or are REJECTED when the account cannot cover it); a working leg that
        closed any other way (even partly filled) means they can never arm: cancel them."""
        if not order.is_working_leg or order.is_open:
            return
        followers = self._followers(order)
        if order.status != "FILLED":
            for follower in followers:
                follower.status, follower.update_ms = "CANCELED", now
            return
        for follower in followers:
            follower.armed, follower.status, follower.update_ms = True, "ACTIVE", now
        for currency in {held[0] for f in followers if (held := self.hold(f)) is not None}:
            if self.free(currency) < 0:
                for follower in followers:
                    follower.status, follower.reject_reason = "REJECTED", INSUFFICIENT

    # --- execution ---------------------------------------------------------------------------

    def execute(self, order: FakeOrder, quantity: Decimal, price: Decimal, *, taker: bool) -> None:
        """Trade `quantity` of `order` at `price`; an order the balance cannot pay is cancelled."""
        now = self.clock_ms()
        inst: Instrument = order.spec.instrument
        value = quantity * price
        rate = self.taker_fee_rate if taker else self.maker_fee_rate
        buying = order.spec.side == "BUY"
        pay_ccy, pay = (inst.quote, value) if buying else (inst.base, quantity)
        if quantity <= 0 or self.balances.get(pay_ccy, ZERO) < pay:
            order.status = "CANCELED" if order.cumulative_quantity else "REJECTED"
            reason = "INSUFFICIENT_AVAILABLE_BALANCE" if quantity > 0 else "BELOW_MIN_ORDER_SIZE"
            order.reject_reason, order.update_ms = reason, now
            self._sync_parent(order)
            self._settle_followers(order, now)
            return
        fee_ccy, fee = (inst.base, quantity * rate) if buying else (inst.quote, value * rate)
        get_ccy, get = (inst.base, quantity) if buying else (inst.quote, value)
        self.balances[pay_ccy] = self.balances.get(pay_ccy, ZERO) - pay
        self.balances[get_ccy] = self.balances.get(get_ccy, ZERO) + get - fee
        order.cumulative_quantity += quantity
        order.cumulative_value += value
        order.cumulative_fee += fee
        order.fee_currency = fee_ccy
        done = order.remaining <= 0 or order.spec.order_type == "MARKET"
        order.status, order.update_ms = ("FILLED" if done else "ACTIVE"), now
        self.trades.append(
            Trade(
                self.next_id("trade"),
                order.order_id,
                order.client_oid,
                inst.symbol,
                order.spec.side,
                quantity,
                price,
                fee,
                fee_ccy,
                taker,
                now,
            )
        )
        self._cancel_siblings(order, now)
        self._sync_parent(order)
        self._settle_followers(order, now)

    def _sync_parent(self, child: FakeOrder) -> None:
        """A fired trigger mirrors its child's execution (advanced detail/history show it)."""
        parent = self.orders.get(child.parent_id or "")
        if parent is None:
            return
        parent.cumulative_quantity = child.cumulative_quantity
        parent.cumulative_value = child.cumulative_value
        parent.cumulative_fee, parent.fee_currency = child.cumulative_fee, child.fee_currency
        parent.update_ms = child.update_ms
        if not child.is_open:
            parent.status, parent.reject_reason = child.status, child.reject_reason


__all__ = ["OPEN", "ZERO", "Book", "FakeOrder", "Prices", "Trade"]
