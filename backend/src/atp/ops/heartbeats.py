"""Worker liveness: the one writer of `service_heartbeats` rows and the freshness rule.

Every worker role (monitor, market updater, alert sender, exchange sync, menu bot) rewrites one
row per instance each cycle through `write_heartbeat`. `atp healthcheck <role>` (the compose
healthchecks), `/metrics` and the Prometheus rules read those rows; `max_age_for` is the one
place that turns a role's interval into "too old".

Kept light (no worker imports): `atp healthcheck` runs every few seconds in every container.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.db.upsert import upsert_rows
from atp.ops.models import ServiceHeartbeat
from atp.settings import Settings

# Role (what an operator and compose call the process) -> `service_heartbeats.service`.
MONITOR_SERVICE = "SignalMonitorService"
MARKET_SERVICE = "market"
SENDER_SERVICE = "AlertSenderService"
EXCHANGE_SYNC_SERVICE = "ExchangeSyncService"
BOT_SERVICE = "bot"
SERVICE_BY_ROLE: Mapping[str, str] = {
    "monitor": MONITOR_SERVICE,
    "market": MARKET_SERVICE,
    "sender": SENDER_SERVICE,
    "sync": EXCHANGE_SYNC_SERVICE,
    "bot": BOT_SERVICE,
}

# The sender loops every second; one row write per beat interval is enough to show it is alive.
SENDER_BEAT_INTERVAL_S = 15.0
# Too old = this many intervals, and never less than the floor: a market pass or a monitor cycle
# may legitimately take longer than its interval now and then (backfills, a slow exchange).
STALE_INTERVALS = 4
STALE_FLOOR_S = 90.0

_KEYS = ("service", "instance_id")


def role_interval_s(role: str, settings: Settings) -> float:
    """How often the role writes its heartbeat (seconds)."""
    intervals = {
        "monitor": settings.monitor_interval_seconds,
        "market": settings.market_interval_seconds,
        "sender": SENDER_BEAT_INTERVAL_S,
        "sync": settings.orders_sync_interval_seconds,
        "bot": settings.bot_interval_seconds,
    }
    return float(intervals[role])


def max_age_for(role: str, settings: Settings) -> float:
    """The default staleness threshold for `role` (seconds)."""
    return max(STALE_FLOOR_S, STALE_INTERVALS * role_interval_s(role, settings))


def write_heartbeat(
    session: Session,
    *,
    service: str,
    instance_id: str,
    role: str,
    started_at: datetime,
    beat_at: datetime,
    cycle: int = 0,
    last_cycle_ms: int | None = None,
    items: int | None = None,
    errors: int = 0,
    last_error: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Upsert this instance's row (flush only; the caller commits). `started_at` is kept from
    the first beat of an instance; everything else is rewritten."""
    row = {
        "service": service,
        "instance_id": instance_id[:128],
        "role": role,
        "pid": os.getpid(),
        "hostname": socket.gethostname()[:255],
        "started_at": started_at,
        "beat_at": beat_at,
        "cycle": cycle,
        "last_cycle_ms": last_cycle_ms,
        "items": items,
        "errors": errors,
        "last_error": None if last_error is None else last_error[:1000],
        "details": details,
    }
    upsert_rows(
        session,
        ServiceHeartbeat.__table__,  # type: ignore[arg-type]
        [row],
        conflict_columns=list(_KEYS),
        update_columns=[k for k in row if k not in (*_KEYS, "started_at")],
    )


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    message: str  # one line for the operator (and the compose health log)
    age_s: float | None


def newest_beat(session: Session, service: str, hostname: str | None) -> ServiceHeartbeat | None:
    """The freshest row of `service` (written on `hostname` when given: this container's own)."""
    query = select(ServiceHeartbeat).where(ServiceHeartbeat.service == service)
    if hostname is not None:
        query = query.where(ServiceHeartbeat.hostname == hostname[:255])
    return session.scalars(query.order_by(ServiceHeartbeat.beat_at.desc()).limit(1)).first()


def judge(role: str, beat: ServiceHeartbeat | None, now: datetime, max_age_s: float) -> Freshness:
    """Fresh when the newest beat is at most `max_age_s` old."""
    if beat is None:
        return Freshness(False, f"{role}: no heartbeat yet (is `atp {role}` running?)", None)
    age = (now - beat.beat_at).total_seconds()
    where = f"instance {beat.instance_id} ({beat.role}, cycle {beat.cycle})"
    if age > max_age_s:
        return Freshness(
            False, f"{role}: heartbeat is {age:.0f} s old (limit {max_age_s:.0f} s), {where}", age
        )
    return Freshness(True, f"{role}: ok, heartbeat {age:.0f} s old, {where}", age)
