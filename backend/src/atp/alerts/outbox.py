"""The producer side of the outbox: enqueue an alert, or record one refused by gating.

Both functions only `add` + `flush`, never commit: the monitor calls them inside its own
transaction, so the outbox row and the throttle update commit (or roll back) together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.settings import Settings


class MessageStatus(StrEnum):
    PENDING = "PENDING"  # outbox: waiting to be sent (or to be retried at next_attempt_at)
    SENDING = "SENDING"  # claimed by a sender; next_attempt_at is the claim lease
    SENT = "SENT"
    BLOCKED = "BLOCKED"  # refused by gating; reason_code says why
    FAILED = "FAILED"  # Telegram refused it for good, or retries ran out
    EXPIRED = "EXPIRED"  # older than TELEGRAM_ALERT_MAX_AGE_SECONDS: never sent late


OPEN_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING)
FINAL_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.BLOCKED,
    MessageStatus.FAILED,
    MessageStatus.EXPIRED,
)


class MessageKind(StrEnum):
    ALERT = "ALERT"
    ORDER_FILLED = "ORDER_FILLED"
    PROTECTION_PLACED = "PROTECTION_PLACED"
    PROTECTION_FAILED = "PROTECTION_FAILED"
    POSITION_CLOSED = "POSITION_CLOSED"
    DAILY_SUMMARY = "DAILY_SUMMARY"
    TEST = "TEST"
    AUDIT_FAILED = "AUDIT_FAILED"  # `atp audit --notify-on-fail` (atp.audit.notify)


# Kinds that go to the ops chat (TELEGRAM_CHAT_ID_OPS) when one is configured.
OPS_KINDS = frozenset({MessageKind.PROTECTION_FAILED, MessageKind.AUDIT_FAILED})


def chat_for(kind: str, settings: Settings) -> str | None:
    """The chat a message of `kind` goes to; None means "the alerts chat", resolved at send time.

    Resolving late lets alerts queued before Telegram was configured still reach it.
    """
    if kind in OPS_KINDS and settings.telegram_chat_id_ops.strip():
        return settings.telegram_chat_id_ops.strip()
    return None


def enqueue_alert(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    symbol: str | None,
    side: str | None,
    text: str,
    chat_id: str | None,
    correlation_id: str | None,
    context: dict[str, Any] | None,
    reason_code: str | None = None,
    status: str = MessageStatus.PENDING,
) -> TelegramMessage:
    """Add one outbox row (or return the existing one for this idempotency key). No commit.

    Idempotent by key: enqueueing the same alert twice yields one row and one Telegram message.
    A concurrent insert of the same key (impossible with the single active monitor) surfaces
    as an IntegrityError at flush, rolling back the caller's transaction rather than sending twice.
    """
    if status not in (MessageStatus.PENDING, MessageStatus.BLOCKED):
        raise ValueError(f"an alert is enqueued PENDING or recorded BLOCKED, not {status!r}")
    if status == MessageStatus.BLOCKED and not reason_code:
        raise ValueError("a BLOCKED alert needs a reason_code")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValueError("idempotency_key must be 1-128 characters")
    if not text.strip():
        raise ValueError("alert text must not be empty")
    existing = session.scalar(
        select(TelegramMessage).where(TelegramMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    row = TelegramMessage(
        idempotency_key=idempotency_key,
        kind=kind,
        chat_id=chat_id,
        symbol=symbol,
        side=side,
        status=str(status),
        reason_code=reason_code,
        text=text,
        context=context,
        correlation_id=correlation_id,
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def record_blocked(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    symbol: str | None,
    side: str | None,
    text: str,
    reason_code: str,
    chat_id: str | None = None,
    correlation_id: str | None = None,
    context: dict[str, Any] | None = None,
) -> TelegramMessage:
    """Record an alert that gating refused: one BLOCKED ledger row with its reason. No commit."""
    return enqueue_alert(
        session,
        idempotency_key=idempotency_key,
        kind=kind,
        symbol=symbol,
        side=side,
        text=text,
        chat_id=chat_id,
        correlation_id=correlation_id,
        context=context,
        reason_code=reason_code,
        status=MessageStatus.BLOCKED,
    )
