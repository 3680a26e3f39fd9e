"""`atp run` (what `make run` starts): replay market data -> monitor -> outbox -> console sender."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, unit_of_work
from atp.ops.config_trail import ChangeSource
from atp.runtime.demo import DEMO_SYMBOLS, seed_demo_watchlist
from atp.watchlist import service as watchlist_service
from tests.integration.run_support import ATP, atp_run
from tests.settings_env import child_env


def test_demo_seed_runs_once_and_deleted_symbols_stay_deleted(
    sessions: sessionmaker[Session],
) -> None:
    from atp.runtime.seed import seed_all

    seed_all(sessions)
    with unit_of_work(sessions) as session:
        assert seed_demo_watchlist(session) == list(DEMO_SYMBOLS)
    with unit_of_work(sessions) as session:
        watchlist_service.remove_item(session, symbol="BTC_USDT", source=ChangeSource.CLI)
    with unit_of_work(sessions) as session:
        assert seed_demo_watchlist(session) == []
        active = [i.symbol for i in watchlist_service.list_items(session)]
    assert "BTC_USDT" not in active and len(active) == len(DEMO_SYMBOLS) - 1


def test_demo_seed_leaves_an_existing_watchlist_alone(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        watchlist_service.add_item(session, symbol="LINK_USDT", source=ChangeSource.CLI)
    with unit_of_work(sessions) as session:
        assert seed_demo_watchlist(session) == []
        assert [i.symbol for i in watchlist_service.list_items(session)] == ["LINK_USDT"]


def test_atp_run_delivers_alerts_offline_and_stops_cleanly(tmp_path: Path) -> None:
    with atp_run(
        tmp_path,
        ENVIRONMENT="local",
        MARKET_SOURCE="replay",
        MARKET_INTERVAL_SECONDS="5",
        MONITOR_INTERVAL_SECONDS="2",
    ) as run:
        sent = _wait_for_sent(run.sessions, timeout=60)
        assert sent > 0, "no alert delivered within 60 s"
    assert run.process.returncode == 0, run.output[-3000:]
    assert "[HEARTBEAT] SignalMonitorService alive" in run.output
    assert "----- alert (console" in run.output
    assert "Traceback" not in run.output


def _wait_for_sent(sessions: sessionmaker[Session], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            sent = session.scalar(
                select(func.count())
                .select_from(TelegramMessage)
                .where(TelegramMessage.status == "SENT")
            )
        if sent:
            return int(sent)
        time.sleep(0.5)
    return 0


def test_atp_run_with_its_api_port_taken_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    url = f"sqlite:///{tmp_path / 'atp.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = child_env(
            DATABASE_URL=url, ATP_DATA_DIR=str(tmp_path), MARKET_SOURCE="replay", API_PORT=str(port)
        )
        result = subprocess.run(
            [ATP, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: cannot listen on 127.0.0.1:") and "API_PORT" in lines[-1]
    assert "Traceback" not in result.stderr
