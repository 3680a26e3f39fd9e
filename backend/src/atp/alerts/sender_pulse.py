"""The alert sender's heartbeat row (`atp healthcheck sender`, `/metrics`).

The sender loops about every second; one row write per SENDER_BEAT_INTERVAL_S shows it is alive
without a write per loop. Leader and standby both beat. A failed write is logged, never fatal:
the sender's loop itself reports database outages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from atp.core.errors import short_error
from atp.db.session import unit_of_work
from atp.ops.heartbeats import SENDER_BEAT_INTERVAL_S, SENDER_SERVICE, write_heartbeat

log = logging.getLogger(__name__)


class Counts(Protocol):
    sent: int
    retried: int
    failed: int
    expired: int


class SenderPulse:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        instance_id: str,
        *,
        clock: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.instance_id = instance_id
        self._clock = clock
        self._now = now
        self.started_at = now()
        self.beats = 0
        self._due_at = -math.inf  # the first call beats at once

    def beat_if_due(self, active: bool, stats: Counts, channel: str) -> None:
        if self._clock() < self._due_at:
            return
        self._due_at = self._clock() + SENDER_BEAT_INTERVAL_S
        self.beats += 1
        try:
            with unit_of_work(self.sessions) as session:
                write_heartbeat(
                    session,
                    service=SENDER_SERVICE,
                    instance_id=self.instance_id,
                    role="leader" if active else "standby",
                    started_at=self.started_at,
                    beat_at=self._now(),
                    cycle=self.beats,
                    items=stats.sent,
                    errors=stats.failed,
                    details={
                        "state": "running" if active else "standby",
                        "interval_s": SENDER_BEAT_INTERVAL_S,
                        "channel": channel,
                        "sent": stats.sent,
                        "retried": stats.retried,
                        "expired": stats.expired,
                    },
                )
        except Exception as exc:
            log.warning("sender heartbeat not written: %s", short_error(exc))
