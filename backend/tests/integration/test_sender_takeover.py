"""Telegram's limits hold across restarts and takeovers: a sender that becomes active rebuilds
its pacing from the ledger (what was sent in the last window), so the per-chat, group and
overall limits count the previous sender's messages too.

The issue's reproduction: 30 alerts to a group, the sender SIGKILLed after 12 and a new process
started; the fake Bot API's receipt times must show no group window over its limit.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.pacing import PacingLimits
from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from tests.fakes.fake_telegram import FakeTelegram
from tests.fakes.telegram_rules import pacing_violations
from tests.integration import sender_process
from tests.integration.alerts_support import (
    FAST_CONFIG,
    enqueue,
    rows,
    run_until_drained,
    telegram_settings,
    telegram_worker,
)
from tests.settings_env import child_env

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

GROUP = "-100555"
BACKEND_DIR = Path(__file__).resolve().parents[2]


def _violations(fake: FakeTelegram, limits: PacingLimits) -> list[str]:
    return pacing_violations(
        fake.sends(),
        per_chat_interval=limits.per_chat_interval,
        group_max=limits.group_max,
        group_window=limits.group_window,
        global_max=limits.global_max,
        global_window=limits.global_window,
    )


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


async def test_a_fresh_sender_counts_what_the_previous_one_sent(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    """In process: the first sender is abandoned mid-stream (no clean shutdown) and a fresh one
    starts at once; its first message to the chat still waits out the per-chat interval and the
    group window that the first sender's messages occupy."""
    limits = PacingLimits(
        per_chat_interval=0.3, group_max=3, group_window=1.0, global_max=30, global_window=1.0
    )
    settings = telegram_settings(db_url, tmp_path, fake)
    enqueue(sessions, GROUP, [f"alert {n}" for n in range(6)])
    first = telegram_worker(sessions, settings, limits=limits)
    assert await first.tick() == 1
    await asyncio.sleep(limits.per_chat_interval)
    assert await first.tick() == 1
    await first.notifier.close()  # abandoned: its in-memory pacing is gone with it

    await run_until_drained(sessions, telegram_worker(sessions, settings, limits=limits))
    assert fake.texts(GROUP) == [f"alert {n}" for n in range(6)]
    assert _violations(fake, limits) == []


async def test_pacing_is_rebuilt_when_a_standby_takes_over(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    """The rebuild runs on every takeover of the sender lock, not only on a process's first tick."""
    limits = PacingLimits(
        per_chat_interval=0.5, group_max=20, group_window=1.0, global_max=30, global_window=1.0
    )
    app = AppContext(settings=telegram_settings(db_url, tmp_path, fake))
    config = replace(FAST_CONFIG, limits=limits)
    standby, other = build_sender(app, config), build_sender(app, config)
    try:
        assert (await standby.run(asyncio.Event(), once=True)).sent == 0  # led once, then let go
        enqueue(sessions, "111", ["a"])
        assert (await other.run(asyncio.Event(), once=True)).sent == 1  # the other one leads
        enqueue(sessions, "111", ["b"])
        assert (await standby.run(asyncio.Event(), once=True)).sent == 1  # takes over again
    finally:
        app.close()
    assert fake.texts("111") == ["a", "b"]
    assert _violations(fake, limits) == []  # "b" waited out the interval after "a"


def _start_sender(db_url: str, data_dir: Path, fake: FakeTelegram) -> subprocess.Popen[bytes]:
    args = [db_url, str(data_dir), fake.api_base_url, fake.token, GROUP]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.sender_process", *args],
        cwd=BACKEND_DIR,
        env=child_env(),  # the developer's own Telegram / database variables never leak in
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for_sends(fake: FakeTelegram, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while len(fake.calls_of("sendMessage")) < count:
        if process.poll() is not None:
            raise AssertionError(f"sender exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(fake.calls_of('sendMessage'))}/{count} sends")
        time.sleep(0.005)


@pytest.mark.slow
def test_group_limit_holds_across_a_sigkilled_sender(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    """30 alerts to a group; the sender process is SIGKILLed after 12 and a new one started."""
    texts = [f"alert {n:02d}" for n in range(30)]
    enqueue(sessions, None, texts)  # None = the alerts chat from settings (the group)
    first = _start_sender(db_url, tmp_path, fake)
    try:
        _wait_for_sends(fake, 12, first)
        first.send_signal(signal.SIGKILL)
        first.wait(5)
    finally:
        first.kill()
    second = _start_sender(db_url, tmp_path, fake)
    try:
        _wait_for_sends(fake, 30, second)
        deadline = time.monotonic() + 10
        while fake.texts(GROUP)[-1:] != texts[-1:] and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        second.kill()
        second.wait(5)
    delivered = fake.texts(GROUP)
    assert sorted(set(delivered)) == texts  # all there (a kill mid-send may duplicate one)
    assert _violations(fake, sender_process.LIMITS) == []
    assert {r.status for r in rows(sessions)} <= {"SENT", "SENDING"}
