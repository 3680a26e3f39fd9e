"""Shared helpers for the alerts / sender integration tests (settings, enqueueing, draining)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.delivery import RetryPolicy
from atp.alerts.models import TelegramMessage
from atp.alerts.notifier import TelegramNotifier
from atp.alerts.outbox import OPEN_STATUSES, MessageKind, enqueue_alert
from atp.alerts.pacing import PacingLimits
from atp.alerts.sender import SenderConfig, SenderWorker
from atp.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram

# Scaled-down limits so tests take seconds; the fake's log is checked against these same values.
FAST_LIMITS = PacingLimits(
    per_chat_interval=0.01, group_max=4, group_window=0.1, global_max=8, global_window=0.05
)
FAST_RETRY = RetryPolicy(
    max_attempts=30, backoff_base=0.01, backoff_max=0.08, retry_after_scale=0.05, jitter=0.1
)
FAST_CONFIG = SenderConfig(
    limits=FAST_LIMITS,
    retry=FAST_RETRY,
    max_age=timedelta(minutes=10),
    claim_lease=timedelta(seconds=30),
    poll_interval=0.05,
    gating_interval=0.2,
)


def telegram_settings(db_url: str, data_dir: Path, fake: FakeTelegram, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "data_dir": data_dir,
        "environment": "production",
        "telegram_bot_token": fake.token,
        "telegram_chat_id": "111",
        "telegram_api_base_url": fake.api_base_url,
        "telegram_daily_summary_time": "off",
        "display_timezone": "UTC",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def telegram_worker(
    sessions: sessionmaker[Session],
    settings: Settings,
    config: SenderConfig = FAST_CONFIG,
    timeout: float = 2.0,
    **overrides: object,
) -> SenderWorker:
    notifier = TelegramNotifier(
        settings.telegram_bot_token, settings.telegram_api_base_url, timeout=timeout
    )
    return SenderWorker(sessions, settings, notifier, replace(config, **overrides))  # type: ignore[arg-type]


def enqueue(
    sessions: sessionmaker[Session],
    chat_id: str | None,
    texts: list[str],
    kind: str = MessageKind.ALERT,
) -> list[int]:
    ids = []
    with sessions.begin() as session:
        for text in texts:
            row = enqueue_alert(
                session,
                idempotency_key=f"test:{chat_id}:{hashlib.sha1(text.encode()).hexdigest()}",
                kind=kind,
                symbol="BTC_USDT",
                side="BUY",
                text=text,
                chat_id=chat_id,
                correlation_id=f"corr-{text}"[:64],
                context={"n": text},
            )
            ids.append(row.id)
    return ids


def open_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TelegramMessage)
                .where(TelegramMessage.status.in_([s.value for s in OPEN_STATUSES]))
            )
            or 0
        )


def rows(sessions: sessionmaker[Session]) -> list[TelegramMessage]:
    with sessions() as session:
        return list(session.scalars(select(TelegramMessage).order_by(TelegramMessage.id)))


async def run_until_drained(
    sessions: sessionmaker[Session], *workers: SenderWorker, timeout: float = 20.0
) -> float:
    """Run the workers' real loops until no open row is left; returns the elapsed seconds."""
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        while await asyncio.to_thread(open_count, sessions):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{open_count(sessions)} messages still open after {timeout}s")
            for task in tasks:
                if task.done():
                    task.result()  # surface a crashed loop
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return time.monotonic() - started
