"""Entries refused for now (BACKOFF) are sent again; read-backs ask the right namespace.

Through the product's CryptoComBroker against the strict fake exchange (real HTTP): the fake
answers 9010001 SYSTEM_MAINTENANCE to create-order, the private client retries it as far as its
policy allows, and the order flow makes the intent PENDING again instead of losing the trade.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from atp.orders import states
from atp.orders.models import OrderIntent
from atp.settings import Settings
from tests.fakes.fake_exchange import Fault
from tests.integration.broker_fake_support import FAST_RETRY, broker_on_fake, buy, long_oco
from tests.integration.order_exchange_support import order_desk, sent_intent

Sessions = sessionmaker[Session]
CREATE = "private/create-order"
DETAIL = "private/get-order-detail"
ADV_DETAIL = "private/advanced/get-order-detail"


async def test_entry_in_maintenance_is_sent_again_next_tick_and_placed_once(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings) as desk:
        desk.fake.inject(
            Fault("error_code", method=CREATE, code=9010001, status=503, times=FAST_RETRY.attempts)
        )
        intent_id = sent_intent(desk, "maintenance")
        client_oid = desk.intent(intent_id).client_oid

        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.PENDING  # nothing was placed: not lost, not looked up
        assert intent.submitted_at is None
        assert (intent.error_message or "").startswith("ENTRY_BACKOFF:9010001")
        assert desk.request_codes(CREATE) == [9010001] * FAST_RETRY.attempts
        assert desk.env.orders_for(client_oid) == 0

        await desk.tick()  # the same request, same client_oid, after the same checks
        assert desk.intent(intent_id).status == states.SUBMITTED
        desk.advance()
        await desk.tick()
        desk.advance()
        await desk.tick()
        intent = desk.intent(intent_id)
        assert intent.status == states.PROTECTED
        assert intent.filled_quantity == Decimal("0.0200")
        assert desk.request_codes(CREATE) == [9010001] * FAST_RETRY.attempts + [0]
        assert desk.env.orders_for(client_oid) == 1


async def test_entries_are_read_plain_and_legs_advanced_only(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings) as desk:
        intent_id = sent_intent(desk, "namespaces")
        await desk.tick()  # entry sent, read back once (not applied yet)
        desk.advance()
        await desk.tick()  # entry read filled; OCO sent; stop leg read (not applied yet)
        assert desk.intent(intent_id).status == states.PROTECTING
        assert len(desk.request_codes(DETAIL)) == 2  # the entry's two reads
        assert len(desk.request_codes(ADV_DETAIL)) == 1  # the stop leg (once), not the entry
        desk.advance()
        await desk.tick()  # both legs read in the advanced namespace only
        assert desk.intent(intent_id).status == states.PROTECTED
        assert len(desk.request_codes(DETAIL)) == 2  # no plain read wasted on a leg
        assert len(desk.request_codes(ADV_DETAIL)) == 3


async def test_broker_lookup_asks_only_the_namespace_it_is_given() -> None:
    async with broker_on_fake() as env:
        await env.broker.place_market_entry(buy("entry-1", quantity="1.0000"))
        env.fake.private.advance()
        await env.broker.place_oco(long_oco("0.5000"))
        env.fake.private.advance()

        assert await env.broker.order_by_client_oid("sl-1", advanced=False) is None
        assert (len(env.codes(DETAIL)), len(env.codes(ADV_DETAIL))) == (1, 0)
        leg = await env.broker.order_by_client_oid("sl-1", advanced=True)
        assert leg is not None and leg.list_id is not None
        assert (len(env.codes(DETAIL)), len(env.codes(ADV_DETAIL))) == (1, 1)
        entry = await env.broker.order_by_client_oid("entry-1", advanced=False)
        assert entry is not None and entry.cumulative_quantity == Decimal("1.0000")
        assert await env.broker.order_by_client_oid("entry-1", advanced=True) is None
        assert (len(env.codes(DETAIL)), len(env.codes(ADV_DETAIL))) == (2, 2)
        # Unknown namespace (None): plain first, then advanced, as before.
        assert await env.broker.order_by_client_oid("tp-1") is not None
        assert (len(env.codes(DETAIL)), len(env.codes(ADV_DETAIL))) == (3, 3)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite serialises writers
async def test_an_intent_expired_while_being_picked_up_is_never_sent(
    sessions: Sessions, settings: Settings
) -> None:
    """The monitor expires a PENDING intent in the same instant the flow picks it up: the
    expiry must win or wait, never be overwritten by SUBMITTING (and an entry sent)."""
    async with order_desk(sessions, settings) as desk:
        intent_id = sent_intent(desk, "race")
        client_oid = desk.intent(intent_id).client_oid
        other = sessions()
        other.execute(
            update(OrderIntent).where(OrderIntent.id == intent_id).values(status="EXPIRED")
        )  # uncommitted: holds the row until the timer commits it
        committer = threading.Timer(0.3, other.commit)
        committer.start()
        try:
            await desk.tick()
        finally:
            committer.join()
            other.close()
        assert desk.intent(intent_id).status == "EXPIRED"
        assert desk.request_codes(CREATE) == []
        assert desk.env.orders_for(client_oid) == 0
