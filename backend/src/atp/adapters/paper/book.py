"""The paper matching rules, pure (no I/O): fills, fees, reservations, triggers and OCO.

A `PaperBook` is the part of the paper account one broker call needs: balances, the open orders
and the next ids. The store loads it inside a locked transaction and writes back what changed;
tests build one in memory. Every order fills whole (no partial fills): a MARKET order at once,
a LIMIT leg when the price reaches it, a trigger order when the price crosses its trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_UP, Decimal

from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.models import PaperFillRow, PaperOrderRow
from atp.adapters.paper.rules import (
    BAD_REQUEST,
    BELOW_MIN_ORDER_SIZE,
    FEE_STEP,
    INSUFFICIENT_BALANCE,
    INVALID_NOTIONAL,
    INVALID_PRICE,
    INVALID_REF_PRICE,
    LIMIT_AFTER_TRIGGER,
    ceil_to,
    check_client_oid,
    check_price,
    check_quantity,
    check_side,
    check_trigger_side,
    floor_to,
    limit_reachable,
    refuse,
    trigger_fires,
)
from atp.orders.ports import (
    InstrumentRules,
    MarketEntry,
    OrderKind,
    OrderStatus,
    ProtectionOco,
    StopOrder,
)

REJECTED_NO_BALANCE = "INSUFFICIENT_AVAILABLE_BALANCE"


@dataclass
class PaperBook:
    config: PaperConfig
    balances: dict[str, Decimal]  # currency -> total
    open_orders: list[PaperOrderRow]
    next_order_id: int = 1
    next_fill_id: int = 1
    new_orders: list[PaperOrderRow] = field(default_factory=list)
    new_fills: list[PaperFillRow] = field(default_factory=list)
    changed_currencies: set[str] = field(default_factory=set)

    # --- balances -------------------------------------------------------------------------
    def reserved(self, currency: str, *, besides: PaperOrderRow | None = None) -> Decimal:
        """What open orders hold back; the legs of one OCO share one reservation (the max).
        `besides`: leave out that order's own reservation (it is about to use it)."""
        skip = None if besides is None else (besides.list_id or besides.id)
        standalone = Decimal(0)
        per_list: dict[str, Decimal] = {}
        for order in self.open_orders:
            if order.status != OrderStatus.OPEN or order.reserve_currency != currency:
                continue
            if skip is not None and (order.list_id or order.id) == skip:
                continue
            if order.list_id is None:
                standalone += order.reserve_amount
            else:
                per_list[order.list_id] = max(
                    per_list.get(order.list_id, Decimal(0)), order.reserve_amount
                )
        return standalone + sum(per_list.values(), Decimal(0))

    def free(self, currency: str, *, besides: PaperOrderRow | None = None) -> Decimal:
        return self.balances.get(currency, Decimal(0)) - self.reserved(currency, besides=besides)

    def _add(self, currency: str, amount: Decimal) -> None:
        self.balances[currency] = self.balances.get(currency, Decimal(0)) + amount
        self.changed_currencies.add(currency)

    # --- placing --------------------------------------------------------------------------
    def market_entry(
        self, entry: MarketEntry, rules: InstrumentRules, last: Decimal, now: datetime
    ) -> PaperOrderRow:
        """Fill at once at `last` with slippage against the order; 306 when it cannot be paid."""
        check_side(entry.side)
        check_client_oid(entry.client_oid)
        price = self._market_price(entry.side, last, rules)
        quantity = self._entry_quantity(entry, rules, price)
        order = self._new_order(
            now, entry.client_oid, rules, entry.side, OrderKind.MARKET, quantity, Decimal(0)
        )
        order.notional = entry.notional if entry.quantity is None else None
        if not self._settle(order, quantity, price, rules, now):
            raise refuse(INSUFFICIENT_BALANCE, self._shortfall(order, quantity, price, rules))
        self._register(order)
        return order

    def _entry_quantity(
        self, entry: MarketEntry, rules: InstrumentRules, price: Decimal
    ) -> Decimal:
        if entry.quantity is not None:  # quantity wins when both are sent (spec §8.1)
            check_quantity(entry.quantity, rules)
            return entry.quantity
        if entry.side != "BUY" or entry.notional is None:
            raise refuse(BAD_REQUEST, f"MARKET {entry.side} needs a quantity")
        if entry.notional <= 0:
            raise refuse(INVALID_NOTIONAL, f"notional {entry.notional} must be positive")
        quantity = floor_to(entry.notional / price, rules.qty_tick)
        if quantity <= 0:
            raise refuse(
                BELOW_MIN_ORDER_SIZE,
                f"notional {entry.notional} buys less than one "
                f"quantity tick {rules.qty_tick} at {price}",
            )
        return quantity

    def place_oco(
        self, oco: ProtectionOco, rules: InstrumentRules, last: Decimal, now: datetime
    ) -> tuple[PaperOrderRow, PaperOrderRow]:
        """A LIMIT take-profit leg and a stop leg sharing one reservation of the quantity."""
        check_side(oco.side)
        for client_oid in (oco.tp_client_oid, oco.sl_client_oid):
            check_client_oid(client_oid)
        if oco.tp_client_oid == oco.sl_client_oid:
            raise refuse(BAD_REQUEST, "the two OCO legs need different client_oids")
        check_quantity(oco.quantity, rules)
        check_price(oco.tp_price, rules, INVALID_PRICE, "price")
        check_price(oco.sl_trigger, rules, INVALID_REF_PRICE, "ref_price")
        stop_kind = OrderKind.STOP_LOSS if oco.sl_limit_price is None else OrderKind.STOP_LIMIT
        if oco.sl_limit_price is not None:
            check_price(oco.sl_limit_price, rules, INVALID_PRICE, "price")
        check_trigger_side(stop_kind, oco.side, oco.sl_trigger, last)
        worst = max(oco.tp_price, oco.sl_limit_price or oco.sl_trigger)
        reserve = self._reserve_amount(oco.side, oco.quantity, worst)
        tp = self._new_order(
            now,
            oco.tp_client_oid,
            rules,
            oco.side,
            OrderKind.LIMIT,
            oco.quantity,
            reserve,
            limit=oco.tp_price,
        )
        sl = self._new_order(
            now,
            oco.sl_client_oid,
            rules,
            oco.side,
            stop_kind,
            oco.quantity,
            reserve,
            limit=oco.sl_limit_price,
            trigger=oco.sl_trigger,
        )
        tp.list_id = sl.list_id = f"paper-list-{tp.id}"
        self._require_free(tp)
        self._register(tp)
        self._register(sl)
        return tp, sl

    def place_stop(
        self, stop: StopOrder, rules: InstrumentRules, last: Decimal, now: datetime
    ) -> PaperOrderRow:
        """One standalone trigger order; it reserves its own quantity (spec §16 F-15)."""
        check_side(stop.side)
        check_client_oid(stop.client_oid)
        if not stop.kind.is_trigger:
            raise refuse(BAD_REQUEST, f"{stop.kind.value} is not a trigger order type")
        check_quantity(stop.quantity, rules)
        check_price(stop.trigger, rules, INVALID_REF_PRICE, "ref_price")
        limit = stop.limit_price if stop.kind in LIMIT_AFTER_TRIGGER else None
        if stop.kind in LIMIT_AFTER_TRIGGER:
            if limit is None:
                raise refuse(BAD_REQUEST, f"{stop.kind.value} needs a limit price")
            check_price(limit, rules, INVALID_PRICE, "price")
        check_trigger_side(stop.kind, stop.side, stop.trigger, last)
        reserve = self._reserve_amount(stop.side, stop.quantity, limit or stop.trigger)
        order = self._new_order(
            now,
            stop.client_oid,
            rules,
            stop.side,
            stop.kind,
            stop.quantity,
            reserve,
            limit=limit,
            trigger=stop.trigger,
        )
        self._require_free(order)
        self._register(order)
        return order

    def cancel(self, order: PaperOrderRow, now: datetime) -> None:
        """Cancel one open order; a finished one is left as it is (the caller verifies)."""
        if order.status == OrderStatus.OPEN:
            order.status = OrderStatus.CANCELED
            order.updated_at = now

    # --- later prices ---------------------------------------------------------------------
    def evaluate(
        self,
        prices: Mapping[str, Decimal],
        rules: Mapping[str, InstrumentRules],
        now: datetime,
    ) -> list[PaperFillRow]:
        """Fill every open order the prices reach; cancel the sibling of an OCO leg that fills."""
        fills: list[PaperFillRow] = []
        for order in sorted(self.open_orders, key=lambda o: o.id):
            last = prices.get(order.symbol)
            order_rules = rules.get(order.symbol)
            if order.status != OrderStatus.OPEN or last is None or order_rules is None:
                continue
            execution = self._execution_price(order, last, order_rules, now)
            if execution is None:
                continue
            if not self._settle(order, order.quantity, execution, order_rules, now):
                order.status = OrderStatus.REJECTED
                order.reject_reason = REJECTED_NO_BALANCE
                order.updated_at = now
                continue
            fills.append(self.new_fills[-1])
            self._cancel_siblings(order, now)
        return fills

    def _execution_price(
        self, order: PaperOrderRow, last: Decimal, rules: InstrumentRules, now: datetime
    ) -> Decimal | None:
        kind = OrderKind(order.kind)
        if kind is OrderKind.LIMIT:
            assert order.limit_price is not None
            return (
                order.limit_price if limit_reachable(order.side, order.limit_price, last) else None
            )
        assert order.trigger_price is not None
        if order.triggered_at is None:
            if not trigger_fires(kind, order.side, order.trigger_price, last):
                return None
            order.triggered_at = now
            order.updated_at = now
        if kind not in LIMIT_AFTER_TRIGGER:  # STOP_LOSS / TAKE_PROFIT become a market order
            return self._market_price(order.side, last, rules)
        assert order.limit_price is not None
        return order.limit_price if limit_reachable(order.side, order.limit_price, last) else None

    def _cancel_siblings(self, order: PaperOrderRow, now: datetime) -> None:
        if order.list_id is None:
            return
        for other in self.open_orders:
            if other.list_id == order.list_id and other is not order:
                self.cancel(other, now)

    # --- helpers --------------------------------------------------------------------------
    def _market_price(self, side: str, last: Decimal, rules: InstrumentRules) -> Decimal:
        """`last` moved against the order by the slippage, on the tick (BUY up, SELL down)."""
        if side == "BUY":
            return ceil_to(last * (1 + self.config.slippage), rules.price_tick)
        price = floor_to(last * (1 - self.config.slippage), rules.price_tick)
        return max(price, rules.price_tick)

    def _fee(self, cost: Decimal) -> Decimal:
        return (cost * self.config.fee_rate).quantize(FEE_STEP, rounding=ROUND_UP)

    def _reserve_amount(self, side: str, quantity: Decimal, worst_price: Decimal) -> Decimal:
        if side == "SELL":
            return quantity
        # A BUY holds back the quote it may pay: the highest leg price, slippage and fee.
        cost = quantity * worst_price * (1 + self.config.slippage)
        return (cost + self._fee(cost)).quantize(FEE_STEP, rounding=ROUND_UP)

    def _settle(
        self,
        order: PaperOrderRow,
        quantity: Decimal,
        price: Decimal,
        rules: InstrumentRules,
        now: datetime,
    ) -> bool:
        """Move the money and record the fill; False (nothing changed) when it cannot be paid."""
        cost = quantity * price
        fee = self._fee(cost)
        if order.side == "BUY":
            if self.free(rules.quote, besides=order) < cost + fee:
                return False
            self._add(rules.quote, -(cost + fee))
            self._add(rules.base, quantity)
        else:
            if self.free(rules.base, besides=order) < quantity:
                return False
            self._add(rules.base, -quantity)
            self._add(rules.quote, cost - fee)
        self._record_fill(order, quantity, price, fee, rules.quote, now)
        return True

    def _record_fill(
        self,
        order: PaperOrderRow,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        fee_currency: str,
        now: datetime,
    ) -> None:
        done = order.cumulative_quantity
        order.avg_price = ((order.avg_price or Decimal(0)) * done + price * quantity) / (
            done + quantity
        )
        order.cumulative_quantity = done + quantity
        order.cumulative_fee += fee
        order.fee_currency = fee_currency
        if order.cumulative_quantity >= order.quantity:
            order.status = OrderStatus.FILLED
        order.updated_at = now
        fill = PaperFillRow(
            id=self.next_fill_id,
            order_pk=order.id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_currency=fee_currency,
            traded_at=now,
        )
        fill.order = order
        self.next_fill_id += 1
        self.new_fills.append(fill)

    def _require_free(self, order: PaperOrderRow) -> None:
        free = self.free(order.reserve_currency)
        if free < order.reserve_amount:
            raise refuse(
                INSUFFICIENT_BALANCE,
                f"{order.reserve_amount} {order.reserve_currency} needed, {free} free",
            )

    def _shortfall(
        self, order: PaperOrderRow, quantity: Decimal, price: Decimal, rules: InstrumentRules
    ) -> str:
        if order.side == "BUY":
            cost = quantity * price
            return f"{cost + self._fee(cost)} {rules.quote} needed, {self.free(rules.quote)} free"
        return f"{quantity} {rules.base} needed, {self.free(rules.base)} free"

    def _new_order(
        self,
        now: datetime,
        client_oid: str,
        rules: InstrumentRules,
        side: str,
        kind: OrderKind,
        quantity: Decimal,
        reserve: Decimal,
        *,
        limit: Decimal | None = None,
        trigger: Decimal | None = None,
    ) -> PaperOrderRow:
        order = PaperOrderRow(
            id=self.next_order_id,
            client_oid=client_oid,
            symbol=rules.symbol,
            side=side,
            kind=kind.value,
            status=OrderStatus.OPEN.value,
            quantity=quantity,
            notional=None,
            cumulative_quantity=Decimal(0),
            avg_price=None,
            cumulative_fee=Decimal(0),
            fee_currency=None,
            limit_price=limit,
            trigger_price=trigger,
            list_id=None,
            reserve_currency=rules.quote if side == "BUY" else rules.base,
            reserve_amount=reserve,
            triggered_at=None,
            reject_reason=None,
            created_at=now,
            updated_at=now,
        )
        self.next_order_id += 1
        return order

    def _register(self, order: PaperOrderRow) -> None:
        self.new_orders.append(order)
        if order.status == OrderStatus.OPEN:
            self.open_orders.append(order)
