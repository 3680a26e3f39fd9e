"""What the poller leaves for the readers: its heartbeat row and the 409 blocker.

Heartbeat: `service_heartbeats` row (service `bot`, one per instance, atp.ops.heartbeats), written
by the leader and by standbys every interval, like the other roles (readers: `atp status`, the
health API, `/status`). Blocker: TELEGRAM_POLL_CONFLICT in `global_blockers` (atp.monitor.blockers),
raised after consecutive 409 answers and cleared by the next successful getUpdates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atp.monitor.blockers import BlockerCode, sync_blockers
from atp.ops.heartbeats import BOT_SERVICE, write_heartbeat

SERVICE = BOT_SERVICE
BLOCKER_SOURCE = "bot"


@dataclass
class PollStats:
    """Counters of this process's poller (in the heartbeat's details and the tests)."""

    polls: int = 0
    updates: int = 0
    duplicates: int = 0
    conflicts: int = 0  # consecutive 409 answers (0 once a poll succeeds)
    conflicts_total: int = 0
    failures: int = 0  # consecutive other failures
    offset: int = 0
    last_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def write_beat(
    session: Session,
    *,
    instance_id: str,
    role: str,
    state: str,
    started_at: datetime,
    now: datetime,
    interval_s: float,
    stats: PollStats,
) -> None:
    """Upsert this instance's heartbeat through the one writer (flush only)."""
    write_heartbeat(
        session,
        service=SERVICE,
        instance_id=instance_id,
        role=role,
        started_at=started_at,
        beat_at=now,
        cycle=stats.polls,
        items=stats.updates,
        errors=stats.conflicts + stats.failures,
        last_error=stats.last_error,
        details={
            "state": state,
            "interval_s": interval_s,
            "offset": stats.offset,
            "duplicates": stats.duplicates,
            "conflicts": stats.conflicts,
            "conflicts_total": stats.conflicts_total,
            **stats.extra,
        },
    )


def set_conflict_blocker(session: Session, explanation: str | None, now: datetime) -> None:
    """Raise (explanation) or clear (None) TELEGRAM_POLL_CONFLICT; logged on change. Flushes."""
    sync_blockers(
        session,
        observed={BlockerCode.TELEGRAM_POLL_CONFLICT: explanation},
        now=now,
        source=BLOCKER_SOURCE,
    )
