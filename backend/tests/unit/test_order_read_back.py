"""The read-back schedule after a write: a short first poll, the same total budget as before."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from atp.orders.ports import OrderKind, OrderState, OrderStatus
from atp.orders.runtime import OrderRuntime, poll_delays
from atp.settings import Settings


def test_default_budget_starts_short_and_keeps_the_total() -> None:
    delays = poll_delays(5, 0.4)
    assert delays[:4] == [0.05, 0.1, 0.2, 0.4]
    assert max(delays) == 0.4
    assert sum(delays) == pytest.approx(1.6)  # (5 - 1) x 0.4, as before


@pytest.mark.parametrize(
    ("polls", "delay", "expected"),
    [(1, 0.4, []), (3, 0.0, [0.0, 0.0]), (2, 0.03, [0.03]), (2, 0.12, [0.05, 0.07])],
)
def test_edge_budgets(polls: int, delay: float, expected: list[float]) -> None:
    assert poll_delays(polls, delay) == pytest.approx(expected)


def _order(client_oid: str, status: OrderStatus) -> OrderState:
    return OrderState(
        order_id=client_oid,
        client_oid=client_oid,
        symbol="ETH_USD",
        side="BUY",
        kind=OrderKind.MARKET,
        status=status,
        quantity=Decimal(1),
        cumulative_quantity=Decimal(1) if status is OrderStatus.FILLED else Decimal(0),
        avg_price=None,
        cumulative_fee=Decimal(0),
        fee_currency=None,
        limit_price=None,
        trigger_price=None,
        list_id=None,
        reject_reason=None,
        child_order_id=None,
        created_at=None,
        updated_at=None,
    )


class ScriptedBroker:
    """Answers each client_oid from a script of states (the last one repeats)."""

    def __init__(self, script: dict[str, list[OrderStatus | None]]) -> None:
        self.script = script
        self.reads: list[tuple[str, bool | None]] = []

    async def order_by_client_oid(
        self, client_oid: str, *, advanced: bool | None = None
    ) -> OrderState | None:
        self.reads.append((client_oid, advanced))
        answers = self.script[client_oid]
        status = answers.pop(0) if len(answers) > 1 else answers[0]
        return None if status is None else _order(client_oid, status)


def _runtime(broker: Any, slept: list[float]) -> OrderRuntime:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = Settings(_env_file=None, orders_confirm_polls=5, orders_confirm_delay_seconds=0.4)
    return OrderRuntime(sessions=None, broker=broker, settings=settings, sleep=sleep)  # type: ignore[arg-type]


async def _collect(rt: OrderRuntime, oids: list[str]) -> list[tuple[str, OrderStatus | None]]:
    return [
        (oid, None if state is None else state.status)
        async for oid, state in rt.read_back(oids, True, False)
    ]


def test_read_back_shares_one_budget_and_yields_each_order_when_settled() -> None:
    broker = ScriptedBroker(
        {
            "a": [OrderStatus.FILLED],
            "b": [None, OrderStatus.OPEN, OrderStatus.FILLED],
            "never": [None],
        }
    )
    slept: list[float] = []
    seen = asyncio.run(_collect(_runtime(broker, slept), ["a", "b", "never"]))
    assert seen == [("a", OrderStatus.FILLED), ("b", OrderStatus.FILLED), ("never", None)]
    assert slept == poll_delays(5, 0.4)  # one budget for all three, not one each
    assert [oid for oid, _ in broker.reads].count("a") == 1
    assert [oid for oid, _ in broker.reads].count("b") == 3
    assert {advanced for _, advanced in broker.reads} == {False}


def test_lookup_stops_at_the_first_answer_after_a_short_wait() -> None:
    broker = ScriptedBroker({"leg": [None, OrderStatus.OPEN]})
    slept: list[float] = []
    rt = _runtime(broker, slept)
    state = asyncio.run(rt.lookup("leg", advanced=True))
    assert state is not None and state.status is OrderStatus.OPEN
    assert slept == [0.05]
    assert broker.reads == [("leg", True), ("leg", True)]
