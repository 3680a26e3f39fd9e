"""A 10 s PostgreSQL outage during `atp run --no-api`: every role survives and catches up.

The outage is real: the test's own throw-away database refuses new connections
(`ALLOW_CONNECTIONS false`) and its sessions are terminated, for 10 s. Afterwards the
process is still running, the monitor heartbeat and the market updater write again, and the
alerts queued before the outage (due during it) are delivered.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, enqueue_alert
from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, make_session_factory
from atp.monitor.heartbeat import SERVICE
from atp.ops.models import ServiceHeartbeat
from atp.runtime.seed import seed_all
from tests.integration.db_admin import empty_database
from tests.settings_env import IN_CI, PG_URL, child_env

ATP = str(Path(sys.executable).with_name("atp"))
INSTANCE = "outage-run"
MONITOR_INTERVAL_S = 1.0
MARKET_INTERVAL_S = 0.5
OUTAGE_S = 10.0


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own: the outage must not touch anyone else's."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("ATP_TEST_DATABASE_URL is required in CI")
        pytest.skip("PostgreSQL not configured (ATP_TEST_DATABASE_URL)")
    with empty_database("postgres", PG_URL, tmp_path) as url:
        engine = make_engine(url)
        upgrade_to_head(engine)
        seed_all(make_session_factory(engine))
        engine.dispose()
        yield url


@contextmanager
def outage(url: str) -> Iterator[Callable[[bool], None]]:
    """Refuse new connections; the yielded `terminate(spare_locks)` ends sessions on the database.

    Leaving the block always restores access (a database left closed breaks every later run).
    """
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def terminate(spare_locks: bool) -> None:
        spare = " AND application_name NOT LIKE 'atp-%-lock'" if spare_locks else ""
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    f" WHERE datname = :db AND pid <> pg_backend_pid(){spare}"
                ),
                {"db": name},
            )

    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        yield terminate
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


def _queue_alerts(sessions: sessionmaker[Session], due_at: datetime, count: int) -> list[int]:
    ids = []
    with sessions.begin() as session:
        for n in range(count):
            row = enqueue_alert(
                session,
                idempotency_key=f"outage-test:{n}",
                kind=MessageKind.ALERT,
                symbol=None,
                side=None,
                text=f"queued before the outage #{n}",
                chat_id=None,
                correlation_id=None,
                context=None,
            )
            row.next_attempt_at = due_at  # due while the database is down
            ids.append(row.id)
    return ids


def _beat_at(sessions: sessionmaker[Session], service: str) -> datetime | None:
    with sessions() as session:
        row = session.get(ServiceHeartbeat, (service, INSTANCE))
        return None if row is None else row.beat_at


def _sent(sessions: sessionmaker[Session], ids: list[int]) -> int:
    with sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(TelegramMessage)
            .where(TelegramMessage.id.in_(ids), TelegramMessage.status == "SENT")
        )
    return int(count or 0)


def _wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; log tail:\n{log.read_text()[-4000:]}")


@pytest.mark.slow
def test_every_role_survives_a_10s_postgres_outage(own_database: str, tmp_path: Path) -> None:
    env = child_env(
        DATABASE_URL=own_database,
        ATP_DATA_DIR=str(tmp_path),
        ENVIRONMENT="local",  # console delivery
        LOG_LEVEL="INFO",
        MARKET_SOURCE="replay",
        MARKET_INTERVAL_SECONDS=str(MARKET_INTERVAL_S),
        MONITOR_INTERVAL_SECONDS=str(MONITOR_INTERVAL_S),
        MONITOR_INSTANCE_ID=INSTANCE,
    )
    log = tmp_path / "run.log"
    engine = make_engine(own_database)
    sessions = make_session_factory(engine)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [ATP, "run", "--no-api"], env=env, cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        _wait_for(lambda: _beat_at(sessions, SERVICE) is not None, 20, "the monitor", log)
        _wait_for(lambda: _beat_at(sessions, "market") is not None, 20, "the updater", log)
        ids = _queue_alerts(sessions, datetime.now(UTC) + timedelta(seconds=2), count=3)
        engine.dispose()
        with outage(own_database) as terminate:
            # First half: every data connection dies while the leaders keep their lock sessions,
            # so each role fails in the middle of its own work (a pool or connection-slot
            # failure). Second half: the lock sessions die too and every role loses its lock.
            terminate(True)
            time.sleep(OUTAGE_S / 2)
            terminate(False)
            time.sleep(OUTAGE_S / 2)
        restored = datetime.now(UTC)
        assert proc.poll() is None, "the process exited during the outage"
        monitor_s = _wait_for(
            lambda: (_beat_at(sessions, SERVICE) or restored) > restored, 10, "monitor beat", log
        )
        assert monitor_s <= 2 * MONITOR_INTERVAL_S + 0.5, f"heartbeat resumed after {monitor_s}s"
        _wait_for(lambda: (_beat_at(sessions, "market") or restored) > restored, 10, "market", log)
        _wait_for(lambda: _sent(sessions, ids) == len(ids), 10, "queued alerts sent", log)
        assert proc.poll() is None, "the process exited after the outage"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
        engine.dispose()
    output = log.read_text()
    assert proc.returncode == 0, output[-3000:]
    for role in ("market", "sender"):  # logged once, not once per failed iteration
        assert output.count(f"[{role}] failing:") == 1, output[-4000:]
        assert output.count(f"[{role}] recovered after") == 1, output[-4000:]
        assert output.count(f"[{role} lock] failing:") <= 1, output[-4000:]
