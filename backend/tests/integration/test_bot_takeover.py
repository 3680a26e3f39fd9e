"""`atp bot` as a process: exactly one poller (a second `atp bot` stays passive while the first
runs and takes over within two intervals after SIGKILL), its one-line refusal without Telegram,
and the `bot` role inside `atp run`."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.bot.liveness import SERVICE
from atp.bot.models import BotUpdate
from atp.ops.models import ServiceHeartbeat
from atp.runtime.bot import run_bot
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.bot_support import OPERATOR_CHAT
from tests.integration.run_support import ATP, atp_run
from tests.settings_env import child_env

INTERVAL = 1.0


def _start_bot(
    db_url: str, data_dir: Path, fake: FakeTelegram, name: str
) -> subprocess.Popen[bytes]:
    env = child_env(
        DATABASE_URL=db_url,
        ATP_DATA_DIR=str(data_dir),
        ENVIRONMENT="production",
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_CHAT_ID=str(OPERATOR_CHAT),
        TELEGRAM_API_BASE_URL=fake.api_base_url,
        MONITOR_INSTANCE_ID=name,
        BOT_INTERVAL_SECONDS=str(INTERVAL),
        BOT_POLL_TIMEOUT_SECONDS="1",
    )
    return subprocess.Popen(
        [ATP, "bot"], env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _beat(sessions: sessionmaker[Session], name: str) -> tuple[str, str] | None:
    with sessions() as session:
        row = session.get(ServiceHeartbeat, (SERVICE, name))
        if row is None:
            return None
        return row.role, str((row.details or {}).get("state"))


def _status(sessions: sessionmaker[Session], update_id: int) -> str | None:
    with sessions() as session:
        return session.scalar(select(BotUpdate.status).where(BotUpdate.update_id == update_id))


def _wait(condition: Callable[[], bool], what: str, *procs: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                stderr = proc.stderr.read() if proc.stderr is not None else ""
                raise AssertionError(f"{what}: the process exited ({proc.returncode}): {stderr!r}")
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


@pytest.mark.slow
def test_a_standby_stays_passive_then_takes_over_after_sigkill(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        first = _start_bot(db_url, tmp_path, fake, "bot-a")
        second: subprocess.Popen[bytes] | None = None
        try:
            _wait(lambda: _beat(sessions, "bot-a") == ("leader", "polling"), "first leads", first)
            second = _start_bot(db_url, tmp_path, fake, "bot-b")
            _wait(
                lambda: _beat(sessions, "bot-b") == ("standby", "standby"), "second waits", second
            )
            before = fake.push_text(OPERATOR_CHAT, "/help")
            _wait(lambda: _status(sessions, before) == "done", "first handles", first)
            time.sleep(2 * INTERVAL)  # the standby keeps waiting: it never polls
            assert _beat(sessions, "bot-b") == ("standby", "standby")
            assert [c.status for c in fake.calls_of("getMe")] == [200]  # only the leader started
            assert all(c.status in (0, 200) for c in fake.calls_of("getUpdates"))  # no 409

            polls_before = len(fake.calls_of("getUpdates"))
            first.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            first.wait(5)
            _wait(lambda: len(fake.calls_of("getUpdates")) > polls_before, "takeover", second)
            took = fake.calls_of("getUpdates")[polls_before].t - killed_at
            assert took < 2 * INTERVAL, f"takeover took {took:.2f}s"

            after = fake.push_text(OPERATOR_CHAT, "/help")
            _wait(lambda: _status(sessions, after) == "done", "second handles", second)
            _wait(lambda: _beat(sessions, "bot-b") == ("leader", "polling"), "beat", second)
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(15)
        assert second is not None and second.returncode == 0  # SIGTERM: a clean stop
        log = second.stderr.read().decode()  # type: ignore[union-attr]
        assert "[LEADER] instance=bot-b acquired" in log
        assert fake.token not in log and fake.token.split(":")[1] not in log
        with sessions() as session:
            claims = session.scalars(select(BotUpdate).order_by(BotUpdate.update_id)).all()
        assert [(c.update_id, c.status) for c in claims] == [(before, "done"), (after, "done")]


def test_atp_bot_refuses_to_start_without_telegram_in_one_line(db_url: str, tmp_path: Path) -> None:
    env = child_env(DATABASE_URL=db_url, ATP_DATA_DIR=str(tmp_path), ENVIRONMENT="production")
    done = subprocess.run(
        [ATP, "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: the Telegram bot cannot start: TELEGRAM_BOT_TOKEN is not set"
    )


@pytest.mark.slow
def test_the_bot_role_answers_inside_atp_run(tmp_path: Path) -> None:
    with (
        FakeTelegram() as fake,
        atp_run(
            tmp_path,
            ENVIRONMENT="production",
            MARKET_SOURCE="replay",
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_CHAT_ID=str(OPERATOR_CHAT),
            TELEGRAM_API_BASE_URL=fake.api_base_url,
            BOT_INTERVAL_SECONDS="1",
            BOT_POLL_TIMEOUT_SECONDS="1",
        ) as run,
    ):
        update = fake.push_text(OPERATOR_CHAT, "/help")
        _wait(lambda: _status(run.sessions, update) == "done", "handled", run.process)
        assert fake.texts(OPERATOR_CHAT), "no reply from the bot role"
    assert "[bot] starting" in run.output


async def test_the_bot_role_idles_with_one_line_without_a_token(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stop.set)
    with caplog.at_level(logging.WARNING, logger="atp.runtime.bot"):
        await run_bot(AppContext(settings=settings), stop)
    assert [r.getMessage() for r in caplog.records] == [
        "[bot] the Telegram bot is not started: TELEGRAM_BOT_TOKEN is not set"
    ]
