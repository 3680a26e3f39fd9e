"""Fencing: a monitor that lost its lock but still believes it leads writes nothing.

Two MonitorWorker instances on one database. A leads; A's lock is lost (PostgreSQL: its lock
connection is terminated with pg_terminate_backend; SQLite: the lock file is removed, so another
process can lock a new file). A's tick still believes it leads (its `still_held` answers True, as
it would before it notices) and B takes over in the middle of A's cycle, after A has read. A's
writes must fail on the leader epoch, A must step down, and exactly one alert and one intent
exist - with and without a configuration change in the overlap.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.monitor import cycle, switches
from atp.monitor.heartbeat import SERVICE
from atp.monitor.inputs import WatchItem
from atp.monitor.leader import make_leader_lock
from atp.monitor.throttle_state import symbol_config_hash
from atp.monitor.worker import MonitorWorker
from atp.ops.config_trail import ChangeSource
from atp.ops.leases import FencedOut, check_lease, take_lease
from atp.ops.models import ServiceHeartbeat, TradingSetting
from atp.orders.models import OrderIntent
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from atp.watchlist import service as watchlist
from atp.watchlist.models import WatchlistItem
from atp.workers.locks import FileLock, LeaderElector, make_instance_lock
from tests.integration.monitor_support import seed_world

TRADE = {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": Decimal("50")}


def _worker(settings: Settings, instance: str) -> MonitorWorker:
    merged = settings.model_copy(update={"monitor_instance_id": instance})
    return MonitorWorker(AppContext(settings=merged))


def _count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _alerts(sessions: sessionmaker[Session]) -> int:
    """Queued alerts (blocked ledger rows live in the same table)."""
    return _count(sessions, TelegramMessage, TelegramMessage.status == "PENDING")


def _lose_lock(worker: MonitorWorker, sessions: sessionmaker[Session]) -> None:
    """The way each backend loses a lock while its holder lives on."""
    lock = worker.elector.lock
    if isinstance(lock, FileLock):
        lock.path.unlink()
        return
    with sessions.begin() as s:
        killed = s.scalars(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'atp-monitor-lock' AND pid <> pg_backend_pid()"
            )
        ).all()
    assert killed == [True]  # exactly A's lock connection (B has not connected yet)


def _seed(sessions: sessionmaker[Session], *, sent_minutes_ago: float | None) -> None:
    now = utcnow()
    seed_world(sessions, {"BTC_USDT": TRADE}, now=now)
    with sessions.begin() as s:
        s.merge(TradingSetting(key="LIVE_TRADING", value="true", updated_at=now))
        if sent_minutes_ago is None:
            return
        item = s.scalars(select(WatchlistItem)).one()
        s.add(  # an alert sent a while ago, under the configuration as it is now
            SignalThrottleState(
                symbol="BTC_USDT",
                strategy_key="test:buy",
                side="BUY",
                last_sent_at=now - timedelta(minutes=sent_minutes_ago),
                last_sent_price=Decimal("100"),
                config_hash=symbol_config_hash(WatchItem.from_row(item).config, 1),
                updated_at=now,
            )
        )


def _b_takes_over_after_a_has_read(
    monkeypatch: pytest.MonkeyPatch, b: MonitorWorker, states: list[str]
) -> None:
    """B's whole tick runs inside A's read phase (after A loaded the watchlist and throttle)."""
    real = switches.load_switches
    started: list[bool] = []

    def load_switches(session: Session) -> Any:
        if not started:  # only in A's cycle (B's own cycle calls this too)
            started.append(True)
            states.append(b.tick())
        return real(session)

    monkeypatch.setattr(cycle, "load_switches", load_switches)


@pytest.mark.parametrize("config_change", [False, True], ids=["plain", "config-change"])
def test_a_deposed_leader_writes_nothing(
    sessions: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    config_change: bool,
) -> None:
    a, b = _worker(settings, "a"), _worker(settings, "b")
    caplog.set_level(logging.INFO, logger="atp.workers.locks")
    try:
        assert a.tick() == "running"  # empty watchlist: A leads, epoch 1
        assert a.elector.epoch == 1
        _seed(sessions, sent_minutes_ago=2 if config_change else None)
        if config_change:  # a new cooldown: both instances see a changed configuration
            with sessions.begin() as s:
                watchlist.set_fields(
                    s,
                    symbol="BTC_USDT",
                    values={"alert_cooldown_minutes": "20"},
                    source=ChangeSource.CLI,
                )
        _lose_lock(a, sessions)
        monkeypatch.setattr(a.elector.lock, "still_held", lambda: True)  # not noticed yet
        b_states: list[str] = []
        _b_takes_over_after_a_has_read(monkeypatch, b, b_states)

        a_state = a.tick()
        assert b_states == ["running"] and b.elector.epoch == 2

        assert _count(sessions, TelegramMessage) == 1  # and no blocked row by A either
        assert _count(sessions, OrderIntent) == 1
        with sessions() as s:
            message = s.scalars(select(TelegramMessage)).one()
            state = s.get(WatchlistSignalState, "BTC_USDT")
            beat_a = s.get(ServiceHeartbeat, (SERVICE, "a"))
        assert state is not None and state.correlation_id == message.correlation_id
        assert (state.alert_status, state.trade_status) == ("QUEUED", "INTENT_CREATED")
        assert a_state == "standby"  # A's writes were fenced: it stepped down
        assert beat_a is not None and beat_a.role == "standby"
        assert not a.elector.is_leader and a.elector.epoch is None
        fenced = [r.getMessage() for r in caplog.records if "fenced out" in r.getMessage()]
        assert fenced == [
            "[LEADER] instance=a monitor epoch 1 fenced out (current epoch 2); "
            "steps down to standby"
        ]

        monkeypatch.undo()
        assert a.tick() == "standby"  # B holds the lock now
        assert b.tick() == "running"
        assert _alerts(sessions) == 1 and _count(sessions, OrderIntent) == 1
    finally:
        for worker in (a, b):
            worker.shutdown()
            worker.context.close()


def test_epochs_increase_and_an_old_epoch_is_fenced(session: Session) -> None:
    now = utcnow()
    assert take_lease(session, "monitor", "a", now) == 1
    assert take_lease(session, "monitor", "b", now) == 2
    assert take_lease(session, "sender", "a", now) == 1  # each role has its own epoch
    session.commit()
    check_lease(session, "monitor", 2)
    session.rollback()
    with pytest.raises(FencedOut) as caught:
        check_lease(session, "monitor", 1)
    assert (caught.value.role, caught.value.epoch, caught.value.current) == ("monitor", 1, 2)
    session.rollback()
    with pytest.raises(FencedOut):
        check_lease(session, "never-led", 1)


def test_a_sender_elector_takes_its_own_lease(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    lock = make_instance_lock(settings, name="sender", pg_lock_id=settings.sender_lock_id)
    sender = LeaderElector(lock, "s1", role="alert sender", sessions=sessions, lease_role="sender")
    monitor = LeaderElector(make_leader_lock(settings), "m1", sessions=sessions)
    try:
        assert sender.ensure() and monitor.ensure()
        assert sender.fence is not None and monitor.fence is not None
        assert (sender.fence.role, sender.fence.epoch) == ("sender", 1)
        assert (monitor.fence.role, monitor.fence.epoch) == ("monitor", 1)
        sender.release()
        assert sender.fence is None
        assert sender.ensure() and sender.epoch == 2  # every acquisition is a new epoch
    finally:
        sender.release()
        monitor.release()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite serialises writers
def test_the_lease_row_is_held_until_the_effects_commit(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """PostgreSQL: a new leader's take_lease waits for the old leader's open effects."""
    with sessions.begin() as s:
        take_lease(s, "monitor", "a", utcnow())
    old_leader = sessions()
    check_lease(old_leader, "monitor", 1)  # the effects transaction is open and holds the row
    try:
        with sessions() as s, pytest.raises(OperationalError, match="lock timeout"):
            s.execute(text("SET LOCAL lock_timeout = '200ms'"))
            take_lease(s, "monitor", "b", utcnow())
    finally:
        old_leader.commit()
        old_leader.close()
    with sessions.begin() as s:  # the old leader committed: the new one gets its epoch
        assert take_lease(s, "monitor", "b", utcnow()) == 2
    with sessions() as s, pytest.raises(FencedOut):
        check_lease(s, "monitor", 1)
