"""A tiny signed caller for testing the fake exchange's private side over raw HTTP.

Its signer is written independently of the fake's verifier (spec §4.1 as a *client* such as the
legacy bot or ccxt computes it: only list elements add a recursion level), so a test that passes
shows two implementations agree on the §4.4 vectors. It deliberately is not the product client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.fake_exchange_private import DEFAULT_API_KEY, DEFAULT_API_SECRET
from tests.fakes.market_clock import TestClock


def _value_text(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        return "".join(f"{k}{_value_text(value[k], depth)}" for k in sorted(value))
    if isinstance(value, list):
        return "".join(_value_text(item, depth + 1) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def client_sign(
    method: str, request_id: int, api_key: str, params: dict[str, Any], nonce: int, secret: str
) -> str:
    text = _value_text(params, 0) if params else ""
    payload = f"{method}{request_id}{api_key}{text}{nonce}".encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class Caller:
    def __init__(self, fake: FakeExchange, clock: TestClock) -> None:
        self.fake = fake
        self.clock = clock
        self.api_key = DEFAULT_API_KEY
        self.secret = DEFAULT_API_SECRET
        self.http = httpx.Client(timeout=5.0)

    def envelope(self, method: str, params: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
        nonce = self.clock.ms()
        sig = client_sign(method, request_id, self.api_key, params, nonce, self.secret)
        return {
            "id": request_id,
            "method": method,
            "api_key": self.api_key,
            "params": params,
            "nonce": nonce,
            "sig": sig,
        }

    def post(self, method: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{self.fake.base_url}/{method}", content=json.dumps(body))

    def call(self, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return self.post(method, self.envelope(method, params or {}))

    def code(self, method: str, params: dict[str, Any] | None = None) -> int:
        return int(self.call(method, params).json()["code"])

    def ok(self, method: str, params: dict[str, Any] | None = None) -> Any:
        response = self.call(method, params)
        body = response.json()
        assert (response.status_code, body["code"]) == (200, 0), body
        return body.get("result")

    def detail(self, order_id: str, *, advanced: bool = False) -> dict[str, Any]:
        method = "private/advanced/get-order-detail" if advanced else "private/get-order-detail"
        return dict(self.ok(method, {"order_id": order_id}))

    def open_orders(self, *, advanced: bool = False) -> list[dict[str, Any]]:
        method = "private/advanced/get-open-orders" if advanced else "private/get-open-orders"
        return list(self.ok(method)["data"])


def limit_buy(price: str = "2400.00", quantity: str = "0.1000", **extra: Any) -> dict[str, Any]:
    return {
        "instrument_name": "ETH_USD",
        "side": "BUY",
        "type": "LIMIT",
        "price": price,
        "quantity": quantity,
        **extra,
    }


def stop_loss(ref: str = "2400.00", quantity: str = "1.0000", **extra: Any) -> dict[str, Any]:
    return {
        "instrument_name": "ETH_USD",
        "side": "SELL",
        "type": "STOP_LOSS",
        "ref_price": ref,
        "ref_price_type": "MARK_PRICE",
        "quantity": quantity,
        **extra,
    }


def oco(tp: str = "2700.00", sl: str = "2400.00", quantity: str = "1.0000") -> dict[str, Any]:
    take_profit = {
        "instrument_name": "ETH_USD",
        "side": "SELL",
        "type": "LIMIT",
        "price": tp,
        "quantity": quantity,
        "client_oid": "tp-1",
    }
    return {"order_list": [take_profit, stop_loss(sl, quantity, client_oid="sl-1")]}


@contextmanager
def private_exchange(*, rate_limits: bool = False) -> Iterator[tuple[FakeExchange, Caller]]:
    """ETH_USD with tick 0.01 / 0.0001, 10,000 USD and 1 ETH, last = mark = 2500."""
    clock = TestClock()
    fake = FakeExchange(symbols=["ETH_USD", "BTC_USD"], clock_ms=clock.ms)
    fake.enforce_rate_limits = rate_limits
    with fake:
        fake.private.set_instrument("ETH_USD", price_tick="0.01", qty_tick="0.0001")
        fake.private.set_balance("USD", Decimal("10000"))
        fake.private.set_balance("ETH", Decimal("1"))
        fake.private.set_price("ETH_USD", last=Decimal("2500"))
        caller = Caller(fake, clock)
        try:
            yield fake, caller
        finally:
            caller.http.close()
