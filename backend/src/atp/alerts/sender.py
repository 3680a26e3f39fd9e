"""The sender: drains the outbox in order per chat, paced, with per-chat 429 holds and retries.

`SenderWorker` (`run()` loops, `tick()` = dispatch what is due now and wait for it); it is
composed with its notifier, lock and lease in atp.runtime.sender (`run_sender`, used by
`atp sender` and by the combined embedded process).

Loop: housekeeping (gating, expiry, daily summary, retention) -> for each chat whose head
message is due and whose pacing allows it, claim the row and start one send task -> wait for
a send to finish, the next due/pacing time, or the poll interval. At most one request per chat
is in flight, so order per chat holds and one slow chat never delays the others.

Duplicate window: the row is claimed (SENDING, lease) before the request and recorded after it.
If the process dies between Telegram accepting the message and that record, the lease expires
and the message is sent again - the only way a duplicate can happen (see docs/alerts.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts import store
from atp.alerts.chat_requests import BotRequests
from atp.alerts.delivery import Delivered, Outcome, Retry, RetryPolicy, attempt
from atp.alerts.housekeeping import Housekeeping
from atp.alerts.notifier import (
    Buttons,
    Notifier,
)
from atp.alerts.pacing import ChatPacer, PacingLimits
from atp.alerts.sender_pulse import SenderPulse
from atp.db.base import utcnow
from atp.ops.leases import FencedOut
from atp.settings import Settings
from atp.workers.locks import LeaderElector
from atp.workers.runner import FailureLog, backoff_delay, sleep_or_stop

log = logging.getLogger(__name__)

SENDER_LEASE_ROLE = "sender"  # atp.ops.leases role: a deposed sender's claims fail
RECORD_MARGIN_MAX = 5.0  # seconds of claim lease beyond the send timeout, for the record
RECORD_RETRY_FIRST = 0.05  # first wait before re-trying a failed outcome write (doubles)
RECORD_RETRY_MAX = 1.0


@dataclass(frozen=True)
class SenderConfig:
    """Production defaults are Telegram's real limits; tests pass scaled-down values."""

    limits: PacingLimits = field(default_factory=PacingLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_age: timedelta = timedelta(minutes=10)
    # One request never runs longer than `send_timeout` (a hard deadline around the call); the
    # lease adds a margin for recording the outcome. A dead sender's chat is free again then.
    send_timeout: float = 10.0
    claim_lease: timedelta = timedelta(seconds=15)
    poll_interval: float = 1.0
    gating_interval: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderConfig:
        timeout = settings.telegram_send_timeout_seconds
        return cls(
            max_age=timedelta(seconds=settings.telegram_alert_max_age_seconds),
            send_timeout=timeout,
            claim_lease=timedelta(seconds=timeout + min(timeout, RECORD_MARGIN_MAX)),
        )


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    blocked: int = 0
    lost_claims: int = 0
    standby: bool = False  # another sender holds the single-instance lock


class SenderWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        notifier: Notifier,
        config: SenderConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        elector: LeaderElector | None = None,
        buttons_for: Callable[[store.Claimed, str], Buttons] | None = None,
    ) -> None:
        self.sessions = sessions
        # Inline buttons under a message (the bot's "why" / "trade off"), given the chat it
        # goes to; wired by atp.runtime only where the bot can answer them.
        self.buttons_for = buttons_for
        # Pacing state lives in this process, so only one sender may be active at a time: the
        # elector (a single-instance lock) makes extra senders hot standbys. Claims stay safe
        # without it (two workers never send one row twice); the lock keeps pacing honest.
        self.elector = elector
        self.settings = settings
        self.notifier = notifier
        self.config = config or SenderConfig.from_settings(settings)
        if notifier.channel == "console":
            self.config = replace(self.config, limits=PacingLimits.unlimited())
        self.pacer = ChatPacer(self.config.limits)
        self.stats = SenderStats()
        self.housekeeping = Housekeeping(
            sessions, settings, self.config.max_age, now=now, clock=clock
        )
        self._clock = clock
        self._now = now
        self._tasks: dict[int, asyncio.Task[None]] = {}  # message id -> its send task
        self._wake = asyncio.Event()
        self._next_wake = self.config.poll_interval
        self._due_waiting = False
        self._needs_rebuild = True  # the first dispatch replays recent sends into the pacer
        # The menu bot's requests per chat (atp.alerts.chat_requests), read with the heads and
        # replayed into the pacer, so an alert keeps the interval after a bot reply too.
        self._bot_requests = BotRequests()
        self.pulse = SenderPulse(sessions, settings.monitor_instance_id, clock=clock, now=now)

    # --- public loop API -------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, once: bool = False) -> SenderStats:
        """Run until `stop` is set; with `once`, until nothing due is left (then return)."""
        await self.notifier.start()
        failures = FailureLog("sender")
        try:
            while not stop.is_set():
                try:
                    more = await self._step(stop, once)
                except Exception as exc:
                    if once:
                        raise
                    # e.g. the database is unreachable: log once, back off, resume (rows stay
                    # queued; a claimed row is picked up again when its lease expires).
                    count = failures.failed(exc)
                    await sleep_or_stop(stop, backoff_delay(self.config.poll_interval, count))
                    continue
                if not self.stats.standby:  # a standby round did no work: no recovery yet
                    failures.succeeded()
                if not more:
                    break
        finally:
            await self._finish_in_flight()
            await self.notifier.close()
            if self.elector is not None:
                await asyncio.to_thread(self.elector.release)
        return self.stats

    async def _step(self, stop: asyncio.Event, once: bool) -> bool:
        """One loop iteration; False when a `once` run is done."""
        active = await self._is_active()
        await asyncio.to_thread(self.pulse.beat_if_due, active, self.stats, self.notifier.channel)
        if not active:
            if once:
                return False
            await self._sleep(stop)
            return True
        self._wake.clear()  # before dispatch: a send finishing meanwhile wakes _sleep
        started = await self.dispatch()
        if once and not started and not self._tasks and not self._due_waiting:
            return False
        await self._sleep(stop)
        return True

    async def _is_active(self) -> bool:
        if self.elector is None:
            return True
        was_active = self.elector.is_leader
        active = await asyncio.to_thread(self.elector.ensure)
        if active and not was_active:
            self._needs_rebuild = True  # took over: the old sender's sends still count
        self.stats.standby = not active
        if not active:
            self._next_wake = self.config.poll_interval
        return active

    async def tick(self) -> int:
        """One round: dispatch everything due and allowed now, and wait for those sends."""
        started = await self.dispatch()
        await self._finish_in_flight()
        return started

    async def dispatch(self) -> int:
        """Housekeeping, then start one send task per chat whose head is due and paced."""
        if self._needs_rebuild:
            await asyncio.to_thread(self._rebuild_pacing)
            self._needs_rebuild = False
        blocked = await asyncio.to_thread(self._housekeeping)
        self._next_wake = self.config.poll_interval
        self._due_waiting = False
        if blocked:
            return 0
        heads = await asyncio.to_thread(self._load_heads)
        # On the loop, not in the thread above: the pacer is not thread-safe.
        self._bot_requests.replay(self.pacer, self._now(), self._clock())
        now = self._now()
        started = 0
        for head in heads:
            if head.id in self._tasks:
                continue
            if not store.is_due(head, now):
                if head.due_at is not None:
                    self._wake_in((head.due_at - now).total_seconds())
                continue
            chat = self.resolve_chat(head.chat_id)
            wait = self.pacer.wait_time(chat, self._clock())
            if wait > 0:
                self._due_waiting = True
                self._wake_in(wait)
                continue
            self.pacer.begin(chat)
            task = asyncio.create_task(self._deliver(head, chat), name=f"send-{head.id}")
            self._tasks[head.id] = task
            task.add_done_callback(functools.partial(self._on_done, head.id))
            started += 1
        return started

    def resolve_chat(self, chat_id: str | None) -> str:
        """NULL chat = the alerts chat from settings (resolved late, see outbox.chat_for)."""
        return chat_id or self.settings.telegram_chat_id.strip() or "console"

    # --- one message -------------------------------------------------------------------------
    async def _deliver(self, head: store.Head, chat: str) -> None:
        lease_end = self._clock() + self.config.claim_lease.total_seconds()
        try:
            claimed = await asyncio.to_thread(self._claim, head)
        except FencedOut as exc:  # another sender took over: this one must not send any more
            self.pacer.cancel(chat)
            if self.elector is not None:
                self.elector.fenced_out(exc)
            return
        if claimed is None:
            self.pacer.cancel(chat)
            self.stats.lost_claims += 1
            return
        if self._now() - claimed.created_at > self.config.max_age:
            self.pacer.cancel(chat)
            await asyncio.to_thread(self._expire, claimed)
            return
        try:
            outcome = await attempt(
                self.notifier,
                chat,
                claimed.text,
                claimed.parse_mode,
                claimed.attempts,
                self.config.retry,
                deadline=self.config.send_timeout,
                buttons=self.buttons_for(claimed, chat) if self.buttons_for else (),
            )
        finally:
            self.pacer.finish(chat, self._clock())
        if isinstance(outcome, Retry) and outcome.hold_chat:
            self.pacer.hold(chat, self._clock() + outcome.delay)
        await self._record_durably(claimed, outcome, lease_end)

    async def _record_durably(
        self, claimed: store.Claimed, outcome: Outcome, lease_end: float
    ) -> None:
        """Record the outcome; a failed write is retried while the claim lease lasts.

        Re-trying the write, not the send: after Telegram accepted, giving up here would leave
        the row SENDING and the message would be sent again when the lease expires.
        """
        delay = RECORD_RETRY_FIRST
        while True:
            try:
                await asyncio.to_thread(self.record, claimed, outcome)
                return
            except SQLAlchemyError as exc:
                if self._clock() + delay >= lease_end:
                    raise
                log.warning(
                    "message %s: recording its outcome failed (%s); retrying in %.2f s",
                    claimed.id,
                    exc.__class__.__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(2 * delay, RECORD_RETRY_MAX)

    def record(self, claimed: store.Claimed, outcome: Outcome) -> None:
        """Write the outcome (fenced by the claim). Dying before this commit = the duplicate window."""
        now = self._now()
        counted = ""
        with self.sessions.begin() as session:
            if isinstance(outcome, Delivered):
                ok = store.mark_sent(
                    session,
                    claimed,
                    now,
                    message_id=outcome.result.message_id,
                    channel=outcome.result.channel,
                    note=outcome.note,
                )
                counted = "sent"
            elif isinstance(outcome, Retry):
                ok = store.mark_retry(
                    session,
                    claimed,
                    now,
                    next_attempt_at=now + timedelta(seconds=outcome.delay),
                    error=outcome.error,
                    plain_text=outcome.plain_text,
                )
                counted = "retried"
            else:
                ok = store.mark_failed(
                    session, claimed, now, reason_code=outcome.reason_code, error=outcome.error
                )
                counted = "failed"
                log.error(
                    "[TELEGRAM_FAILED] message=%s reason=%s %s",
                    claimed.id,
                    outcome.reason_code,
                    outcome.error,
                )
        if ok:  # counted after the commit, so a retried write is counted once
            setattr(self.stats, counted, getattr(self.stats, counted) + 1)
        else:
            log.warning("message %s: claim lost before its outcome was recorded", claimed.id)

    # --- plumbing ----------------------------------------------------------------------------
    def _housekeeping(self) -> bool:
        """Returns True when Telegram is blocked (pending rows were marked BLOCKED)."""
        result = self.housekeeping.run(self.config.gating_interval)
        self.stats.expired += result.expired
        self.stats.blocked += result.blocked
        return result.is_blocked

    def _expire(self, claimed: store.Claimed) -> None:
        with self.sessions.begin() as session:
            self.stats.expired += store.mark_expired(
                session, claimed, self._now(), self.config.max_age
            )

    def _rebuild_pacing(self) -> None:
        """Replay what the ledger says reached Telegram within the longest pacing window.

        Pacing lives in memory; without this a restarted sender, or a standby taking over,
        would start with an empty record and could exceed the limits in its first minute.
        """
        limits = self.config.limits
        window = max(limits.per_chat_interval, limits.group_window, limits.global_window)
        now, mono = self._now(), self._clock()
        since = now - timedelta(seconds=window)
        oldest = since - self.config.max_age - self.config.claim_lease
        with self.sessions() as session:
            sends = store.recent_sends(
                session, since, now, created_after=oldest, own=frozenset(self._tasks)
            )
        for chat_id, sent_at in sends:
            age = max(0.0, (now - sent_at).total_seconds())
            self.pacer.restore(self.resolve_chat(chat_id), mono - age)
        if sends:
            log.info("pacing rebuilt from the ledger: %d recent request(s)", len(sends))

    def _load_heads(self) -> list[store.Head]:
        with self.sessions() as session:
            heads = store.open_heads(session)
            # After the heads (two statements, two snapshots): a bot reply recorded before an
            # alert was queued is then always seen with that alert.
            since = self._now() - timedelta(seconds=self.config.limits.group_window + 1)
            self._bot_requests.read(session, since)
            return heads

    def _claim(self, head: store.Head) -> store.Claimed | None:
        """Claim the head row; with an elector, only under this sender's current epoch."""
        elector = self.elector
        fence = None if elector is None else elector.fence
        if elector is not None and elector.sessions is not None and fence is None:
            return None  # stepped down (or never got an epoch): never claim without one
        with self.sessions.begin() as session:
            if fence is not None:
                fence.check(session)  # raises FencedOut once another sender has taken over
            return store.claim(session, head, self._now(), self.config.claim_lease)

    def _on_done(self, message_id: int, _task: object = None) -> None:
        task = self._tasks.pop(message_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            # e.g. the database was unreachable while recording: the row stays SENDING and is
            # picked up again when its lease expires.
            log.error("send task for message %s failed", message_id, exc_info=task.exception())
        self._wake.set()

    def _wake_in(self, seconds: float) -> None:
        if math.isfinite(seconds):
            self._next_wake = min(self._next_wake, max(0.001, seconds))

    async def _sleep(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self._next_wake, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _finish_in_flight(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
