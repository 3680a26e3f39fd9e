"""`CryptoComBroker` against the fake's production quirks (spec F-15, F-23 .. F-25), fill paging
(§13.1), the documented limits against the fake's own buckets (§11, F-26) and a run on the
fake's background engine ticker (F-22)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from atp.core.retry import RetryClass
from atp.orders.ports import BrokerError, OrderKind, OrderState, OrderStatus, StopOrder
from tests.fakes.fake_exchange import Fault
from tests.integration.broker_fake_support import (
    ETH,
    BrokerOnFake,
    broker_on_fake,
    buy,
    long_oco,
)

CREATE = "private/create-order"


async def _open_tp_leg(env: BrokerOnFake, quantity: str) -> OrderState:
    """An OCO on `quantity` ETH (set as the balance), advanced; returns its LIMIT leg."""
    env.fake.private.set_balance("ETH", Decimal(quantity))
    await env.broker.place_oco(long_oco(quantity))
    env.fake.private.advance()
    legs = {o.client_oid: o for o in await env.broker.open_orders(ETH)}
    return legs["tp-1"]


async def test_codes_and_times_as_strings_are_read_the_same() -> None:
    async with broker_on_fake(codes_as_strings=True) as env:
        since = env.clock.now() - timedelta(minutes=1)
        await env.broker.place_market_entry(buy("s-1", notional="250.00"))
        env.fake.private.advance()
        state = await env.broker.order_by_client_oid("s-1")
        assert state is not None and state.status is OrderStatus.FILLED
        assert state.created_at == env.clock.now()
        [fill] = await env.broker.fills(since)
        assert fill.traded_at == env.clock.now()
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("s-1", notional="250.00"))
        assert caught.value.code == 204  # a string "204" is still the code


async def test_a_rejection_carrying_an_order_like_result_is_not_placed() -> None:
    """P-3 / F-25: 306 with `result.order_id` names no real order."""
    async with broker_on_fake() as env:
        env.fake.private.reject_with_result = True
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_market_entry(buy("ghost", notional="20000.00"))
        assert (caught.value.code, caught.value.retry) == (306, RetryClass.NO)
        env.fake.private.advance()
        assert await env.broker.order_by_client_oid("ghost") is None


async def test_a_second_full_quantity_trigger_is_rejected_asynchronously() -> None:
    """F-15 "async" mode: accepted (code 0), then REJECTED with INSUFFICIENT_ACC_BALANCE."""
    async with broker_on_fake() as env:
        env.fake.private.configure(trigger_balance_reject="async")
        env.fake.private.set_balance("ETH", Decimal("1"))
        for oid in ("stop-a", "stop-b"):
            stop = StopOrder(oid, ETH, "SELL", OrderKind.STOP_LOSS, Decimal("1"), Decimal("2300"))
            assert (await env.broker.place_stop(stop)).order_id
        env.fake.private.advance()
        first = await env.broker.order_by_client_oid("stop-a")
        second = await env.broker.order_by_client_oid("stop-b")
        assert first is not None and first.status is OrderStatus.OPEN
        assert second is not None and second.status is OrderStatus.REJECTED
        assert second.reject_reason == "INSUFFICIENT_ACC_BALANCE"


async def test_a_filled_leg_reported_canceled_keeps_its_executed_quantity() -> None:
    """Legacy evidence (§9.6, F-23): CANCELED with cumulative_quantity > 0 means filled."""
    async with broker_on_fake() as env:
        env.fake.private.quirks.add("filled_advanced_reported_canceled")
        await _open_tp_leg(env, "0.5000")
        env.fake.private.set_price(ETH, last=Decimal("2750"))
        env.fake.private.advance()
        tp = await env.broker.order_by_client_oid("tp-1")
        assert tp is not None and tp.status is OrderStatus.CANCELED
        assert tp.cumulative_quantity == Decimal("0.5000")
        assert tp.avg_price == Decimal("2700")  # a resting limit fills at its own price


@pytest.mark.parametrize(("code", "status"), [(40801, 408), (50001, 500)])
async def test_unknown_outcome_on_the_oco_is_reconcile_and_the_legs_exist_once(
    code: int, status: int
) -> None:
    async with broker_on_fake() as env:
        env.fake.private.set_balance("ETH", Decimal("0.5"))
        env.fake.inject(
            Fault("after_accept", method="private/advanced/create-oco", code=code, status=status)
        )
        with pytest.raises(BrokerError) as caught:
            await env.broker.place_oco(long_oco("0.5000"))
        assert (caught.value.code, caught.value.retry) == (code, RetryClass.RECONCILE)
        env.fake.private.advance()
        legs = await env.broker.open_orders(ETH)
        assert sorted(o.client_oid or "" for o in legs) == ["sl-1", "tp-1"]
        assert len(env.fake.requests("private/advanced/create-oco")) == 1


async def test_fills_page_backwards_past_one_hundred_trades() -> None:
    async with broker_on_fake() as env:
        tp = await _open_tp_leg(env, "1.0000")
        since = env.clock.now()
        for _ in range(150):  # a counterparty takes the TP in 150 slices, 1 ms apart
            env.clock.advance(milliseconds=1)
            env.fake.private.fill(tp.order_id, Decimal("0.0010"))
        fills = await env.broker.fills(since, ETH)
        assert len(fills) == 150 == len({f.trade_id for f in fills})
        assert {f.order_id for f in fills} == {tp.order_id}
        assert fills == sorted(fills, key=lambda f: f.traded_at)
        assert len(env.fake.requests("private/get-trades")) == 2


async def test_more_trades_in_one_millisecond_than_a_page_is_an_error_not_a_gap() -> None:
    """Time paging cannot get past 100 trades stamped with one millisecond; say so."""
    async with broker_on_fake() as env:
        tp = await _open_tp_leg(env, "1.0000")
        since = env.clock.now()
        env.clock.advance(milliseconds=1)
        for _ in range(101):
            env.fake.private.fill(tp.order_id, Decimal("0.0010"))
        with pytest.raises(BrokerError, match="one millisecond"):
            await env.broker.fills(since, ETH)


async def _until(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 2.0) -> None:
    """Poll an async predicate (as the order flow polls the exchange) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the fake never got there"
        await asyncio.sleep(0.02)


async def test_entry_then_protection_on_the_background_engine() -> None:
    async with broker_on_fake() as env:
        env.fake.private.start_ticking(0.02)
        await env.broker.place_market_entry(buy("tick-1", notional="500.00"))

        async def entry_filled() -> bool:
            state = await env.broker.order_by_client_oid("tick-1")
            return state is not None and state.status is OrderStatus.FILLED

        await _until(entry_filled)
        held = next(b for b in await env.broker.balances() if b.currency == "ETH").free
        await env.broker.place_oco(long_oco(format(held, "f")))

        async def protected() -> bool:
            return len(await env.broker.open_orders(ETH)) == 2

        await _until(protected)
        env.fake.private.set_price(ETH, last=Decimal("2390"))

        async def stopped_out() -> bool:
            sl = await env.broker.order_by_client_oid("sl-1")
            return sl is not None and sl.status is OrderStatus.FILLED

        await _until(stopped_out)
        tp = await env.broker.order_by_client_oid("tp-1")
        assert tp is not None and tp.status is OrderStatus.CANCELED
        assert env.fake.private.balance("ETH") == 0


async def test_strict_client_limits_never_meet_the_fake_s_1_per_second_buckets() -> None:
    async with broker_on_fake(real_limits=True) as env:
        since = env.clock.now() - timedelta(hours=1)
        started = time.monotonic()
        await env.broker.place_market_entry(buy("lim", quantity="0.0100"))
        env.fake.private.advance()
        assert len(await env.broker.fills(since)) == 1
        assert len(await env.broker.fills(since)) == 1
        assert time.monotonic() - started >= 1.0  # the second trades call waited its turn
        assert 42901 not in env.codes("private/get-trades")
