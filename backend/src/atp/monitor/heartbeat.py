"""The monitor's visible life: a heartbeat row every tick and a log line about every 5 minutes.

Log line (operators grep for it; keep the format):
    [HEARTBEAT] SignalMonitorService alive cycle=N symbols=M last_cycle_ms=X
An idle leader (paused / disabled) appends ` state=<state>`; a standby (or a stopped instance)
logs `[HEARTBEAT] SignalMonitorService standby instance=<id>` (`stopped`), so an "alive" line
always means "this process is the leader". A leader whose cycles keep failing is not "alive":
    [HEARTBEAT] SignalMonitorService degraded cycle=N failed_cycles=K last_error=...
(a warning, on the change and every log interval while it lasts).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atp.ops.heartbeats import MONITOR_SERVICE, write_heartbeat

log = logging.getLogger(__name__)
SERVICE = MONITOR_SERVICE
DEGRADED = "degraded"  # the leader's cycles keep failing (MONITOR_CYCLES_FAILING)


@dataclass(frozen=True)
class Beat:
    role: str  # leader / standby
    state: str  # running / degraded / paused / disabled / standby
    cycle: int
    symbols: int
    last_cycle_ms: int | None
    errors: int
    last_error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Heartbeat:
    """Writes the heartbeat row and rate-limits the log line (monotonic clock, not wall clock)."""

    def __init__(self, instance_id: str, log_every_s: float, interval_s: float) -> None:
        self.instance_id = instance_id
        self.log_every_s = log_every_s
        self.interval_s = interval_s
        self.started_at: datetime | None = None
        self.total_errors = 0
        self._last_log: float | None = None
        self._last_logged_key: str | None = None

    def write(self, session: Session, beat: Beat, now: datetime) -> None:
        """Upsert this instance's row (flush only; the caller commits)."""
        if self.started_at is None:
            self.started_at = now
        self.total_errors += beat.errors
        details = {
            "state": beat.state,
            "interval_s": self.interval_s,
            "total_errors": self.total_errors,
            **beat.details,
        }
        write_heartbeat(
            session,
            service=SERVICE,
            instance_id=self.instance_id,
            role=beat.role,
            started_at=self.started_at,
            beat_at=now,
            cycle=beat.cycle,
            last_cycle_ms=beat.last_cycle_ms,
            items=beat.symbols,
            errors=beat.errors,
            last_error=beat.last_error,
            details=details,
        )

    def maybe_log(self, beat: Beat) -> bool:
        """Log the heartbeat line if due: first tick, a change of role or state, or every
        `log_every_s` seconds (monotonic clock, so wall-clock jumps change nothing)."""
        now = time.monotonic()
        key = f"{beat.role}/{beat.state}"
        due = (
            self._last_log is None
            or key != self._last_logged_key
            or now - self._last_log >= self.log_every_s
        )
        if not due:
            return False
        self._last_log, self._last_logged_key = now, key
        if beat.role in ("standby", "stopped"):
            log.info("[HEARTBEAT] %s %s instance=%s", SERVICE, beat.role, self.instance_id)
            return True
        if beat.state == DEGRADED:
            log.warning(
                "[HEARTBEAT] %s degraded cycle=%d symbols=%d failed_cycles=%s last_error=%s",
                SERVICE,
                beat.cycle,
                beat.symbols,
                beat.details.get("failed_cycles", "?"),
                beat.last_error or "-",
            )
            return True
        suffix = "" if beat.state == "running" else f" state={beat.state}"
        log.info(
            "[HEARTBEAT] %s alive cycle=%d symbols=%d last_cycle_ms=%d%s",
            SERVICE,
            beat.cycle,
            beat.symbols,
            beat.last_cycle_ms or 0,
            suffix,
        )
        return True
