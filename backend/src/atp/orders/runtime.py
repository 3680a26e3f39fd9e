"""What every order-flow step shares: the database, the broker, settings, fence and clocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.ops.leases import Fence
from atp.orders.ports import Broker, OrderState
from atp.orders.records import fenced_tx
from atp.settings import Settings

# The first read-back after a write waits only this long (the exchange usually applies a write
# within one engine tick); later waits double up to ORDERS_CONFIRM_DELAY_SECONDS.
FIRST_POLL_DELAY_SECONDS = 0.05


def poll_delays(polls: int, delay: float, first: float = FIRST_POLL_DELAY_SECONDS) -> list[float]:
    """The sleeps between read-backs: `first`, doubling up to `delay`.

    The total stays (polls - 1) x delay, the budget ORDERS_CONFIRM_POLLS x
    ORDERS_CONFIRM_DELAY_SECONDS always meant (5 x 0.4 s: at most 1.6 s of waiting); the short
    early waits only add a few reads inside it. A delay of 0 keeps exactly `polls` reads.
    """
    if polls <= 1:
        return []
    if delay <= 0:
        return [0.0] * (polls - 1)
    budget = (polls - 1) * delay
    delays: list[float] = []
    step, total = min(first, delay), 0.0
    while budget - total > 1e-9:
        step = min(step, budget - total)
        delays.append(step)
        total += step
        step = min(step * 2, delay)
    return delays


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

    def confirm_delays(self) -> list[float]:
        return poll_delays(
            self.settings.orders_confirm_polls, self.settings.orders_confirm_delay_seconds
        )

    async def lookup(
        self, client_oid: str, *, until_terminal: bool = False, advanced: bool | None = None
    ) -> OrderState | None:
        """Read an order back by client_oid, polling a few times (writes are queued).

        Stops at the first answer, or with `until_terminal` at the first terminal one (a MARKET
        entry is read until it filled). Returns the last answer (None: never seen). `advanced`
        names the namespace when the caller knows it (True: trigger orders and list legs,
        False: plain orders); None asks plain, then advanced.
        """
        found: OrderState | None = None
        async for _, state in self.read_back([client_oid], until_terminal, advanced):
            found = state
        return found

    async def read_back(
        self, client_oids: list[str], until_terminal: bool, advanced: bool | None
    ) -> AsyncIterator[tuple[str, OrderState | None]]:
        """`lookup` for several orders sharing one polling budget (each read once per round).

        Yields every client_oid once: as soon as its order settled, or with its last answer
        (None: never seen) when the budget is spent, so a caller acts on each without waiting
        for the slowest.
        """
        waiting = list(dict.fromkeys(client_oids))
        last: dict[str, OrderState | None] = {}
        delays = self.confirm_delays()
        for round_number in range(len(delays) + 1):
            if round_number:
                await self.sleep(delays[round_number - 1])
            still: list[str] = []
            for client_oid in waiting:
                state = await self.broker.order_by_client_oid(client_oid, advanced=advanced)
                if _settled(state, until_terminal):
                    yield client_oid, state
                else:
                    last[client_oid] = state
                    still.append(client_oid)
            waiting = still
            if not waiting:
                return
        for client_oid in waiting:
            yield client_oid, last[client_oid]


def _settled(state: OrderState | None, until_terminal: bool) -> bool:
    return state is not None and (not until_terminal or state.status.is_terminal)
