"""The `atp monitor` worker: leader election, pause, the cycle, blockers and the heartbeat.

Every tick (one per MONITOR_INTERVAL_SECONDS, run by atp.workers.runner.run_periodic):
  standby -> try to take the lock; write a standby heartbeat; nothing else.
  leader  -> disabled (DEBUG_DISABLE_SIGNAL_MONITOR) or paused (MONITOR_PAUSED): idle, say so;
             otherwise run one cycle. Then sync global blockers and write the heartbeat row.
The pause switch is read at the start of every tick, so a pause is obeyed within one interval.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from atp.core.errors import short_error
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.blockers import log_still_active, observe, sync_blockers
from atp.monitor.candle_cache import CandleCache
from atp.monitor.cycle import CycleReport, run_cycle
from atp.monitor.cycle_health import CycleHealth
from atp.monitor.heartbeat import DEGRADED, Beat, Heartbeat
from atp.monitor.leader import LeaderElector, LeaderLock, make_leader_lock
from atp.monitor.switches import is_paused
from atp.ops.leases import FencedOut
from atp.runtime.context import AppContext
from atp.workers.runner import FailureLog, run_periodic

log = logging.getLogger(__name__)

RUNNING, PAUSED, DISABLED, STANDBY, STOPPED = "running", "paused", "disabled", "standby", "stopped"


class MonitorWorker:
    def __init__(self, context: AppContext, *, lock: LeaderLock | None = None) -> None:
        self.context = context
        self.settings = context.settings
        self.instance_id = self.settings.monitor_instance_id
        self.elector = LeaderElector(
            lock or make_leader_lock(self.settings), self.instance_id, sessions=context.sessions
        )
        self.heartbeat = Heartbeat(
            self.instance_id,
            self.settings.monitor_heartbeat_log_seconds,
            self.settings.monitor_interval_seconds,
        )
        self.cycle = 0
        self.last_report: CycleReport | None = None
        self.last_cycle_at: datetime | None = None
        self._was_leader = False
        self.last_state: str | None = None
        # Candle windows kept between this leader's cycles (only changed rows are read).
        self.candle_cache = CandleCache()
        # During an outage every tick fails: one traceback, rare reminders, one "recovered".
        self._cycle_failures = FailureLog("MONITOR cycle")
        self._beat_failures = FailureLog("MONITOR heartbeat")
        self.cycle_health = CycleHealth(
            self.settings.monitor_failed_cycles_blocker, self.settings.monitor_interval_seconds
        )

    def tick(self) -> str:
        """One tick; returns the state this instance was in (running/paused/disabled/standby)."""
        if not self.elector.ensure():
            self._was_leader = False
            self.candle_cache.clear()  # another leader may run for hours: start cold next time
            self._write_beat(Beat(STANDBY, STANDBY, self.cycle, 0, None, 0))
            self.last_state = STANDBY
            return STANDBY
        if not self._was_leader:
            self._was_leader = True
            with self.context.sessions() as session:
                log_still_active(session)
        state, report, error = self._run_or_idle()
        if state == STANDBY:  # fenced out during the cycle: the new leader owns the blockers
            self._was_leader = False
            self._write_beat(Beat(STANDBY, STANDBY, self.cycle, 0, None, 0))
        else:
            self._finish(state, report, error)
        self.last_state = state
        return state

    def _run_or_idle(self) -> tuple[str, CycleReport | None, str | None]:
        if self.settings.debug_disable_signal_monitor:
            return DISABLED, None, None
        with self.context.sessions() as session:
            if is_paused(session):
                return PAUSED, None, None
        try:
            report = run_cycle(
                self.context.sessions,
                self.settings,
                cache=self.candle_cache,
                fence=self.elector.fence,
            )
        except FencedOut as exc:  # another instance leads now: its effects, not ours
            self.elector.fenced_out(exc)
            self.candle_cache.clear()
            return STANDBY, None, None
        except Exception as exc:  # the whole cycle failed (e.g. database down): record, retry
            self._cycle_failures.failed(exc)  # a traceback once, not every interval
            return RUNNING, None, short_error(exc)
        self._cycle_failures.succeeded()
        self.cycle += 1
        self.last_report, self.last_cycle_at = report, report.started_at
        return RUNNING, report, report.last_error

    def _finish(self, state: str, report: CycleReport | None, error: str | None) -> None:
        errors = (report.errors if report else 0) + (1 if report is None and error else 0)
        now = utcnow()
        # A cycle fails when it raised, or when not one of its symbols could be evaluated.
        failed = report is None or (report.symbols > 0 and report.errors >= report.symbols)
        self.cycle_health.record(attempted=state == RUNNING, failed=failed, error=error, now=now)
        cycles_failing = self.cycle_health.problem(now)
        details = self._details(report)
        if state == RUNNING and self.cycle_health.failed:
            details["failed_cycles"] = self.cycle_health.failed
        beat = Beat(
            role="leader",
            state=DEGRADED if cycles_failing else state,
            cycle=self.cycle,
            symbols=report.symbols if report else 0,
            last_cycle_ms=report.duration_ms if report else None,
            errors=errors,
            last_error=error,
            details=details,
        )
        try:
            with unit_of_work(self.context.sessions) as session:
                observed = observe(
                    session,
                    self.settings,
                    paused=state == PAUSED,
                    disabled=state == DISABLED,
                    alert_symbols=report.symbols if report else None,
                    stale_symbols=report.stale if report else None,
                    cycles_failing=cycles_failing,
                )
                sync_blockers(session, observed=observed, now=now)
                self.heartbeat.write(session, beat, now)
        except Exception as exc:
            self._beat_failures.failed(exc)
        else:
            self._beat_failures.succeeded()
        self.heartbeat.maybe_log(beat)

    def _details(self, report: CycleReport | None) -> dict[str, object]:
        details: dict[str, object] = {
            "lock": self.elector.lock.description,
            "last_cycle_at": None if self.last_cycle_at is None else self.last_cycle_at.isoformat(),
        }
        if report is not None:
            details.update(
                emitted=report.emitted,
                intents=report.intents,
                stale=report.stale,
                resets=report.resets,
                blocked_ledger_rows=report.blocked_ledger_rows,
                phase_ms=report.phase_ms,
                candle_cache=report.candle_cache,
            )
        return details

    def _write_beat(self, beat: Beat) -> None:
        try:
            with unit_of_work(self.context.sessions) as session:
                self.heartbeat.write(session, beat, utcnow())
        except Exception as exc:
            self._beat_failures.failed(exc)
        else:
            self._beat_failures.succeeded()
        self.heartbeat.maybe_log(beat)

    def shutdown(self) -> None:
        """Release leadership and mark this instance stopped (a clean exit, not a crash)."""
        self.elector.release()
        self._write_beat(
            Beat(STOPPED, STOPPED, self.cycle, 0, None, 0, details=self._details(None))
        )

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> int:
        """Tick every interval until `stop` (or once). Returns the number of ticks."""
        log.info(
            "[MONITOR] starting instance=%s interval_s=%s lock=%s",
            self.instance_id,
            self.settings.monitor_interval_seconds,
            self.elector.lock.description,
        )
        try:
            return await run_periodic(
                self.tick,
                interval=self.settings.monitor_interval_seconds,
                stop=stop,
                name="monitor",
                once=once,
            )
        finally:
            await asyncio.to_thread(self.shutdown)
