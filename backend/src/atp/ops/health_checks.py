"""The component checks behind `atp.ops.health.system_health`, one function per component.

Each returns a `ComponentCheck` (PASS / WARN / FAIL, a one-line message, the evidence) and only
reads. Each reuses the function the rest of the system already trusts for that question (market
freshness, monitor status, Telegram gating, blockers, the trading summary) instead of restating
its rule, so health, `atp status`, the audit and Telegram `/status` cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.alerts.gating import telegram_status
from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageStatus
from atp.core.errors import clean_error_text
from atp.market.health import data_health
from atp.monitor.blockers import (
    EXCHANGE_SYNC_SERVICE,
    BlockerCode,
    exchange_auth_problem,
    failing_alerts,
    undelivered_alerts,
)
from atp.monitor.service import ALIVE_INTERVALS, ALIVE_SLACK_S, monitor_status
from atp.monitor.switches import load_switches
from atp.ops.models import ServiceHeartbeat
from atp.orders.checks import live_trading_required
from atp.orders.views import trading_summary
from atp.settings import Settings


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    WARN = "WARN"
    FAIL = "FAIL"


_RANK = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}


@dataclass(frozen=True)
class ComponentCheck:
    name: str
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def worst(statuses: list[Status]) -> Status:
    """FAIL if any FAIL, else WARN if any WARN, else PASS (an empty list passes)."""
    return max(statuses, key=_RANK.__getitem__, default=Status.PASS)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# --- market data, monitor, alerts, Telegram -------------------------------------------------


def check_market_data(session: Session, settings: Settings, now: datetime) -> ComponentCheck:
    """The `atp market-health` view: stale symbols get no decision (MARKET_DATA_STALE)."""
    rows = data_health(session, timeframes=list(settings.market_timeframe_list), now=now)
    symbols = {
        r.symbol: {
            "healthy": r.healthy,
            "status": r.status,
            "last_success_at": _iso(r.last_success_at),
            "last_error": clean_error_text(r.last_error),
            "stale": {
                tf: {"reason": f.reason, "age_s": f.age_s, "limit_s": f.limit_s}
                for tf, f in r.freshness.items()
                if not f.fresh
            },
        }
        for r in rows
    }
    unhealthy = sorted(s for s, v in symbols.items() if not v["healthy"])
    evidence = {
        "symbols": symbols,
        "unhealthy": unhealthy,
        "timeframes": settings.market_timeframe_list,
    }
    if not rows:
        return ComponentCheck("market_data", Status.WARN, "the watchlist is empty", evidence)
    if len(unhealthy) == len(rows):
        message = (
            f"market data stale or failing for all {len(rows)} symbols; is `atp market` running?"
        )
        return ComponentCheck("market_data", Status.FAIL, message, evidence)
    if unhealthy:
        message = (
            f"{len(unhealthy)}/{len(rows)} symbols stale or failing: {', '.join(unhealthy[:10])}"
        )
        return ComponentCheck("market_data", Status.WARN, message, evidence)
    return ComponentCheck("market_data", Status.PASS, f"all {len(rows)} symbols fresh", evidence)


def check_monitor(session: Session, settings: Settings, now: datetime) -> ComponentCheck:
    body = monitor_status(session, settings, now)
    leader = body["leader"] or {}
    evidence = {
        "state": body["state"],
        "running": body["signal_monitor_running"],
        "paused": body["paused"],
        "heartbeat_age_s": body["heartbeat_age_s"],
        "last_cycle_age_s": body["last_cycle_age_s"],
        "last_cycle_ms": leader.get("last_cycle_ms"),
        "leader": leader.get("instance_id"),
        "failed_cycles": leader.get("failed_cycles", 0),
        "last_error": leader.get("last_error"),
        "standbys": body["standbys"],
        "interval_s": body["interval_s"],
    }
    if body["signal_monitor_running"]:
        return ComponentCheck(
            "monitor", Status.PASS, f"running, leader {evidence['leader']}", evidence
        )
    if body["leader"] is None:
        return ComponentCheck(
            "monitor", Status.FAIL, "no monitor leader heartbeat; start `atp monitor`", evidence
        )
    if not leader["alive"]:
        message = (
            f"leader heartbeat is {body['heartbeat_age_s']:.0f} s old: the monitor is not running"
        )
        return ComponentCheck("monitor", Status.FAIL, message, evidence)
    if body["state"] == "paused":
        message = "paused (MONITOR_PAUSED=true); POST /api/control/start-signal-monitor resumes it"
        return ComponentCheck("monitor", Status.WARN, message, evidence)
    message = f"leader alive but state={body['state']}; no symbol is evaluated"
    return ComponentCheck("monitor", Status.FAIL, message, evidence)


def check_alert_sender(session: Session, now: datetime) -> ComponentCheck:
    """Outbox backlog (PENDING/SENDING and the oldest age) and recent final failures."""
    backlog = outbox_backlog(session, now)
    evidence: dict[str, Any] = dict(backlog)
    undelivered, failing = undelivered_alerts(session, now), failing_alerts(session, now)
    evidence["undelivered"] = undelivered
    evidence["failing"] = failing
    if undelivered or failing:
        code = BlockerCode.ALERTS_UNDELIVERED if undelivered else BlockerCode.ALERTS_FAILING
        return ComponentCheck(
            "alert_sender", Status.FAIL, f"{code}: {undelivered or failing}", evidence
        )
    return ComponentCheck(
        "alert_sender",
        Status.PASS,
        f"{backlog['pending']} queued, none overdue or failing",
        evidence,
    )


def outbox_backlog(session: Session, now: datetime) -> dict[str, Any]:
    """{pending, sending, oldest_pending_age_s} of the Telegram outbox."""
    rows = session.execute(
        select(TelegramMessage.status, func.count(), func.min(TelegramMessage.created_at))
        .where(TelegramMessage.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]))
        .group_by(TelegramMessage.status)
    ).all()
    counts = {str(status): int(n) for status, n, _ in rows}
    oldest = min((at for _, _, at in rows if at is not None), default=None)
    return {
        "pending": counts.get(MessageStatus.PENDING, 0),
        "sending": counts.get(MessageStatus.SENDING, 0),
        "oldest_pending_age_s": None
        if oldest is None
        else round((now - oldest).total_seconds(), 3),
    }


def check_telegram(session: Session, settings: Settings) -> ComponentCheck:
    status = telegram_status(settings, session)
    evidence = {
        "notifier": status.notifier_kind,
        "reasons": [str(r) for r in status.reasons],
        "environment": status.environment,
        "chat_id_set": bool(status.chat_id),
    }
    verdict = {"telegram": Status.PASS, "console": Status.WARN}.get(
        status.notifier_kind, Status.FAIL
    )
    return ComponentCheck("telegram", verdict, status.describe(), evidence)


# --- exchange, order worker, positions, switches -------------------------------------------


def _newest_beat(session: Session, service: str) -> ServiceHeartbeat | None:
    return session.scalars(
        select(ServiceHeartbeat)
        .where(ServiceHeartbeat.service == service)
        .order_by(ServiceHeartbeat.beat_at.desc())
        .limit(1)
    ).first()


def _sync_alive_limit_s(settings: Settings) -> float:
    return ALIVE_INTERVALS * settings.orders_sync_interval_seconds + ALIVE_SLACK_S


def check_exchange_auth(session: Session, settings: Settings, now: datetime) -> ComponentCheck:
    """From the order worker's heartbeat (it owns the signed calls): ok, failing, or unknown."""
    observed, problem = exchange_auth_problem(session)
    beat = _newest_beat(session, EXCHANGE_SYNC_SERVICE) if observed else None
    age = None if beat is None else (now - beat.beat_at).total_seconds()
    evidence = {
        "observed": observed,
        "broker": None if beat is None else (beat.details or {}).get("broker"),
        "reported_at": None if beat is None else _iso(beat.beat_at),
        "report_age_s": None if age is None else round(age, 3),
        "error": clean_error_text(problem),
        "credentials_set": settings.exchange_credentials_set,
    }
    if problem is not None:
        return ComponentCheck(
            "exchange_auth",
            Status.FAIL,
            f"{BlockerCode.EXCHANGE_AUTH_FAILING}: {evidence['error']}",
            evidence,
        )
    if age is None:
        return ComponentCheck(
            "exchange_auth", Status.WARN, "not observed: no `atp sync` heartbeat yet", evidence
        )
    if age > _sync_alive_limit_s(settings):
        message = f"last report ok but {age:.0f} s old (the order worker is not running)"
        return ComponentCheck("exchange_auth", Status.WARN, message, evidence)
    return ComponentCheck(
        "exchange_auth", Status.PASS, "authenticated (last order-worker pass)", evidence
    )


def check_order_sync(session: Session, settings: Settings, now: datetime) -> ComponentCheck:
    beat = _newest_beat(session, EXCHANGE_SYNC_SERVICE)
    limit = _sync_alive_limit_s(settings)
    live = live_trading_required(settings)
    if beat is None:
        evidence: dict[str, Any] = {"trading_mode": settings.trading_mode, "alive_limit_s": limit}
        message = "no `atp sync` heartbeat: no order is placed, synced or protected"
        return ComponentCheck("order_sync", Status.FAIL if live else Status.WARN, message, evidence)
    age = (now - beat.beat_at).total_seconds()
    details = beat.details or {}
    evidence = {
        "instance_id": beat.instance_id,
        "heartbeat_age_s": round(age, 3),
        "alive_limit_s": limit,
        "last_cycle_ms": beat.last_cycle_ms,
        "cycle": beat.cycle,
        "broker": details.get("broker"),
        "state": details.get("state"),
        "unprotected": details.get("unprotected"),
        "last_error": clean_error_text(beat.last_error),
        "trading_mode": settings.trading_mode,
    }
    if age > limit:
        message = f"order worker heartbeat is {age:.0f} s old (limit {limit:.0f} s): `atp sync` is not running"
        return ComponentCheck("order_sync", Status.FAIL, message, evidence)
    if beat.errors:
        return ComponentCheck(
            "order_sync", Status.WARN, f"last pass failed: {evidence['last_error']}", evidence
        )
    return ComponentCheck(
        "order_sync", Status.PASS, f"running, last pass {beat.last_cycle_ms} ms", evidence
    )


def check_positions(session: Session, now: datetime) -> ComponentCheck:
    """A position without a confirmed stop past the grace period loses money without limit."""
    summary = trading_summary(session, now)
    evidence = {
        "open_positions": summary.open_positions,
        "naked": summary.naked,
        "naked_overdue": summary.naked_overdue,
        "flattening": summary.flattening,
    }
    if summary.naked_overdue:
        message = f"NAKED positions (no confirmed stop-loss): {', '.join(summary.naked_overdue)}"
        return ComponentCheck("positions", Status.FAIL, message, evidence)
    if summary.naked or summary.flattening:
        message = f"protection pending: naked={summary.naked} flattening={summary.flattening}"
        return ComponentCheck("positions", Status.WARN, message, evidence)
    return ComponentCheck(
        "positions", Status.PASS, f"{summary.open_positions} open, all protected", evidence
    )


def check_trading_switches(session: Session, settings: Settings) -> ComponentCheck:
    switches = load_switches(session)
    live_required = live_trading_required(settings)
    evidence = {
        "kill_switch": switches.kill_switch,
        "live_trading": switches.live_trading,
        "trading_mode": settings.trading_mode,
        "live_trading_required": live_required,
        "problems": list(switches.problems),
    }
    notes = []
    if switches.kill_switch:
        notes.append("KILL_SWITCH is ON: no new entry order")
    if live_required and not switches.live_trading:
        notes.append("LIVE_TRADING is off: live entries are refused")
    notes += list(switches.problems)
    if notes:
        return ComponentCheck("trading", Status.WARN, "; ".join(notes), evidence)
    mode = "live" if live_required else "paper"
    return ComponentCheck("trading", Status.PASS, f"{mode} trading, kill switch off", evidence)
