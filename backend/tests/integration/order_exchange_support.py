"""The order worker (`atp sync`) over the real CryptoComBroker against the strict fake exchange.

`order_desk` starts the fake (ETH_USD, ticks 0.01 / 0.0001, 10,000 USD, last = mark = 2500, see
broker_fake_support), builds the product's broker over real HTTP and an `OrderWorker` on the
test database whose clock is the fake's `TestClock`. Nothing moves on its own: a test calls
`desk.tick()` for one worker pass and `desk.advance()` for one engine tick of the exchange, so
every interleaving is chosen by the test (creates and cancels are asynchronous on the exchange).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, MessageStatus, enqueue_alert
from atp.db.session import unit_of_work
from atp.orders.models import ExchangeOrder, FillRecord, OrderIntent, Position
from atp.orders.service import OrderWorker
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.broker_fake_support import ETH, BrokerOnFake, broker_on_fake
from tests.integration.orders_support import make_intent, no_sleep, order_settings

ENTRY_PRICE = Decimal("2500")


@dataclass
class OrderDesk:
    env: BrokerOnFake
    worker: OrderWorker
    sessions: sessionmaker[Session]

    @property
    def fake(self) -> Any:
        return self.env.fake

    async def tick(self) -> str:
        """One worker pass (flow, sync, guardian, heartbeat); fails the test on a pass error."""
        state = await self.worker.tick()
        report = self.worker.last
        assert report is not None and report.error is None, report
        return state

    def advance(self, seconds: float = 1.0) -> None:
        """Time moves on, then one engine tick applies queued writes, fills and triggers."""
        self.env.clock.advance(seconds=seconds)
        self.fake.private.advance()

    def set_price(self, last: str, mark: str | None = None) -> None:
        self.fake.private.set_price(
            ETH, last=Decimal(last), mark=None if mark is None else Decimal(mark)
        )

    def intent(self, intent_id: int) -> OrderIntent:
        with self.sessions() as session:
            row = session.get_one(OrderIntent, intent_id)
            session.expunge(row)
            return row

    def rows(self, intent_id: int) -> list[ExchangeOrder]:
        return self._all(
            select(ExchangeOrder)
            .where(ExchangeOrder.intent_id == intent_id)
            .order_by(ExchangeOrder.id)
        )

    def row(self, client_oid: str) -> ExchangeOrder:
        [found] = self._all(select(ExchangeOrder).where(ExchangeOrder.client_oid == client_oid))
        assert isinstance(found, ExchangeOrder)
        return found

    def fills(self) -> list[FillRecord]:
        return self._all(select(FillRecord).order_by(FillRecord.traded_at, FillRecord.trade_id))

    def position(self) -> Position:
        [found] = self._all(select(Position).where(Position.symbol == ETH))
        assert isinstance(found, Position)
        return found

    def messages(self, kind: str | None = None) -> list[TelegramMessage]:
        query = select(TelegramMessage).order_by(TelegramMessage.id)
        if kind is not None:
            query = query.where(TelegramMessage.kind == kind)
        return self._all(query)

    def request_codes(self, method: str) -> list[int | None]:
        return self.env.codes(method)

    def _all(self, query: Any) -> list[Any]:
        with self.sessions() as session:
            rows = list(session.scalars(query))
            for row in rows:
                session.expunge(row)
            return rows


def sent_intent(
    desk: OrderDesk,
    key: str,
    *,
    sl: str = "2412.3456",
    tp: str = "2601.2345",
    amount: str = "50",
) -> int:
    """A PENDING intent whose alert was delivered (SENT), created now on the desk's clock."""
    intent_id = make_intent(
        desk.sessions,
        key,
        symbol=ETH,
        amount=Decimal(amount),
        reference=ENTRY_PRICE,
        sl=Decimal(sl),
        tp=Decimal(tp),
        created_at=desk.env.clock.now(),
    )
    with unit_of_work(desk.sessions) as session:
        message = enqueue_alert(
            session,
            idempotency_key=f"alert:{key}",
            kind=MessageKind.ALERT,
            symbol=ETH,
            side="BUY",
            text=f"BUY {ETH}",
            chat_id=None,
            correlation_id=None,
            context=None,
        )
        message.status = MessageStatus.SENT
        session.flush()
        session.get_one(OrderIntent, intent_id).telegram_message_id = message.id
    return intent_id


@asynccontextmanager
async def order_desk(
    sessions: sessionmaker[Session], settings: Settings, **overrides: Any
) -> AsyncIterator[OrderDesk]:
    async with broker_on_fake() as env:
        # One read per lookup: the fake changes only on advance(), so repeated polls would
        # read the same answer.
        values = {"trading_mode": "live", "orders_confirm_polls": 1, **overrides}
        app = AppContext(order_settings(settings, **values))
        app.__dict__["sessions"] = sessions  # the test database, not the settings URL
        worker = OrderWorker(app, env.broker)
        worker.rt.now, worker.rt.sleep = env.clock.now, no_sleep
        try:
            yield OrderDesk(env, worker, sessions)
        finally:
            worker.shutdown()
