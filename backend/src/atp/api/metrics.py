"""`GET /metrics`: Prometheus text exposition (format 0.0.4) and the request-latency middleware.

Written here rather than with prometheus_client (not a dependency; the format is small). Two
sources:
- request latency: a histogram per (method, route template, status) kept in this process by
  `RequestLatencyMiddleware` (route templates, never raw paths, so ids do not explode the
  label set; requests that match no route share `route="unmatched"`);
- operational gauges read from the database at scrape time: heartbeat ages per service and per
  worker role, the monitor's last cycle time, messages by status, order intents by status, the
  outbox backlog, failing alert delivery, unprotected positions, active global blockers and the
  newest audit's verdict (the alert rules in deploy/prometheus/alerts.yml use these). A
  database that cannot be read gives `atp_database_up 0` and no database families; the scrape
  itself still answers 200.

With several API workers each process exposes its own latency histogram (scrape each worker or
aggregate in Prometheus); the database gauges are the same from every worker.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageStatus
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.blockers import active_blockers, failing_alerts, undelivered_alerts
from atp.monitor.heartbeat import SERVICE as MONITOR_SERVICE
from atp.ops.build_info import build_info
from atp.ops.health import outbox_backlog
from atp.ops.heartbeats import SERVICE_BY_ROLE
from atp.ops.models import AuditRun, ServiceHeartbeat
from atp.orders.models import OrderIntent
from atp.orders.views import ACTIVE_INTENT_STATES, trading_summary
from atp.runtime.context import AppContext

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "unmatched"
AUDIT_STATUSES = ("PASS", "WARN", "FAIL")

Labels = tuple[tuple[str, str], ...]


@dataclass
class Family:
    """One metric family: `# HELP`, `# TYPE` and its samples (suffix, labels, value)."""

    name: str
    kind: str  # gauge / histogram
    help: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> None:
        self.samples.append((suffix, tuple(labels.items()), value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            braces = f"{{{text}}}" if text else ""
            lines.append(f"{family.name}{suffix}{braces} {_number(value)}")
    return "\n".join(lines) + "\n"


# --- request latency --------------------------------------------------------------------------


@dataclass
class _Histogram:
    buckets: list[int]
    total: float = 0.0
    count: int = 0


class LatencyHistograms:
    """Per-process request latency by (method, route, status); safe across threads."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS_S) -> None:
        self.bounds = buckets
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, str], _Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        index = bisect_left(self.bounds, seconds)  # first bucket with bound >= seconds
        with self._lock:
            series = self._series.setdefault(key, _Histogram([0] * len(self.bounds)))
            if index < len(self.bounds):
                series.buckets[index] += 1
            series.total += seconds
            series.count += 1

    def family(self) -> Family:
        family = Family(
            "atp_http_request_duration_seconds",
            "histogram",
            "Time from request start to the end of the response, by route template.",
        )
        with self._lock:
            snapshot = [(k, list(h.buckets), h.total, h.count) for k, h in self._series.items()]
        for (method, route, status), buckets, total, count in sorted(snapshot):
            labels = {"method": method, "route": route, "status": status}
            cumulative = 0
            for bound, n in zip(self.bounds, buckets, strict=True):
                cumulative += n
                family.add(cumulative, "_bucket", **labels, le=_number(bound))
            family.add(count, "_bucket", **labels, le="+Inf")
            family.add(total, "_sum", **labels)
            family.add(count, "_count", **labels)
        return family


class RequestLatencyMiddleware:
    """Pure ASGI middleware: times every HTTP request and records it under its route template."""

    def __init__(self, app: ASGIApp, *, histograms: LatencyHistograms) -> None:
        self.app = app
        self.histograms = histograms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before responding

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            self.histograms.observe(scope["method"], route, status, time.perf_counter() - started)


# --- database gauges --------------------------------------------------------------------------


def database_families(session: Session, now: datetime) -> list[Family]:
    beats = list(session.scalars(select(ServiceHeartbeat)))
    age = Family("atp_service_heartbeat_age_seconds", "gauge", "Seconds since the last beat.")
    cycle = Family("atp_service_last_cycle_ms", "gauge", "Duration of the last cycle (ms).")
    for beat in beats:
        labels = {"service": beat.service, "instance": beat.instance_id, "role": beat.role}
        age.add((now - beat.beat_at).total_seconds(), **labels)
        if beat.last_cycle_ms is not None:
            cycle.add(beat.last_cycle_ms, **labels)
    monitor = Family("atp_monitor_last_cycle_ms", "gauge", "The monitor leader's last cycle (ms).")
    leaders = [b for b in beats if b.service == MONITOR_SERVICE and b.role == "leader"]
    leader = max(leaders, key=lambda b: b.beat_at, default=None)
    if leader is not None and leader.last_cycle_ms is not None:
        monitor.add(leader.last_cycle_ms, instance=leader.instance_id)
    return [
        age,
        cycle,
        monitor,
        _by_status(
            session,
            TelegramMessage,
            Family("atp_telegram_messages", "gauge", "Telegram outbox/ledger rows by status."),
            [str(status) for status in MessageStatus],
        ),
        _by_status(
            session,
            OrderIntent,
            Family("atp_order_intents", "gauge", "Order intents by status."),
            ACTIVE_INTENT_STATES,
        ),
        *_outbox_families(session, now),
        *_position_families(session, now),
        _role_heartbeat_family(beats, now),
        *_blocker_families(session, now),
        *_alert_delivery_families(session, now),
        *_audit_families(session, now),
    ]


def _role_heartbeat_family(beats: list[ServiceHeartbeat], now: datetime) -> Family:
    """The newest beat per worker role; a role that never beat is +Inf (the alert rules fire)."""
    family = Family(
        "atp_role_heartbeat_age_seconds",
        "gauge",
        "Seconds since the newest heartbeat of a worker role (+Inf: none).",
    )
    for role, service in SERVICE_BY_ROLE.items():
        newest = max((b.beat_at for b in beats if b.service == service), default=None)
        family.add(math.inf if newest is None else (now - newest).total_seconds(), role=role)
    return family


def _blocker_families(session: Session, now: datetime) -> list[Family]:
    active = active_blockers(session)
    count = Family("atp_global_blockers_active", "gauge", "Active global blockers.")
    count.add(len(active))
    age = Family(
        "atp_global_blocker_active_seconds",
        "gauge",
        "Seconds an active global blocker has been active, by code.",
    )
    for blocker in active:
        age.add((now - blocker.since).total_seconds(), code=blocker.code)
    return [count, age]


def _alert_delivery_families(session: Session, now: datetime) -> list[Family]:
    """The monitor's ALERTS_FAILING / ALERTS_UNDELIVERED rules, read at scrape time."""
    failing = Family(
        "atp_alerts_failing", "gauge", "1 when messages ended FAILED/EXPIRED with no send since."
    )
    failing.add(int(failing_alerts(session, now) is not None))
    undelivered = Family(
        "atp_alerts_undelivered", "gauge", "1 when an alert is queued past its delivery limit."
    )
    undelivered.add(int(undelivered_alerts(session, now) is not None))
    return [failing, undelivered]


def _audit_families(session: Session, now: datetime) -> list[Family]:
    """The newest stored audit (`atp audit`, the daily timer): its verdict and its age."""
    last = session.scalars(select(AuditRun).order_by(AuditRun.started_at.desc()).limit(1)).first()
    result = Family(
        "atp_audit_last_status", "gauge", "1 for the newest audit's status (PASS/WARN/FAIL)."
    )
    age = Family(
        "atp_audit_last_run_age_seconds", "gauge", "Seconds since the newest audit (+Inf: none)."
    )
    for status in AUDIT_STATUSES:
        result.add(int(last is not None and last.global_status == status), status=status)
    age.add(math.inf if last is None else (now - last.started_at).total_seconds())
    return [result, age]


def _by_status(
    session: Session,
    model: type[TelegramMessage | OrderIntent],
    family: Family,
    known: Iterable[str],
) -> Family:
    """Row counts by status; `known` statuses are always present (0), so alert rules such as
    `atp_telegram_messages{status="FAILED"} > 0` have a series to watch from the start."""
    counts = dict.fromkeys(known, 0)
    for status, count in session.execute(select(model.status, func.count()).group_by(model.status)):
        counts[str(status)] = int(count)
    for status, count in sorted(counts.items()):
        family.add(count, status=status)
    return family


def _outbox_families(session: Session, now: datetime) -> list[Family]:
    backlog = outbox_backlog(session, now)
    pending = Family("atp_outbox_pending_messages", "gauge", "Messages waiting to be sent.")
    pending.add(backlog["pending"])
    sending = Family("atp_outbox_sending_messages", "gauge", "Messages claimed by a sender.")
    sending.add(backlog["sending"])
    oldest = Family(
        "atp_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest queued message (0: none).",
    )
    oldest.add(backlog["oldest_pending_age_s"] or 0.0)
    return [pending, sending, oldest]


def _position_families(session: Session, now: datetime) -> list[Family]:
    summary = trading_summary(session, now)
    opened = Family("atp_positions_open", "gauge", "Open positions.")
    opened.add(summary.open_positions)
    naked = Family("atp_positions_unprotected", "gauge", "Open positions without a confirmed stop.")
    naked.add(len(summary.naked))
    overdue = Family(
        "atp_positions_unprotected_overdue", "gauge", "Unprotected past the grace period."
    )
    overdue.add(len(summary.naked_overdue))
    return [opened, naked, overdue]


def scrape(context: AppContext, histograms: LatencyHistograms) -> str:
    up = Family("atp_database_up", "gauge", "1 when the database answered this scrape.")
    build = Family("atp_build_info", "gauge", "Version and commit of the running build.")
    info = build_info(context.settings)
    build.add(1, version=info.version, git_sha=info.git_sha)
    try:
        with unit_of_work(context.sessions) as session:
            families = database_families(session, utcnow())
        up.add(1)
    except Exception:  # an unreadable database is a metric value, not a failed scrape
        families = []
        up.add(0)
    return render([up, build, *families, histograms.family()])


def install_metrics(app: FastAPI) -> None:
    """The latency middleware and `GET /metrics` (one call from the app factory)."""
    histograms = LatencyHistograms()
    app.state.latency = histograms
    app.add_middleware(RequestLatencyMiddleware, histograms=histograms)

    def metrics(request: Request) -> PlainTextResponse:
        context: AppContext = request.app.state.context
        return PlainTextResponse(scrape(context, histograms), media_type=CONTENT_TYPE)

    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        response_class=PlainTextResponse,
        tags=["system"],
        summary="Prometheus metrics (text format 0.0.4)",
        description=(
            "Heartbeat ages per service, the monitor's last cycle, outbox rows and order "
            "intents by status, outbox backlog, unprotected positions, request latency."
        ),
    )
