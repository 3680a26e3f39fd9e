"""Workers survive database faults: the sender loop, the Telegram switch read, one market updater."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.gating import BlockReason, telegram_status
from atp.alerts.models import TelegramMessage
from atp.alerts.notifier import ConsoleNotifier
from atp.alerts.sender import SenderConfig, SenderWorker
from atp.market.single import SingleInstanceUpdater
from atp.market.updater import MarketUpdater
from atp.monitor.heartbeat import SERVICE as MONITOR_SERVICE
from atp.ops.models import ServiceHeartbeat, TradingSetting
from atp.runtime.market_source import build_market_source
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.workers.runner import STANDBY
from tests.integration.alerts_support import enqueue
from tests.settings_env import child_env

ATP = str(Path(sys.executable).with_name("atp"))


@contextmanager
def database_down(engine: Engine) -> Iterator[None]:
    """Every statement on `engine` fails like a dropped connection while inside the block."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT 1", None, ConnectionError("server closed the connection"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _sent(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TelegramMessage)
                .where(TelegramMessage.status == "SENT")
            )
            or 0
        )


async def test_the_sender_loop_survives_a_database_outage_and_delivers_afterwards(
    engine: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    config = SenderConfig(max_age=timedelta(minutes=10), poll_interval=0.02, gating_interval=0.05)
    worker = SenderWorker(sessions, settings, ConsoleNotifier(), config)
    stop = asyncio.Event()
    with database_down(engine):
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.3)  # several iterations fail meanwhile
        assert not running.done(), running.exception() if running.done() else None
    enqueue(sessions, None, ["queued after the outage 1", "queued after the outage 2"])
    for _ in range(200):
        if _sent(sessions) == 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert _sent(sessions) == 2


def test_a_failed_switch_read_leaves_the_callers_transaction_usable(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as session:  # the caller's own transaction, with its own work in it
        session.add(TradingSetting(key="CALLER_WORK", value="kept"))
        session.flush()
        session.execute(text("ALTER TABLE trading_settings RENAME TO trading_settings_hidden"))
        status = telegram_status(settings, session)  # the switch read fails: no such table
        assert BlockReason.OPERATOR_SWITCH_UNREADABLE in status.reasons
        # The caller's next statements still run in its (untouched) transaction.
        session.execute(text("ALTER TABLE trading_settings_hidden RENAME TO trading_settings"))
    with sessions() as session:
        assert session.get(TradingSetting, "CALLER_WORK") is not None


def test_an_unreadable_switch_holds_queued_alerts_instead_of_blocking_them(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    from atp.alerts.housekeeping import Housekeeping

    enqueue(sessions, None, ["held while the switch cannot be read"])
    housekeeping = Housekeeping(sessions, settings, timedelta(minutes=10))
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE trading_settings RENAME TO trading_settings_hidden"))
    try:
        result = housekeeping.run(gating_interval=60.0)
    finally:
        with sessions.begin() as session:
            session.execute(text("ALTER TABLE trading_settings_hidden RENAME TO trading_settings"))
    assert result.is_blocked and result.blocked == 0
    with sessions() as session:
        statuses = list(session.scalars(select(TelegramMessage.status)))
    assert statuses == ["PENDING"]
    # The next round asks again at once (not after the gating interval) and is open again.
    assert housekeeping.run(gating_interval=60.0).is_blocked is False


def _updater(sessions: sessionmaker[Session], settings: Settings, instance: str) -> Any:
    instance_settings = settings.model_copy(
        update={"market_source": "replay", "monitor_instance_id": instance}
    )
    source = build_market_source(instance_settings)
    return SingleInstanceUpdater.build(MarketUpdater(source, sessions, instance_settings)), source


def _market_beats(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        rows = session.scalars(
            select(ServiceHeartbeat.instance_id).where(ServiceHeartbeat.service == "market")
        )
        return set(rows)


async def test_a_second_market_updater_on_the_same_database_stands_by(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    first, first_source = _updater(sessions, settings, "market-a")
    second, second_source = _updater(sessions, settings, "market-b")
    try:
        assert await first.tick() != STANDBY
        assert await second.tick() == STANDBY  # standby: no pass, no writes
        assert await second.tick() == STANDBY
        assert _market_beats(sessions) == {"market-a"}
        await first.release()  # the holder stops: the standby takes over on its next tick
        assert await second.tick() != STANDBY
        assert await first.tick() == STANDBY
        assert _market_beats(sessions) == {"market-a", "market-b"}
    finally:
        await first.release()
        await second.release()
        await first_source.aclose()
        await second_source.aclose()


@pytest.mark.slow
def test_two_atp_runs_on_one_database_run_each_role_once(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_all(sessions)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for instance in ("run-a", "run-b"):
            env = child_env(
                DATABASE_URL=db_url,
                ATP_DATA_DIR=str(tmp_path),
                ENVIRONMENT="local",
                LOG_LEVEL="INFO",
                MARKET_SOURCE="replay",
                MARKET_INTERVAL_SECONDS="0.5",
                MONITOR_INTERVAL_SECONDS="0.5",
                MONITOR_INSTANCE_ID=instance,
            )
            with (tmp_path / f"{instance}.log").open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [ATP, "run", "--no-api"], env=env, cwd=tmp_path, stdout=out, stderr=out
                    )
                )
            if instance == "run-a":  # let A take every lock first
                _wait(lambda: _market_beats(sessions) == {"run-a"}, tmp_path)
        _wait(lambda: "market updater standing by" in _log(tmp_path, "run-b"), tmp_path)
        time.sleep(1.5)  # three more market intervals
        assert _market_beats(sessions) == {"run-a"}
        roles = _monitor_roles(sessions)
        assert roles == {"run-a": "leader", "run-b": "standby"}, roles
        assert all(proc.poll() is None for proc in procs)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            finally:
                if proc.poll() is None:
                    proc.kill()


def _log(directory: Path, instance: str) -> str:
    return (directory / f"{instance}.log").read_text()


def _wait(check: Callable[[], bool], directory: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    logs = {p.name: p.read_text()[-2000:] for p in sorted(directory.glob("*.log"))}
    raise AssertionError(f"timed out; logs: {logs}")


def _monitor_roles(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        rows = session.execute(
            select(ServiceHeartbeat.instance_id, ServiceHeartbeat.role).where(
                ServiceHeartbeat.service == MONITOR_SERVICE
            )
        )
        return {row.instance_id: row.role for row in rows}
