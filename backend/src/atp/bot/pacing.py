"""The bot's replies go through the same per-chat pacing as alerts, and alerts go first.

`SharedPacer` is a PTB rate limiter (`BaseRateLimiter`). Before a request to a chat it waits
until:
1. this process's own pacer allows it (atp.alerts.pacing.ChatPacer: 1 request/s per chat,
   20/min per group, 30/s overall - the limits the sender uses);
2. the alert sender's last request to that chat (the ledger: SENT at `sent_at`, SENDING = now)
   is at least the per-chat interval ago;
3. no alert for that chat is due: alerts keep priority. The wait for a due alert is capped
   (`max_yield`), so a stopped sender cannot silence the bot.
After the request it records the time in `telegram_chat_requests`; the sender reads that table
before every dispatch, so its next alert to the chat keeps the interval too. See docs/bot.md.

A 429 (`RetryAfter`) holds only that chat, then the request is retried once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from atp.alerts.chat_requests import alert_traffic, record_request
from atp.alerts.pacing import ChatPacer, PacingLimits
from atp.db.base import utcnow

log = logging.getLogger(__name__)

# Only requests that put or change a message in a chat count against its limits.
PACED_ENDPOINTS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)
MAX_RETRY_AFTER_S = 30.0
Result = bool | dict[str, Any] | list[dict[str, Any]]


def _retry_after_seconds(exc: RetryAfter) -> float:
    # PTB >= 22.2 keeps the value in `_retry_after` (reading `retry_after` warns); 21.x has
    # only `retry_after` (an int).
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SharedPacer(BaseRateLimiter[None]):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        default_chat_id: str,
        limits: PacingLimits | None = None,
        *,
        max_yield: float = 10.0,
        poll: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.default_chat_id = default_chat_id
        self.limits = limits or PacingLimits()
        self.pacer = ChatPacer(self.limits)
        self.max_yield = max_yield
        self.poll = poll
        self._clock = clock
        self._now = now
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self.yielded = 0  # requests that waited for a due alert (tests, logs)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        chat = data.get("chat_id")
        if endpoint not in PACED_ENDPOINTS or chat is None:
            return await callback(*args, **kwargs)
        chat_id = str(chat)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:  # one request per chat at a time, in order
            for attempt in (1, 2):
                await self._wait_turn(chat_id)
                self.pacer.begin(chat_id)
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    delay = _retry_after_seconds(exc)
                    self.pacer.hold(chat_id, self._clock() + delay)
                    log.warning(
                        "[TELEGRAM_429] bot reply to chat=%s: retry after %.1f s", chat_id, delay
                    )
                    if attempt == 2 or delay > MAX_RETRY_AFTER_S:
                        raise
                finally:
                    self.pacer.finish(chat_id, self._clock())
                    await asyncio.to_thread(self._record, chat_id)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_turn(self, chat_id: str) -> None:
        """Wait for this process's pacer, the sender's last request and any due alert."""
        yield_until = self._clock() + self.max_yield
        while True:
            wait = self.pacer.wait_time(chat_id, self._clock())
            if wait <= 0:
                wait, alert_due = await asyncio.to_thread(self._alert_wait, chat_id)
                if alert_due and self._clock() < yield_until:
                    self.yielded += 1
                    wait = max(wait, self.poll)
                if wait <= 0:
                    return
            await asyncio.sleep(min(wait, 1.0))

    def _alert_wait(self, chat_id: str) -> tuple[float, bool]:
        now = self._now()
        window = timedelta(seconds=self.limits.per_chat_interval)
        with self.sessions() as session:
            traffic = alert_traffic(session, chat_id, self.default_chat_id, now, window)
        wait = 0.0
        if traffic.last_request_at is not None:
            wait = (traffic.last_request_at + window - now).total_seconds()
        return wait, traffic.alert_due

    def _record(self, chat_id: str) -> None:
        try:
            with self.sessions.begin() as session:
                record_request(session, chat_id, self._now())
        except Exception as exc:  # the reply went out; only the sender's view of it is missing
            log.warning("bot request to chat=%s not recorded for pacing: %s", chat_id, exc)
