"""The order flow from a PENDING intent: limits at execution, one entry, protection, fallbacks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.core.retry import RetryClass
from atp.db.base import utcnow
from atp.orders import states
from atp.orders.flow import OrderFlow
from atp.orders.ports import BrokerError
from atp.orders.runtime import OrderRuntime
from atp.settings import Settings
from tests.fakes.fake_broker import FakeBroker
from tests.integration.orders_support import (
    critical_messages,
    intent_row,
    make_intent,
    no_sleep,
    order_settings,
    orders_of,
    run,
    runtime,
    set_switch,
)


def _flow(sessions: sessionmaker[Session], broker: FakeBroker, settings: Settings) -> OrderFlow:
    return OrderFlow(runtime(sessions, broker, settings))


def test_entry_filled_then_protected_by_one_oco(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2010"))
    intent_id = make_intent(sessions)
    run(_flow(sessions, broker, settings).run_once())

    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert broker.entries_for(intent.client_oid) == 1
    # Quantity: 50 USDT at 2010 floored to the 0.0001 tick.
    assert intent.filled_quantity == Decimal("0.0248")
    # Announced SL 1940 / TP 2090 around 2000, moved to the 2010 fill, rounded away from market.
    assert intent.sl_placed_price == Decimal("1950")
    assert intent.tp_placed_price == Decimal("2100")
    assert intent.protection_mode == states.OCO_STOP_LIMIT
    rows = orders_of(sessions, intent_id)
    assert set(rows) == {"ENTRY", "STOP_LOSS", "TAKE_PROFIT"}
    entry = rows["ENTRY"]
    assert rows["STOP_LOSS"].parent_order_id == entry.exchange_order_id
    assert rows["TAKE_PROFIT"].parent_order_id == entry.exchange_order_id
    assert rows["STOP_LOSS"].list_id == rows["TAKE_PROFIT"].list_id is not None
    assert rows["STOP_LOSS"].client_oid == states.derived_client_oid(intent.client_oid, "sl", 1)
    assert critical_messages(sessions) == []


def test_stop_limit_refused_falls_back_to_stop_loss_oco(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.refuse_stop_limit_oco = True
    intent_id = make_intent(sessions)
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert intent.protection_mode == states.OCO_STOP_LOSS
    assert intent.protection_attempts == 2
    assert orders_of(sessions, intent_id)["STOP_LOSS"].order_type == "STOP_LOSS"


def test_oco_refused_falls_back_to_standalone_stop(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.refuse_oco = True
    intent_id = make_intent(sessions)
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert intent.protection_mode == states.STOP_ONLY
    assert set(orders_of(sessions, intent_id)) == {"ENTRY", "STOP_LOSS"}


def test_no_protection_possible_flattens_with_critical_alert(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.refuse_oco = broker.options.refuse_stop = True
    intent_id = make_intent(sessions)
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.FLATTENED
    assert orders_of(sessions, intent_id)["FLATTEN"].side == "SELL"
    alerts = critical_messages(sessions)
    assert len(alerts) == 1 and "PROTECTION_FAILED" in alerts[0].text
    assert broker.entries_for(intent.client_oid) == 1


def test_flattening_off_leaves_unprotected_with_critical_alert(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.refuse_oco = broker.options.refuse_stop = True
    intent_id = make_intent(sessions)
    rt = OrderRuntime(
        sessions, broker, order_settings(settings, orders_flatten_unprotected=False), sleep=no_sleep
    )
    run(OrderFlow(rt).run_once())
    assert intent_row(sessions, intent_id).status == states.UNPROTECTED
    assert "POSITION_UNPROTECTED" in critical_messages(sessions)[0].text


def test_stop_already_crossed_flattens(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    intent_id = make_intent(
        sessions, sl=Decimal("2100"), tp=Decimal("2200"), reference=Decimal("2000")
    )
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.FLATTENED
    assert "SL_ALREADY_CROSSED" in (intent.block_reason or "")


@pytest.mark.parametrize(
    ("switch", "value", "reason"),
    [
        ("KILL_SWITCH", "true", "KILL_SWITCH_ON"),
        ("LIVE_TRADING", "false", "LIVE_TRADING_OFF"),
        ("MAX_USD_PER_ORDER", "10", "MAX_USD_PER_ORDER"),
    ],
)
def test_limits_rechecked_at_execution(sessions, settings, switch, value, reason) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    intent_id = make_intent(sessions)
    set_switch(sessions, switch, value)
    settings = settings.model_copy(update={"trading_mode": "live"})  # LIVE_TRADING counts
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.BLOCKED
    assert (intent.block_reason or "").startswith(reason)
    assert broker.calls == []


def test_open_order_limit_counts_other_intents(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    set_switch(sessions, "MAX_OPEN_ORDERS_PER_COIN", "1")
    first = make_intent(sessions, "a")
    run(_flow(sessions, broker, settings).run_once())
    assert intent_row(sessions, first).status == states.PROTECTED  # an open position
    second = make_intent(sessions, "b")
    run(_flow(sessions, broker, settings).run_once())
    second_row = intent_row(sessions, second)
    assert second_row.status == states.BLOCKED
    assert (second_row.block_reason or "").startswith("MAX_OPEN_ORDERS_PER_COIN")


def test_kill_switch_never_blocks_protection(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.hide_reads = 10  # the entry is accepted but not visible yet
    intent_id = make_intent(sessions)
    flow = _flow(sessions, broker, settings)
    run(flow.run_once())
    assert intent_row(sessions, intent_id).status == states.SUBMITTED
    set_switch(sessions, "KILL_SWITCH", "true")
    set_switch(sessions, "LIVE_TRADING", "false")
    broker.options.hide_reads = 0
    for _ in range(4):
        run(flow.run_once())
    assert intent_row(sessions, intent_id).status == states.PROTECTED


def test_expired_intent_is_never_executed(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    old = utcnow() - timedelta(seconds=settings.order_intent_ttl_seconds + 5)
    intent_id = make_intent(sessions, created_at=old)
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.EXPIRED
    assert (intent.block_reason or "").startswith("EXPIRED:")
    assert broker.calls == []


def test_timeout_after_accept_is_found_by_client_oid_not_resent(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.timeout_after_accept = True
    intent_id = make_intent(sessions)
    flow = _flow(sessions, broker, settings)
    run(flow.run_once())
    run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert broker.entries_for(intent.client_oid) == 1
    assert "TimeoutError" in (intent.error_message or "")


def test_entry_never_seen_fails_after_grace_and_is_not_resent(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.hide_reads = 1000
    intent_id = make_intent(sessions)
    rt = OrderRuntime(
        sessions, broker, order_settings(settings, orders_lookup_grace_seconds=30), sleep=no_sleep
    )
    flow = OrderFlow(rt)
    run(flow.run_once())
    assert intent_row(sessions, intent_id).status == states.SUBMITTED  # within the grace period
    rt.now = lambda: utcnow() + timedelta(seconds=31)
    run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.FAILED
    assert (intent.block_reason or "").startswith("ENTRY_NOT_FOUND")
    assert broker.entries_for(intent.client_oid) == 1


def test_refused_entry_is_rejected_with_the_code(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"), quote=Decimal("0"))
    intent_id = make_intent(sessions)

    async def refuse(entry):  # type: ignore[no-untyped-def]
        from atp.orders.ports import BrokerError

        raise BrokerError("INSUFFICIENT_AVAILABLE_BALANCE", code=306)

    broker.place_market_entry = refuse  # type: ignore[method-assign]
    run(_flow(sessions, broker, settings).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.REJECTED
    assert "306" in (intent.block_reason or "")


def test_burst_sends_every_entry_before_any_protection(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.hide_reads = 1  # each entry is seen only on its second read
    ids = [make_intent(sessions, f"b{n}", symbol=f"C{n}_USDT") for n in range(3)]
    report = run(_flow(sessions, broker, settings).run_once())

    assert [intent_row(sessions, i).status for i in ids] == [states.PROTECTED] * 3
    assert [c["op"] for c in broker.calls] == ["entry"] * 3 + ["oco"] * 3
    assert report.transitions == {states.PROTECTED: 3} and report.errors == 0


def _refuse_first_entry(broker: FakeBroker, error: BrokerError) -> list[str]:
    """The first create-order is refused with `error` (nothing placed); later ones go through."""
    sent: list[str] = []
    place = broker.place_market_entry

    async def place_once_refused(entry):  # type: ignore[no-untyped-def]
        sent.append(entry.client_oid)
        if len(sent) == 1:
            raise error
        return await place(entry)

    broker.place_market_entry = place_once_refused  # type: ignore[method-assign]
    return sent


MAINTENANCE = BrokerError("SYSTEM_MAINTENANCE", code=9010001, retry=RetryClass.BACKOFF)


def test_backoff_entry_is_sent_again_next_tick_with_the_same_client_oid(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    sent = _refuse_first_entry(broker, MAINTENANCE)
    intent_id = make_intent(sessions)
    flow = _flow(sessions, broker, settings)

    report = run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PENDING  # not lost, and not resent within the same tick
    assert (intent.error_message or "").startswith("ENTRY_BACKOFF:9010001")
    assert report.transitions == {states.PENDING: 1}
    assert broker.state["orders"] == {}

    run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert sent == [intent.client_oid, intent.client_oid]
    assert broker.entries_for(intent.client_oid) == 1  # exactly one order on the broker
    entries = [o for o in broker.state["orders"].values() if o["kind"] == "MARKET"]
    assert [o["client_oid"] for o in entries] == [intent.client_oid]


@pytest.mark.parametrize("late", ["ttl", "kill_switch"])
def test_backoff_retry_rechecks_ttl_and_limits(sessions, settings, late) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    sent = _refuse_first_entry(broker, MAINTENANCE)
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    run(OrderFlow(rt).run_once())
    assert intent_row(sessions, intent_id).status == states.PENDING
    if late == "ttl":
        rt.now = lambda: utcnow() + timedelta(seconds=settings.order_intent_ttl_seconds + 5)
    else:
        set_switch(sessions, "KILL_SWITCH", "true")
    run(OrderFlow(rt).run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == (states.EXPIRED if late == "ttl" else states.BLOCKED)
    assert len(sent) == 1 and broker.state["orders"] == {}


def test_reconcile_entry_is_looked_up_and_never_resent(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    duplicate = BrokerError("DUPLICATE_CLORDID", code=204, retry=RetryClass.RECONCILE)
    sent = _refuse_first_entry(broker, duplicate)
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    flow = OrderFlow(rt)
    run(flow.run_once())
    run(flow.run_once())
    assert intent_row(sessions, intent_id).status == states.SUBMITTING  # looked up, not resent
    rt.now = lambda: utcnow() + timedelta(seconds=rt.settings.orders_lookup_grace_seconds + 1)
    run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.FAILED
    assert "DUPLICATE_CLORDID" in (intent.error_message or "")
    assert len(sent) == 1 and broker.state["orders"] == {}
