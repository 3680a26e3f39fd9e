"""Global blockers: conditions that stop all alerts or trades, loud when they appear and clear.

Each code is one row in `global_blockers` (`active` flips). The monitor leader recomputes the codes
it can observe every tick; a code it could not observe this tick (e.g. data staleness while paused)
keeps its stored state. Transitions are logged once:
    [GLOBAL_BLOCKER] <CODE>: <explanation>
    [GLOBAL_BLOCKER] <CODE>: cleared (was: <explanation>)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.alerts.gating import telegram_status
from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import OPEN_STATUSES, MessageStatus
from atp.core.errors import clean_error_text
from atp.db.base import utcnow
from atp.monitor.switches import load_switches
from atp.ops.heartbeats import EXCHANGE_SYNC_SERVICE as SYNC_HEARTBEAT_SERVICE
from atp.ops.models import GlobalBlocker, ServiceHeartbeat
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem

log = logging.getLogger(__name__)
SOURCE = "monitor"


class BlockerCode(StrEnum):
    NO_ALERT_SYMBOLS = "NO_ALERT_SYMBOLS"
    TELEGRAM_NOT_CONFIGURED = "TELEGRAM_NOT_CONFIGURED"
    MARKET_DATA_STALE_ALL = "MARKET_DATA_STALE_ALL"
    KILL_SWITCH_ON = "KILL_SWITCH_ON"
    EXCHANGE_AUTH_FAILING = "EXCHANGE_AUTH_FAILING"
    MONITOR_PAUSED = "MONITOR_PAUSED"
    MONITOR_DISABLED = "MONITOR_DISABLED"
    TRADING_SETTINGS_UNREADABLE = "TRADING_SETTINGS_UNREADABLE"
    ALERTS_UNDELIVERED = "ALERTS_UNDELIVERED"
    ALERTS_FAILING = "ALERTS_FAILING"
    MONITOR_CYCLES_FAILING = "MONITOR_CYCLES_FAILING"
    # Derived from the heartbeat by readers (`why`, status); a dead monitor cannot store them.
    MONITOR_NOT_RUNNING = "MONITOR_NOT_RUNNING"
    MONITOR_HEARTBEAT_STALE = "MONITOR_HEARTBEAT_STALE"
    # Raised and cleared by the menu bot's poller (atp.bot.polling): getUpdates keeps getting
    # 409 Conflict, i.e. another process polls the same bot token (or a webhook is set).
    TELEGRAM_POLL_CONFLICT = "TELEGRAM_POLL_CONFLICT"


# Pacing (1 message/s per chat) and retry_after holds delay alerts legitimately for a while; an
# alert still queued after this long means the sender is not draining the outbox.
UNDELIVERED_AFTER_S = 300.0
# Alerts that ended FAILED / EXPIRED within this window (and after the last SENT) keep
# ALERTS_FAILING active; one delivered alert after the last failure clears it.
FAILING_WINDOW_S = 3600.0
FAILED_FINAL_STATUSES = (MessageStatus.FAILED, MessageStatus.EXPIRED)


@dataclass(frozen=True)
class Transition:
    code: str
    appeared: bool
    message: str


def sync_blockers(
    session: Session,
    *,
    observed: Mapping[str, str | None],
    now: datetime,
    source: str = SOURCE,
) -> list[Transition]:
    """Store the observed state (code -> explanation if active, None if clear); flush only.

    Returns (and logs) the transitions. Codes not in `observed` are left untouched.
    """
    rows = {
        row.code: row
        for row in session.scalars(select(GlobalBlocker).where(GlobalBlocker.code.in_(observed)))
    }
    transitions: list[Transition] = []
    for code, explanation in observed.items():
        row = rows.get(code)
        if explanation is not None:
            if row is None:
                row = GlobalBlocker(code=code, source=source, active=False, message="", since=now)
                session.add(row)
            if not row.active:
                row.active, row.since, row.cleared_at = True, now, None
                transitions.append(Transition(code, True, explanation))
            row.message = explanation[:1000]
            row.updated_at = now
        elif row is not None and row.active:
            row.active, row.cleared_at, row.updated_at = False, now, now
            transitions.append(Transition(code, False, row.message))
    session.flush()
    for t in transitions:
        if t.appeared:
            log.warning("[GLOBAL_BLOCKER] %s: %s", t.code, t.message)
        else:
            log.warning("[GLOBAL_BLOCKER] %s: cleared (was: %s)", t.code, t.message)
    return transitions


def active_blockers(session: Session) -> list[GlobalBlocker]:
    """What health and audit query: every active blocker, oldest first."""
    return list(
        session.scalars(
            select(GlobalBlocker)
            .where(GlobalBlocker.active.is_(True))
            .order_by(GlobalBlocker.since)
        )
    )


def log_still_active(session: Session) -> None:
    """On taking leadership, repeat the blockers a previous leader left active (once)."""
    for row in active_blockers(session):
        log.warning("[GLOBAL_BLOCKER] %s: %s (still active)", row.code, row.message)


# --- exchange authentication hook -------------------------------------------------------------
# The monitor has no private exchange client. The exchange sync process (orders issue) owns the
# authenticated calls; it reports the outcome in its heartbeat row:
#     service_heartbeats(service='ExchangeSyncService').details = {"exchange_auth": "ok"}
#     or {"exchange_auth": "failing", "exchange_auth_error": "40101 ..."}
# The monitor turns a "failing" report from the freshest sync heartbeat into
# EXCHANGE_AUTH_FAILING. No sync heartbeat at all means "not observed" (not a blocker).
EXCHANGE_SYNC_SERVICE = SYNC_HEARTBEAT_SERVICE  # atp.ops.heartbeats names every role


def exchange_auth_problem(session: Session) -> tuple[bool, str | None]:
    """(observed, explanation-if-failing) from the exchange sync heartbeat."""
    row = session.scalars(
        select(ServiceHeartbeat)
        .where(ServiceHeartbeat.service == EXCHANGE_SYNC_SERVICE)
        .order_by(ServiceHeartbeat.beat_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return False, None
    details: dict[str, Any] = row.details or {}
    if details.get("exchange_auth") == "failing":
        error = str(details.get("exchange_auth_error") or "unknown error")
        return True, f"exchange authentication failing ({error}); no order can be placed"
    return True, None


def observe(
    session: Session,
    settings: Settings,
    *,
    paused: bool,
    disabled: bool,
    alert_symbols: int | None,
    stale_symbols: int | None,
    cycles_failing: str | None = None,
) -> dict[str, str | None]:
    """The monitor's view of every blocker it can observe now (None = clear).

    `alert_symbols` / `stale_symbols` come from the cycle; None means "not evaluated this tick"
    (paused or disabled), which leaves MARKET_DATA_STALE_ALL as it was. `cycles_failing` is the
    worker's explanation when its cycles keep failing (None = the last cycle succeeded or none
    was attempted).
    """
    observed: dict[str, str | None] = {
        BlockerCode.MONITOR_DISABLED: (
            "DEBUG_DISABLE_SIGNAL_MONITOR=1: the monitor process is alive but idle; "
            "no symbol is evaluated, no alert is sent"
            if disabled
            else None
        ),
        BlockerCode.MONITOR_PAUSED: (
            "the signal monitor is paused (MONITOR_PAUSED=true); no alert is sent until "
            "POST /api/control/start-signal-monitor"
            if paused
            else None
        ),
    }
    switches = load_switches(session)
    observed[BlockerCode.KILL_SWITCH_ON] = (
        "KILL_SWITCH is ON: no new entry order is placed (alerts still go out)"
        if switches.kill_switch
        else None
    )
    observed[BlockerCode.TRADING_SETTINGS_UNREADABLE] = "; ".join(switches.problems) or None
    status = telegram_status(settings, session)
    observed[BlockerCode.TELEGRAM_NOT_CONFIGURED] = (
        None
        if status.enabled
        else f"Telegram is not enabled (reasons={','.join(status.reasons)}); "
        f"alerts go to the {status.notifier_kind} notifier"
    )
    observed[BlockerCode.MONITOR_CYCLES_FAILING] = cycles_failing
    observed[BlockerCode.ALERTS_UNDELIVERED] = undelivered_alerts(session, utcnow())
    observed[BlockerCode.ALERTS_FAILING] = failing_alerts(session, utcnow())
    auth_observed, auth_problem = exchange_auth_problem(session)
    if auth_observed:
        observed[BlockerCode.EXCHANGE_AUTH_FAILING] = auth_problem
    if alert_symbols is None:
        alert_symbols = count_alert_symbols(session)
    observed[BlockerCode.NO_ALERT_SYMBOLS] = (
        "no watchlist symbol has alert_enabled=true; nothing is evaluated"
        if alert_symbols == 0
        else None
    )
    if stale_symbols is not None and alert_symbols:
        observed[BlockerCode.MARKET_DATA_STALE_ALL] = (
            f"market data is stale for all {alert_symbols} alert-enabled symbols; "
            "no decision is made (is `atp market` running?)"
            if stale_symbols >= alert_symbols
            else None
        )
    return observed


def undelivered_alerts(session: Session, now: datetime) -> str | None:
    """Alerts written to the outbox long ago and still not delivered (None when there are none)."""
    cutoff = now - timedelta(seconds=UNDELIVERED_AFTER_S)
    count, oldest = session.execute(
        select(func.count(), func.min(TelegramMessage.created_at)).where(
            TelegramMessage.status.in_([str(s) for s in OPEN_STATUSES]),
            TelegramMessage.created_at < cutoff,
        )
    ).one()
    if not count or oldest is None:
        return None
    age = (now - oldest).total_seconds()
    return (
        f"{count} alert(s) queued for more than {UNDELIVERED_AFTER_S:.0f} s (oldest {age:.0f} s); "
        "is `atp sender` running? (`atp alerts list --status PENDING`)"
    )


def failing_alerts(session: Session, now: datetime) -> str | None:
    """Messages that ended FAILED / EXPIRED recently with no delivery since (None = delivering).

    BLOCKED rows are not counted: a refusal by configuration is TELEGRAM_NOT_CONFIGURED.
    """
    since = now - timedelta(seconds=FAILING_WINDOW_S)
    last_sent = session.scalar(
        select(func.max(TelegramMessage.sent_at)).where(
            TelegramMessage.status == MessageStatus.SENT
        )
    )
    if last_sent is not None and last_sent > since:
        since = last_sent
    failed = (
        TelegramMessage.status.in_([str(s) for s in FAILED_FINAL_STATUSES]),
        TelegramMessage.updated_at > since,
    )
    count = session.scalar(select(func.count()).select_from(TelegramMessage).where(*failed))
    if not count:
        return None
    last = session.execute(
        select(
            TelegramMessage.status,
            TelegramMessage.updated_at,
            TelegramMessage.reason_code,
            TelegramMessage.reason_message,
            TelegramMessage.last_error,
        )
        .where(*failed)
        .order_by(TelegramMessage.updated_at.desc(), TelegramMessage.id.desc())
        .limit(1)
    ).one()
    error = last.reason_message or last.last_error or last.reason_code or "no error recorded"
    return (
        f"{count} message(s) FAILED/EXPIRED in the last {FAILING_WINDOW_S / 60:.0f} min with "
        f"none delivered since; last: {last.status} at {last.updated_at.isoformat()}: "
        f"{clean_error_text(error)} (`atp alerts list --status FAILED`)"
    )


def count_alert_symbols(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(WatchlistItem)
            .where(WatchlistItem.alert_enabled.is_(True), WatchlistItem.is_deleted.is_(False))
        )
        or 0
    )
