"""A stop that gaps: the STOP_LIMIT fires, its LIMIT sell rests above a market that fell through.

The position is naked while the stop leg still looks "open". After ORDERS_GAPPED_STOP_SECONDS
with the last price (`market_prices`, as the market updater writes it) below the limit, the
guardian cancels the resting order (and a live take-profit), closes at market through the
flatten path and queues one critical STOP_GAPPED alert. Run on the strict fake exchange through
the real CryptoComBroker (the firing creates a spot child order, spec §9.6) and on the paper
broker (the triggered order itself rests). A stop that fills, at once or within the grace
period, is never flattened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.paper.broker import PaperBroker
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.prices import DbPriceSource
from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, MessageStatus, enqueue_alert
from atp.db.session import unit_of_work
from atp.market.models import MarketPrice
from atp.orders import states
from atp.orders.models import OrderIntent, Position
from atp.orders.service import OrderWorker
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.market_clock import TestClock
from tests.integration.broker_fake_support import ETH
from tests.integration.order_exchange_support import OrderDesk, order_desk, sent_intent
from tests.integration.orders_support import (
    critical_messages,
    make_intent,
    no_sleep,
    order_settings,
    orders_of,
)

Sessions = sessionmaker[Session]
D = Decimal
GRACE = 10.0
PLAIN_CANCEL = "private/cancel-order"
STOP = D("2412.34")  # the fake desk's placed stop (trigger = limit)


def _set_market_price(sessions: Sessions, symbol: str, last: str, now: datetime) -> None:
    """What the market updater writes: a fresh last trade."""
    with unit_of_work(sessions) as session:
        row = session.get(MarketPrice, symbol)
        if row is None:
            row = MarketPrice(symbol=symbol, source="test", exchange_ts=now, fetched_at=now)
            session.add(row)
        row.last, row.exchange_ts, row.fetched_at = D(last), now, now


def _gap_alerts(sessions: Sessions) -> list[TelegramMessage]:
    return [
        m for m in critical_messages(sessions) if (m.context or {}).get("code") == "STOP_GAPPED"
    ]


def _position(sessions: Sessions, symbol: str) -> Position:
    with sessions() as session:
        row = session.scalars(select(Position).where(Position.symbol == symbol)).one()
        session.expunge(row)
        return row


# --- the strict fake through CryptoComBroker ---------------------------------------------------


async def _protected_on_fake(desk: OrderDesk) -> int:
    intent_id = sent_intent(desk, "gap")
    for _ in range(3):
        await desk.tick()
        desk.advance()
    await desk.tick()
    assert desk.intent(intent_id).status == states.PROTECTED
    return intent_id


async def _market(desk: OrderDesk, last: str, *, seconds: float = 1.0) -> None:
    """The exchange's price moves (last = mark), the updater stores it, the engine ticks, and
    one worker pass runs."""
    desk.set_price(last)
    desk.advance(seconds)
    _set_market_price(desk.sessions, ETH, last, desk.env.clock.now())
    await desk.tick()


async def test_gapped_stop_on_the_fake_is_flattened_after_the_grace_with_one_alert(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(
        sessions, settings, orders_gapped_stop_seconds=GRACE, telegram_chat_id_ops="ops-chat"
    ) as desk:
        intent_id = await _protected_on_fake(desk)
        sl_oid = states.derived_client_oid(desk.intent(intent_id).client_oid, "sl", 1)

        # The price gaps from above the stop to far below its limit: the trigger fires, the
        # child LIMIT SELL at 2412.34 rests above the market.
        await _market(desk, "2300")
        leg = desk.fake.private.order_by_client_oid(sl_oid)
        child = desk.fake.private.order(leg.exchange_order_id)
        assert child.status == "ACTIVE" and child.cumulative_quantity == 0
        assert desk.intent(intent_id).status == states.PROTECTED  # the clock has just started
        await _market(desk, "2300", seconds=5)
        assert desk.intent(intent_id).status == states.PROTECTED  # 5 s < grace
        assert _gap_alerts(sessions) == [] and desk.request_codes(PLAIN_CANCEL) == []

        await _market(desk, "2300", seconds=6)  # 11 s beyond the limit: naked
        intent = desk.intent(intent_id)
        assert intent.status == states.FLATTENING
        assert intent.block_reason is not None and intent.block_reason.startswith("STOP_GAPPED")
        assert desk.position().protection_status == "flattening"
        assert desk.request_codes(PLAIN_CANCEL) == [0]  # the child, not the advanced leg
        [alert] = _gap_alerts(sessions)
        assert alert.chat_id == "ops-chat"  # critical: the ops chat
        for price in ("2412.34", "2300", "0.0199"):
            assert price in alert.text

        await _market(desk, "2300")  # the child is cancelled: the market SELL goes out
        await _market(desk, "2300")  # it filled: FLATTENED, the position is closed
        intent = desk.intent(intent_id)
        assert intent.status == states.FLATTENED
        rows = orders_of(sessions, intent_id)
        assert rows[states.FLATTEN].status == "FILLED"
        assert rows[states.FLATTEN].cumulative_quantity == D("0.0199")
        assert rows[states.STOP_LOSS].status == "CANCELED"
        assert child.status == "CANCELED" and child.cumulative_quantity == 0
        sells = [f for f in desk.fills() if f.side == "SELL"]
        assert [(f.quantity, f.price) for f in sells] == [(D("0.0199"), D("2300"))]
        assert desk.position().protection_status == "closed"

        await _market(desk, "2300", seconds=30)
        assert len(_gap_alerts(sessions)) == 1  # exactly once
        assert desk.request_codes(PLAIN_CANCEL) == [0]


async def test_stop_that_fires_and_fills_at_once_is_never_flattened(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings, orders_gapped_stop_seconds=GRACE) as desk:
        intent_id = await _protected_on_fake(desk)
        await _market(desk, str(STOP))  # fires and its child fills at the limit
        for _ in range(3):
            await _market(desk, "2300", seconds=GRACE)
        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "STOP_LOSS_FILLED")
        assert states.FLATTEN not in orders_of(sessions, intent_id)
        assert _gap_alerts(sessions) == [] and desk.request_codes(PLAIN_CANCEL) == []


async def test_fired_stop_whose_child_fills_within_the_grace_is_left_alone(
    sessions: Sessions, settings: Settings
) -> None:
    async with order_desk(sessions, settings, orders_gapped_stop_seconds=GRACE) as desk:
        intent_id = await _protected_on_fake(desk)
        await _market(desk, "2400")  # fires; the child rests at 2412.34, above the market
        await _market(desk, "2405", seconds=4)
        assert desk.intent(intent_id).status == states.PROTECTED
        await _market(desk, "2415", seconds=4)  # back above the limit: the child fills
        for _ in range(3):
            await _market(desk, "2415", seconds=GRACE)
        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "STOP_LOSS_FILLED")
        assert states.FLATTEN not in orders_of(sessions, intent_id)
        assert _gap_alerts(sessions) == []
        assert desk.position().protection_status == "closed"


# --- the paper broker --------------------------------------------------------------------------

PAPER_SYMBOL = "ETH_USDT"


@dataclass
class PaperDesk:
    sessions: Sessions
    clock: TestClock
    worker: OrderWorker

    async def tick(self, last: str, *, seconds: float = 1.0) -> None:
        """Time moves on, the updater stores a new last price, one worker pass runs."""
        self.clock.advance(seconds=seconds)
        _set_market_price(self.sessions, PAPER_SYMBOL, last, self.clock.now())
        assert await self.worker.tick() == "leading"
        assert self.worker.last is not None and self.worker.last.error is None, self.worker.last

    def intent(self, intent_id: int) -> OrderIntent:
        with self.sessions() as session:
            row = session.get_one(OrderIntent, intent_id)
            session.expunge(row)
            return row


@asynccontextmanager
async def paper_desk(sessions: Sessions, settings: Settings) -> AsyncIterator[PaperDesk]:
    clock = TestClock()
    app = AppContext(
        order_settings(settings, trading_mode="paper", orders_gapped_stop_seconds=GRACE)
    )
    app.__dict__["sessions"] = sessions  # the test database, not the settings URL
    prices = DbPriceSource(sessions, max_age_seconds=120, clock=clock.now)
    config = PaperConfig.from_settings(app.settings)
    broker = PaperBroker(sessions, prices, config=config, clock=clock.now)
    worker = OrderWorker(app, broker)
    worker.rt.now, worker.rt.sleep = clock.now, no_sleep
    _set_market_price(sessions, PAPER_SYMBOL, "2000", clock.now())
    try:
        yield PaperDesk(sessions, clock, worker)
    finally:
        worker.shutdown()


async def _protected_on_paper(desk: PaperDesk) -> int:
    """A delivered intent bought on paper and protected by the OCO (SL 1941 / TP 2091)."""
    intent_id = make_intent(
        desk.sessions, "paper-gap", symbol=PAPER_SYMBOL, created_at=desk.clock.now(), live=False
    )
    with unit_of_work(desk.sessions) as session:
        message = enqueue_alert(
            session,
            idempotency_key="alert:paper-gap",
            kind=MessageKind.ALERT,
            symbol=PAPER_SYMBOL,
            side="BUY",
            text="BUY",
            chat_id=None,
            correlation_id=None,
            context=None,
        )
        message.status = MessageStatus.SENT
        session.flush()
        session.get_one(OrderIntent, intent_id).telegram_message_id = message.id
    await desk.tick("2000")
    await desk.tick("2000")
    intent = desk.intent(intent_id)
    assert intent.status == states.PROTECTED
    assert intent.protection_mode == states.OCO_STOP_LIMIT
    assert intent.sl_placed_price == D("1941.00")
    return intent_id


async def test_gapped_stop_on_paper_is_flattened_after_the_grace_with_one_alert(
    sessions: Sessions, settings: Settings
) -> None:
    async with paper_desk(sessions, settings) as desk:
        intent_id = await _protected_on_paper(desk)
        await desk.tick("1800")  # fires; the LIMIT at 1941 cannot fill at 1800
        stop = orders_of(sessions, intent_id)[states.STOP_LOSS]
        assert stop.status == "OPEN"
        await desk.tick("1800", seconds=5)
        assert desk.intent(intent_id).status == states.PROTECTED
        assert _gap_alerts(sessions) == []

        await desk.tick("1800", seconds=6)  # beyond the limit for 11 s
        intent = desk.intent(intent_id)
        assert intent.status == states.FLATTENED  # paper cancels and fills at once
        rows = orders_of(sessions, intent_id)
        assert rows[states.STOP_LOSS].status == rows[states.TAKE_PROFIT].status == "CANCELED"
        flatten = rows[states.FLATTEN]
        assert flatten.status == "FILLED" and flatten.cumulative_quantity == D("0.0249")
        assert flatten.avg_price == D("1799.10")  # 1800 less 5 bps slippage
        [alert] = _gap_alerts(sessions)
        for price in ("1941", "1800", "0.0249"):
            assert price in alert.text
        assert _position(sessions, PAPER_SYMBOL).protection_status == "flattening"

        await desk.tick("1800")  # the sync books the SELL: flattening -> closed
        position = _position(sessions, PAPER_SYMBOL)
        assert position.protection_status == "closed" and position.quantity == 0
        await desk.tick("1800", seconds=GRACE)
        assert len(_gap_alerts(sessions)) == 1


async def test_paper_stop_filling_within_the_grace_is_never_flattened(
    sessions: Sessions, settings: Settings
) -> None:
    async with paper_desk(sessions, settings) as desk:
        intent_id = await _protected_on_paper(desk)
        await desk.tick("1930")  # fires; rests at 1941 above the market
        await desk.tick("1935", seconds=5)
        await desk.tick("1945", seconds=4)  # back above the limit within the grace: fills
        for _ in range(3):
            await desk.tick("1900", seconds=GRACE)
        intent = desk.intent(intent_id)
        assert (intent.status, intent.block_reason) == (states.CLOSED, "STOP_LOSS_FILLED")
        rows = orders_of(sessions, intent_id)
        assert states.FLATTEN not in rows
        assert rows[states.STOP_LOSS].avg_price == D("1941")
        assert _gap_alerts(sessions) == []
        assert _position(sessions, PAPER_SYMBOL).protection_status == "closed"
