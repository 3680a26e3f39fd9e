"""Keep the ledger bounded: delete final rows older than TELEGRAM_RETENTION_DAYS (default 90).

Open rows (PENDING / SENDING) are never deleted here; they expire long before any retention
horizon. Deletes run in batches so a large backlog never holds a long lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage as TM
from atp.alerts.outbox import FINAL_STATUSES

BATCH_SIZE = 5000


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    deleted: int
    dry_run: bool


def _old_final(cutoff: datetime) -> list[ColumnElement[bool]]:
    return [TM.status.in_([s.value for s in FINAL_STATUSES]), TM.created_at < cutoff]


def count_expired_rows(session: Session, now: datetime, days: int) -> int:
    cutoff = now - timedelta(days=days)
    return int(session.scalar(select(func.count()).where(*_old_final(cutoff))) or 0)


def purge_ledger(
    sessions: sessionmaker[Session], now: datetime, days: int, *, dry_run: bool = False
) -> RetentionResult:
    """Delete final rows created before now - `days`, one committed batch at a time."""
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    cutoff = now - timedelta(days=days)
    if dry_run:
        with sessions() as session:
            return RetentionResult(cutoff, count_expired_rows(session, now, days), True)
    deleted = 0
    while True:
        with sessions.begin() as session:
            ids = session.scalars(
                select(TM.id).where(*_old_final(cutoff)).order_by(TM.id).limit(BATCH_SIZE)
            ).all()
            if not ids:
                break
            session.execute(delete(TM).where(TM.id.in_(ids)))
            deleted += len(ids)
    return RetentionResult(cutoff, deleted, False)
