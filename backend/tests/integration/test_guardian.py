"""The protection guardian: a missing stop-loss is re-placed and alerted; orphans reported."""

from __future__ import annotations

from decimal import Decimal

from atp.orders import states
from atp.orders.flow import OrderFlow
from atp.orders.guardian import Guardian
from atp.orders.sync import OrderSync
from tests.fakes.fake_broker import FakeBroker
from tests.integration.orders_support import (
    critical_messages,
    intent_row,
    make_intent,
    order_settings,
    orders_of,
    run,
    runtime,
)


async def _pass(rt, guardian):  # type: ignore[no-untyped-def]
    await OrderFlow(rt).run_once()
    synced = await OrderSync(rt).run_once()
    return await guardian.run_once(synced.open_orders)


def test_cancelled_stop_is_repaired_and_alerted(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    guardian = Guardian(rt)
    run(_pass(rt, guardian))
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED and critical_messages(sessions) == []
    # Someone cancels the whole OCO on the exchange.
    broker.cancel_by_client_oid(states.derived_client_oid(intent.client_oid, "sl", 1))
    broker.cancel_by_client_oid(states.derived_client_oid(intent.client_oid, "tp", 1))
    report = run(_pass(rt, guardian))
    assert report.repaired == 1
    alerts = critical_messages(sessions)
    assert len(alerts) == 1 and "PROTECTION_MISSING" in alerts[0].text
    run(_pass(rt, guardian))  # the flow re-places protection on the next pass
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert intent.protection_attempts == 2
    stop = orders_of(sessions, intent_id)["STOP_LOSS"]
    assert stop.status == "OPEN"
    assert stop.client_oid == states.derived_client_oid(intent.client_oid, "sl", 2)
    assert broker.entries_for(intent.client_oid) == 1


def test_orphan_reported_and_cancelled_only_on_second_pass_when_enabled(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    run(_pass(rt, Guardian(rt)))
    # The position is gone (sold by hand): the intent ended, its OCO is still open.
    with sessions.begin() as session:
        from atp.orders.models import OrderIntent

        session.get_one(OrderIntent, intent_id).status = states.CLOSED
    report_only = Guardian(rt)
    first = run(_pass(rt, report_only))
    second = run(_pass(rt, report_only))
    assert len(first.orphans) == 2 and second.cancelled == []  # setting off: report only
    rt.settings = order_settings(settings, orders_cancel_orphans=True)
    guardian = Guardian(rt)
    assert run(_pass(rt, guardian)).cancelled == []  # first sighting: report only
    assert len(run(_pass(rt, guardian)).cancelled) == 2
    assert [c["op"] for c in broker.calls].count("cancel_list") >= 1
    assert run(_pass(rt, guardian)).orphans == []
