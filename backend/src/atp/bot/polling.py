"""The one getUpdates poller: leader election, offset, dedup, 409 handling, heartbeat.

`BotPoller.run(stop)` loops until `stop` is set:
- standby until the single-instance lock is ours (atp.workers.locks.LeaderElector, passed in
  by atp.runtime.bot); the lock is retried every interval, so a standby takes over within two
  intervals after the leader dies (even by SIGKILL: the lock dies with its session);
- as leader: getMe, deleteWebhook, setMyCommands when the list differs, then long polling from
  the persisted offset. Each update is claimed in the database (atp.bot.updates) before any
  handler runs; an id claimed before is a duplicate and is skipped;
- 409 Conflict (another poller or a webhook) is logged `[TELEGRAM_409]`, backed off, and after
  BOT_CONFLICT_BLOCKER_AFTER in a row raised as the TELEGRAM_POLL_CONFLICT global blocker,
  cleared by the next successful poll;
- a heartbeat row every interval (atp.bot.liveness), for leader and standby alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from telegram import Update
from telegram.error import BadRequest, Conflict, TelegramError

from atp.alerts.pacing import PacingLimits
from atp.bot import updates as claims
from atp.bot.application import (
    BotApplication,
    Register,
    build_application,
    command_list,
    sync_commands,
)
from atp.bot.deps import BotDeps
from atp.bot.liveness import PollStats, set_conflict_blocker, write_beat
from atp.bot.pacing import SharedPacer
from atp.core.errors import short_error
from atp.db.session import unit_of_work
from atp.ops.leases import FencedOut
from atp.settings import Settings
from atp.workers.locks import LeaderElector
from atp.workers.runner import FailureLog, backoff_delay, sleep_or_stop

log = logging.getLogger(__name__)
T = TypeVar("T")
# Edited messages would run a command again; channel posts carry no user to authorize.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
PRUNE_EVERY_BEATS = 120


@dataclass(frozen=True)
class PollerConfig:
    interval: float = 5.0  # lock retry and heartbeat cadence
    poll_timeout: int = 10  # long-poll seconds per getUpdates
    conflict_blocker_after: int = 3
    limits: PacingLimits = field(default_factory=PacingLimits)
    max_yield: float = 10.0  # longest wait of a reply for a due alert in the same chat

    @classmethod
    def from_settings(cls, settings: Settings) -> PollerConfig:
        return cls(
            interval=settings.bot_interval_seconds,
            poll_timeout=settings.bot_poll_timeout_seconds,
            conflict_blocker_after=settings.bot_conflict_blocker_after,
        )


class BotPoller:
    def __init__(
        self,
        deps: BotDeps,
        *,
        instance_id: str,
        elector: LeaderElector | None = None,
        config: PollerConfig | None = None,
        register: Register | None = None,
        commands: list[tuple[str, str]] | None = None,
    ) -> None:
        self.deps = deps
        self.register = register  # None: atp.bot.handlers.register (tests pass their own)
        self.commands = commands
        self.instance_id = instance_id
        self.elector = elector
        self.config = config or PollerConfig.from_settings(deps.settings)
        self.stats = PollStats()
        self.state = "starting"
        self.app: BotApplication | None = None
        self.bot_id = 0
        self._started_at = deps.now()
        self._blocker_active: bool | None = None  # None: unknown, cleared on the first good poll
        self._network = FailureLog("bot getUpdates")
        self._beats = 0

    @property
    def is_leader(self) -> bool:
        return self.elector is None or self.elector.is_leader

    # --- the loop ----------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> PollStats:
        # Built (handlers imported) before leading: a standby takes over without that delay.
        app = build_application(self.deps, self._new_pacer(), self.register)
        beats = asyncio.create_task(self._beat_loop(stop), name="bot-heartbeat")
        failures = FailureLog("bot")
        try:
            while not stop.is_set():
                if not await self._ensure_leader():
                    self.state = "standby"
                    await sleep_or_stop(stop, self.config.interval)
                    continue
                try:
                    await self._lead(app, stop)
                except Exception as exc:  # Telegram or the database unreachable at start-up
                    self.stats.last_error = short_error(exc)
                    self.state = "failing"
                    count = failures.failed(exc)
                    await sleep_or_stop(stop, backoff_delay(self.config.interval, count))
                else:
                    failures.succeeded()
        finally:
            beats.cancel()
            await asyncio.gather(beats, return_exceptions=True)
            self.state = "stopped"
            await asyncio.to_thread(self._write_beat)
            if self.elector is not None:
                await asyncio.to_thread(self.elector.release)
        return self.stats

    async def _lead(self, app: BotApplication, stop: asyncio.Event) -> None:
        """Poll while this instance leads; returns on stop or when leadership is lost."""
        async with app:  # initialize() = getMe; shutdown() on the way out
            self.bot_id = app.bot.id
            await app.bot.delete_webhook()
            commands = command_list() if self.commands is None else self.commands
            try:
                await sync_commands(app.bot, commands)
            except BadRequest as exc:  # a bad list must not keep the bot from answering
                log.error("[BOT] setMyCommands refused: %s; the old command list stays", exc)
            await app.start()
            self.app = app
            try:
                await self._poll_loop(app, stop)
            finally:
                self.app = None
                await app.stop()

    async def _poll_loop(self, app: BotApplication, stop: asyncio.Event) -> None:
        offset = await asyncio.to_thread(self._load_offset)
        self.stats.offset = offset.value
        self.state = "polling"
        log.info(
            "[BOT] instance=%s polling as @%s from offset %s",
            self.instance_id,
            app.bot.username,
            offset.value,
        )
        term = None if self.elector is None else self.elector.epoch
        while not stop.is_set():
            # A lock lost and taken back in one check is a new term (another instance may have
            # polled in between): start over from the stored offset.
            if not await self._ensure_leader() or (
                self.elector is not None and self.elector.epoch != term
            ):
                log.warning(
                    "[BOT] instance=%s is no longer the leader; polling stops", self.instance_id
                )
                return
            updates = await self._poll(app, stop)
            for update in updates:
                if not await self._handle(app, update):
                    return

    async def _poll(self, app: BotApplication, stop: asyncio.Event) -> tuple[Update, ...]:
        """One getUpdates; () after a failure (already backed off) or on stop."""
        request = app.bot.get_updates(
            offset=self.stats.offset or None,
            timeout=self.config.poll_timeout,
            allowed_updates=list(ALLOWED_UPDATES),
        )
        try:
            result = await _unless_stopped(request, stop)
        except Conflict as exc:
            await self._on_conflict(exc, stop)
            return ()
        except TelegramError as exc:  # network errors, timeouts, 5xx, a revoked token
            self.stats.failures = self._network.failed(exc)
            self.stats.last_error = short_error(exc)
            self.state = "failing"
            await sleep_or_stop(stop, backoff_delay(self.config.interval, self.stats.failures))
            return ()
        if result is None:
            return ()
        self.stats.polls += 1
        await self._on_poll_ok()
        return tuple(result)

    async def _handle(self, app: BotApplication, update: Update) -> bool:
        """Claim, then process one update; False when this instance must stop leading."""
        facts = _facts(update)
        try:
            claimed = await asyncio.to_thread(self._claim, facts)
        except FencedOut as exc:
            if self.elector is not None:
                self.elector.fenced_out(exc)
            return False
        if claimed is None:
            return False
        self.stats.offset = max(self.stats.offset, update.update_id + 1)
        if not claimed:
            self.stats.duplicates += 1
            log.info("[BOT] update %s was already processed; skipped", update.update_id)
            return True
        self.stats.updates += 1
        status = "done"
        try:
            await app.process_update(update)
        except Exception:
            status = "failed"
            log.exception("[BOT] update %s: processing failed", update.update_id)
        try:
            await asyncio.to_thread(self._finish, update.update_id, status)
        except Exception as exc:  # the claim stands; only its final status is missing
            log.warning("[BOT] update %s: status not recorded: %s", update.update_id, exc)
        return True

    # --- 409 and recovery --------------------------------------------------------------------
    async def _on_conflict(self, exc: Conflict, stop: asyncio.Event) -> None:
        stats = self.stats
        stats.conflicts += 1
        stats.conflicts_total += 1
        stats.last_error = f"409 Conflict: {exc.message}"
        self.state = "conflict"
        delay = backoff_delay(min(self.config.interval, 1.0), stats.conflicts)
        log.error(
            "[TELEGRAM_409] duplicate poller suspected: getUpdates answered 409 (%s); "
            "%d in a row; backing off %.1f s",
            exc.message,
            stats.conflicts,
            delay,
        )
        if stats.conflicts >= self.config.conflict_blocker_after and not self._blocker_active:
            explanation = (
                f"getUpdates answered 409 Conflict {stats.conflicts} times in a row: another "
                "process polls this bot token (or a webhook is set); Telegram commands may be "
                "answered by the other process or lost"
            )
            await self._set_blocker(explanation)
        await sleep_or_stop(stop, delay)

    async def _on_poll_ok(self) -> None:
        if self.stats.conflicts:
            log.warning(
                "[TELEGRAM_409] getUpdates works again after %d conflict(s)", self.stats.conflicts
            )
        self.stats.conflicts = 0
        self.stats.failures = 0
        self._network.succeeded()
        self.state = "polling"
        if self._blocker_active is not False:
            await self._set_blocker(None)

    async def _set_blocker(self, explanation: str | None) -> None:
        try:
            await asyncio.to_thread(self._write_blocker, explanation)
        except Exception as exc:  # retried on the next transition check
            log.warning("[BOT] TELEGRAM_POLL_CONFLICT not written: %s", short_error(exc))
            return
        self._blocker_active = explanation is not None

    # --- database (worker threads) -----------------------------------------------------------
    def _load_offset(self) -> claims.Offset:
        with self.deps.sessions() as session:
            return claims.next_offset(session, self.bot_id, self.deps.now())

    def _claim(self, facts: claims.UpdateFacts) -> bool | None:
        """True = claimed now, False = a duplicate, None = not the leader any more."""
        fence = None if self.elector is None else self.elector.fence
        if self.elector is not None and self.elector.sessions is not None and fence is None:
            return None
        with unit_of_work(self.deps.sessions) as session:
            if fence is not None:
                fence.check(session)
            return claims.claim(session, self.bot_id, facts, self.deps.now())

    def _finish(self, update_id: int, status: str) -> None:
        with unit_of_work(self.deps.sessions) as session:
            claims.finish(session, self.bot_id, update_id, status, self.deps.now())

    def _write_blocker(self, explanation: str | None) -> None:
        with unit_of_work(self.deps.sessions) as session:
            set_conflict_blocker(session, explanation, self.deps.now())

    def _write_beat(self) -> None:
        try:
            with unit_of_work(self.deps.sessions) as session:
                write_beat(
                    session,
                    instance_id=self.instance_id,
                    role=self._role(),
                    state=self.state,
                    started_at=self._started_at,
                    now=self.deps.now(),
                    interval_s=self.config.interval,
                    stats=self.stats,
                )
                self._beats += 1
                if self.is_leader and self.bot_id and self._beats % PRUNE_EVERY_BEATS == 1:
                    claims.prune(session, self.bot_id, self.deps.now())
        except Exception as exc:
            log.warning("[BOT] heartbeat not written: %s", short_error(exc))

    def _role(self) -> str:
        if self.state == "stopped":
            return "stopped"
        return "leader" if self.is_leader and self.state != "starting" else "standby"

    async def _beat_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self._write_beat)
            await sleep_or_stop(stop, self.config.interval)

    async def _ensure_leader(self) -> bool:
        if self.elector is None:
            return True
        return await asyncio.to_thread(self.elector.ensure)

    def _new_pacer(self) -> SharedPacer:
        return SharedPacer(
            self.deps.sessions,
            self.deps.settings.telegram_chat_id.strip(),
            self.config.limits,
            max_yield=self.config.max_yield,
        )


async def _unless_stopped(request: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Await `request` unless `stop` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(request)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


def _facts(update: Update) -> claims.UpdateFacts:
    kind = next((key for key in update.to_dict() if key != "update_id"), "unknown")
    chat, user = update.effective_chat, update.effective_user
    return claims.UpdateFacts(
        update_id=update.update_id,
        kind=kind,
        chat_id=None if chat is None else str(chat.id),
        user_id=None if user is None else user.id,
    )
