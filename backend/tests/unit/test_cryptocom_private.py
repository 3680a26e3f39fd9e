"""The signed private client: envelope, nonces, retry classes, wire rules, limits, secrets."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from atp.adapters.cryptocom.errors import (
    CODE_NAMES,
    ExchangeAuthError,
    ExchangeError,
    ExchangeRejectedError,
    RetryClass,
    retry_class_for,
)
from atp.adapters.cryptocom.private import NonceClock, clean_secret
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter, strict_bucket_shape
from atp.adapters.cryptocom.ratelimit import documented_limit as limit_of
from atp.settings import Settings
from tests.unit.cryptocom_private_support import (
    KEY,
    SECRET,
    ScriptedExchange,
    exchange,
    make_client,
)

__all__ = ["exchange"]  # the fixture, imported for pytest

LIMIT_BUY: dict[str, Any] = {
    "instrument_name": "ETH_USD",
    "side": "BUY",
    "order_type": "LIMIT",
    "client_oid": "c-1",
    "price": "2500.10",
    "quantity": "0.0150",
}


async def test_envelope_is_signed_and_shaped_per_spec(exchange: ScriptedExchange) -> None:
    exchange.answer("private/user-balance", {"data": []})
    client = make_client(clock_ms=lambda: 1700000000000)
    assert await client.user_balance() == []
    ((method, body),) = exchange.requests
    assert method == "private/user-balance"
    assert set(body) == {"id", "method", "api_key", "params", "nonce", "sig"}
    assert body["params"] == {} and body["nonce"] == 1700000000000
    assert isinstance(body["id"], int) and len(body["sig"]) == 64  # the fake verified it


async def test_ids_increase_and_optional_none_params_are_dropped(
    exchange: ScriptedExchange,
) -> None:
    client = make_client()
    exchange.answer("private/get-open-orders", {"data": []})
    exchange.answer("private/get-open-orders", {"data": []})
    await client.get_open_orders()
    await client.get_open_orders("ETH_USD")
    first, second = exchange.calls("private/get-open-orders")
    assert second["id"] > first["id"]
    assert first["params"] == {} and second["params"] == {"instrument_name": "ETH_USD"}


def test_nonces_never_repeat_or_go_back() -> None:
    readings = iter([1000, 1000, 999, 500, 2000, 2000])
    clock = NonceClock(lambda: next(readings))
    assert [clock.next() for _ in range(6)] == [1000, 1001, 1002, 1003, 2000, 2001]


# --- decimals on the wire -------------------------------------------------------------------


async def test_decimals_travel_as_strings_exactly_as_given(exchange: ScriptedExchange) -> None:
    exchange.answer("private/create-order", {"order_id": "1", "client_oid": "c-1"})
    await make_client().create_order(**LIMIT_BUY, time_in_force="GOOD_TILL_CANCEL")
    params = exchange.calls("private/create-order")[0]["params"]
    assert params["price"] == "2500.10" and params["quantity"] == "0.0150"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("price", Decimal("2500.10"), TypeError),
        ("quantity", 0.015, TypeError),
        ("price", "1E-8", ValueError),
        ("quantity", "-1", ValueError),
        ("quantity", "0", ValueError),
        ("price", " 2500.1", ValueError),
    ],
)
async def test_non_string_or_non_plain_decimals_never_reach_the_wire(
    exchange: ScriptedExchange, field: str, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=field):
        await make_client().create_order(**{**LIMIT_BUY, field: value})
    assert exchange.requests == []


async def test_integer_fields_must_be_integers(exchange: ScriptedExchange) -> None:
    with pytest.raises(TypeError, match="start_time"):
        await make_client().get_trades(start_time="1700000000000")  # type: ignore[arg-type]
    assert exchange.requests == []


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"order_type": "STOP_LOSS"}, "advanced"),
        ({"side": "buy"}, "side"),
        ({"order_type": "MARKET"}, "MARKET order takes no price"),
        ({"price": None}, "price and quantity"),
        ({"client_oid": "x" * 37}, "client_oid"),
        ({"time_in_force": "GTC"}, "time_in_force"),
    ],
)
async def test_bad_orders_are_refused_before_sending(
    exchange: ScriptedExchange, changes: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await make_client().create_order(**{**LIMIT_BUY, **changes})
    assert exchange.requests == []


async def test_market_buy_by_notional_and_market_sell_by_quantity(
    exchange: ScriptedExchange,
) -> None:
    client = make_client()
    market = {"instrument_name": "ETH_USD", "order_type": "MARKET", "client_oid": "m-1"}
    await client.create_order(**market, side="BUY", notional="25.00")
    await client.create_order(**market, side="SELL", quantity="0.0150")
    with pytest.raises(ValueError, match="notional"):
        await client.create_order(**market, side="SELL", notional="25.00")
    with pytest.raises(ValueError, match="exactly one"):
        await client.create_order(**market, side="BUY", notional="25.00", quantity="0.01")
    buy, sell = (body["params"] for body in exchange.calls("private/create-order"))
    assert buy == {**_wire(market), "side": "BUY", "notional": "25.00"}
    assert sell == {**_wire(market), "side": "SELL", "quantity": "0.0150"}


def _wire(market: dict[str, Any]) -> dict[str, Any]:
    return {"instrument_name": "ETH_USD", "type": market["order_type"], "client_oid": "m-1"}


# --- error classes ---------------------------------------------------------------------------

# Every code of spec §10.2 with its retry class (224 "No/Reconcile" is looked up: RECONCILE).
NO_RETRY_CODES = [40401, 43012, 202, 208, 209, 212, 213, 218, 220, 221, 225, 226, 229, 230]
NO_RETRY_CODES += [306, 307, 308, 314, 315, 316, 318, 319, 321, 325, 415, 416, 1110, 40001]
NO_RETRY_CODES += [40002, 40003, 40004, 40005, 40101, 40103, 40104, 43003, 43004, 43005]
NO_RETRY_CODES += [130008, 140001, 50007]
TABLE = {
    RetryClass.NO: NO_RETRY_CODES,
    RetryClass.BACKOFF: [207, 222, 309, 42901, 9010001, 50001, 40801],
    RetryClass.RECONCILE: [204, 205, 224, 40006, 120009],
    RetryClass.ONCE: [40102],
}


@pytest.mark.parametrize(
    ("code", "expected"), [(code, cls) for cls, codes in TABLE.items() for code in codes]
)
def test_every_table_code_has_its_retry_class(code: int, expected: RetryClass) -> None:
    assert retry_class_for(code, 400) is expected
    assert code in CODE_NAMES  # named in errors and log lines, not "UNKNOWN"


async def test_no_class_is_raised_at_once(exchange: ScriptedExchange) -> None:
    exchange.answer("private/create-order", code=308, status=400, message="INVALID_PRICE")
    with pytest.raises(ExchangeRejectedError) as raised:
        await make_client().create_order(**LIMIT_BUY)
    assert raised.value.code == 308 and raised.value.retry_class is RetryClass.NO
    assert len(exchange.calls("private/create-order")) == 1


async def test_throttle_backs_off_and_resends_the_same_order(exchange: ScriptedExchange) -> None:
    exchange.answer("private/create-order", code=42901, status=429)
    exchange.answer("private/create-order", {"order_id": "9", "client_oid": "c-1"})
    client = make_client()
    assert (await client.create_order(**LIMIT_BUY))["order_id"] == "9"
    first, second = exchange.calls("private/create-order")
    assert first["params"] == second["params"] and second["nonce"] > first["nonce"]
    assert client.transport.stats.rate_limited == 1


@pytest.mark.parametrize(
    "failure",
    [
        (500, {"code": 50001, "message": "ERR_INTERNAL"}),
        (408, {"code": 40801}),
        (502, b"<html>bad gateway</html>"),
        httpx.ReadTimeout("slow"),
        (400, {"code": 204, "message": "DUPLICATE_CLORDID"}),
    ],
)
async def test_a_write_with_unknown_outcome_is_not_resent(
    exchange: ScriptedExchange, failure: Any
) -> None:
    if isinstance(failure, Exception):
        exchange.fail("private/create-order", failure)
    elif isinstance(failure[1], bytes):
        exchange.raw("private/create-order", *failure)
    else:
        exchange.queues["private/create-order"].append(failure)
    with pytest.raises(ExchangeError) as raised:
        await make_client().create_order(**LIMIT_BUY)
    assert raised.value.retry_class is RetryClass.RECONCILE
    assert len(exchange.calls("private/create-order")) == 1


async def test_reads_back_off_through_outages(exchange: ScriptedExchange) -> None:
    exchange.answer("private/get-order-detail", code=50001, status=500)
    exchange.fail("private/get-order-detail", httpx.ConnectError("refused"))
    exchange.answer("private/get-order-detail", {"order_id": "5", "status": "ACTIVE"})
    detail = await make_client().get_order_detail(client_oid="c-1")
    assert detail is not None and detail["order_id"] == "5"
    assert len(exchange.calls("private/get-order-detail")) == 3


async def test_nonce_error_is_retried_once_with_a_fresh_nonce(exchange: ScriptedExchange) -> None:
    exchange.answer("private/create-order", code=40102, status=400)
    exchange.answer("private/create-order", {"order_id": "7"})
    assert (await make_client().create_order(**LIMIT_BUY))["order_id"] == "7"
    first, second = exchange.calls("private/create-order")
    assert second["nonce"] > first["nonce"]


async def test_nonce_error_twice_surfaces_as_auth(exchange: ScriptedExchange) -> None:
    for _ in range(3):
        exchange.answer("private/user-balance", code=40102, status=400)
    with pytest.raises(ExchangeAuthError) as raised:
        await make_client().user_balance()
    assert raised.value.code == 40102 and raised.value.retry_class is RetryClass.ONCE
    assert len(exchange.calls("private/user-balance")) == 2


@pytest.mark.parametrize(("code", "status"), [(40101, 401), (40103, 401), (40101, 200)])
async def test_auth_failures_are_typed_and_not_retried(
    exchange: ScriptedExchange, code: int, status: int
) -> None:
    exchange.answer("private/get-open-orders", code=code, status=status)
    with pytest.raises(ExchangeAuthError) as raised:
        await make_client().get_open_orders()
    assert raised.value.code == code and raised.value.retry_class is RetryClass.NO
    assert len(exchange.calls("private/get-open-orders")) == 1


async def test_a_wrong_secret_is_caught_by_the_server_check(exchange: ScriptedExchange) -> None:
    client = make_client()
    client._api_secret = type(client._api_secret)("not-the-secret")
    with pytest.raises(ExchangeAuthError, match="40101"):
        await client.user_balance()


async def test_cancel_oco_accepts_a_bodyless_success_but_not_an_empty_body(
    exchange: ScriptedExchange,
) -> None:
    client = make_client()
    exchange.answer("private/advanced/cancel-oco")  # code 0, no result
    await client.advanced_cancel_oco("L-1")
    exchange.raw("private/advanced/cancel-oco", 200, b"")
    with pytest.raises(ExchangeError):
        await client.advanced_cancel_oco("L-1")
    assert exchange.calls("private/advanced/cancel-oco")[0]["params"] == {"list_id": "L-1"}


# --- rate limits ------------------------------------------------------------------------------


def test_strict_private_shape_never_exceeds_a_window() -> None:
    for method in ("private/create-order", "private/user-balance", "private/get-trades"):
        limit = limit_of(method)
        rate, capacity = strict_bucket_shape(limit)
        assert capacity == 1 and rate < limit.rate_per_second
    limiter = MethodRateLimiter(strict_private=True)
    assert limiter.bucket("private/get-trades").rate == pytest.approx(0.9)
    assert limiter.bucket("public/get-tickers").capacity == 10  # public buckets unchanged


async def test_private_requests_are_spaced_within_the_documented_window() -> None:
    limiter = MethodRateLimiter(strict_private=True)
    stamps = []
    for _ in range(10):
        await limiter.acquire("private/advanced/get-open-orders")  # 3 per 100 ms
        stamps.append(time.monotonic())
    for index, stamp in enumerate(stamps):
        in_window = [s for s in stamps[index:] if s - stamp < 0.1]
        assert len(in_window) <= 3
    assert stamps[-1] - stamps[0] >= 9 / 27 * 0.95


async def test_buckets_are_per_method() -> None:
    limiter = MethodRateLimiter(strict_private=True)
    started = time.monotonic()
    await asyncio.gather(
        limiter.acquire("private/get-trades"), limiter.acquire("private/get-order-history")
    )
    assert time.monotonic() - started < 0.2  # one token each, no shared wait


# --- secrets --------------------------------------------------------------------------------


async def test_keys_never_leak_into_reprs_errors_or_logs(
    exchange: ScriptedExchange, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exchange.answer("private/create-order", code=42901, status=429)
    exchange.answer("private/create-order", code=40101, status=401, message="UNAUTHORIZED")
    client = make_client()
    with pytest.raises(ExchangeAuthError) as raised:
        await client.create_order(**LIMIT_BUY)
    settings = Settings(_env_file=None, EXCHANGE_API_KEY=KEY, EXCHANGE_API_SECRET=SECRET)
    texts = [repr(client), str(raised.value), repr(raised.value), caplog.text, repr(settings)]
    texts.append(str(settings.model_dump()))
    for text in texts:
        assert KEY not in text and SECRET not in text
    assert "retrying private/create-order" in caplog.text  # the log did see the call


def test_settings_trim_credentials_from_env_files() -> None:
    settings = Settings(
        _env_file=None, EXCHANGE_API_KEY=' "abc-key" \n', EXCHANGE_API_SECRET="\tsecret\n"
    )
    assert settings.exchange_api_key.get_secret_value() == "abc-key"
    assert settings.exchange_api_secret.get_secret_value() == "secret"
    assert settings.exchange_credentials_set
    assert not Settings(_env_file=None).exchange_credentials_set
    assert clean_secret("'quoted'") == "quoted"


def test_client_refuses_missing_credentials() -> None:
    with pytest.raises(ValueError, match="EXCHANGE_API_KEY"):
        make_client_with(api_key="  ", api_secret=SECRET)


def make_client_with(**credentials: Any) -> Any:
    from atp.adapters.cryptocom.private import CryptoComPrivateClient
    from tests.unit.cryptocom_private_support import make_transport

    return CryptoComPrivateClient(make_transport(), **credentials)
