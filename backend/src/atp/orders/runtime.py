"""What every order-flow step shares: the database, the broker, settings, fence and clocks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.ops.leases import Fence
from atp.orders.ports import Broker, OrderState
from atp.orders.records import fenced_tx
from atp.settings import Settings


@dataclass
class OrderRuntime:
    sessions: sessionmaker[Session]
    broker: Broker
    settings: Settings
    fence: Fence | None = None
    now: Callable[[], datetime] = utcnow
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """A committed, fenced transaction. Never held across a broker call."""
        with fenced_tx(self.sessions, self.fence) as session:
            yield session

    async def lookup(self, client_oid: str, *, until_terminal: bool = False) -> OrderState | None:
        """Read an order back by client_oid, polling a few times (writes are queued).

        Stops at the first answer, or with `until_terminal` at the first terminal one (a MARKET
        entry is read until it filled). Returns the last answer (None: never seen).
        """
        polls = self.settings.orders_confirm_polls
        state: OrderState | None = None
        for attempt in range(polls):
            state = await self.broker.order_by_client_oid(client_oid)
            if state is not None and (not until_terminal or state.status.is_terminal):
                return state
            if attempt + 1 < polls:
                await self.sleep(self.settings.orders_confirm_delay_seconds)
        return state
