"""`atp sync`'s reconcile pass and worker: OCO sibling, fills, heartbeat and auth blocker, fencing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from atp.db.base import utcnow
from atp.monitor.blockers import EXCHANGE_SYNC_SERVICE, exchange_auth_problem
from atp.ops.models import ServiceHeartbeat
from atp.orders import states
from atp.orders.flow import OrderFlow
from atp.orders.models import FillRecord, Position
from atp.orders.service import OrderWorker
from atp.orders.sync import SIBLING_CANCELLED, OrderSync
from atp.runtime.context import AppContext
from tests.fakes.fake_broker import FakeBroker
from tests.integration.orders_support import (
    intent_row,
    make_intent,
    order_settings,
    orders_of,
    run,
    runtime,
    set_switch,
)


def test_take_profit_fills_sibling_marked_cancelled_position_closed(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    run(OrderFlow(rt).run_once())
    broker.set_price(Decimal("2100"))  # through the take-profit
    calls_before = len(broker.calls)
    report = run(OrderSync(rt).run_once())

    rows = orders_of(sessions, intent_id)
    assert rows["TAKE_PROFIT"].status == "FILLED"
    assert rows["STOP_LOSS"].status == "CANCELED"
    assert rows["STOP_LOSS"].reject_reason == SIBLING_CANCELLED
    assert len(broker.calls) == calls_before  # no cancel of our own for the sibling
    assert intent_row(sessions, intent_id).status == states.CLOSED
    assert report.new_fills == 2  # entry and take-profit
    with sessions() as session:
        position = session.scalar(select(Position).where(Position.symbol == "ETH_USDT"))
        assert position is not None and position.protection_status == "closed"
        assert position.realised_pnl > 0
    # A second pass sees the same trades again and records nothing twice.
    assert run(OrderSync(rt).run_once()).new_fills == 0
    with sessions() as session:
        assert len(session.scalars(select(FillRecord)).all()) == 2


def test_late_fill_revives_a_given_up_entry(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    broker.options.hide_reads = 6  # not visible within the first lookups
    intent_id = make_intent(sessions)
    rt = runtime(sessions, broker, settings)
    flow = OrderFlow(rt)
    run(flow.run_once())
    rt.now = lambda: utcnow() + timedelta(seconds=31)  # past the 30 s grace period
    run(flow.run_once())
    assert intent_row(sessions, intent_id).status == states.FAILED
    assert run(OrderSync(rt).run_once()).revived == 1  # the fill shows the entry did happen
    broker.options.hide_reads = 0  # protection orders are visible at once
    run(flow.run_once())
    run(flow.run_once())
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    assert broker.entries_for(intent.client_oid) == 1


def _worker(sessions, settings, broker):  # type: ignore[no-untyped-def]
    app = AppContext(order_settings(settings))
    app.__dict__["sessions"] = sessions  # the test database, not the settings URL
    return OrderWorker(app, broker)


def test_worker_heartbeat_feeds_the_auth_blocker(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    worker = _worker(sessions, settings, broker)
    assert run(worker.tick()) == "leading"
    with sessions() as session:
        row = session.get_one(ServiceHeartbeat, (EXCHANGE_SYNC_SERVICE, worker.instance_id))
        assert row.details is not None and row.details["exchange_auth"] == "ok"
        assert exchange_auth_problem(session) == (True, None)
    broker.options.auth_failing = True
    run(worker.tick())
    with sessions() as session:
        observed, problem = exchange_auth_problem(session)
        assert observed and problem is not None and "40101" in problem
    broker.options.auth_failing = False
    run(worker.tick())
    with sessions() as session:
        assert exchange_auth_problem(session) == (True, None)
    worker.shutdown()


def test_second_worker_stands_by_and_a_deposed_leader_is_fenced(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    broker = FakeBroker(Decimal("2000"))
    first = _worker(sessions, settings, broker)
    second = _worker(sessions, settings, broker)
    assert run(first.tick()) == "leading"
    assert run(second.tick()) == "standby"
    # The first loses its lock without noticing; the second takes over with a newer epoch.
    first.elector.lock.release()
    assert run(second.tick()) == "leading"
    intent_id = make_intent(sessions)
    first.elector.lock.still_held = lambda: True  # type: ignore[method-assign]
    assert run(first.tick()) == "standby"  # its first fenced write failed
    assert intent_row(sessions, intent_id).status == states.PENDING
    assert broker.calls == []
    second.shutdown()
    first.shutdown()


def test_broker_factory_paper_by_default_live_only_when_fully_enabled(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from pydantic import SecretStr

    from atp.runtime.broker import LiveTradingRefused, build_broker

    assert build_broker(settings, sessions).name == "paper"
    live = settings.model_copy(update={"trading_mode": "live"})
    with pytest.raises(LiveTradingRefused) as refused:
        build_broker(live, sessions)
    assert "EXCHANGE_API_KEY" in str(refused.value) and "LIVE_TRADING" in str(refused.value)
    keyed = live.model_copy(
        update={"exchange_api_key": SecretStr("k"), "exchange_api_secret": SecretStr("s")}
    )
    with pytest.raises(LiveTradingRefused, match="LIVE_TRADING setting is off"):
        build_broker(keyed, sessions)
    set_switch(sessions, "LIVE_TRADING", "true")
    assert build_broker(keyed, sessions).name == "cryptocom"
