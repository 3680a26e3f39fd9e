"""A scripted Crypto.com endpoint for the signed-client unit tests (respx, no sockets).

It verifies every private request the way the server does (integer id, `params` object, the
method in the body equal to the path, the §4 signature over the received JSON) and answers
from per-method queues, falling back to a stock success answer. It is not the strict fake
exchange (tests/fakes); it only checks what the client puts on the wire.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from atp.adapters.cryptocom.private import CryptoComPrivateClient
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter, RateLimit
from atp.adapters.cryptocom.signing import sign
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy

BASE = "https://exchange.test/exchange/v1"
KEY = "live-key-ABCDEF123456"
SECRET = "live-secret-XYZ987654321"
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.001, max_delay_s=0.004)
# The 1/s history buckets would make every paging test take seconds; spacing is tested apart.
FAST_HISTORY = {
    "private/get-trades": RateLimit(1000, 1.0),
    "private/get-order-history": RateLimit(1000, 1.0),
}

Answer = tuple[int, Any]  # (HTTP status, JSON body or raw bytes) or an exception to raise


class ScriptedExchange:
    def __init__(self) -> None:
        self.queues: dict[str, deque[Any]] = defaultdict(deque)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.instruments: list[dict[str, Any]] = []
        self.public_calls = 0

    def answer(
        self,
        method: str,
        result: Any = None,
        *,
        code: int = 0,
        status: int = 200,
        message: str | None = None,
    ) -> None:
        body: dict[str, Any] = {"id": 1, "method": method, "code": code}
        if result is not None:
            body["result"] = result
        if message is not None:
            body["message"] = message
        self.queues[method].append((status, body))

    def raw(self, method: str, status: int, content: bytes) -> None:
        self.queues[method].append((status, content))

    def fail(self, method: str, exc: Exception) -> None:
        self.queues[method].append(exc)

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [body for name, body in self.requests if name == method]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.split("/exchange/v1/", 1)[1]
        if request.method == "GET":
            self.public_calls += 1
            return httpx.Response(200, json={"code": 0, "result": {"data": self.instruments}})
        body = json.loads(request.content)
        self.requests.append((method, body))
        problem = self._envelope_problem(method, body, request)
        if problem:
            return httpx.Response(401, json={"code": 40101, "message": problem})
        queued = self.queues[method].popleft() if self.queues[method] else None
        if isinstance(queued, Exception):
            raise queued
        if queued is None:
            return httpx.Response(200, json={"id": body["id"], "code": 0, "result": {}})
        status, content = queued
        if isinstance(content, bytes):
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=content)

    @staticmethod
    def _envelope_problem(method: str, body: dict[str, Any], request: httpx.Request) -> str:
        if request.headers.get("content-type") != "application/json":
            return "content type"
        if type(body.get("id")) is not int or type(body.get("nonce")) is not int:
            return "id and nonce must be JSON integers"
        if body.get("method") != method or not isinstance(body.get("params"), dict):
            return "method/params"
        expected = sign(method, body["id"], body["api_key"], body["params"], body["nonce"], SECRET)
        return "" if body.get("sig") == expected and body["api_key"] == KEY else "signature"


@pytest.fixture
def exchange() -> Iterator[ScriptedExchange]:
    scripted = ScriptedExchange()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="exchange.test").mock(side_effect=scripted)
        yield scripted


def make_transport(**limiter: Any) -> CryptoComTransport:
    overrides = {**FAST_HISTORY, **limiter.pop("overrides", {})}
    return CryptoComTransport(
        BASE,
        retry=FAST_RETRY,
        limiter=MethodRateLimiter(strict_private=True, overrides=overrides, **limiter),
    )


def make_client(**kwargs: Any) -> CryptoComPrivateClient:
    return CryptoComPrivateClient(make_transport(), api_key=KEY, api_secret=SECRET, **kwargs)


def order_row(**fields: Any) -> dict[str, Any]:
    """A §8.3 order row as the exchange sends it (ids as numeric strings, decimals as strings)."""
    row: dict[str, Any] = {
        "account_id": "acc-1",
        "order_id": "6142909895115229394",
        "client_oid": "c-1",
        "order_type": "LIMIT",
        "time_in_force": "GOOD_TILL_CANCEL",
        "side": "BUY",
        "exec_inst": [],
        "quantity": "0.0150",
        "limit_price": "2500.10",
        "order_value": "37.5015",
        "maker_fee_rate": "0.001",
        "taker_fee_rate": "0.001",
        "avg_price": "0",
        "cumulative_quantity": "0",
        "cumulative_value": "0",
        "cumulative_fee": "0",
        "status": "ACTIVE",
        "update_time": 1700000000123,
        "create_time": 1700000000000,
        "instrument_name": "ETH_USD",
        "fee_instrument_name": "USD",
        "trigger_price": "0",
        "ref_price": "0",
        "ref_price_type": "NULL_VAL",
    }
    row.update(fields)
    return row
