"""`atp sync`: the single active order worker - flow, sync and guardian every few seconds.

Every tick (ORDERS_SYNC_INTERVAL_SECONDS, run by atp.workers.runner.run_periodic):
  standby -> try to take the orders lock (+ a new fencing epoch); nothing else.
  leader  -> the order flow for working intents, then the sync, then the guardian; every
             transaction that writes is fenced (a deposed leader's writes fail). Then the
             heartbeat row, which also carries the exchange authentication state the monitor
             turns into the EXCHANGE_AUTH_FAILING global blocker.
Only the leader writes the heartbeat: the monitor reads the freshest row, and a standby knows
nothing about the exchange.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from atp.core.errors import short_error
from atp.db.session import unit_of_work
from atp.ops.heartbeats import EXCHANGE_SYNC_SERVICE, write_heartbeat
from atp.ops.leases import FencedOut
from atp.orders.flow import OrderFlow
from atp.orders.guardian import Guardian
from atp.orders.ports import Broker, BrokerAuthError
from atp.orders.runtime import OrderRuntime
from atp.orders.sync import OrderSync
from atp.runtime.context import AppContext
from atp.workers.locks import LeaderElector, LeaderLock, make_instance_lock
from atp.workers.runner import STANDBY, FailureLog, run_periodic

log = logging.getLogger(__name__)
LEASE_ROLE = "orders"
LEADING = "leading"


@dataclass
class TickReport:
    state: str
    flow: dict[str, int] = field(default_factory=dict)
    new_fills: int = 0
    repaired: int = 0
    unprotected: int = 0
    orphans: list[str] = field(default_factory=list)
    auth_error: str | None = None
    error: str | None = None
    duration_ms: int = 0


class OrderWorker:
    def __init__(
        self, context: AppContext, broker: Broker, *, lock: LeaderLock | None = None
    ) -> None:
        self.context = context
        self.settings = context.settings
        self.broker = broker
        self.instance_id = self.settings.monitor_instance_id
        lock = lock or make_instance_lock(
            self.settings, name="orders", pg_lock_id=self.settings.orders_lock_id
        )
        self.elector = LeaderElector(
            lock,
            self.instance_id,
            role="order sync",
            sessions=context.sessions,
            lease_role=LEASE_ROLE,
        )
        self.rt = OrderRuntime(context.sessions, broker, self.settings)
        self.flow, self.sync, self.guardian = (
            OrderFlow(self.rt),
            OrderSync(self.rt),
            Guardian(self.rt),
        )
        self.cycle = 0
        self.started_at: datetime | None = None
        self.last: TickReport | None = None
        self._failures = FailureLog("ORDERS tick")

    async def tick(self) -> str:
        """One pass; returns "standby" or "leading"."""
        if not await asyncio.to_thread(self.elector.ensure):
            self.last = TickReport(STANDBY)
            return STANDBY
        self.rt.fence = self.elector.fence
        started = time.monotonic()
        report = TickReport(LEADING)
        try:
            await self._pass(report)
        except FencedOut as exc:
            self.elector.fenced_out(exc)
            self.last = TickReport(STANDBY)
            return STANDBY
        except BrokerAuthError as exc:
            report.auth_error = f"{exc.code} {short_error(exc)}"
            self._failures.failed(exc)
        except Exception as exc:  # database or exchange outage: reported, retried next tick
            report.error = short_error(exc)
            self._failures.failed(exc)
        else:
            self._failures.succeeded()
        self.cycle += 1
        report.duration_ms = int((time.monotonic() - started) * 1000)
        self.last = report
        self._write_beat(report)
        return LEADING

    async def _pass(self, report: TickReport) -> None:
        flow = await self.flow.run_once()
        report.flow = dict(flow.transitions)
        report.error = flow.last_error
        synced = await self.sync.run_once()
        report.new_fills = synced.new_fills
        guarded = await self.guardian.run_once(synced.open_orders)
        report.repaired, report.unprotected = guarded.repaired, guarded.unprotected
        report.orphans = guarded.orphans

    def _write_beat(self, report: TickReport) -> None:
        now = self.rt.now()
        self.started_at = self.started_at or now
        details: dict[str, Any] = {
            "state": report.state,
            "broker": self.broker.name,
            "interval_s": self.settings.orders_sync_interval_seconds,
            "exchange_auth": "failing" if report.auth_error else "ok",
            "flow": report.flow,
            "new_fills": report.new_fills,
            "repaired": report.repaired,
            "unprotected": report.unprotected,
            "orphans": report.orphans[:20],
        }
        if report.auth_error:
            details["exchange_auth_error"] = report.auth_error
        try:
            with unit_of_work(self.context.sessions) as session:
                if self.rt.fence is not None:
                    self.rt.fence.check(session)
                write_heartbeat(
                    session,
                    service=EXCHANGE_SYNC_SERVICE,
                    instance_id=self.instance_id,
                    role="leader",
                    started_at=self.started_at,
                    beat_at=now,
                    cycle=self.cycle,
                    last_cycle_ms=report.duration_ms,
                    items=sum(report.flow.values()),
                    errors=int(bool(report.error or report.auth_error)),
                    last_error=(report.auth_error or report.error or None),
                    details=details,
                )
        except FencedOut as exc:
            self.elector.fenced_out(exc)
        except Exception as exc:
            log.warning("[ORDERS] heartbeat not written: %s", short_error(exc))

    def shutdown(self) -> None:
        self.elector.release()

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> int:
        log.info(
            "[ORDERS] starting instance=%s broker=%s interval_s=%s lock=%s",
            self.instance_id,
            self.broker.name,
            self.settings.orders_sync_interval_seconds,
            self.elector.lock.description,
        )
        try:
            return await run_periodic(
                self.tick,
                interval=self.settings.orders_sync_interval_seconds,
                stop=stop,
                name="orders",
                once=once,
            )
        finally:
            await asyncio.to_thread(self.shutdown)
            await self.broker.aclose()
