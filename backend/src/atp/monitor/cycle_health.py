"""Is the leader's cycle working? Counts consecutive failed cycles for MONITOR_CYCLES_FAILING.

A process that keeps ticking while every cycle raises looks alive from the outside (heartbeat
rows, `[HEARTBEAT]` lines). This turns that into a loud state: after `max_failed` consecutive
failed cycles, or when no cycle succeeded for two intervals, the leader is `degraded`.
"""

from __future__ import annotations

from datetime import datetime

from atp.core.errors import clean_error_text

# Ticks are not exactly one interval apart (the cycle itself takes time): tolerate this much.
SLACK_S = 2.0
NO_SUCCESS_INTERVALS = 2


class CycleHealth:
    def __init__(self, max_failed: int, interval_s: float) -> None:
        self.max_failed = max_failed
        self.interval_s = interval_s
        self.failed = 0
        self.last_error: str | None = None
        self._baseline: datetime | None = None  # last success, or the start of the failing run

    def record(self, *, attempted: bool, failed: bool, error: str | None, now: datetime) -> None:
        """One tick's outcome. An idle tick (paused / disabled) starts the count afresh."""
        if not attempted or not failed:
            self.failed, self.last_error = 0, None
            self._baseline = now if attempted else None
            return
        self.failed += 1
        self.last_error = error
        if self._baseline is None:
            self._baseline = now

    def problem(self, now: datetime) -> str | None:
        """The MONITOR_CYCLES_FAILING explanation, or None while cycles succeed."""
        if not self.failed or self._baseline is None:
            return None
        quiet_s = (now - self._baseline).total_seconds()
        too_long = quiet_s > NO_SUCCESS_INTERVALS * self.interval_s + SLACK_S
        if self.failed < self.max_failed and not too_long:
            return None
        return (
            f"{self.failed} consecutive monitor cycle(s) failed, no successful cycle for "
            f"{quiet_s:.0f} s (interval {self.interval_s:g} s); nothing is evaluated; "
            f"last error: {clean_error_text(self.last_error) or 'unknown'}"
        )
