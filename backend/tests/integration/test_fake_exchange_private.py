"""The fake exchange's private side enforces spec §16 over real HTTP (raw signed requests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.private_rules import expected_signature
from tests.integration.fake_private_support import (
    Caller,
    client_sign,
    limit_buy,
    oco,
    private_exchange,
    stop_loss,
)

ETH = "ETH_USD"

# spec §4.4: (method, id, params, sig); key test-key, secret test-secret, nonce 1700000000000
VECTORS: list[tuple[str, int, dict[str, Any], str]] = [
    (
        "private/user-balance",
        1,
        {},
        "47a8e8fa2162571c896a9b83721062cd0c4cf8e01f1ac1f0b2cd5379453f5b5e",
    ),
    (
        "private/create-order",
        7,
        {
            "instrument_name": "ETH_USD",
            "side": "BUY",
            "type": "LIMIT",
            "price": "2500.10",
            "quantity": "0.0150",
            "client_oid": "c-1",
            "time_in_force": "GOOD_TILL_CANCEL",
            "exec_inst": ["POST_ONLY"],
        },
        "39bbe483e304ff405a6ab50ed0226d3702fc08fc5d84f886313d608b2c50a70c",
    ),
    (
        "private/advanced/create-order",
        8,
        {
            "instrument_name": "ETH_USD",
            "side": "SELL",
            "type": "STOP_LIMIT",
            "quantity": "0.015",
            "price": "2400.00",
            "ref_price": "2405.00",
            "ref_price_type": "MARK_PRICE",
            "client_oid": "c-2",
        },
        "e46935aa8cd8b29b838d86d2c770e429cccc0097e7a3920c1db8905faa22815c",
    ),
    (
        "private/advanced/create-oco",
        9,
        {
            "order_list": [
                {
                    "instrument_name": "ETH_USD",
                    "side": "SELL",
                    "type": "LIMIT",
                    "price": "2700.00",
                    "quantity": "0.015",
                    "client_oid": "tp-1",
                },
                {
                    "instrument_name": "ETH_USD",
                    "side": "SELL",
                    "type": "STOP_LOSS",
                    "ref_price": "2400.00",
                    "ref_price_type": "MARK_PRICE",
                    "quantity": "0.015",
                    "client_oid": "sl-1",
                },
            ]
        },
        "15cba110d3bf9e7d5186d84fd250f32894c69eb72589053e1c85d108d18308dd",
    ),
    (
        "private/get-order-history",
        10,
        {
            "instrument_name": "ETH_USD",
            "start_time": 1699990000000,
            "end_time": 1700000000000,
            "limit": 100,
        },
        "e917518a19886a81c529d6486f7e31683cb70c62fd9dcded0d5496b809cafcbe",
    ),
    (
        "private/create-order",
        11,
        {
            "instrument_name": "ETH_USD",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.015",
            "reduce_only": True,
        },
        "00615e5d1e6613ecce73153eb452cf1191a15aee319741d6df3e61e255dc5920",
    ),
]


@pytest.fixture
def ex() -> Iterator[tuple[FakeExchange, Caller]]:
    with private_exchange() as pair:
        yield pair


def _error(response: Any) -> tuple[int, int]:
    return response.status_code, int(response.json()["code"])


# --- signing and envelope (F-1 .. F-5) -----------------------------------------------------------


@pytest.mark.parametrize(("method", "request_id", "params", "sig"), VECTORS)
def test_signature_vectors(method: str, request_id: int, params: dict[str, Any], sig: str) -> None:
    envelope = {
        "method": method,
        "id": request_id,
        "api_key": "test-key",
        "params": params,
        "nonce": 1700000000000,
    }
    assert expected_signature(envelope, "test-secret") == sig  # the fake's verifier
    assert client_sign(method, request_id, "test-key", params, 1700000000000, "test-secret") == sig


def test_valid_request_echoes_id_and_bad_signature_is_401(ex: tuple[FakeExchange, Caller]) -> None:
    _, caller = ex
    body = caller.envelope("private/user-balance", {}, request_id=42)
    reply = caller.post("private/user-balance", body)
    assert (reply.status_code, reply.json()["id"], reply.json()["code"]) == (200, 42, 0)
    assert _error(caller.post("private/user-balance", {**body, "sig": "0" * 64})) == (401, 40101)
    caller.secret = "wrong-secret"
    assert _error(caller.call("private/user-balance")) == (401, 40101)
    caller.api_key, caller.secret = "unknown-key", "test-secret"
    assert _error(caller.call("private/user-balance")) == (401, 40101)


def test_array_inside_an_oco_leg_never_verifies(ex: tuple[FakeExchange, Caller]) -> None:
    _, caller = ex
    params = oco()
    params["order_list"][0]["exec_inst"] = ["POST_ONLY"]  # spec §4.2: depth 3
    assert _error(caller.call("private/advanced/create-oco", params)) == (401, 40101)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", "1", 40001),
        ("params", [], 40001),
        ("nonce", 1700000000000.0, 40101),
        ("method", "private/get-trades", 40001),
    ],
)
def test_envelope_shape(
    ex: tuple[FakeExchange, Caller], field: str, value: Any, expected: int
) -> None:
    _, caller = ex
    body = caller.envelope("private/user-balance", {})
    body[field] = value
    assert _error(caller.post("private/user-balance", body))[1] == expected


def test_private_via_get_is_40003(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    assert _error(caller.http.get(f"{fake.base_url}/private/user-balance")) == (400, 40003)


def test_nonce_window_follows_the_fake_clock(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.clock_skew_ms = 59_000
    assert caller.code("private/user-balance") == 0
    fake.private.clock_skew_ms = -61_000
    assert _error(caller.call("private/user-balance")) == (400, 40102)


def test_ip_allow_list_and_read_only_keys(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.add_key("reader", "s1", can_trade=False)
    fake.private.add_key("elsewhere", "s2", allowed_ips={"10.1.2.3"})
    caller.api_key, caller.secret = "reader", "s1"
    assert caller.code("private/user-balance") == 0
    assert _error(caller.call("private/create-order", limit_buy())) == (401, 40101)
    caller.api_key, caller.secret = "elsewhere", "s2"
    assert _error(caller.call("private/user-balance")) == (401, 40103)
    assert fake.private.orders() == []


# --- formats and enums (F-6 .. F-11) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"price": 2400.5}, 308),
        ({"price": "2400.123"}, 308),
        ({"price": "2400.100"}, 308),  # on the tick but more digits than the tick has
        ({"price": "2.4E+3"}, 308),
        ({"price": "-2400.00"}, 308),
        ({"price": "0"}, 308),
        ({"quantity": 0.1}, 40101),
        ({"quantity": "0.00015"}, 213),
        ({"quantity": "1e-4"}, 213),
        ({"side": "buy"}, 220),
        ({"type": "STOP"}, 218),
        ({"time_in_force": "GTC"}, 40003),
        ({"time_in_force": "DAY"}, 221),
        ({"instrument_name": "eth_usd"}, 209),
        ({"instrument_name": "ETH"}, 209),
        ({"client_oid": "x" * 37}, 40004),
        ({"type": "STOP_LOSS", "ref_price": "2400.00"}, 140001),
        ({"price": None}, 40004),
        ({"exec_inst": ["POST_ONLY"], "time_in_force": "IMMEDIATE_OR_CANCEL"}, 43005),
    ],
)
def test_create_order_rules(
    ex: tuple[FakeExchange, Caller], changes: dict[str, Any], expected: int
) -> None:
    fake, caller = ex
    params = {k: v for k, v in {**limit_buy(), **changes}.items() if v is not None}
    assert caller.code("private/create-order", params) == expected
    fake.private.advance()
    assert fake.private.orders() == []


def test_trigger_type_on_plain_endpoint_is_http_500(ex: tuple[FakeExchange, Caller]) -> None:
    _, caller = ex
    assert _error(caller.call("private/create-order", stop_loss())) == (500, 140001)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"side": "SELL", "type": "MARKET", "notional": "100.00"}, 40004),
        ({"side": "BUY", "type": "MARKET"}, 40004),
        ({"side": "BUY", "type": "MARKET", "notional": 100}, 50001),
        ({"side": "BUY", "type": "MARKET", "notional": "100.001"}, 50001),
        ({"side": "BUY", "type": "MARKET", "notional": "10.00", "exec_inst": ["POST_ONLY"]}, 43005),
    ],
)
def test_market_order_rules(
    ex: tuple[FakeExchange, Caller], params: dict[str, Any], expected: int
) -> None:
    _, caller = ex
    assert caller.code("private/create-order", {"instrument_name": ETH, **params}) == expected


def test_non_tradable_instrument_is_208(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.set_instrument(ETH, tradable=False)
    assert _error(caller.call("private/create-order", limit_buy())) == (400, 208)
    fake.private.set_instrument(ETH, tradable=True)
    assert caller.code("private/create-order", limit_buy()) == 0


def test_client_oid_reuse_is_204_even_while_queued(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    assert caller.code("private/create-order", limit_buy(client_oid="dup-1")) == 0
    assert caller.code("private/create-order", limit_buy(client_oid="dup-1")) == 204
    assert caller.code("private/advanced/create-order", stop_loss(client_oid="dup-1")) == 204
    assert len(fake.private.orders()) == 1


def test_history_limit_must_be_a_json_integer_up_to_100(ex: tuple[FakeExchange, Caller]) -> None:
    _, caller = ex
    assert caller.code("private/get-order-history", {"limit": "100"}) == 40003
    assert caller.code("private/get-order-history", {"limit": 101}) == 40003
    assert caller.code("private/get-trades", {"limit": 100}) == 0


def test_nonce_may_be_a_numeric_string(ex: tuple[FakeExchange, Caller]) -> None:
    _, caller = ex
    body = caller.envelope("private/user-balance", {})
    body["nonce"] = str(body["nonce"])  # the payload renders it verbatim either way
    assert caller.post("private/user-balance", body).json()["code"] == 0


def test_timestamps_as_strings_when_asked() -> None:
    with private_exchange() as (fake, caller):
        fake.codes_as_strings = True
        placed = caller.call("private/create-order", limit_buy()).json()
        fake.private.advance()
        row = caller.call("private/get-order-detail", {"order_id": placed["result"]["order_id"]})
        assert (row.json()["code"], row.json()["result"]["create_time"]) == (
            "0",
            str(caller.clock.ms()),
        )
