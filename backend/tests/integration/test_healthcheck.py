"""`atp healthcheck <role>`: what the compose healthchecks run (exit 0 / 1 / 2, one line)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session, sessionmaker

from atp.api.app import create_app
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.worker import MonitorWorker
from atp.ops.heartbeats import (
    MARKET_SERVICE,
    SENDER_SERVICE,
    SERVICE_BY_ROLE,
    write_heartbeat,
)
from atp.ops.models import ServiceHeartbeat
from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from atp.settings import Settings
from tests.integration.test_watchlist_cli import run


def _beat(
    sessions: sessionmaker[Session], service: str, age_s: float, instance: str = "t:1"
) -> None:
    now = utcnow()
    with unit_of_work(sessions) as session:
        write_heartbeat(
            session,
            service=service,
            instance_id=instance,
            role="single",
            started_at=now - timedelta(hours=1),
            beat_at=now - timedelta(seconds=age_s),
            cycle=7,
        )


def test_a_fresh_monitor_heartbeat_passes_and_a_stale_one_fails(settings: Settings) -> None:
    live = settings.model_copy(update={"monitor_instance_id": "hc-test"})
    worker = MonitorWorker(AppContext(settings=live))
    try:
        worker.tick()  # the real monitor writes its heartbeat row
    finally:
        worker.shutdown()
        worker.context.close()
    code, out = run(live, "healthcheck", "monitor")
    assert code == 0, out
    assert out.startswith("monitor: ok, heartbeat") and "instance hc-test" in out

    app = AppContext(settings=live)
    with unit_of_work(app.sessions) as session:  # the monitor stopped 10 minutes ago
        session.execute(update(ServiceHeartbeat).values(beat_at=utcnow() - timedelta(seconds=600)))
    app.close()
    code, out = run(live, "healthcheck", "monitor")
    assert code == 1
    assert "monitor: heartbeat is 600 s old (limit 120 s)" in out  # 4 x the 30 s interval
    assert len(out.strip().splitlines()) == 1
    code, out = run(live, "healthcheck", "monitor", "--max-age", "900")
    assert code == 0, out


def test_the_threshold_comes_from_the_roles_interval(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _beat(sessions, MARKET_SERVICE, age_s=200)
    slow = settings.model_copy(update={"market_interval_seconds": 60.0})  # 4 x 60 = 240 s
    assert run(slow, "healthcheck", "market")[0] == 0
    code, out = run(settings, "healthcheck", "market")  # 30 s interval: the 90 s floor wins
    assert code == 1 and "(limit 120 s)" in out


def test_missing_heartbeat_and_other_hosts(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    code, out = run(settings, "healthcheck", "bot")
    assert code == 1
    assert "bot: no heartbeat yet" in out and f"host {socket.gethostname()}" in out
    _beat(sessions, SERVICE_BY_ROLE["bot"], age_s=1)
    with unit_of_work(sessions) as session:  # written by another container
        session.execute(update(ServiceHeartbeat).values(hostname="other-container"))
    assert run(settings, "healthcheck", "bot")[0] == 1
    code, out = run(settings, "healthcheck", "bot", "--any-host")
    assert code == 0 and "bot: ok" in out


def test_unknown_role_is_a_usage_error(settings: Settings) -> None:
    code, out = run(settings, "healthcheck", "frontend")
    assert code == 2 and "'frontend' is not one of" in out


def test_a_real_sender_writes_its_heartbeat(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    app = AppContext(settings=settings)
    try:
        asyncio.run(build_sender(app).run(asyncio.Event(), once=True))
    finally:
        app.close()
    with sessions() as session:
        row = session.get(ServiceHeartbeat, (SENDER_SERVICE, settings.monitor_instance_id))
    assert row is not None and row.role == "leader" and row.details
    assert row.details["channel"] == "console" and row.hostname == socket.gethostname()
    code, out = run(settings, "healthcheck", "sender")
    assert code == 0, out


def test_database_down_cannot_check(tmp_path: Path) -> None:
    down = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql://postgres@127.0.0.1:9/atp_nowhere",
        data_dir=tmp_path,
    )
    code, out = run(down, "healthcheck", "market")
    assert code == 2
    assert out.startswith("market: cannot check: cannot use the database")
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    missing = down.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'none.db'}"})
    code, out = run(missing, "healthcheck", "sync")
    assert code == 2 and "no database at" in out
    assert not (tmp_path / "none.db").exists()  # the check created nothing


def test_only_the_heartbeat_table_is_needed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = create_engine(url)
    ServiceHeartbeat.__table__.create(engine)  # no Alembic revision, no other table
    _beat(sessionmaker(engine), SERVICE_BY_ROLE["sync"], age_s=2)
    engine.dispose()
    bare = Settings(_env_file=None, database_url=url, data_dir=tmp_path)  # type: ignore[call-arg]
    code, out = run(bare, "healthcheck", "sync")
    assert code == 0, out


@pytest.fixture
def api_server(settings: Settings) -> Iterator[Settings]:
    """The real API on a loopback port (uvicorn in a thread)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = settings.model_copy(update={"api_host": "0.0.0.0", "api_port": port})
    context = AppContext(settings=served)
    server = uvicorn.Server(
        uvicorn.Config(create_app(context), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield served
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        context.close()


def test_api_ready_passes_and_no_api_fails(api_server: Settings) -> None:
    code, out = run(api_server, "healthcheck", "api")
    assert code == 0, out
    assert out.startswith(f"api: ready at http://127.0.0.1:{api_server.api_port}/")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nobody = probe.getsockname()[1]
    code, out = run(api_server.model_copy(update={"api_port": nobody}), "healthcheck", "api")
    assert code == 1 and "api: no answer at" in out
