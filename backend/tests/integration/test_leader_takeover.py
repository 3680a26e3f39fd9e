"""Exactly one active monitor, with two REAL processes: kill -9 the leader, the standby takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.monitor.heartbeat import SERVICE
from atp.ops.models import ServiceHeartbeat
from tests.settings_env import child_env

INTERVAL_S = 0.5
ATP = Path(sys.executable).with_name("atp")


def _start(db_url: str, instance: str, workdir: Path) -> subprocess.Popen[bytes]:
    env = child_env(
        DATABASE_URL=db_url,
        ATP_DATA_DIR=str(workdir),
        ENVIRONMENT="test",
        LOG_LEVEL="INFO",
        MONITOR_INTERVAL_SECONDS=str(INTERVAL_S),
        MONITOR_INSTANCE_ID=instance,
    )
    log = (workdir / f"{instance}.log").open("wb")
    # cwd=workdir: no developer secrets/runtime.env is picked up by the child.
    return subprocess.Popen([str(ATP), "monitor"], cwd=workdir, env=env, stdout=log, stderr=log)


def _wait_for(check: Callable[[], bool], timeout: float, what: str, logs: Path) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.02)
    tails = {p.name: p.read_text()[-2000:] for p in sorted(logs.glob("*.log"))}
    raise AssertionError(f"timed out waiting for {what}; child logs: {tails}")


def _role(sessions: sessionmaker[Session], instance: str) -> str | None:
    with sessions() as s:
        row = s.get(ServiceHeartbeat, (SERVICE, instance))
        return None if row is None else row.role


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_standby_takes_over_within_two_intervals_after_kill_9(
    db_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    leader = _start(db_url, "proc-a", tmp_path)
    processes.append(leader)
    _wait_for(
        lambda: _role(sessions, "proc-a") == "leader",
        60,
        "proc-a to lead",
        tmp_path,
    )

    standby = _start(db_url, "proc-b", tmp_path)
    processes.append(standby)
    _wait_for(lambda: _role(sessions, "proc-b") == "standby", 60, "proc-b to stand by", tmp_path)
    time.sleep(2 * INTERVAL_S)  # several standby ticks: it must not take over while A lives
    assert _role(sessions, "proc-b") == "standby"

    killed_at = time.monotonic()
    os.kill(leader.pid, signal.SIGKILL)
    took_over = _wait_for(
        lambda: _role(sessions, "proc-b") == "leader", 10, "proc-b to lead", tmp_path
    )
    assert took_over - killed_at <= 2 * INTERVAL_S, f"takeover took {took_over - killed_at:.2f} s"
    assert leader.wait(timeout=5) == -signal.SIGKILL

    standby.send_signal(signal.SIGTERM)  # a clean stop releases the lock and says so
    assert standby.wait(timeout=10) == 0
    assert _role(sessions, "proc-b") == "stopped"
    log = (tmp_path / "proc-b.log").read_text()
    assert "[LEADER] instance=proc-b acquired" in log
    assert "[HEARTBEAT] SignalMonitorService standby instance=proc-b" in log
    assert "[HEARTBEAT] SignalMonitorService alive cycle=1" in log
