"""The order worker end to end through the real CryptoComBroker against the strict fake exchange.

Every pass is `OrderWorker.tick()` (flow, sync, guardian, heartbeat); the exchange engine moves
only on `desk.advance()`, so creates, cancels, fills and trigger firings happen exactly between
the passes the test chooses. The fake enforces the contract's rules (§16): a request the product
formats wrongly fails here as it would in production.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.db.session import unit_of_work
from atp.monitor.blockers import EXCHANGE_SYNC_SERVICE
from atp.ops.models import ServiceHeartbeat
from atp.orders import states
from atp.orders.models import OrderIntent
from atp.orders.ports import OrderKind, StopOrder
from atp.orders.sync import SyncReport
from atp.settings import Settings
from tests.fakes.fake_exchange import Fault
from tests.integration.order_exchange_support import (
    ENTRY_PRICE,
    OrderDesk,
    order_desk,
    sent_intent,
)

Sessions = sessionmaker[Session]
ENTRY = ENTRY_PRICE
CREATE = "private/create-order"
CREATE_OCO = "private/advanced/create-oco"
ADV_CREATE = "private/advanced/create-order"
CANCEL_METHODS = (
    "private/cancel-order",
    "private/advanced/cancel-order",
    "private/advanced/cancel-oco",
    "private/cancel-all-orders",
)


def _cancels(desk: OrderDesk) -> int:
    return sum(len(desk.fake.requests(method)) for method in CANCEL_METHODS)


async def _protected(desk: OrderDesk, key: str) -> int:
    """A delivered intent driven to PROTECTED, one engine tick between worker passes."""
    intent_id = sent_intent(desk, key)
    await desk.tick()
    assert desk.intent(intent_id).status == states.SUBMITTED
    desk.advance()
    await desk.tick()
    assert desk.intent(intent_id).status == states.PROTECTING
    desk.advance()
    await desk.tick()
    assert desk.intent(intent_id).status == states.PROTECTED
    return intent_id


async def test_entry_oco_take_profit_fills_stop_cancelled_by_the_exchange(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings) as desk:
        intent_id = sent_intent(desk, "tp-run")
        intent = desk.intent(intent_id)

        # Pass 1: the entry is accepted (queued); the exchange has not executed it yet.
        await desk.tick()
        assert desk.intent(intent_id).status == states.SUBMITTED
        assert desk.request_codes(CREATE) == [0]
        entry = desk.fake.private.order_by_client_oid(intent.client_oid)
        assert entry.status == "QUEUED"  # asynchronous: nothing executed before the engine ticks
        assert (entry.spec.order_type, entry.spec.notional, entry.spec.quantity) == (
            "MARKET",
            Decimal("50.00"),
            None,
        )

        # The engine ticks: the MARKET BUY by notional fills; pass 2 reads it and sends the OCO.
        desk.advance()
        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.PROTECTING
        assert intent.filled_quantity == Decimal("0.0200")  # 50.00 USD at 2500, qty tick 0.0001
        assert intent.avg_fill_price == ENTRY
        # Announced SL 2412.3456 / TP 2601.2345 on the 0.01 tick, away from the market.
        assert (intent.sl_placed_price, intent.tp_placed_price) == (
            Decimal("2412.34"),
            Decimal("2601.24"),
        )
        # The BUY fee was taken in ETH: 0.01998 held, protected quantity floored to the tick.
        assert intent.protection_quantity == Decimal("0.0199")
        assert desk.request_codes(CREATE_OCO) == [0]

        # Pass 3: the legs are found in the advanced open orders.
        desk.advance()
        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.PROTECTED
        sl_oid = states.derived_client_oid(intent.client_oid, "sl", 1)
        tp_oid = states.derived_client_oid(intent.client_oid, "tp", 1)
        rows = {row.order_role: row for row in desk.rows(intent_id)}
        assert set(rows) == {states.ENTRY, states.STOP_LOSS, states.TAKE_PROFIT}
        stop, take_profit = rows[states.STOP_LOSS], rows[states.TAKE_PROFIT]
        assert (stop.client_oid, take_profit.client_oid) == (sl_oid, tp_oid)
        assert stop.status == take_profit.status == "OPEN"
        assert stop.list_id == take_profit.list_id is not None
        assert stop.parent_order_id == take_profit.parent_order_id == intent.exchange_order_id
        assert (stop.order_type, stop.ref_price, stop.price) == (
            "STOP_LIMIT",
            Decimal("2412.34"),
            Decimal("2412.34"),
        )
        assert (take_profit.order_type, take_profit.price) == ("LIMIT", Decimal("2601.24"))
        assert desk.request_codes("private/advanced/get-open-orders")  # the sync lists legs there
        legs = {o.client_oid: o for o in desk.fake.private.orders(advanced=True)}
        assert legs[sl_oid].status == "NEW" and legs[tp_oid].status == "ACTIVE"
        assert desk.position().protection_status == "covered"

        # The price path reaches the take-profit: the TP leg fills, the exchange cancels the stop.
        desk.set_price("2610")
        desk.advance()
        assert legs[sl_oid].status == "CANCELED" and legs[tp_oid].status == "FILLED"
        await desk.tick()

        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "TAKE_PROFIT_FILLED")
        stop, take_profit = desk.row(sl_oid), desk.row(tp_oid)
        assert take_profit.status == "FILLED" and take_profit.cumulative_quantity == Decimal(
            "0.0199"
        )
        assert stop.status == "CANCELED" and stop.cumulative_quantity == 0
        assert _cancels(desk) == 0  # the exchange cancelled the sibling; we sent nothing

        fills = desk.fills()
        assert [(f.side, f.intent_id) for f in fills] == [("BUY", intent_id), ("SELL", intent_id)]
        buy_fee = Decimal("0.00002") * ENTRY  # 0.1 % of 0.02 ETH, valued at the fill price
        sell_fee = Decimal("0.0199") * Decimal("2601.24") * Decimal("0.001")
        assert [f.fee_quote for f in fills] == [buy_fee, sell_fee]
        position = desk.position()
        assert position.protection_status == "closed" and position.closed_at is not None
        gross = Decimal("0.0199") * (Decimal("2601.24") - ENTRY)
        assert position.realised_pnl == gross - buy_fee - sell_fee
        assert position.fees_paid == buy_fee + sell_fee
        kinds = [m.kind for m in desk.messages()[1:]]  # after the delivered alert itself
        assert kinds == ["ORDER_FILLED", "PROTECTION_PLACED", "POSITION_CLOSED"]
        assert desk.messages("PROTECTION_FAILED") == []


@pytest.mark.parametrize("fill_seen_first", [False, True], ids=["leg-first", "fill-first"])
async def test_stop_fires_a_child_whose_fill_closes_the_position_at_a_loss(
    sessions: Sessions, settings: Settings, fill_seen_first: bool
) -> None:
    async with order_desk(sessions, settings) as desk:
        intent_id = await _protected(desk, "sl-run")
        intent = desk.intent(intent_id)
        sl_oid = states.derived_client_oid(intent.client_oid, "sl", 1)
        tp_oid = states.derived_client_oid(intent.client_oid, "tp", 1)

        # The market falls onto the stop: the trigger fires a spot child order, which fills.
        desk.set_price("2412.34")
        desk.advance()
        stop_leg = desk.fake.private.order_by_client_oid(sl_oid)
        child_id = stop_leg.exchange_order_id
        assert child_id and child_id != stop_leg.order_id
        [exit_trade] = [t for t in desk.fake.private.trades() if t.side == "SELL"]
        assert exit_trade.order_id == child_id  # the trade carries the child's id (§9.6)
        if fill_seen_first:
            # The trade is read before the leg's new state (the trigger fired between the two
            # reads of a pass): booked without an intent, claimed once the leg is refreshed.
            await desk.worker.sync._sync_fills(SyncReport())
            assert [f.intent_id for f in desk.fills() if f.side == "SELL"] == [None]
        await desk.tick()

        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "STOP_LOSS_FILLED")
        stop, take_profit = desk.row(sl_oid), desk.row(tp_oid)
        assert stop.status == "FILLED" and stop.cumulative_quantity == Decimal("0.0199")
        assert take_profit.status == "CANCELED"
        assert _cancels(desk) == 0
        # The child's fill is booked on the intent of the stop leg that fired it.
        [sell] = [f for f in desk.fills() if f.side == "SELL"]
        assert (sell.order_id, sell.intent_id) == (child_id, intent_id)
        assert stop.exchange_order_id == stop_leg.order_id
        position = desk.position()
        assert position.protection_status == "closed"
        buy_fee = Decimal("0.00002") * ENTRY
        sell_fee = Decimal("0.0199") * Decimal("2412.34") * Decimal("0.001")
        expected = Decimal("0.0199") * (Decimal("2412.34") - ENTRY) - buy_fee - sell_fee
        assert position.realised_pnl == expected < 0
        [closed] = desk.messages("POSITION_CLOSED")
        assert closed.context is not None and Decimal(closed.context["realised_pnl"]) == expected


async def test_entry_timeout_after_accept_is_found_by_client_oid_never_resent(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings) as desk:
        desk.fake.inject(Fault("after_accept", method=CREATE))  # lands, then answers 40801
        intent_id = sent_intent(desk, "lost-answer")
        client_oid = desk.intent(intent_id).client_oid

        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.SUBMITTING  # outcome unknown: looked up, not resent
        assert intent.error_message is not None and "40801" in intent.error_message
        assert desk.request_codes(CREATE) == [40801]

        desk.advance()
        await desk.tick()
        desk.advance()
        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.PROTECTED
        assert intent.filled_quantity == Decimal("0.0200")
        assert desk.request_codes(CREATE) == [40801]  # the entry was sent exactly once
        assert desk.env.orders_for(client_oid) == 1
        [entry] = [row for row in desk.rows(intent_id) if row.order_role == states.ENTRY]
        assert entry.client_oid == client_oid and entry.status == "FILLED"


async def _cancel_behind_the_flows_back(
    desk: OrderDesk, client_oid: str, *, whole_list: bool
) -> None:
    """What an operator does in the exchange's web UI: the worker is not told."""
    leg = await desk.env.broker.order_by_client_oid(client_oid)
    assert leg is not None and leg.list_id is not None
    if whole_list:
        await desk.env.broker.cancel_list(leg.list_id)
    else:
        await desk.env.broker.cancel(leg)
    desk.advance()


@pytest.mark.parametrize("whole_list", [True, False], ids=["oco-cancelled", "stop-leg-cancelled"])
async def test_guardian_replaces_a_stop_cancelled_on_the_exchange(
    sessions: Sessions, settings: Settings, whole_list: bool
) -> None:
    async with order_desk(sessions, settings) as desk:
        intent_id = await _protected(desk, "repair")
        intent = desk.intent(intent_id)
        sl_1 = states.derived_client_oid(intent.client_oid, "sl", 1)
        await _cancel_behind_the_flows_back(desk, sl_1, whole_list=whole_list)

        await desk.tick()  # the sync sees the stop gone; the guardian repairs and alerts
        report = desk.worker.last
        assert report is not None and report.repaired == 1
        [alert] = desk.messages("PROTECTION_FAILED")
        assert "PROTECTION_MISSING" in alert.text
        assert desk.row(sl_1).status == "CANCELED"
        assert desk.position().protection_status == "naked"

        for _ in range(3):  # re-placed on the next passes, one engine tick apart
            desk.advance()
            await desk.tick()
            if desk.intent(intent_id).status == states.PROTECTED:
                break
        intent = desk.intent(intent_id)
        assert intent.status == states.PROTECTED
        assert intent.protection_attempts == 2
        sl_2 = states.derived_client_oid(intent.client_oid, "sl", 2)
        tp_2 = states.derived_client_oid(intent.client_oid, "tp", 2)
        assert desk.row(sl_2).status == desk.row(tp_2).status == "OPEN"
        live = {o.client_oid for o in desk.fake.private.orders(advanced=True) if o.is_open}
        assert live == {sl_2, tp_2}  # nothing of the broken OCO is left reserving the ETH
        assert desk.fake.private.reserved("ETH") == intent.protection_quantity
        assert desk.request_codes(CREATE) == [0]  # one entry, ever
        assert desk.position().protection_status == "covered"
        assert len(desk.messages("PROTECTION_FAILED")) == 1


async def _foreign_btc_stop(desk: OrderDesk) -> str:
    """A stop the operator placed by hand on another pair: not ours, never cancelled."""
    private = desk.fake.private
    private.set_price("BTC_USD", last=Decimal("60000"))
    private.set_balance("BTC", Decimal("0.01"))
    stop = StopOrder(
        "manual-stop-1", "BTC_USD", "SELL", OrderKind.STOP_LOSS, Decimal("0.01"), Decimal("55000")
    )
    await desk.env.broker.place_stop(stop)
    desk.advance()
    found = private.order_by_client_oid("manual-stop-1")
    assert found is not None and found.status == "NEW"
    return str(found.order_id)


@pytest.mark.parametrize("cancel_orphans", [False, True], ids=["report-only", "cancel-enabled"])
async def test_orphan_protection_is_reported_and_cancelled_only_by_the_rule(
    sessions: Sessions, settings: Settings, cancel_orphans: bool
) -> None:
    async with order_desk(sessions, settings, orders_cancel_orphans=cancel_orphans) as desk:
        intent_id = await _protected(desk, "orphan")
        foreign_id = await _foreign_btc_stop(desk)
        await desk.tick()
        report = desk.worker.last
        assert report is not None and report.orphans == [foreign_id]  # ours is protecting
        # The position is gone from the flow's point of view: its intent ended.
        with unit_of_work(sessions) as session:
            intent = session.get_one(OrderIntent, intent_id)
            intent.status, intent.block_reason = states.CLOSED, "closed by the operator"
        ours = {row.exchange_order_id for row in desk.rows(intent_id) if row.list_id}

        await desk.tick()  # first sighting: reported, never cancelled
        report = desk.worker.last
        assert report is not None and set(report.orphans) == ours | {foreign_id}
        assert _cancels(desk) == 0
        await desk.tick()  # second consecutive sighting
        desk.advance()
        await desk.tick()
        live = {o.order_id for o in desk.fake.private.orders(advanced=True) if o.is_open}
        report = desk.worker.last
        assert report is not None
        if cancel_orphans:
            assert desk.request_codes("private/advanced/cancel-oco") == [0]  # one list, once
            assert live == {foreign_id} and report.orphans == [foreign_id]
            assert {row.status for row in desk.rows(intent_id) if row.list_id} == {"CANCELED"}
        else:
            assert _cancels(desk) == 0
            assert live == ours | {foreign_id}
        with sessions() as session:
            beat = session.get_one(
                ServiceHeartbeat, (EXCHANGE_SYNC_SERVICE, desk.worker.instance_id)
            )
            assert beat.details is not None and foreign_id in beat.details["orphans"]


@pytest.mark.parametrize(
    ("refusals", "mode", "stop_type"),
    [
        (1, states.OCO_STOP_LOSS, "STOP_LOSS"),  # the STOP_LIMIT OCO refused
        (2, states.STOP_ONLY, "STOP_LOSS"),  # both OCO shapes refused
    ],
    ids=["stop-limit-refused", "oco-refused"],
)
async def test_refused_oco_falls_back_down_the_ladder(
    sessions: Sessions, settings: Settings, refusals: int, mode: str, stop_type: str
) -> None:
    async with order_desk(sessions, settings) as desk:
        # 218 INVALID_ORDTYPE: retry class NO, so the next step of the ladder follows at once.
        desk.fake.inject(
            Fault("error_code", method=CREATE_OCO, code=218, status=400, times=refusals)
        )
        intent_id = sent_intent(desk, f"ladder-{refusals}")
        await desk.tick()
        desk.advance()
        await desk.tick()
        assert desk.request_codes(CREATE_OCO) == [218] * refusals + ([0] if refusals == 1 else [])
        assert desk.request_codes(ADV_CREATE) == ([0] if mode == states.STOP_ONLY else [])
        desk.advance()
        await desk.tick()

        intent = desk.intent(intent_id)
        assert (intent.status, intent.protection_mode) == (states.PROTECTED, mode)
        assert intent.protection_attempts == refusals + 1
        sl_oid = states.derived_client_oid(intent.client_oid, "sl", intent.protection_attempts)
        stop = desk.row(sl_oid)
        assert (stop.status, stop.order_type, stop.ref_price) == (
            "OPEN",
            stop_type,
            Decimal("2412.34"),
        )
        roles = {row.order_role for row in desk.rows(intent_id)}
        with_tp = mode != states.STOP_ONLY
        assert roles == {states.ENTRY, states.STOP_LOSS} | (
            {states.TAKE_PROFIT} if with_tp else set()
        )
        placed = desk.fake.private.order_by_client_oid(sl_oid)
        assert placed is not None and placed.spec.ref_price_type == "MARK_PRICE"
        assert desk.messages("PROTECTION_FAILED") == []
        assert [m.kind for m in desk.messages("PROTECTION_PLACED")] == ["PROTECTION_PLACED"]


async def test_a_filled_leg_reported_canceled_with_its_quantity_counts_as_filled(
    sessions: Sessions, settings: Settings
) -> None:
    """Legacy evidence (§9.6): a filled advanced leg sometimes reads CANCELED with its
    cumulative quantity; it must close the intent, not look like a lost stop."""
    async with order_desk(sessions, settings) as desk:
        desk.fake.private.quirks.add("filled_advanced_reported_canceled")
        intent_id = await _protected(desk, "quirk")
        desk.set_price("2610")
        desk.advance()
        await desk.tick()
        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "TAKE_PROFIT_FILLED")
        tp_oid = states.derived_client_oid(intent.client_oid, "tp", 1)
        assert desk.row(tp_oid).cumulative_quantity == Decimal("0.0199")
        assert desk.position().protection_status == "closed"
        assert desk.messages("PROTECTION_FAILED") == []  # no false "stop missing" alert
        await desk.tick()
        assert desk.intent(intent_id).status == states.CLOSED
        assert desk.messages("PROTECTION_FAILED") == []
