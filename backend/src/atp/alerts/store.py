"""The sender's side of `telegram_messages`: find each chat's head, claim it, record the outcome.

Claiming is safe with several senders: PostgreSQL locks the row with `FOR UPDATE SKIP LOCKED`,
and on both databases the claim is a conditional UPDATE (PENDING -> SENDING) fenced by
`attempts`, which every claim increments. An outcome is written only if the row is still
SENDING with the same `attempts`, so a sender whose lease ran out cannot overwrite another's.

Order per chat: only a chat's *head* (its lowest open id, PENDING or SENDING) may be sent, so a
chat's next message waits while an earlier one is in flight, held by `retry_after`, or backing off.

Every transition to FAILED, EXPIRED or BLOCKED also takes back the alert's effects (throttle step,
order intent; see `undelivered.py`) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage as TM
from atp.alerts.outbox import MessageStatus
from atp.alerts.undelivered import take_back

EXPIRED_REASON = "EXPIRED_MAX_AGE"


@dataclass(frozen=True)
class Head:
    """The first open message of one chat (chat_id None = the default alerts chat)."""

    id: int
    chat_id: str | None
    status: str
    attempts: int
    due_at: datetime | None  # None = due now


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: str | None
    text: str
    parse_mode: str
    attempts: int  # fencing token for the outcome update
    created_at: datetime
    kind: str = ""  # for the buttons under an alert (atp.bot)
    symbol: str | None = None


def open_heads(session: Session) -> list[Head]:
    """Each chat's head row: its lowest open id."""
    first_ids = (
        select(func.min(TM.id)).where(TM.status.in_(_open())).group_by(TM.chat_id).scalar_subquery()
    )
    rows = session.execute(
        select(TM.id, TM.chat_id, TM.status, TM.attempts, TM.next_attempt_at)
        .where(TM.id.in_(first_ids))
        .order_by(TM.id)
    ).all()
    return [Head(r.id, r.chat_id, r.status, r.attempts, r.next_attempt_at) for r in rows]


def recent_sends(
    session: Session,
    since: datetime,
    now: datetime,
    *,
    created_after: datetime,
    own: frozenset[int] = frozenset(),
) -> list[tuple[str | None, datetime]]:
    """(chat_id, completion time) of every request that may count against Telegram's limits now.

    SENT rows count at `sent_at` (recorded after Telegram answered, so never earlier than the
    real arrival). A SENDING row claimed by another sender may have reached Telegram at any time
    up to now: it counts as sent now. Rows in `own` are this sender's in-flight requests, which
    its pacer already knows about. `created_after` (nothing is sent later than its max age after
    creation) lets the query use the `created_at` index instead of scanning the ledger.
    """
    sent = session.execute(
        select(TM.chat_id, TM.sent_at).where(
            TM.status == MessageStatus.SENT, TM.created_at >= created_after, TM.sent_at >= since
        )
    ).all()
    sending = session.execute(
        select(TM.id, TM.chat_id).where(TM.status == MessageStatus.SENDING)
    ).all()
    return [(r.chat_id, r.sent_at) for r in sent] + [
        (r.chat_id, now) for r in sending if r.id not in own
    ]


def is_due(head: Head, now: datetime) -> bool:
    """PENDING and not backing off, or SENDING whose claim lease expired (its sender died)."""
    if head.status == MessageStatus.PENDING:
        return head.due_at is None or head.due_at <= now
    return head.due_at is not None and head.due_at <= now


def claim(session: Session, head: Head, now: datetime, lease: timedelta) -> Claimed | None:
    """PENDING/expired-lease -> SENDING. Returns None if another sender got there first."""
    if session.get_bind().dialect.name == "postgresql":
        locked = (
            select(TM.id)
            .where(TM.id == head.id, TM.status == head.status, TM.attempts == head.attempts)
            .with_for_update(skip_locked=True)
        )
        if session.scalar(locked) is None:  # another sender holds or changed it: skip, no wait
            return None
    row = session.execute(
        update(TM)
        .where(TM.id == head.id, TM.status == head.status, TM.attempts == head.attempts)
        .values(
            status=MessageStatus.SENDING,
            attempts=head.attempts + 1,
            next_attempt_at=now + lease,
            updated_at=now,
        )
        .returning(TM.text, TM.parse_mode, TM.created_at, TM.kind, TM.symbol)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None
    return Claimed(
        head.id,
        head.chat_id,
        row.text,
        row.parse_mode,
        head.attempts + 1,
        row.created_at,
        kind=row.kind,
        symbol=row.symbol,
    )


def mark_sent(
    session: Session,
    claimed: Claimed,
    now: datetime,
    *,
    message_id: int | None,
    channel: str,
    note: str | None,
) -> bool:
    return _finish(
        session,
        claimed,
        status=MessageStatus.SENT,
        sent_at=now,
        telegram_message_id=message_id,
        channel=channel,
        reason_message=note,
        next_attempt_at=None,
        updated_at=now,
    )


def mark_retry(
    session: Session,
    claimed: Claimed,
    now: datetime,
    *,
    next_attempt_at: datetime,
    error: str,
    plain_text: bool = False,
) -> bool:
    values: dict[str, object] = {
        "status": MessageStatus.PENDING,
        "next_attempt_at": next_attempt_at,
        "last_error": error[:2000],
        "updated_at": now,
    }
    if plain_text:
        values["parse_mode"] = "PLAIN"
    return _finish(session, claimed, **values)


def mark_failed(
    session: Session, claimed: Claimed, now: datetime, *, reason_code: str, error: str
) -> bool:
    finished = _finish(
        session,
        claimed,
        status=MessageStatus.FAILED,
        reason_code=reason_code,
        reason_message=error[:1000],
        last_error=error[:2000],
        next_attempt_at=None,
        updated_at=now,
    )
    if finished:
        take_back(session, [claimed.id], "ALERT_FAILED", now)
    return finished


def mark_expired(session: Session, claimed: Claimed, now: datetime, max_age: timedelta) -> bool:
    finished = _finish(session, claimed, **_expired_values(now, max_age))
    if finished:
        take_back(session, [claimed.id], "ALERT_EXPIRED", now)
    return finished


def _expired_values(now: datetime, max_age: timedelta) -> dict[str, object]:
    return {
        "status": MessageStatus.EXPIRED,
        "reason_code": EXPIRED_REASON,
        "reason_message": (
            f"not delivered within {int(max_age.total_seconds())} s of creation; not sent late"
        ),
        "next_attempt_at": None,
        "updated_at": now,
    }


def expire_overdue(session: Session, now: datetime, max_age: timedelta) -> int:
    """Open alerts older than `max_age` become EXPIRED: an alert is never sent late."""
    cutoff = now - max_age
    pending = (TM.status == MessageStatus.PENDING) & (TM.created_at < cutoff)
    orphaned = (
        (TM.status == MessageStatus.SENDING)
        & (TM.next_attempt_at <= now)
        & (TM.created_at < cutoff)
    )
    ids = session.scalars(
        update(TM)
        .where(pending | orphaned)
        .values(**_expired_values(now, max_age))
        .returning(TM.id)
        .execution_options(synchronize_session=False)
    ).all()
    take_back(session, ids, "ALERT_EXPIRED", now)
    return len(ids)


def block_pending(session: Session, now: datetime, reason_code: str) -> int:
    """Telegram is blocked (and no console fallback): PENDING rows become BLOCKED with the reason."""
    ids = session.scalars(
        update(TM)
        .where(TM.status == MessageStatus.PENDING)
        .values(status=MessageStatus.BLOCKED, reason_code=reason_code[:255], updated_at=now)
        .returning(TM.id)
        .execution_options(synchronize_session=False)
    ).all()
    take_back(session, ids, "ALERT_BLOCKED", now)
    return len(ids)


def _finish(session: Session, claimed: Claimed, **values: object) -> bool:
    result = session.execute(
        update(TM)
        .where(
            TM.id == claimed.id,
            TM.status == MessageStatus.SENDING,
            TM.attempts == claimed.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def _open() -> list[str]:
    return [MessageStatus.PENDING.value, MessageStatus.SENDING.value]


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
