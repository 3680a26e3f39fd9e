"""The fake exchange's private side: balances, OCO, triggers, asynchronous writes, limits and
faults (spec §16, F-15 .. F-27), over real HTTP with raw signed requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from tests.fakes.fake_exchange import FakeExchange, Fault
from tests.integration.fake_private_support import (
    Caller,
    limit_buy,
    oco,
    private_exchange,
    stop_loss,
)

ETH = "ETH_USD"


@pytest.fixture
def ex() -> Iterator[tuple[FakeExchange, Caller]]:
    with private_exchange() as pair:
        yield pair


def _error(response: Any) -> tuple[int, int]:
    return response.status_code, int(response.json()["code"])


# --- balances and reservations (F-15) ---------------------------------------------------------


def test_insufficient_balance_is_306_http_500(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    too_big = limit_buy(price="2400.00", quantity="4.2000")  # 10,080 USD > 10,000
    assert _error(caller.call("private/create-order", too_big)) == (500, 306)
    sell = {"instrument_name": ETH, "side": "SELL", "type": "MARKET", "quantity": "1.0001"}
    assert _error(caller.call("private/create-order", sell)) == (500, 306)
    assert caller.code("private/create-order", limit_buy(quantity="4.0000")) == 0
    assert caller.code("private/create-order", limit_buy(quantity="0.2000")) == 306  # reserved
    assert fake.private.reserved("USD") == Decimal("9600.0000")


def test_oco_legs_share_one_reservation_and_a_second_trigger_fails(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    caller.ok("private/advanced/create-oco", oco())
    assert fake.private.reserved("ETH") == Decimal("1.0000")
    assert _error(caller.call("private/advanced/create-order", stop_loss("2300.00"))) == (500, 306)
    fake.private.advance()
    assert len(caller.open_orders(advanced=True)) == 2


def test_async_balance_rejection_shows_as_reject_reason(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.configure(trigger_balance_reject="async")
    caller.ok("private/advanced/create-order", stop_loss(client_oid="sl-a"))
    late = caller.ok("private/advanced/create-order", stop_loss("2300.00", client_oid="sl-b"))
    fake.private.advance()
    row = caller.detail(late["order_id"], advanced=True)
    assert (row["status"], row["reject_reason"]) == ("REJECTED", "INSUFFICIENT_ACC_BALANCE")
    history = caller.ok("private/advanced/get-order-history")["data"]
    assert [r["client_oid"] for r in history] == ["sl-b"]
    assert [r["client_oid"] for r in caller.open_orders(advanced=True)] == ["sl-a"]


# --- advanced create-order and trigger side (F-16, F-17) --------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"type": "LIMIT", "price": "2400.00"}, 40004),
        ({"ref_price": None}, 40004),
        ({"ref_price": 2400}, 229),
        ({"ref_price": "2400.001"}, 229),
        ({"trigger_price": "2400.0"}, 229),
        ({"type": "STOP_LIMIT"}, 40004),
        ({"ref_price_type": "mark"}, 230),
        ({"ref_price": "2600.00"}, 50007),
        ({"type": "TAKE_PROFIT"}, 50007),
        ({"side": "BUY"}, 50007),
    ],
)
def test_advanced_create_order_rules(
    ex: tuple[FakeExchange, Caller], changes: dict[str, Any], expected: int
) -> None:
    fake, caller = ex
    params = {k: v for k, v in {**stop_loss(), **changes}.items() if v is not None}
    assert caller.code("private/advanced/create-order", params) == expected
    assert fake.private.orders() == []


def test_trigger_side_is_judged_against_mark_not_last(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.set_price(ETH, last=Decimal("2500"), mark=Decimal("2390"))
    assert caller.code("private/advanced/create-order", stop_loss("2400.00")) == 50007
    last_based = stop_loss("2400.00", ref_price_type="LAST_PRICE", trigger_price="2400.00")
    assert caller.code("private/advanced/create-order", last_based) == 0


# --- OCO (F-18) and namespaces (F-21) -----------------------------------------------------------


def _legs(**changes: Any) -> dict[str, Any]:
    params = oco()
    params["order_list"][1].update(changes)
    return params


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"order_list": oco()["order_list"][:1]}, 40004),
        ({"order_list": [oco()["order_list"][0]] * 2}, 40004),
        (_legs(ref_price_type="LAST_PRICE"), 230),
        (_legs(instrument_name="BTC_USD"), 40004),
        (_legs(side="BUY"), 40004),
        (_legs(client_oid="tp-1"), 204),
        (_legs(ref_price="2500.00"), 50007),
    ],
)
def test_oco_shape(ex: tuple[FakeExchange, Caller], params: dict[str, Any], expected: int) -> None:
    fake, caller = ex
    assert caller.code("private/advanced/create-oco", params) == expected
    assert fake.private.orders() == []


def test_oco_legs_live_in_the_advanced_namespace_only(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    result = caller.ok("private/advanced/create-oco", oco())
    assert set(result) == {"list_id"}
    assert caller.open_orders(advanced=True) == []  # asynchronous: nothing before the tick
    fake.private.advance()
    legs = caller.open_orders(advanced=True)
    assert {(r["client_oid"], r["order_type"]) for r in legs} == {
        ("tp-1", "LIMIT"),
        ("sl-1", "STOP_LOSS"),
    }
    assert {(r["list_id"], r["contingency_type"]) for r in legs} == {(result["list_id"], "OCO")}
    assert caller.open_orders() == []
    stop_id = next(r["order_id"] for r in legs if r["client_oid"] == "sl-1")
    assert caller.detail(stop_id) == {}
    assert caller.ok("private/cancel-order", {"order_id": stop_id})["order_id"] == stop_id
    fake.private.advance()
    assert caller.detail(stop_id, advanced=True)["status"] == "NEW"  # plain cancel did nothing
    caller.ok("private/advanced/cancel-oco", {"list_id": result["list_id"]})
    fake.private.advance()
    assert caller.open_orders(advanced=True) == []
    assert fake.private.reserved("ETH") == 0


def test_take_profit_fill_cancels_the_stop_leg(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    caller.ok("private/advanced/create-oco", oco())
    fake.private.advance()
    fake.private.set_price(ETH, last=Decimal("2710"))
    fake.private.advance()
    tp = fake.private.order_by_client_oid("tp-1")
    sl = fake.private.order_by_client_oid("sl-1")
    assert tp is not None and sl is not None
    assert (tp.status, sl.status) == ("FILLED", "CANCELED")
    [trade] = caller.ok("private/get-trades")["data"]
    assert (trade["order_id"], trade["traded_price"], trade["taker_side"]) == (
        tp.order_id,
        "2700.00",
        "MAKER",
    )
    assert (Decimal(trade["fees"]), trade["fee_instrument_name"]) == (Decimal("-2.7"), "USD")
    assert fake.private.balance("ETH") == 0
    assert fake.private.balance("USD") == Decimal("10000") + Decimal("2700") - Decimal("2.7")


def test_partial_execution_of_one_leg_cancels_the_other(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    caller.ok("private/advanced/create-oco", oco())
    fake.private.advance()
    tp = fake.private.order_by_client_oid("tp-1")
    assert tp is not None
    fake.private.fill(tp.order_id, Decimal("0.4000"))
    row = caller.detail(tp.order_id, advanced=True)
    assert (row["status"], row["cumulative_quantity"]) == ("ACTIVE", "0.4000")
    sl = fake.private.order_by_client_oid("sl-1")
    assert sl is not None and sl.status == "CANCELED"
    assert fake.private.reserved("ETH") == Decimal("0.6000")


def test_fired_stop_creates_a_child_order_that_owns_the_trade(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    stop = caller.ok("private/advanced/create-order", stop_loss(quantity="0.5000"))
    fake.private.advance()
    fake.private.set_price(ETH, last=Decimal("2405"), mark=Decimal("2399"))
    fake.private.advance()
    parent = caller.detail(stop["order_id"], advanced=True)
    child_id = parent["exchange_order_id"]
    assert child_id and child_id != stop["order_id"]
    assert (parent["status"], parent["cumulative_quantity"]) == ("FILLED", "0.5000")
    child = caller.detail(child_id)
    assert (child["order_type"], child["status"], child["avg_price"]) == (
        "MARKET",
        "FILLED",
        "2405",
    )
    [trade] = caller.ok("private/get-trades")["data"]
    assert (trade["order_id"], trade["traded_price"]) == (child_id, "2405")
    assert [r["order_id"] for r in caller.ok("private/get-order-history")["data"]] == [child_id]


def test_oco_stop_leg_fires_and_cancels_the_take_profit(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    caller.ok("private/advanced/create-oco", oco())
    fake.private.advance()
    fake.private.set_price(ETH, last=Decimal("2390"))
    fake.private.advance()
    tp = fake.private.order_by_client_oid("tp-1")
    sl = fake.private.order_by_client_oid("sl-1")
    assert tp is not None and sl is not None and sl.exchange_order_id is not None
    assert (tp.status, sl.status) == ("CANCELED", "FILLED")
    assert fake.private.trades()[0].order_id == sl.exchange_order_id
    assert fake.private.balance("ETH") == 0


# --- asynchronous writes, fills (F-22) ---------------------------------------------------------


def test_create_and_cancel_apply_on_the_next_tick(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    placed = caller.ok("private/create-order", limit_buy(client_oid="e-1"))
    assert caller.code("private/get-order-detail", {"client_oid": "e-1"}) == 40401
    fake.private.advance()
    assert caller.ok("private/get-order-detail", {"client_oid": "e-1"})["status"] == "ACTIVE"
    caller.ok("private/cancel-order", {"order_id": placed["order_id"]})
    assert caller.detail(placed["order_id"])["status"] == "ACTIVE"
    fake.private.advance()
    assert caller.detail(placed["order_id"])["status"] == "CANCELED"
    assert _error(caller.call("private/cancel-order", {"order_id": placed["order_id"]})) == (
        500,
        212,
    )


def test_market_buy_by_notional_fills_at_last_with_fee_in_base(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    params = {"instrument_name": ETH, "side": "BUY", "type": "MARKET", "notional": "250.00"}
    placed = caller.ok("private/create-order", params)
    fake.private.advance()
    row = caller.detail(placed["order_id"])
    assert (row["status"], row["cumulative_quantity"], row["limit_price"]) == (
        "FILLED",
        "0.1000",
        "0",
    )
    assert fake.private.balance("ETH") == Decimal("1.0999")  # 0.1 bought, 0.0001 fee
    balances = caller.ok("private/user-balance")["data"][0]["position_balances"]
    usd = next(b for b in balances if b["instrument_name"] == "USD")
    assert (usd["quantity"], usd["reserved_qty"]) == ("9750.0000", "0")


def test_resting_limit_fills_when_the_price_path_crosses_it(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    placed = caller.ok("private/create-order", limit_buy(price="2450.00"))
    fake.private.advance()
    fake.private.set_price(ETH, last=Decimal("2460"))
    fake.private.advance()
    assert caller.detail(placed["order_id"])["status"] == "ACTIVE"
    fake.private.set_price(ETH, last=Decimal("2440"))
    fake.private.advance()
    row = caller.detail(placed["order_id"])
    assert (row["status"], row["avg_price"]) == ("FILLED", "2450.00")
    assert caller.open_orders() == []


# --- limits and faults (F-26, F-27) -------------------------------------------------------------


def test_rate_limits_per_method_and_key() -> None:
    with private_exchange(rate_limits=True) as (fake, caller):
        assert caller.code("private/get-trades") == 0
        assert _error(caller.call("private/get-trades")) == (429, 42901)
        assert caller.code("private/get-order-detail", {"order_id": "1"}) == 40401  # own bucket
        codes = [caller.code("private/user-balance") for _ in range(8)]  # 3 / 100 ms
        assert codes[:3] == [0, 0, 0] and 42901 in codes
        fake.private.add_key("second-key", "second-secret")
        caller.api_key, caller.secret = "second-key", "second-secret"
        assert caller.code("private/get-trades") == 0  # buckets are per API key


def test_timeout_after_accept_leaves_the_order_findable(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.inject(Fault("after_accept", method="private/create-order"))
    assert _error(caller.call("private/create-order", limit_buy(client_oid="t-1"))) == (408, 40801)
    fake.private.advance()
    found = caller.ok("private/get-order-detail", {"client_oid": "t-1"})
    assert found["status"] == "ACTIVE"
    assert caller.code("private/create-order", limit_buy(client_oid="t-1")) == 204


def test_internal_error_after_accept_on_oco_and_maintenance(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    fake.inject(Fault("after_accept", method="private/advanced/create-oco", code=50001, status=500))
    assert _error(caller.call("private/advanced/create-oco", oco())) == (500, 50001)
    fake.private.advance()
    assert {r["client_oid"] for r in caller.open_orders(advanced=True)} == {"tp-1", "sl-1"}
    fake.inject(Fault("error_code", method="private/create-order", code=9010001, status=503))
    assert _error(caller.call("private/create-order", limit_buy())) == (503, 9010001)
    assert len(fake.private.orders(advanced=False)) == 0


def test_mark_price_is_published_by_get_valuations(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.set_price(ETH, last=Decimal("2500"), mark=Decimal("2498.5"))
    query = {"instrument_name": ETH, "valuation_type": "mark_price"}
    reply = caller.http.get(f"{fake.base_url}/public/get-valuations", params=query).json()
    assert reply["result"]["data"][0]["v"] == "2498.5"
    tickers = caller.http.get(
        f"{fake.base_url}/public/get-tickers", params={"instrument_name": ETH}
    )
    assert tickers.json()["result"]["data"][0]["a"] == "2500"


def test_minimum_order_value_and_price_band(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    fake.private.configure(min_order_value=Decimal("10"), price_band=Decimal("0.05"))
    assert _error(caller.call("private/create-order", limit_buy(quantity="0.0040"))) == (500, 415)
    assert caller.code("private/create-order", limit_buy(price="2370.00")) == 315
    assert caller.code("private/create-order", limit_buy(price="2380.00")) == 0


def test_rejection_with_an_order_like_result_creates_nothing(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    fake.private.reject_with_result = True
    body = caller.call(
        "private/create-order", limit_buy(quantity="9.0000", client_oid="r-1")
    ).json()
    assert (body["code"], body["result"]["client_oid"]) == (306, "r-1")
    fake.private.advance()
    assert (
        caller.code("private/get-order-detail", {"order_id": body["result"]["order_id"]}) == 40401
    )
    assert fake.private.orders() == []


def test_quirks_filled_legs_as_canceled_and_wide_advanced_history(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    fake.private.quirks |= {"filled_advanced_reported_canceled", "advanced_history_empty_over_48h"}
    caller.ok("private/advanced/create-oco", oco())
    fake.private.advance()
    fake.private.set_price(ETH, last=Decimal("2700"))
    fake.private.advance()
    rows = caller.ok("private/advanced/get-order-history")["data"]
    tp = next(r for r in rows if r["client_oid"] == "tp-1")
    assert (tp["status"], tp["cumulative_quantity"]) == ("CANCELED", "1.0000")
    now = caller.clock.ms()
    wide = {"start_time": now - 3 * 86_400_000, "end_time": now + 1}
    assert caller.ok("private/advanced/get-order-history", wide)["data"] == []


def test_immediate_or_cancel_limit_that_cannot_trade_is_canceled(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    placed = caller.ok("private/create-order", limit_buy(time_in_force="IMMEDIATE_OR_CANCEL"))
    crossing = caller.ok(
        "private/create-order", limit_buy(price="2600.00", time_in_force="FILL_OR_KILL")
    )
    fake.private.advance()
    assert caller.detail(placed["order_id"])["status"] == "CANCELED"
    row = caller.detail(crossing["order_id"])
    assert (row["status"], row["avg_price"], row["cumulative_quantity"]) == (
        "FILLED",
        "2500",
        "0.1000",
    )


def test_cancel_and_detail_route_by_namespace(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    plain = caller.ok("private/create-order", limit_buy())
    fake.private.advance()
    assert caller.detail(plain["order_id"], advanced=True) == {}
    assert caller.code("private/advanced/cancel-order", {"order_id": plain["order_id"]}) == 40401
    assert caller.code("private/get-order-detail", {"order_id": "123"}) == 40401
    assert caller.code("private/cancel-order", {}) == 40004
    assert caller.detail(plain["order_id"])["status"] == "ACTIVE"


def test_parallel_creates_with_one_client_oid_place_one_order(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    params = limit_buy(client_oid="same-intent")
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: caller.code("private/create-order", params), range(8)))
    assert sorted(codes) == [0] + [204] * 7
    assert len(fake.private.orders()) == 1


def test_background_ticker_applies_writes_without_manual_advance(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    fake.private.start_ticking(interval_s=0.01)
    placed = caller.ok("private/create-order", limit_buy())
    deadline = time.monotonic() + 1.0
    while fake.private.order(placed["order_id"]).status == "QUEUED":
        assert time.monotonic() < deadline, "the ticker never applied the create"
        time.sleep(0.005)
    assert caller.detail(placed["order_id"])["status"] == "ACTIVE"
