"""Multi-order requests of the fake exchange's private side (spec §8.8, §9.4, §9.5, F-19, F-20).

- `private/advanced/create-oto`: a LIMIT/MARKET working leg, then one trigger on the opposite
  side; `create-otoco`: a working leg, then one STOP_LOSS/STOP_LIMIT and one
  TAKE_PROFIT/TAKE_PROFIT_LIMIT (either order: the sources disagree, spec §9.4). The triggers
  wait (PENDING) until the working leg has fully filled; on spot the two OTOCO triggers behave as
  an OCO. Any other composition -> 40004. The answer is only `{"list_id"}`.
- `private/create-order-list` with `contingency_type: LIST`: 1-10 LIMIT/MARKET orders, each
  validated and placed on its own; the result is one `{index, code, ...}` element per order, so
  one bad order does not stop the others. A LIST is a batch of ordinary orders: they live in
  the plain namespace (get-open-orders, cancel-order). A trigger in the batch or 11+ orders ->
  40004 for the whole request; `contingency_type: OCO` -> 140001 (the pre-migration path).
- `cancel-oco` / `cancel-oto` / `cancel-otoco` by `list_id`, and the advanced `cancel-all-orders`
  (`type` LIMIT, TRIGGER or ALL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_exchange import FakeApiError
from tests.fakes.private_book import FakeOrder
from tests.fakes.private_rules import (
    PLAIN_TYPES,
    TRIGGER_TYPES,
    InstrumentLookup,
    OrderSpec,
    parse_plain,
    parse_trigger,
    reject,
)

if TYPE_CHECKING:
    from tests.fakes.fake_exchange_private import FakePrivate, MethodHandler

Params = dict[str, Any]
# (specs, envelope, advanced, contingency) -> queued orders; raises the production code
Place = Callable[[list[OrderSpec], Params, bool, str], list[FakeOrder]]

MAX_LIST_ORDERS = 10
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LIMIT"})
TAKE_PROFIT_TYPES = frozenset({"TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
CANCEL_ALL_TYPES = frozenset({"LIMIT", "TRIGGER", "ALL"})


# --- parsing (pure) ----------------------------------------------------------------------------


def _leg_dicts(params: Params, count: int) -> list[Params]:
    legs = params.get("order_list")
    if not isinstance(legs, list) or len(legs) != count:
        raise reject(40004)
    if not all(isinstance(leg, dict) for leg in legs):
        raise reject(40004)
    return legs


def _working_and_triggers(legs: list[Params], lookup: InstrumentLookup) -> list[OrderSpec]:
    """The first leg works (LIMIT/MARKET), the rest are triggers on the opposite side of the
    same instrument; client_oids must differ within the request (204)."""
    if legs[0].get("type") not in PLAIN_TYPES:
        raise reject(40004)
    if any(leg.get("type") not in TRIGGER_TYPES for leg in legs[1:]):
        raise reject(40004)  # e.g. a plain LIMIT as the second OTO leg [CDC]
    working = parse_plain(legs[0], lookup)
    triggers = [parse_trigger(leg, lookup, oco_leg=False) for leg in legs[1:]]
    for trigger in triggers:
        if trigger.instrument.symbol != working.instrument.symbol:
            raise reject(40004)
        if trigger.side == working.side:
            raise reject(40004)  # the trigger protects what the working leg opens
    specs = [working, *triggers]
    oids = [s.client_oid for s in specs if s.client_oid is not None]
    if len(oids) != len(set(oids)):
        raise reject(204)
    return specs


def parse_oto(params: Params, lookup: InstrumentLookup) -> list[OrderSpec]:
    return _working_and_triggers(_leg_dicts(params, 2), lookup)


def parse_otoco(params: Params, lookup: InstrumentLookup) -> list[OrderSpec]:
    legs = _leg_dicts(params, 3)
    kinds = {legs[1].get("type") in STOP_TYPES, legs[2].get("type") in STOP_TYPES}
    take_profits = [leg.get("type") in TAKE_PROFIT_TYPES for leg in legs[1:]]
    if kinds != {True, False} or take_profits.count(True) != 1:
        raise reject(40004)  # one stop and one take-profit, in either order
    return _working_and_triggers(legs, lookup)


def check_order_list(params: Params) -> list[Params]:
    """The request-level refusals of `private/create-order-list` (F-20)."""
    contingency = params.get("contingency_type")
    if contingency == "OCO":
        raise reject(140001)
    if contingency != "LIST":
        raise reject(40004)
    legs = params.get("order_list")
    if not isinstance(legs, list) or not 1 <= len(legs) <= MAX_LIST_ORDERS:
        raise reject(40004)
    if any(not isinstance(leg, dict) or leg.get("type") in TRIGGER_TYPES for leg in legs):
        raise reject(40004)
    return legs


# --- handlers ----------------------------------------------------------------------------------


class ListMethods:
    def __init__(self, private: FakePrivate, place: Place) -> None:
        self.private = private
        self.book = private.book
        self.place = place

    def table(self) -> dict[str, tuple[MethodHandler, bool]]:
        return {
            "private/create-order-list": (self.create_order_list, True),
            "private/advanced/create-oto": (self.create_oto, True),
            "private/advanced/create-otoco": (self.create_otoco, True),
            "private/advanced/cancel-oco": (self._cancel_list("OCO"), True),
            "private/advanced/cancel-oto": (self._cancel_list("OTO"), True),
            "private/advanced/cancel-otoco": (self._cancel_list("OTOCO"), True),
            "private/advanced/cancel-all-orders": (self.cancel_all_orders, True),
        }

    def create_oto(self, params: Params, envelope: Params) -> Params:
        legs = self.place(parse_oto(params, self.private.instrument), envelope, True, "OTO")
        return {"list_id": legs[0].list_id}

    def create_otoco(self, params: Params, envelope: Params) -> Params:
        legs = self.place(parse_otoco(params, self.private.instrument), envelope, True, "OTOCO")
        return {"list_id": legs[0].list_id}

    def create_order_list(self, params: Params, envelope: Params) -> list[Params]:
        legs = check_order_list(params)
        return [self._list_element(i, leg, str(envelope["nonce"])) for i, leg in enumerate(legs)]

    def _list_element(self, index: int, leg: Params, nonce: str) -> Params:
        strings = self.private.exchange.codes_as_strings
        try:
            spec = parse_plain(leg, self.private.instrument)
            [order] = self.book.place([spec], advanced=False, default_oid=nonce)
        except FakeApiError as err:
            row: Params = {"index": index, "code": str(err.code) if strings else err.code}
            row["message"] = err.message
            if isinstance(leg.get("client_oid"), str):
                row["client_oid"] = leg["client_oid"]
            return row  # no order_id: nothing was placed for this element
        code: int | str = "0" if strings else 0
        return {
            "index": index,
            "code": code,
            "order_id": order.order_id,
            "client_oid": order.client_oid,
        }

    def _cancel_list(self, contingency: str) -> MethodHandler:
        def cancel(params: Params, envelope: Params) -> None:
            list_id = params.get("list_id")
            if not isinstance(list_id, str) or not list_id:
                raise reject(40004)
            legs = [o for o in self.book.orders.values() if o.list_id == list_id]
            # another kind's list is not found through this endpoint (strict: routing matters)
            if not legs or legs[0].contingency != contingency:
                raise reject(40401)
            if not any(o.is_open for o in legs):
                raise reject(212)
            for leg in legs:
                if leg.is_open:
                    self.book.request_cancel(leg)  # a fired leg takes its resting child along

        return cancel

    def cancel_all_orders(self, params: Params, envelope: Params) -> None:
        """`type` LIMIT: every open LIMIT/MARKET order (plain, list working legs, children of
        fired triggers); TRIGGER: every open trigger order (standalone and list legs, armed or
        not); ALL: both. `type` is required: a "cancel everything" by omission is too costly."""
        kind = params.get("type")
        if not isinstance(kind, str) or kind not in CANCEL_ALL_TYPES:
            raise reject(40004)
        symbol = params.get("instrument_name")
        if symbol is not None:
            symbol = self.private.instrument(symbol).symbol
        for order in self.book.orders.values():
            if not order.is_open or symbol not in (None, order.symbol):
                continue
            if kind == "ALL" or (kind == "TRIGGER") == order.spec.is_trigger:
                self.book.request_cancel(order)
