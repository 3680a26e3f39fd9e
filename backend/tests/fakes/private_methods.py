"""Handlers of the fake exchange's private methods (spec §8, §9.2 - §9.5, F-13 .. F-24).

Multi-order requests (LIST, OTO, OTOCO) and the list/bulk cancels live in `private_lists`.

Each handler runs after authentication, under the book's lock, with the request's `params`.
Plain and advanced orders are separate namespaces (F-21): plain detail on an advanced id answers
an empty result, and plain cancel on an advanced id answers code 0 without cancelling it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.fake_exchange import FakeApiError
from tests.fakes.private_book import FakeOrder
from tests.fakes.private_lists import ListMethods
from tests.fakes.private_rules import (
    OrderSpec,
    int_field,
    lookup_id,
    parse_oco,
    parse_plain,
    parse_trigger,
    reject,
)
from tests.fakes.private_views import balance_result, order_row, trade_row

if TYPE_CHECKING:
    from tests.fakes.fake_exchange_private import FakePrivate, MethodHandler

DAY_MS = 86_400_000
QUIRK_FILLED_AS_CANCELED = "filled_advanced_reported_canceled"
QUIRK_WIDE_WINDOW_EMPTY = "advanced_history_empty_over_48h"
RESULT_CARRYING_REJECTIONS = frozenset({306, 315, 415})
MAX_LIMIT = 100
NS_THRESHOLD = 10**14  # times above this are nanoseconds (spec §8.5)

Params = dict[str, Any]


def method_table(private: FakePrivate) -> dict[str, tuple[MethodHandler, bool]]:
    """Method name -> (handler, needs the trade permission)."""
    methods = _PrivateMethods(private)
    lists = ListMethods(private, methods.place)
    return lists.table() | {
        "private/create-order": (methods.create_order, True),
        "private/cancel-order": (methods.cancel_order, True),
        "private/cancel-all-orders": (methods.cancel_all_orders, True),
        "private/get-open-orders": (methods.open_orders, False),
        "private/get-order-detail": (methods.order_detail, False),
        "private/get-order-history": (methods.order_history, False),
        "private/get-trades": (methods.get_trades, False),
        "private/user-balance": (methods.user_balance, False),
        "private/advanced/create-order": (methods.advanced_create_order, True),
        "private/advanced/create-oco": (methods.create_oco, True),
        "private/advanced/cancel-order": (methods.advanced_cancel_order, True),
        "private/advanced/get-open-orders": (methods.advanced_open_orders, False),
        "private/advanced/get-order-detail": (methods.advanced_order_detail, False),
        "private/advanced/get-order-history": (methods.advanced_order_history, False),
    }


class _PrivateMethods:
    def __init__(self, private: FakePrivate) -> None:
        self.private = private
        self.book = private.book

    @property
    def strings(self) -> bool:
        return self.private.exchange.codes_as_strings

    def _row(self, order: FakeOrder) -> dict[str, Any]:
        row = order_row(order, self.book, strings=self.strings)
        if QUIRK_FILLED_AS_CANCELED in self.private.quirks and order.advanced:
            if row["status"] == "FILLED":  # legacy evidence, spec §9.6
                row["status"] = "CANCELED"
        return row

    def place(
        self, specs: list[OrderSpec], envelope: Params, advanced: bool, contingency: str | None
    ) -> list[FakeOrder]:
        nonce = str(envelope["nonce"])
        try:
            return self.book.place(
                specs, advanced=advanced, default_oid=nonce, contingency=contingency
            )
        except FakeApiError as err:
            if self.private.reject_with_result and err.code in RESULT_CARRYING_REJECTIONS:
                # F-25: an order-like result that names no real order (spec P-3)
                kind = "adv" if advanced else "spot"
                err.result = {
                    "order_id": self.book.next_id(kind),
                    "client_oid": specs[0].client_oid or nonce,
                }
            raise

    # --- writes ------------------------------------------------------------------------------

    def create_order(self, params: Params, envelope: Params) -> Params:
        spec = parse_plain(params, self.private.instrument)
        [order] = self.place([spec], envelope, False, None)
        return {"order_id": order.order_id, "client_oid": order.client_oid}

    def advanced_create_order(self, params: Params, envelope: Params) -> Params:
        spec = parse_trigger(params, self.private.instrument, oco_leg=False)
        [order] = self.place([spec], envelope, True, None)
        return {"order_id": order.order_id, "client_oid": order.client_oid}

    def create_oco(self, params: Params, envelope: Params) -> Params:
        specs = parse_oco(params, self.private.instrument)
        legs = self.place(specs, envelope, True, "OCO")
        return {"list_id": legs[0].list_id}  # leg ids only via advanced open orders (spec §9.4)

    def cancel_order(self, params: Params, envelope: Params) -> Params:
        order = self._existing(params)
        if order.advanced:  # production quirk (F-21): "accepted", the trigger stays live
            return {"order_id": order.order_id, "client_oid": order.client_oid}
        return self._cancel(order)

    def advanced_cancel_order(self, params: Params, envelope: Params) -> Params:
        order = self._existing(params)
        if not order.advanced:
            raise reject(40401)
        return self._cancel(order)

    def cancel_all_orders(self, params: Params, envelope: Params) -> None:
        symbol = self._symbol_filter(params)
        for order in self.book.orders.values():
            if not order.advanced and order.is_open and symbol in (None, order.symbol):
                self.book.request_cancel(order)

    def _existing(self, params: Params) -> FakeOrder:
        order = self.book.find(*lookup_id(params))
        if order is None:
            raise reject(40401)
        return order

    def _cancel(self, order: FakeOrder) -> Params:
        if not order.is_open:
            raise reject(212)
        self.book.request_cancel(order)
        return {"order_id": order.order_id, "client_oid": order.client_oid}

    # --- reads -------------------------------------------------------------------------------

    def _symbol_filter(self, params: Params) -> str | None:
        symbol = params.get("instrument_name")
        if symbol is None:
            return None
        return self.private.instrument(symbol).symbol

    def _open(self, params: Params, *, advanced: bool) -> Params:
        symbol = self._symbol_filter(params)  # paging keys are ignored (F-23)
        rows = [
            self._row(o)
            for o in self.book.orders.values()
            if o.advanced == advanced and o.is_open and o.visible and symbol in (None, o.symbol)
        ]
        return {"data": rows}

    def open_orders(self, params: Params, envelope: Params) -> Params:
        return self._open(params, advanced=False)

    def advanced_open_orders(self, params: Params, envelope: Params) -> Params:
        return self._open(params, advanced=True)

    def _detail(self, params: Params, *, advanced: bool) -> Params:
        order = self.book.find(*lookup_id(params))
        if order is None or not order.visible:
            raise reject(40401)
        if order.advanced != advanced:
            return {}  # the other namespace: an empty result, as production answers (F-21)
        return self._row(order)

    def order_detail(self, params: Params, envelope: Params) -> Params:
        return self._detail(params, advanced=False)

    def advanced_order_detail(self, params: Params, envelope: Params) -> Params:
        return self._detail(params, advanced=True)

    def _window(self, params: Params) -> tuple[str | None, int, int, int]:
        symbol = self._symbol_filter(params)
        # end_time is exclusive; its default "now" includes what happened this millisecond
        end = _as_ms(int_field(params, "end_time")) or self.private.server_ms() + 1
        start = _as_ms(int_field(params, "start_time"))
        limit = int_field(params, "limit")
        if limit is not None and not 0 < limit <= MAX_LIMIT:
            raise reject(40003)  # strict: production caps, the bot must not rely on it
        return symbol, end - DAY_MS if start is None else start, end, limit or MAX_LIMIT

    def _history(self, params: Params, *, advanced: bool) -> Params:
        symbol, start, end, limit = self._window(params)
        if advanced and QUIRK_WIDE_WINDOW_EMPTY in self.private.quirks and end - start > 2 * DAY_MS:
            return {"data": []}  # legacy evidence, spec §9.6
        rows = [
            o
            for o in self.book.orders.values()
            if o.advanced == advanced
            and o.visible
            and not o.is_open
            and symbol in (None, o.symbol)
            and start <= o.create_ms < end
        ]
        rows.sort(key=lambda o: (o.create_ms, o.order_id), reverse=True)
        return {"data": [self._row(o) for o in rows[:limit]]}

    def order_history(self, params: Params, envelope: Params) -> Params:
        return self._history(params, advanced=False)

    def advanced_order_history(self, params: Params, envelope: Params) -> Params:
        return self._history(params, advanced=True)

    def get_trades(self, params: Params, envelope: Params) -> Params:
        symbol, start, end, limit = self._window(params)
        trades = [
            t for t in self.book.trades if symbol in (None, t.symbol) and start <= t.create_ms < end
        ]
        trades.sort(key=lambda t: (t.create_ms, t.trade_id), reverse=True)
        return {"data": [trade_row(t, strings=self.strings) for t in trades[:limit]]}

    def user_balance(self, params: Params, envelope: Params) -> Params:
        return balance_result(self.book)


def _as_ms(value: int | None) -> int | None:
    if value is None:
        return None
    return value // 1_000_000 if value > NS_THRESHOLD else value
