"""The fake exchange's multi-order requests over raw signed HTTP: OTO and OTOCO (spec §9.4,
F-19), LIST batches (§8.8, F-20), the list cancels and the advanced cancel-all (§9.5)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.fakes.fake_exchange import FakeExchange
from tests.integration.fake_private_support import Caller, limit_buy, private_exchange, stop_loss

ETH = "ETH_USD"
OTO = "private/advanced/create-oto"
OTOCO = "private/advanced/create-otoco"
ORDER_LIST = "private/create-order-list"


@pytest.fixture
def ex() -> Iterator[tuple[FakeExchange, Caller]]:
    with private_exchange() as pair:
        yield pair


def _working(order_type: str = "LIMIT", **extra: Any) -> dict[str, Any]:
    leg = limit_buy(price="2400.00", quantity="0.5000", **{"client_oid": "work-1", **extra})
    if order_type == "MARKET":
        del leg["price"]
    return {**leg, "type": order_type}


def _stop(**extra: Any) -> dict[str, Any]:
    return stop_loss("2300.00", "0.5000", **{"client_oid": "sl-1", **extra})


def _take_profit(**extra: Any) -> dict[str, Any]:
    return {**_stop(), "type": "TAKE_PROFIT", "ref_price": "2700.00", "client_oid": "tp-1", **extra}


def _by_oid(caller: Caller) -> dict[str, dict[str, Any]]:
    return {row["client_oid"]: row for row in caller.open_orders(advanced=True)}


def _status(fake: FakeExchange, client_oid: str) -> str:
    order = fake.private.order_by_client_oid(client_oid)
    assert order is not None, client_oid
    return order.status


def _mark(fake: FakeExchange, last: str, mark: str | None = None) -> None:
    fake.private.set_price(ETH, last=Decimal(last), mark=Decimal(mark or last))
    fake.private.advance()


# --- OTO (F-19) -----------------------------------------------------------------------------------


def test_oto_trigger_goes_live_only_after_the_working_leg_fills(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    result = caller.ok(OTO, {"order_list": [_working(), _stop()]})
    assert set(result) == {"list_id"}
    fake.private.advance()
    legs = _by_oid(caller)
    assert {oid: row["status"] for oid, row in legs.items()} == {
        "work-1": "ACTIVE",
        "sl-1": "PENDING",
    }
    assert {(r["list_id"], r["contingency_type"]) for r in legs.values()} == {
        (result["list_id"], "OTO")
    }
    assert caller.open_orders() == []  # list legs live in the advanced namespace only
    assert fake.private.reserved("ETH") == 0  # the stop sells what the working leg will buy
    _mark(fake, "2450", mark="2290")  # the stop's level, but it is not armed yet
    assert _status(fake, "sl-1") == "PENDING" and fake.private.trades() == []
    _mark(fake, "2390", mark="2500")
    assert _status(fake, "work-1") == "FILLED"
    assert _by_oid(caller)["sl-1"]["status"] == "ACTIVE"
    assert fake.private.reserved("ETH") == Decimal("0.5000")
    _mark(fake, "2290")
    stop = caller.detail(legs["sl-1"]["order_id"], advanced=True)
    assert (stop["status"], stop["cumulative_quantity"]) == ("FILLED", "0.5000")
    assert fake.private.trades()[-1].order_id == stop["exchange_order_id"]


def test_partial_fill_of_the_working_leg_keeps_the_trigger_pending(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    caller.ok(OTO, {"order_list": [_working(), _stop()]})
    fake.private.advance()
    working = fake.private.order_by_client_oid("work-1")
    assert working is not None
    fake.private.fill(working.order_id, Decimal("0.2000"))
    _mark(fake, "2450", mark="2290")
    legs = _by_oid(caller)
    assert (legs["work-1"]["status"], legs["work-1"]["cumulative_quantity"]) == ("ACTIVE", "0.2000")
    assert legs["sl-1"]["status"] == "PENDING"
    fake.private.fill(working.order_id)
    assert _by_oid(caller)["sl-1"]["status"] == "ACTIVE"


def test_working_leg_closed_unfilled_cancels_the_pending_trigger(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    caller.ok(OTO, {"order_list": [_working(), _stop()]})
    fake.private.advance()
    working = fake.private.order_by_client_oid("work-1")
    assert working is not None
    fake.private.fill(working.order_id, Decimal("0.2000"))
    caller.ok("private/advanced/cancel-order", {"order_id": working.order_id})
    fake.private.advance()
    assert (_status(fake, "work-1"), _status(fake, "sl-1")) == ("CANCELED", "CANCELED")
    assert caller.open_orders(advanced=True) == []


def test_market_working_leg_arms_the_trigger_in_its_tick(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    caller.ok(OTO, {"order_list": [_working("MARKET"), _take_profit()]})
    fake.private.advance()
    assert (_status(fake, "work-1"), _by_oid(caller)["tp-1"]["status"]) == ("FILLED", "ACTIVE")


def test_armed_trigger_the_account_cannot_cover_is_rejected(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    fake.private.set_balance("ETH", Decimal(0))  # the buy nets 0.4995 ETH after its fee
    caller.ok(OTO, {"order_list": [_working("MARKET"), _stop()]})
    fake.private.advance()
    stop = fake.private.order_by_client_oid("sl-1")
    assert stop is not None and (stop.status, stop.reject_reason) == (
        "REJECTED",
        "INSUFFICIENT_ACC_BALANCE",
    )


# --- OTOCO (F-19) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tp_first", [False, True])
def test_otoco_triggers_arm_together_and_behave_as_oco(
    ex: tuple[FakeExchange, Caller], tp_first: bool
) -> None:
    fake, caller = ex
    triggers = [_stop(type="STOP_LIMIT", price="2290.00"), _take_profit()]
    legs = [_working(), *(reversed(triggers) if tp_first else triggers)]
    caller.ok(OTOCO, {"order_list": legs})
    fake.private.advance()
    rows = _by_oid(caller)
    assert [rows[oid]["status"] for oid in ("work-1", "sl-1", "tp-1")] == [
        "ACTIVE",
        "PENDING",
        "PENDING",
    ]
    assert {r["contingency_type"] for r in rows.values()} == {"OTOCO"}
    _mark(fake, "2710")  # take-profit level reached, but the working leg has not filled
    assert _status(fake, "tp-1") == "PENDING"
    _mark(fake, "2390", mark="2500")
    assert [r["status"] for r in _by_oid(caller).values()] == ["ACTIVE", "ACTIVE"]
    assert fake.private.reserved("ETH") == Decimal("0.5000")  # one reservation for both
    _mark(fake, "2710")
    assert (_status(fake, "tp-1"), _status(fake, "sl-1")) == ("FILLED", "CANCELED")
    assert fake.private.balance("ETH") == Decimal("0.9995")  # +0.5 -0.0005 fee -0.5
    assert caller.open_orders(advanced=True) == []


def _otoco(*legs: dict[str, Any]) -> dict[str, Any]:
    return {"order_list": list(legs)}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        (OTO, _otoco(_working(), limit_buy(side="SELL", price="2700.00"))),  # plain LIMIT 2nd
        (OTO, _otoco(_stop(), _working())),
        (OTO, _otoco(_working())),
        (OTO, _otoco(_working(), _stop(), _take_profit())),
        (OTO, _otoco(_working(), _stop(side="BUY", ref_price="2600.00"))),  # same side
        (OTO, _otoco(_working(), _stop(instrument_name="BTC_USD"))),
        (OTO, {"order_list": "not-a-list"}),
        (OTOCO, _otoco(_working(), _stop())),
        (OTOCO, _otoco(_working(), _stop(), _stop(type="STOP_LIMIT", price="2290.00"))),
        (OTOCO, _otoco(_working(), _take_profit(), _take_profit(type="TAKE_PROFIT_LIMIT"))),
        (OTOCO, _otoco(_working(), _stop(), limit_buy(side="SELL", price="2700.00"))),
        (OTOCO, _otoco(_stop(), _working(), _take_profit())),
    ],
)
def test_wrong_oto_and_otoco_compositions_are_40004(
    ex: tuple[FakeExchange, Caller], method: str, params: dict[str, Any]
) -> None:
    fake, caller = ex
    assert caller.code(method, params) == 40004
    assert fake.private.orders() == []


def test_cancel_oto_and_otoco_by_list_id(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    oto = caller.ok(OTO, {"order_list": [_working(), _stop()]})["list_id"]
    otoco_legs = [_working(client_oid="work-2"), _stop(client_oid="sl-2"), _take_profit()]
    otoco = caller.ok(OTOCO, {"order_list": otoco_legs})["list_id"]
    fake.private.advance()
    assert caller.code("private/advanced/cancel-oco", {"list_id": oto}) == 40401  # by kind
    assert caller.code("private/advanced/cancel-oto", {}) == 40004
    caller.ok("private/advanced/cancel-oto", {"list_id": oto})
    fake.private.advance()
    assert set(_by_oid(caller)) == {"work-2", "sl-2", "tp-1"}
    caller.ok("private/advanced/cancel-otoco", {"list_id": otoco})
    fake.private.advance()
    assert caller.open_orders(advanced=True) == []
    assert fake.private.reserved("USD") == 0
    assert caller.code("private/advanced/cancel-oto", {"list_id": oto}) == 212


# --- cancels of fired triggers and the advanced cancel-all (§9.5, §9.6) ----------------------------


def test_advanced_cancel_of_a_fired_stop_limit_cancels_its_resting_child(
    ex: tuple[FakeExchange, Caller],
) -> None:
    fake, caller = ex
    params = stop_loss("2400.00", "0.5000", type="STOP_LIMIT", price="2395.00")
    stop = caller.ok("private/advanced/create-order", params)
    fake.private.advance()
    _mark(fake, "2380", mark="2399")  # fires; the SELL LIMIT child at 2395 cannot trade at 2380
    child_id = caller.detail(stop["order_id"], advanced=True)["exchange_order_id"]
    assert [r["order_id"] for r in caller.open_orders()] == [child_id]
    caller.ok("private/advanced/cancel-order", {"order_id": stop["order_id"]})
    fake.private.advance()
    assert caller.detail(child_id)["status"] == "CANCELED"
    assert caller.detail(stop["order_id"], advanced=True)["status"] == "CANCELED"
    assert caller.open_orders() == [] and fake.private.reserved("ETH") == 0


def test_advanced_cancel_all_orders_by_type(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    plain = caller.ok("private/create-order", limit_buy())
    stop = caller.ok("private/advanced/create-order", stop_loss(quantity="0.5000"))
    fake.private.advance()
    method = "private/advanced/cancel-all-orders"
    assert caller.code(method, {}) == 40004
    assert caller.code(method, {"type": "STOP"}) == 40004
    caller.ok(method, {"type": "TRIGGER", "instrument_name": ETH})
    fake.private.advance()
    assert fake.private.order(stop["order_id"]).status == "CANCELED"
    assert fake.private.order(plain["order_id"]).status == "ACTIVE"
    caller.ok(method, {"type": "LIMIT"})
    fake.private.advance()
    assert fake.private.order(plain["order_id"]).status == "CANCELED"


# --- LIST (F-20) ----------------------------------------------------------------------------------


def _batch(count: int) -> list[dict[str, Any]]:
    return [limit_buy(price=f"{2400 - i}.00", client_oid=f"b-{i}") for i in range(count)]


def test_list_places_every_order_and_answers_per_element(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    result = caller.ok(ORDER_LIST, {"contingency_type": "LIST", "order_list": _batch(3)})
    assert [(e["index"], e["code"], e["client_oid"]) for e in result] == [
        (0, 0, "b-0"),
        (1, 0, "b-1"),
        (2, 0, "b-2"),
    ]
    fake.private.advance()
    placed = {r["order_id"]: r["client_oid"] for r in caller.open_orders()}
    assert placed == {e["order_id"]: e["client_oid"] for e in result}
    assert fake.private.reserved("USD") == Decimal("0.1") * (2400 + 2399 + 2398)


def test_list_refuses_a_bad_element_and_places_the_others(ex: tuple[FakeExchange, Caller]) -> None:
    fake, caller = ex
    orders = _batch(4)
    orders[1]["price"] = "2399.001"  # off the tick
    orders[3]["client_oid"] = "b-0"  # reused inside the batch
    result = caller.ok(ORDER_LIST, {"contingency_type": "LIST", "order_list": orders})
    assert [e["code"] for e in result] == [0, 308, 0, 204]
    assert "order_id" not in result[1] and result[1]["client_oid"] == "b-1"
    fake.private.advance()
    assert {r["client_oid"] for r in caller.open_orders()} == {"b-0", "b-2"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"contingency_type": "LIST", "order_list": _batch(11)}, 40004),
        ({"contingency_type": "LIST", "order_list": []}, 40004),
        ({"contingency_type": "LIST", "order_list": [*_batch(2), _stop()]}, 40004),
        ({"order_list": _batch(2)}, 40004),
        ({"contingency_type": "OCO", "order_list": _batch(2)}, 140001),
    ],
)
def test_list_request_level_refusals(
    ex: tuple[FakeExchange, Caller], params: dict[str, Any], expected: int
) -> None:
    fake, caller = ex
    assert caller.code(ORDER_LIST, params) == expected
    assert fake.private.orders() == []
