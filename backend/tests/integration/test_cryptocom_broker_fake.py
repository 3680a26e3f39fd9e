"""The product's `CryptoComBroker` against the strict fake exchange, over real HTTP.

Everything goes through the broker port; the fake is only driven through its test API (prices,
balances, `advance()`, faults) and inspected through its book. Spec sections: §4-§6 (signing,
nonce, envelope), §8 (plain orders), §9 (OCO, triggers, child ids, cancel routing), §10 (error
table and retry classes), §11 (limits), §13 (fill sync), §16 (what the fake enforces).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from atp.core.retry import RetryClass
from atp.orders.ports import (
    BrokerAuthError,
    BrokerError,
    OrderKind,
    OrderStatus,
    StopOrder,
)
from tests.fakes.fake_exchange import Fault
from tests.fakes.fake_exchange_private import DEFAULT_API_KEY, DEFAULT_API_SECRET
from tests.integration.broker_fake_support import (
    ETH,
    BrokerOnFake,
    broker_on_fake,
    buy,
    long_oco,
)

CREATE = "private/create-order"
ADV_CANCEL = "private/advanced/cancel-order"
PLAIN_CANCEL = "private/cancel-order"


async def _bought(env: BrokerOnFake, quantity: str = "1.0000", oid: str = "entry-1") -> Decimal:
    """A filled MARKET BUY; returns the ETH the wallet received (quantity minus the fee)."""
    await env.broker.place_market_entry(buy(oid, quantity=quantity))
    env.fake.private.advance()
    return env.fake.private.balance("ETH")


# --- 1. signing, keys and nonce (§4, §5, §10) -------------------------------------------------


async def test_signed_reads_and_writes_are_accepted() -> None:
    async with broker_on_fake() as env:
        balances = {b.currency: b for b in await env.broker.balances()}
        assert balances["USD"].total == Decimal("10000")
        await env.broker.place_market_entry(buy("sig-1", notional="25.00"))
        assert env.codes("private/user-balance") == [0]
        assert env.codes(CREATE) == [0]


async def test_wrong_secret_is_an_auth_error_40101_not_retried() -> None:
    async with broker_on_fake(secret="not-the-secret") as env:
        with pytest.raises(BrokerAuthError) as caught:
            await env.broker.balances()
        assert caught.value.code == 40101
        assert caught.value.retry is RetryClass.NO
        assert "not-the-secret" not in str(caught.value) + repr(env.broker)
        assert env.codes("private/user-balance") == [40101]
        with pytest.raises(BrokerAuthError):
            await env.broker.place_market_entry(buy("never", notional="25.00"))
        assert env.fake.private.orders() == []


async def test_ip_allow_list_and_read_only_keys_are_auth_errors() -> None:
    async with broker_on_fake() as env:
        env.fake.private.add_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, can_trade=False)
        assert await env.broker.balances()  # reads work with a read-only key
        with pytest.raises(BrokerAuthError) as caught:
            await env.broker.place_market_entry(buy("ro", notional="25.00"))
        assert caught.value.code == 40101
        env.fake.private.add_key(DEFAULT_API_KEY, DEFAULT_API_SECRET, allowed_ips={"10.9.9.9"})
        with pytest.raises(BrokerAuthError) as caught:
            await env.broker.balances()
        assert (caught.value.code, caught.value.retry) == (40103, RetryClass.NO)
        assert env.fake.private.orders() == []


async def test_a_stale_nonce_is_retried_once_with_a_fresh_one() -> None:
    """§5: 40102 -> retry once with a fresh nonce; the second attempt here is in the window."""
    clock_calls = 0

    def late_then_right() -> int:
        nonlocal clock_calls
        clock_calls += 1
        skew = -120_000 if clock_calls == 1 else 0
        return env_clock.ms() + skew

    async with broker_on_fake(clock_ms=late_then_right) as env:
        env_clock = env.clock
        balances = await env.broker.balances()
        assert {b.currency for b in balances} == {"USD"}
        assert env.codes("private/user-balance") == [40102, 0]


async def test_a_persistent_nonce_skew_ends_as_auth_error_after_one_retry() -> None:
    async with broker_on_fake() as env:
        env.fake.private.clock_skew_ms = 120_000  # the exchange's clock runs 2 min ahead
        with pytest.raises(BrokerAuthError) as caught:
            await env.broker.place_market_entry(buy("skewed", notional="25.00"))
        assert caught.value.code == 40102
        assert env.codes(CREATE) == [40102, 40102]
        assert env.orders_for("skewed") == 0


# --- 2. MARKET entries are asynchronous (§8.1, P-4, F-22) --------------------------------------


@pytest.mark.parametrize(
    ("size", "expected_qty"),
    [({"notional": "250.00"}, Decimal("0.1000")), ({"quantity": "0.0500"}, Decimal("0.0500"))],
)
async def test_market_buy_is_visible_only_after_the_engine_ticks(
    size: dict[str, str], expected_qty: Decimal
) -> None:
    async with broker_on_fake() as env:
        since = env.clock.now() - timedelta(minutes=1)
        accepted = await env.broker.place_market_entry(buy("e-1", **size))
        assert accepted.client_oid == "e-1" and accepted.order_id
        assert await env.broker.order_by_client_oid("e-1") is None
        assert await env.broker.fills(since) == []

        env.fake.private.advance()
        state = await env.broker.order_by_client_oid("e-1")
        assert state is not None
        assert (state.status, state.kind, state.order_id) == (
            OrderStatus.FILLED,
            OrderKind.MARKET,
            accepted.order_id,
        )
        assert state.cumulative_quantity == expected_qty
        assert state.avg_price == Decimal("2500")
        [fill] = await env.broker.fills(since, ETH)
        assert (fill.order_id, fill.client_oid, fill.side) == (accepted.order_id, "e-1", "BUY")
        assert (fill.quantity, fill.price) == (expected_qty, Decimal("2500"))
        assert fill.fee == expected_qty * Decimal("0.001") and fill.fee_currency == "ETH"
        assert state.cumulative_fee == fill.fee


async def test_a_cent_notional_on_a_coarse_tick_pair_is_floored_onto_the_tick() -> None:
    """§12.2 (notional down) + F-7: the fake wants the notional on price_tick_size."""
    async with broker_on_fake() as env:
        env.fake.private.set_instrument("BTC_USD", price_tick="0.5", qty_tick="0.00001")
        env.fake.private.set_price("BTC_USD", last=Decimal("60000"))
        entry = buy("coarse", notional="123.45")
        await env.broker.place_market_entry(replace(entry, symbol="BTC_USD"))
        env.fake.private.advance()
        state = await env.broker.order_by_client_oid("coarse")
        assert state is not None and state.status is OrderStatus.FILLED
        assert env.fake.private.order(state.order_id).spec.notional == Decimal("123.0")


# --- 3. protection: OCO, triggers, child ids, cancel routing (§9) -----------------------------


@pytest.mark.parametrize("sl_limit", [None, "2390.00"])
async def test_oco_legs_are_listed_and_the_take_profit_cancels_the_stop(
    sl_limit: str | None,
) -> None:
    async with broker_on_fake() as env:
        held = await _bought(env)
        oco = long_oco(format(held, "f"), sl_limit=sl_limit)
        accepted = await env.broker.place_oco(oco)
        assert accepted.list_id and accepted.order_id is None
        assert await env.broker.open_orders(ETH) == []  # queued, not yet visible
        env.fake.private.advance()

        legs = {o.client_oid: o for o in await env.broker.open_orders(ETH)}
        assert set(legs) == {"tp-1", "sl-1"}
        assert {o.list_id for o in legs.values()} == {accepted.list_id}
        assert all(o.advanced and o.status is OrderStatus.OPEN for o in legs.values())
        assert legs["tp-1"].kind is OrderKind.LIMIT and legs["tp-1"].limit_price == Decimal("2700")
        stop = legs["sl-1"]
        assert stop.kind is (OrderKind.STOP_LOSS if sl_limit is None else OrderKind.STOP_LIMIT)
        assert stop.trigger_price == Decimal("2400")

        env.clock.advance(seconds=5)  # the entry's trade stays before `since`
        since = env.clock.now()
        env.fake.private.set_price(ETH, last=Decimal("2710"))
        env.fake.private.advance()
        tp = await env.broker.order_by_client_oid("tp-1")
        sl = await env.broker.order_by_client_oid("sl-1")
        assert tp is not None and sl is not None
        assert (tp.status, sl.status) == (OrderStatus.FILLED, OrderStatus.CANCELED)
        assert sl.cumulative_quantity == 0
        [fill] = await env.broker.fills(since, ETH)
        assert (fill.order_id, fill.side, fill.quantity) == (tp.order_id, "SELL", held)
        assert await env.broker.open_orders(ETH) == []


@pytest.mark.parametrize("sl_limit", [None, "2390.00"])
async def test_stop_fires_a_child_order_whose_fill_is_reported_and_tp_is_cancelled(
    sl_limit: str | None,
) -> None:
    async with broker_on_fake() as env:
        held = await _bought(env)
        await env.broker.place_oco(long_oco(format(held, "f"), sl_limit=sl_limit))
        env.fake.private.advance()
        env.clock.advance(seconds=5)
        since = env.clock.now()
        env.fake.private.set_price(ETH, last=Decimal("2395"), mark=Decimal("2398"))
        env.fake.private.advance()

        sl = await env.broker.order_by_client_oid("sl-1")
        tp = await env.broker.order_by_client_oid("tp-1")
        assert sl is not None and tp is not None
        assert tp.status is OrderStatus.CANCELED
        assert sl.status is OrderStatus.FILLED and sl.cumulative_quantity == held
        assert sl.child_order_id and sl.child_order_id != sl.order_id  # spec §9.6
        [fill] = await env.broker.fills(since, ETH)
        assert fill.order_id == sl.child_order_id  # trades carry the child's id (F-21)
        assert (fill.side, fill.quantity, fill.price) == ("SELL", held, Decimal("2395"))
        assert env.fake.private.balance("ETH") == 0


async def test_cancel_list_cancels_both_legs_and_frees_the_reservation() -> None:
    async with broker_on_fake() as env:
        held = await _bought(env)
        accepted = await env.broker.place_oco(long_oco(format(held, "f")))
        env.fake.private.advance()
        assert env.fake.private.reserved("ETH") == held
        assert accepted.list_id is not None
        await env.broker.cancel_list(accepted.list_id)
        env.fake.private.advance()
        assert await env.broker.open_orders(ETH) == []
        legs = [await env.broker.order_by_client_oid(oid) for oid in ("tp-1", "sl-1")]
        assert [leg.status if leg else None for leg in legs] == [OrderStatus.CANCELED] * 2
        assert env.fake.private.reserved("ETH") == 0


async def test_cancel_routes_a_trigger_order_to_the_advanced_endpoint() -> None:
    """R-CXL-1: the plain cancel would answer 0 and leave the trigger live (F-21)."""
    async with broker_on_fake() as env:
        held = await _bought(env)
        stop = StopOrder("stop-1", ETH, "SELL", OrderKind.STOP_LOSS, held, Decimal("2300.00"))
        await env.broker.place_stop(stop)
        env.fake.private.advance()
        [order] = await env.broker.open_orders(ETH)
        assert (order.client_oid, order.kind, order.advanced) == (
            "stop-1",
            OrderKind.STOP_LOSS,
            True,
        )

        await env.broker.cancel(order)
        env.fake.private.advance()
        assert env.codes(ADV_CANCEL) == [0] and env.codes(PLAIN_CANCEL) == []
        state = await env.broker.order_by_client_oid("stop-1")
        assert state is not None and state.status is OrderStatus.CANCELED
        assert await env.broker.open_orders(ETH) == []


async def test_cancel_routes_a_resting_stop_limit_child_to_the_plain_endpoint() -> None:
    """A fired STOP_LIMIT's child is a plain LIMIT (§9.6): plain cancel, and the advanced
    parent follows its child to CANCELED."""
    async with broker_on_fake() as env:
        held = await _bought(env)
        await env.broker.place_oco(long_oco(format(held, "f"), sl_limit="2390.00"))
        env.fake.private.advance()
        env.fake.private.set_price(ETH, last=Decimal("2380"), mark=Decimal("2398"))
        env.fake.private.advance()  # fires; the child's limit 2390 is above last: it rests
        open_now = {o.order_id: o for o in await env.broker.open_orders(ETH)}
        parent = next(o for o in open_now.values() if o.client_oid == "sl-1")
        assert parent.child_order_id in open_now
        child = open_now[parent.child_order_id]
        assert (child.kind, child.advanced, child.limit_price) == (
            OrderKind.LIMIT,
            False,
            Decimal("2390"),
        )

        await env.broker.cancel(child)
        env.fake.private.advance()
        assert env.codes(PLAIN_CANCEL) == [0] and env.codes(ADV_CANCEL) == []
        assert await env.broker.open_orders(ETH) == []
        sl = await env.broker.order_by_client_oid("sl-1")
        assert sl is not None and sl.status is OrderStatus.CANCELED
        assert env.fake.private.reserved("ETH") == 0


# --- 4. error paths end as the right port error (§10, §12) ------------------------------------


async def test_off_tick_values_are_refused_before_anything_is_sent() -> None:
    async with broker_on_fake() as env:
        with pytest.raises(BrokerError, match="refused before sending") as caught:
            await env.broker.place_oco(long_oco("0.5000", tp="2700.005"))
        assert caught.value.retry is RetryClass.NO
        with pytest.raises(BrokerError, match="refused before sending"):
            await env.broker.place_market_entry(buy("odd", quantity="0.00005"))
        assert env.fake.requests("private/advanced/create-oco") == []
        assert env.fake.requests(CREATE) == []


async def test_insufficient_balance_306_is_no_retry() -> None:
    async with broker_on_fake() as env:
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("too-big", notional="10000.01"))
        assert (caught.value.code, caught.value.retry) == (306, RetryClass.NO)
        assert not isinstance(caught.value, BrokerAuthError)
        assert env.codes(CREATE) == [306]
        assert env.orders_for("too-big") == 0


async def test_stop_on_the_wrong_side_of_the_mark_is_50007_no_retry() -> None:
    async with broker_on_fake() as env:
        held = await _bought(env)
        env.fake.private.set_price(ETH, last=Decimal("2500"), mark=Decimal("2380"))
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_oco(long_oco(format(held, "f"), sl="2400.00"))
        assert (caught.value.code, caught.value.retry) == (50007, RetryClass.NO)
        assert env.fake.private.orders(advanced=True) == []


async def test_throttling_42901_is_backed_off_and_lands_once() -> None:
    async with broker_on_fake() as env:
        env.fake.inject(Fault("rate_limit", method=CREATE, times=2))
        accepted = await env.broker.place_market_entry(buy("busy", notional="25.00"))
        assert accepted.order_id
        assert env.codes(CREATE) == [42901, 42901, 0]
        assert env.orders_for("busy") == 1


async def test_timeout_after_accept_is_reconciled_by_client_oid_never_placed_twice() -> None:
    async with broker_on_fake() as env:
        env.fake.inject(Fault("after_accept", method=CREATE))
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("lost", notional="250.00"))
        assert (caught.value.code, caught.value.retry) == (40801, RetryClass.RECONCILE)
        assert env.codes(CREATE) == [40801]  # a write with an unknown outcome is not resent
        env.fake.private.advance()
        state = await env.broker.order_by_client_oid("lost")
        assert state is not None and state.status is OrderStatus.FILLED
        assert env.orders_for("lost") == 1


async def test_a_real_http_timeout_on_create_is_reconcile_and_the_order_exists_once() -> None:
    async with broker_on_fake(timeout_s=0.2) as env:
        env.fake.inject(Fault("slow", method=CREATE, delay_s=0.4))
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("slow", notional="250.00"))
        assert caught.value.retry is RetryClass.RECONCILE
        deadline = time.monotonic() + 2.0
        while env.orders_for("slow") == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the server thread is still finishing the late request
        env.fake.private.advance()
        state = await env.broker.order_by_client_oid("slow")
        assert state is not None and state.status is OrderStatus.FILLED
        assert env.orders_for("slow") == 1


async def test_reusing_a_client_oid_is_204_reconcile() -> None:
    async with broker_on_fake() as env:
        await env.broker.place_market_entry(buy("dup", notional="25.00"))
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("dup", notional="25.00"))
        assert (caught.value.code, caught.value.retry) == (204, RetryClass.RECONCILE)
        assert env.codes(CREATE) == [0, 204]
        assert env.orders_for("dup") == 1


async def test_maintenance_9010001_is_backoff_after_bounded_retries() -> None:
    async with broker_on_fake() as env:
        env.fake.inject(Fault("error_code", method=CREATE, code=9010001, status=503, times=None))
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("maint", notional="25.00"))
        assert (caught.value.code, caught.value.retry) == (9010001, RetryClass.BACKOFF)
        assert env.codes(CREATE) == [9010001] * 4  # FAST_RETRY.attempts
        assert env.orders_for("maint") == 0


# --- 5. balances (§8.7) -----------------------------------------------------------------------


async def test_balances_after_trades_show_the_oco_reservation() -> None:
    async with broker_on_fake() as env:
        held = await _bought(env, quantity="0.4000")
        assert held == Decimal("0.4000") - Decimal("0.0004")  # the fee is taken in ETH
        protected = Decimal("0.3990")
        await env.broker.place_oco(long_oco(format(protected, "f")))
        env.fake.private.advance()
        balances = {b.currency: b for b in await env.broker.balances()}
        assert balances["USD"].total == Decimal("10000") - Decimal("1000")
        assert balances["USD"].reserved == 0
        eth = balances["ETH"]
        assert (eth.total, eth.reserved) == (held, protected)
        assert eth.free == held - protected
