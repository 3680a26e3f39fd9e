"""CryptoComBroker: formatting to the wire, routing, lookups, row parsing and port errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from atp.adapters.cryptocom.broker import CryptoComBroker
from atp.adapters.cryptocom.order_rows import balances_from_result, fill_from_row, order_from_row
from atp.adapters.cryptocom.public import CryptoComPublicClient
from atp.core.retry import RetryClass
from atp.orders.ports import (
    BrokerAuthError,
    BrokerError,
    MarketEntry,
    OrderKind,
    OrderStatus,
    ProtectionOco,
    StopOrder,
)
from atp.settings import Settings
from tests.unit.cryptocom_private_support import (
    KEY,
    SECRET,
    ScriptedExchange,
    exchange,
    make_client,
    order_row,
)

__all__ = ["exchange"]

NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1700000000000 ms
ETH = {
    "symbol": "ETH_USD",
    "inst_type": "CCY_PAIR",
    "base_ccy": "ETH",
    "quote_ccy": "USD",
    "price_tick_size": "0.01",
    "qty_tick_size": "0.0001",
    "quote_decimals": 2,
    "quantity_decimals": 4,
    "tradable": True,
}


def make_broker(exchange: ScriptedExchange) -> CryptoComBroker:
    exchange.instruments = [ETH, {**ETH, "symbol": "DOGE_USD", "tradable": False}]
    client = make_client()
    return CryptoComBroker(client, CryptoComPublicClient(client.transport), now=lambda: NOW)


def oco(**changes: Any) -> ProtectionOco:
    fields: dict[str, Any] = {
        "symbol": "ETH_USD",
        "side": "SELL",
        "quantity": Decimal("0.0150"),
        "tp_price": Decimal("2700.00"),
        "sl_trigger": Decimal("2400.00"),
        "tp_client_oid": "tp-1",
        "sl_client_oid": "sl-1",
    }
    return ProtectionOco(**{**fields, **changes})


async def test_market_entry_sends_tick_text_and_caches_instruments(
    exchange: ScriptedExchange,
) -> None:
    exchange.answer("private/create-order", {"order_id": "11", "client_oid": "e-1"})
    broker = make_broker(exchange)
    entry = MarketEntry("e-1", "ETH_USD", "BUY", notional=Decimal("25"))
    accepted = await broker.place_market_entry(entry)
    await broker.place_market_entry(
        MarketEntry("e-2", "ETH_USD", "SELL", quantity=Decimal("0.015"))
    )
    assert accepted.order_id == "11" and accepted.client_oid == "e-1"
    buy, sell = (body["params"] for body in exchange.calls("private/create-order"))
    assert buy["notional"] == "25.00" and "quantity" not in buy and buy["type"] == "MARKET"
    assert sell["quantity"] == "0.0150"
    assert exchange.public_calls == 1


async def test_off_tick_values_and_unknown_instruments_are_refused(
    exchange: ScriptedExchange,
) -> None:
    broker = make_broker(exchange)
    with pytest.raises(BrokerError, match="not a multiple"):
        await broker.place_market_entry(
            MarketEntry("e-1", "ETH_USD", "SELL", quantity=Decimal("0.00015"))
        )
    with pytest.raises(BrokerError, match="not tradable"):
        await broker.instrument("DOGE_USD")
    with pytest.raises(BrokerError, match="BTC_USD"):
        await broker.instrument("BTC_USD")
    assert exchange.requests == []


@pytest.mark.parametrize(("limit", "stop_type"), [(None, "STOP_LOSS"), ("2395.5", "STOP_LIMIT")])
async def test_oco_is_one_native_list_on_mark_price(
    exchange: ScriptedExchange, limit: str | None, stop_type: str
) -> None:
    exchange.answer("private/advanced/create-oco", {"list_id": "L-42"})
    broker = make_broker(exchange)
    limit_price = None if limit is None else Decimal(limit)
    accepted = await broker.place_oco(oco(sl_limit_price=limit_price))
    assert accepted.list_id == "L-42" and accepted.order_id is None
    take_profit, stop = exchange.calls("private/advanced/create-oco")[0]["params"]["order_list"]
    assert take_profit == {
        "instrument_name": "ETH_USD",
        "side": "SELL",
        "type": "LIMIT",
        "price": "2700.00",
        "quantity": "0.0150",
        "time_in_force": "GOOD_TILL_CANCEL",
        "client_oid": "tp-1",
    }
    assert stop["type"] == stop_type and stop["ref_price"] == "2400.00"
    assert stop["ref_price_type"] == "MARK_PRICE" and stop["quantity"] == "0.0150"
    assert stop.get("price") == (None if limit is None else "2395.50")


async def test_oco_with_the_stop_on_the_wrong_side_is_refused(exchange: ScriptedExchange) -> None:
    with pytest.raises(BrokerError, match="below"):
        await make_broker(exchange).place_oco(oco(sl_trigger=Decimal("2800.00")))
    assert exchange.requests == []


async def test_standalone_stop_goes_to_the_advanced_endpoint(exchange: ScriptedExchange) -> None:
    exchange.answer("private/advanced/create-order", {"order_id": "73817", "client_oid": "s-1"})
    stop = StopOrder(
        "s-1", "ETH_USD", "SELL", OrderKind.STOP_LOSS, Decimal("0.015"), Decimal("2400")
    )
    accepted = await make_broker(exchange).place_stop(stop)
    assert accepted.order_id == "73817"
    (body,) = exchange.calls("private/advanced/create-order")
    assert body["params"]["type"] == "STOP_LOSS" and body["params"]["ref_price"] == "2400.00"
    assert exchange.calls("private/create-order") == []


async def test_cancels_are_routed_by_kind(exchange: ScriptedExchange) -> None:
    broker = make_broker(exchange)
    await broker.cancel(order_from_row(order_row(order_id="1")))
    await broker.cancel(order_from_row(order_row(order_id="2", order_type="STOP_LOSS")))
    await broker.cancel(order_from_row(order_row(order_id="3", list_id="L-1")))
    await broker.cancel_list("L-1")
    assert [b["params"] for b in exchange.calls("private/cancel-order")] == [{"order_id": "1"}]
    advanced = exchange.calls("private/advanced/cancel-order")
    assert [b["params"]["order_id"] for b in advanced] == ["2", "3"]
    assert exchange.calls("private/advanced/cancel-oco")[0]["params"] == {"list_id": "L-1"}


async def test_lookup_by_client_oid_tries_plain_then_advanced(exchange: ScriptedExchange) -> None:
    broker = make_broker(exchange)
    exchange.answer("private/get-order-detail", {})  # trigger ids look empty on the plain side
    exchange.answer(
        "private/advanced/get-order-detail", order_row(order_type="STOP_LOSS", client_oid="sl-1")
    )
    found = await broker.order_by_client_oid("sl-1")
    assert found is not None and found.kind is OrderKind.STOP_LOSS and found.advanced
    exchange.answer("private/get-order-detail", code=40401)
    exchange.answer("private/advanced/get-order-detail", code=40401)
    assert await broker.order_by_client_oid("nope") is None
    exchange.answer("private/get-order-detail", order_row())
    assert (await broker.order_by_client_oid("c-1")) is not None
    assert len(exchange.calls("private/advanced/get-order-detail")) == 2


async def test_open_orders_are_the_union_of_plain_and_advanced(exchange: ScriptedExchange) -> None:
    exchange.answer(
        "private/get-open-orders", {"data": [order_row(order_id="1"), order_row(order_id="2")]}
    )
    exchange.answer(
        "private/advanced/get-open-orders",
        {
            "data": [
                order_row(order_id="2", list_id="L-1"),
                order_row(order_id="3", order_type="STOP_LIMIT"),
            ]
        },
    )
    orders = await make_broker(exchange).open_orders("ETH_USD")
    assert sorted(o.order_id for o in orders) == ["1", "2", "3"]
    assert next(o for o in orders if o.order_id == "2").list_id == "L-1"


async def test_fills_page_backwards_and_dedupe(exchange: ScriptedExchange) -> None:
    newest = [_trade(str(1000 - i), 1700000000000 - i) for i in range(100)]
    older = [_trade("901", 1700000000000 - 99), _trade("5", 1699999990000)]
    exchange.answer("private/get-trades", {"data": newest})
    exchange.answer("private/get-trades", {"data": older})
    fills = await make_broker(exchange).fills(NOW - timedelta(hours=1), "ETH_USD")
    assert len(fills) == 101 and fills[0].trade_id == "5"
    first, second = (b["params"] for b in exchange.calls("private/get-trades"))
    assert first["end_time"] == 1700000000001 and first["limit"] == 100
    assert second["end_time"] == 1700000000000 - 99 + 1
    assert first["start_time"] == second["start_time"] == 1700000000000 - 3_600_000


async def test_fills_over_days_use_day_windows(exchange: ScriptedExchange) -> None:
    for _ in range(3):
        exchange.answer("private/get-trades", {"data": []})
    await make_broker(exchange).fills(NOW - timedelta(hours=50))
    windows = [
        (b["params"]["start_time"], b["params"]["end_time"])
        for b in exchange.calls("private/get-trades")
    ]
    assert len(windows) == 3
    assert all(end - start <= 86_400_000 for start, end in windows)
    assert windows[0][0] == 1700000000000 - 50 * 3_600_000 and windows[-1][1] == 1700000000001


async def test_exchange_errors_become_port_errors(exchange: ScriptedExchange) -> None:
    broker = make_broker(exchange)
    exchange.answer("private/user-balance", code=40101, status=401)
    with pytest.raises(BrokerAuthError) as auth:
        await broker.balances()
    assert auth.value.code == 40101 and auth.value.retry is RetryClass.NO
    exchange.answer("private/create-order", code=50001, status=500)
    with pytest.raises(BrokerError) as unknown:
        await broker.place_market_entry(
            MarketEntry("e-1", "ETH_USD", "BUY", quantity=Decimal("0.01"))
        )
    assert not isinstance(unknown.value, BrokerAuthError)
    assert unknown.value.code == 50001 and unknown.value.retry is RetryClass.RECONCILE
    exchange.answer("private/create-order", code=306, status=500)
    with pytest.raises(BrokerError) as refused:
        await broker.place_market_entry(
            MarketEntry("e-2", "ETH_USD", "BUY", quantity=Decimal("0.01"))
        )
    assert refused.value.code == 306 and refused.value.retry is RetryClass.NO
    assert KEY not in str(auth.value) and SECRET not in repr(broker)


def test_broker_from_settings_needs_both_keys() -> None:
    with pytest.raises(ValueError, match="EXCHANGE_API_KEY"):
        CryptoComBroker.from_settings(Settings(_env_file=None, EXCHANGE_API_KEY=KEY))
    broker = CryptoComBroker.from_settings(
        Settings(_env_file=None, EXCHANGE_API_KEY=KEY, EXCHANGE_API_SECRET=SECRET)
    )
    assert broker.name == "cryptocom" and KEY not in repr(broker)


# --- row parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("NEW", OrderStatus.OPEN),
        ("PENDING", OrderStatus.OPEN),
        ("ACTIVE", OrderStatus.OPEN),
        ("FILLED", OrderStatus.FILLED),
        ("CANCELED", OrderStatus.CANCELED),
        ("CANCELLED", OrderStatus.CANCELED),
        ("REJECTED", OrderStatus.REJECTED),
        ("EXPIRED", OrderStatus.EXPIRED),
    ],
)
def test_order_status_mapping(status: str, expected: OrderStatus) -> None:
    assert order_from_row(order_row(status=status)).status is expected


def test_cancelled_row_keeps_its_partial_fill() -> None:
    order = order_from_row(
        order_row(
            status="CANCELED",
            order_type="TAKE_PROFIT_LIMIT",
            cumulative_quantity="0.0100",
            avg_price="2700.05",
            cumulative_fee="0.027",
            ref_price="2700.00",
            list_id="L-9",
            exchange_order_id="57556",
        )
    )
    assert order.status is OrderStatus.CANCELED and order.cumulative_quantity == Decimal("0.0100")
    assert order.avg_price == Decimal("2700.05") and order.cumulative_fee == Decimal("0.027")
    assert order.kind is OrderKind.TAKE_PROFIT_LIMIT and order.trigger_price == Decimal("2700.00")
    assert order.limit_price == Decimal("2500.10") and order.child_order_id == "57556"
    assert order.created_at == NOW and order.updated_at == NOW + timedelta(milliseconds=123)


def test_legacy_zero_leftovers_read_as_absent() -> None:
    order = order_from_row(order_row(exchange_order_id="0", reason=0, list_id=""))
    assert order.trigger_price is None and order.avg_price is None
    assert order.child_order_id is None and order.reject_reason is None and order.list_id is None
    rejected = order_from_row(
        order_row(status="REJECTED", reject_reason="INSUFFICIENT_ACC_BALANCE")
    )
    assert rejected.reject_reason == "INSUFFICIENT_ACC_BALANCE"


def test_unknown_order_type_or_status_is_an_error() -> None:
    from atp.adapters.cryptocom.envelope import FieldError

    with pytest.raises(FieldError, match="order_type"):
        order_from_row(order_row(order_type="ICEBERG"))
    with pytest.raises(FieldError, match="status"):
        order_from_row(order_row(status="WAITING"))


def test_trade_row_fee_sign_and_time() -> None:
    fill = fill_from_row(_trade("77", 1700000000000))
    assert fill.fee == Decimal("0.0375") and fill.fee_currency == "USD"
    assert fill.quantity == Decimal("0.015") and fill.price == Decimal("2500.00")
    assert fill.traded_at == NOW and fill.order_id == "57556" and fill.trade_id == "77"


def test_balances_free_is_quantity_minus_reserved() -> None:
    rows = [
        {
            "total_available_balance": "100",
            "position_balances": [
                {"instrument_name": "ETH", "quantity": "0.0150", "reserved_qty": "0.0150"},
                {"instrument_name": "USD", "quantity": "1000.50", "reserved_qty": "25"},
            ],
        }
    ]
    eth, usd = balances_from_result(rows)
    assert eth.free == 0 and usd.free == Decimal("975.50") and usd.total == Decimal("1000.50")
    assert balances_from_result([]) == []


def _trade(trade_id: str, create_time: int) -> dict[str, Any]:
    return {
        "trade_id": trade_id,
        "order_id": "57556",
        "client_oid": "c-1",
        "instrument_name": "ETH_USD",
        "side": "SELL",
        "traded_quantity": "0.015",
        "traded_price": "2500.00",
        "fees": "-0.0375",
        "fee_instrument_name": "USD",
        "taker_side": "TAKER",
        "create_time": create_time,
        "create_time_ns": str(create_time * 1_000_000),
    }
