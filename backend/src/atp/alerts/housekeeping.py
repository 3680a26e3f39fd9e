"""The sender's periodic chores: gating refresh, expiry, blocking, daily summary, retention.

Each chore has its own interval so the hot loop stays cheap: gating is re-read every few
seconds (the operator switch can change at runtime), expiry about every second, the daily
summary check every minute and retention every hour.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from atp.alerts import store
from atp.alerts.gating import TelegramStatus, telegram_status
from atp.alerts.retention import purge_ledger
from atp.alerts.summary import maybe_enqueue_daily_summary
from atp.db.base import utcnow
from atp.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HousekeepingResult:
    expired: int
    blocked: int
    is_blocked: bool


@dataclass
class Intervals:
    expiry: float = 1.0
    summary: float = 60.0
    retention: float = 3600.0


class Housekeeping:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        max_age: timedelta,
        *,
        now: Callable[[], datetime] = utcnow,
        clock: Callable[[], float] = time.monotonic,
        intervals: Intervals | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.max_age = max_age
        self.intervals = intervals or Intervals()
        self.status: TelegramStatus | None = None
        self._now = now
        self._clock = clock
        self._last: dict[str, float] = {}

    def run(self, gating_interval: float) -> HousekeepingResult:
        now = self._now()
        expired = blocked = 0
        refresh_gating = self.status is None or self._due("gating", gating_interval)
        expire = self._due("expiry", self.intervals.expiry)
        if not (refresh_gating or expire):  # the hot path: no database round trip at all
            assert self.status is not None
            return HousekeepingResult(0, 0, self.status.notifier_kind == "blocked")
        with self.sessions.begin() as session:
            if refresh_gating or self.status is None or self.status.is_transient:
                self.status = telegram_status(self.settings, session)
            is_blocked = self.status.notifier_kind == "blocked"
            if expire:
                expired = store.expire_overdue(session, now, self.max_age)
            if is_blocked and not self.status.is_transient:
                blocked = store.block_pending(session, now, self.status.reason_code or "")
        if expired:
            log.warning(
                "[ALERT_EXPIRED] %d alert(s) older than %s were not sent", expired, self.max_age
            )
        if blocked:
            log.warning("%d alert(s) recorded BLOCKED (%s)", blocked, self.status.reason_code)
        self._daily_chores(now)
        return HousekeepingResult(expired, blocked, is_blocked)

    def _daily_chores(self, now: datetime) -> None:
        if self._due("summary", self.intervals.summary):
            try:
                with self.sessions.begin() as session:
                    if maybe_enqueue_daily_summary(session, self.settings, now):
                        log.info("daily summary enqueued")
            except Exception:  # never let a summary problem stop alerts
                log.exception("daily summary failed; will retry")
        if self._due("retention", self.intervals.retention):
            try:
                result = purge_ledger(self.sessions, now, self.settings.telegram_retention_days)
                if result.deleted:
                    log.info(
                        "retention: deleted %d ledger rows before %s", result.deleted, result.cutoff
                    )
            except Exception:
                log.exception("ledger retention failed; will retry")

    def _due(self, chore: str, interval: float) -> bool:
        mono = self._clock()
        if mono - self._last.get(chore, -math.inf) < interval:
            return False
        self._last[chore] = mono
        return True
