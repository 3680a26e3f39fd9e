"""The private side of the fake exchange: signed methods, one account, orders and fills.

Installed by `FakeExchange` itself; tests reach it as `fake.private`. Every request is checked
as production would (spec §16): envelope and signature (40001 / 40101), nonce window against the
fake's clock plus `clock_skew_ms` (40102), IP allow-list and trade permission (40103 / 40101),
then the method's own rules (`private_rules`) and the account's state (`private_book`).

Creates and cancels answer code 0 and are applied by the next `advance()` (or by the background
ticker of `start_ticking()`), like the real asynchronous engine (F-22).

    with FakeExchange(symbols=["ETH_USD"]) as fake:
        fake.private.set_instrument("ETH_USD", price_tick="0.01", qty_tick="0.0001")
        fake.private.set_balance("USD", Decimal("1000"))
        fake.private.set_price("ETH_USD", last=Decimal("2500"), mark=Decimal("2501"))
        ...  # the client places orders with DEFAULT_API_KEY / DEFAULT_API_SECRET
        fake.private.advance()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_exchange import PUBLIC_LIMIT, FakeRequest
from tests.fakes.private_book import Book, FakeOrder, Prices, Trade
from tests.fakes.private_rules import (
    NONCE_WINDOW_MS,
    Instrument,
    check_envelope,
    reject,
    signature_matches,
)
from tests.fakes.private_views import dec

if TYPE_CHECKING:
    from tests.fakes.fake_exchange import FakeExchange

DEFAULT_API_KEY = "test-key"
DEFAULT_API_SECRET = "test-secret"
DAY_MS = 86_400_000
MAX_HISTORY_LIMIT = 100
# spec §11: per method, per API key
FAST_WRITE, DETAIL, ONE_PER_SECOND, OTHER = (15, 0.1), (30, 0.1), (1, 1.0), (3, 0.1)
LIMITS = {
    "private/create-order": FAST_WRITE,
    "private/cancel-order": FAST_WRITE,
    "private/cancel-all-orders": FAST_WRITE,
    "private/get-order-detail": DETAIL,
    "private/get-trades": ONE_PER_SECOND,
    "private/get-order-history": ONE_PER_SECOND,
}

Params = dict[str, Any]
MethodHandler = Callable[[Params, Params], Any]  # (params, whole envelope) -> result


@dataclass
class ApiKey:
    secret: str
    can_trade: bool = True
    allowed_ips: frozenset[str] | None = None  # None = any IP


class FakePrivate:
    def __init__(self, exchange: FakeExchange) -> None:
        self.exchange = exchange
        self.book = Book(exchange.clock_ms, self._default_price)
        self.keys: dict[str, ApiKey] = {}
        self.clock_skew_ms = 0  # the exchange's clock minus the shared test clock (F-4)
        self.reject_with_result = False  # F-25: 306/315/415 carry an order-like `result`
        # F-23 quirks: "filled_advanced_reported_canceled", "advanced_history_empty_over_48h"
        self.quirks: set[str] = set()
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self.add_key(DEFAULT_API_KEY, DEFAULT_API_SECRET)

    # --- test controls ---------------------------------------------------------------------

    def add_key(
        self,
        api_key: str,
        secret: str,
        *,
        can_trade: bool = True,
        allowed_ips: set[str] | None = None,
    ) -> None:
        ips = None if allowed_ips is None else frozenset(allowed_ips)
        self.keys[api_key] = ApiKey(secret, can_trade, ips)

    def configure(
        self,
        *,
        maker_fee_rate: Decimal | None = None,
        taker_fee_rate: Decimal | None = None,
        min_order_value: Decimal | None = None,
        price_band: Decimal | None = None,
        trigger_balance_reject: str | None = None,
    ) -> None:
        """Engine knobs; None leaves a knob as it is. `price_band` is a ratio of last (315),
        `min_order_value` is in the quote currency (415), `trigger_balance_reject` is "code"
        (306 at create) or "async" (accepted, then REJECTED with INSUFFICIENT_ACC_BALANCE)."""
        book = self.book
        with book.lock:
            book.maker_fee_rate = (
                maker_fee_rate if maker_fee_rate is not None else book.maker_fee_rate
            )
            book.taker_fee_rate = (
                taker_fee_rate if taker_fee_rate is not None else book.taker_fee_rate
            )
            book.min_order_value = (
                min_order_value if min_order_value is not None else book.min_order_value
            )
            book.price_band = price_band if price_band is not None else book.price_band
            if trigger_balance_reject is not None:
                if trigger_balance_reject not in ("code", "async"):
                    raise ValueError("trigger_balance_reject is 'code' or 'async'")
                book.trigger_balance_reject = trigger_balance_reject

    def set_balance(self, currency: str, amount: Decimal) -> None:
        _require_decimal(amount)
        with self.book.lock:
            self.book.balances[currency] = amount

    def balance(self, currency: str) -> Decimal:
        with self.book.lock:
            return self.book.balances.get(currency, Decimal(0))

    def reserved(self, currency: str) -> Decimal:
        with self.book.lock:
            return self.book.reserved(currency)

    def set_price(self, symbol: str, last: Decimal, mark: Decimal | None = None) -> None:
        """Move the price path; `mark` defaults to `last`. Fills happen on `advance()`."""
        _require_decimal(last)
        _require_decimal(mark if mark is not None else last)
        self.instrument(symbol)
        with self.book.lock:
            self.book.prices[symbol] = Prices(last, mark if mark is not None else last)
        ticker = {"a": dec(last), "b": dec(last), "k": dec(last)}
        self.exchange.market.ticker_overrides.setdefault(symbol, {}).update(ticker)

    def prices(self, symbol: str) -> Prices:
        with self.book.lock:
            return self.book.price(symbol)

    def set_instrument(
        self,
        symbol: str,
        *,
        price_tick: str | None = None,
        qty_tick: str | None = None,
        tradable: bool | None = None,
    ) -> None:
        """Pin an instrument's ticks (also what `public/get-instruments` reports)."""
        override: dict[str, Any] = {}
        if price_tick is not None:
            override |= {"price_tick_size": price_tick, "quote_decimals": _places(price_tick)}
        if qty_tick is not None:
            override |= {"qty_tick_size": qty_tick, "quantity_decimals": _places(qty_tick)}
        if tradable is not None:
            override["tradable"] = tradable
        self.exchange.market.instrument_overrides.setdefault(symbol, {}).update(override)

    def instrument(self, symbol: Any) -> Instrument:
        if not isinstance(symbol, str) or symbol not in self.exchange.market.symbols:
            raise reject(209)
        row = self.exchange.market.instrument_row(symbol)
        instrument = Instrument(
            symbol,
            row["base_ccy"],
            row["quote_ccy"],
            Decimal(str(row["price_tick_size"])),
            Decimal(str(row["qty_tick_size"])),
            bool(row["tradable"]),
        )
        return instrument

    def advance(self, steps: int = 1) -> None:
        """One engine tick: apply queued creates/cancels, then fill and trigger."""
        for _ in range(steps):
            self.book.advance()

    def fill(
        self, order_id: str, quantity: Decimal | None = None, price: Decimal | None = None
    ) -> None:
        """Force a (partial) execution of a live LIMIT/MARKET order, as a counterparty would."""
        with self.book.lock:
            order = self.book.orders[order_id]
            if not order.is_open or not order.visible or order.spec.is_trigger:
                raise ValueError(f"order {order_id} cannot trade (status {order.status})")
            size = quantity if quantity is not None else order.remaining
            at = price or order.spec.price or self.book.price(order.symbol).last
            self.book.execute(order, size, at, taker=False)

    def orders(self, *, advanced: bool | None = None) -> list[FakeOrder]:
        with self.book.lock:
            return [o for o in self.book.orders.values() if advanced in (None, o.advanced)]

    def order(self, order_id: str) -> FakeOrder:
        with self.book.lock:
            return self.book.orders[order_id]

    def order_by_client_oid(self, client_oid: str) -> FakeOrder | None:
        with self.book.lock:
            return self.book.find(None, client_oid)

    def trades(self) -> list[Trade]:
        with self.book.lock:
            return list(self.book.trades)

    def start_ticking(self, interval_s: float = 0.05) -> None:
        """Advance in the background, for tests that drive the real client end to end."""
        if self._ticker is not None:
            return
        self._ticker_stop.clear()

        def run() -> None:
            while not self._ticker_stop.wait(interval_s):
                self.advance()

        self._ticker = threading.Thread(target=run, name="fake-exchange-ticker", daemon=True)
        self._ticker.start()

    def stop_ticking(self) -> None:
        if self._ticker is not None:
            self._ticker_stop.set()
            self._ticker.join()
            self._ticker = None

    # --- plumbing --------------------------------------------------------------------------

    def server_ms(self) -> int:
        return self.exchange.clock_ms() + self.clock_skew_ms

    def _default_price(self, symbol: str) -> Decimal:
        tick = self.instrument(symbol).price_tick
        raw = Decimal(repr(self.exchange.market.price_at(symbol, self.exchange.clock_ms())))
        return max(tick, (raw / tick).to_integral_value(ROUND_DOWN) * tick)

    def authed(self, handler: MethodHandler, *, trade: bool) -> Callable[[FakeRequest], Any]:
        def serve(request: FakeRequest) -> Any:
            envelope = request.body or {}
            nonce = check_envelope(envelope)
            key = self.keys.get(envelope["api_key"])
            if key is None:
                raise reject(40101)
            if key.allowed_ips is not None and request.client_ip not in key.allowed_ips:
                raise reject(40103)
            if not signature_matches(envelope, key.secret):
                raise reject(40101)
            if abs(nonce - self.server_ms()) > NONCE_WINDOW_MS:
                raise reject(40102)
            if trade and not key.can_trade:
                raise reject(40101)
            with self.book.lock:
                return handler(envelope["params"], envelope)

        return serve


def _require_decimal(value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"use Decimal, not {type(value).__name__}")


def _places(tick: str) -> int:
    return len(tick.partition(".")[2].rstrip("0")) if "." in tick else 0


def install_private_methods(exchange: FakeExchange) -> FakePrivate:
    from tests.fakes.private_methods import method_table

    private = FakePrivate(exchange)
    for name, (handler, trade) in method_table(private).items():
        exchange.register(
            name, "POST", private.authed(handler, trade=trade), LIMITS.get(name, OTHER)
        )
    exchange.register("public/get-valuations", "GET", _valuations(private), PUBLIC_LIMIT)
    return private


def _valuations(private: FakePrivate) -> Callable[[FakeRequest], Any]:
    def get_valuations(request: FakeRequest) -> dict[str, Any]:
        symbol = request.query.get("instrument_name")
        kind = request.query.get("valuation_type")
        if not symbol or kind not in ("mark_price", "index_price"):
            raise reject(40004)
        private.instrument(symbol)
        with private.book.lock:
            mark = private.book.price(symbol).mark
        return {"instrument_name": symbol, "data": [{"v": dec(mark), "t": private.server_ms()}]}

    return get_valuations


__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "ApiKey",
    "FakePrivate",
    "install_private_methods",
]
