"""Crash safety (issue 10 item 8): SIGKILL the order flow at random points, then sync cleanly.

Each run forks a child process that drives one intent through entry + protection against a
broker whose state lives in a JSON file (so it survives the kill). The child kills itself with
SIGKILL just before or just after its N-th broker call (N and the side chosen at random, seed
printed). A clean pass then runs flow + sync + guardian in this process. Afterwards: never a
second entry for the intent, and a filled entry is PROTECTED (with an open stop on the broker)
or FLATTENED (with a critical alert).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.db.session import make_engine, make_session_factory, unit_of_work
from atp.orders import states
from atp.orders.flow import OrderFlow
from atp.orders.guardian import Guardian
from atp.orders.models import ExchangeOrder, FillRecord, OrderIntent, Position
from atp.orders.runtime import OrderRuntime
from atp.orders.sync import OrderSync
from atp.settings import Settings
from tests.fakes.fake_broker import FakeBroker
from tests.integration.orders_support import (
    critical_messages,
    intent_row,
    make_intent,
    no_sleep,
    order_settings,
    set_switch,
)
from tests.settings_env import CRASH_SEED

RUNS = 60
SCENARIOS = ("ok", "stop_limit_refused", "all_refused")


class KillingBroker:
    """Forwards to the file-backed broker; SIGKILLs this process around its N-th call."""

    def __init__(self, inner: FakeBroker, kill_at: int, before: bool) -> None:
        self.inner, self.kill_at, self.before, self.count = inner, kill_at, before, 0
        self.name = inner.name

    def __getattr__(self, attr: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self.inner, attr)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count == self.kill_at and self.before:
                os.kill(os.getpid(), signal.SIGKILL)
            result = await method(*args, **kwargs)
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return call


def _broker(path: Path, scenario: str) -> FakeBroker:
    broker = FakeBroker(Decimal("2000"), path=path)
    broker.options.refuse_stop_limit_oco = scenario == "stop_limit_refused"
    broker.options.refuse_oco = broker.options.refuse_stop = scenario == "all_refused"
    return broker


def _child(
    db_url: str, settings: Settings, path: str, scenario: str, kill_at: int, before: bool
) -> None:
    try:
        engine = make_engine(db_url)
        broker = KillingBroker(_broker(Path(path), scenario), kill_at, before)
        rt = OrderRuntime(make_session_factory(engine), broker, settings, sleep=no_sleep)  # type: ignore[arg-type]

        async def work() -> None:
            await OrderFlow(rt).run_once()
            await OrderSync(rt).run_once()

        asyncio.run(work())
    finally:
        os._exit(0)  # never run the parent's (pytest's) exit handlers in the fork


async def _clean_passes(rt: OrderRuntime) -> None:
    guardian = Guardian(rt)
    for _ in range(4):
        await OrderFlow(rt).run_once()
        synced = await OrderSync(rt).run_once()
        await guardian.run_once(synced.open_orders)


def _later() -> datetime:
    # The clean pass runs "a while later": whatever the child sent and we cannot see is past
    # its grace period, so the flow moves on instead of waiting.
    return utcnow() + timedelta(seconds=1)


def _reset(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        for table in (FillRecord, Position, ExchangeOrder, OrderIntent, TelegramMessage):
            session.execute(delete(table))


def _check(sessions: sessionmaker[Session], broker: FakeBroker, intent_id: int, label: str) -> str:
    intent = intent_row(sessions, intent_id)
    assert broker.entries_for(intent.client_oid) <= 1, label
    entry = next(
        (o for o in broker.state["orders"].values() if o["client_oid"] == intent.client_oid), None
    )
    if entry is None or entry["status"] != "FILLED":
        assert intent.status in (states.FAILED, states.PENDING, states.SUBMITTING), label
        return intent.status
    assert intent.status in (states.PROTECTED, states.FLATTENED), f"{label}: {intent.status}"
    if intent.status == states.FLATTENED:
        assert any("PROTECTION_FAILED" in m.text for m in critical_messages(sessions)), label
    else:
        stop_oid = states.derived_client_oid(intent.client_oid, "sl", intent.protection_attempts)
        stop = next(o for o in broker.state["orders"].values() if o["client_oid"] == stop_oid)
        assert stop["status"] == "OPEN" and stop["kind"].startswith("STOP"), label
    return intent.status


@pytest.mark.slow
def test_sigkill_anywhere_never_duplicates_and_always_protects(  # type: ignore[no-untyped-def]
    db_url, sessions, settings, tmp_path
) -> None:
    seed = int(CRASH_SEED) if CRASH_SEED else random.randrange(1_000_000)
    print(f"crash test seed={seed} (ATP_CRASH_SEED={seed} reproduces it)")
    rng = random.Random(seed)
    child_settings = order_settings(settings, orders_confirm_polls=2)
    clean_settings = order_settings(
        settings, orders_lookup_grace_seconds=0.0, orders_confirm_polls=2
    )
    fork = multiprocessing.get_context("fork")
    outcomes: dict[str, int] = {}
    for run in range(RUNS):
        _reset(sessions)
        set_switch(sessions, "MAX_OPEN_ORDERS_PER_COIN", "50")
        scenario, kill_at, before = rng.choice(SCENARIOS), rng.randint(1, 14), rng.random() < 0.5
        label = f"seed={seed} run={run} scenario={scenario} kill_at={kill_at} before={before}"
        path = tmp_path / f"broker-{run}.json"
        _broker(path, scenario).set_price(Decimal("2000"))  # create the state file
        intent_id = make_intent(sessions, f"crash-{run}")
        child = fork.Process(
            target=_child, args=(db_url, child_settings, str(path), scenario, kill_at, before)
        )
        child.start()
        child.join(30)
        assert child.exitcode is not None, label
        broker = _broker(path, scenario)
        rt = OrderRuntime(sessions, broker, clean_settings, sleep=no_sleep, now=_later)
        asyncio.run(_clean_passes(rt))
        final = _check(sessions, broker, intent_id, label)
        key = f"{final}{'/killed' if child.exitcode == -signal.SIGKILL else ''}"
        outcomes[key] = outcomes.get(key, 0) + 1
    print(f"crash outcomes: {outcomes}")
    killed = sum(v for k, v in outcomes.items() if k.endswith("/killed"))
    assert killed >= RUNS // 2  # the kill points really land inside the sequence
