"""Order intent lifecycle steps that are not order placement: expiry and cancellation.

An intent is created PENDING together with its alert (atp.monitor.effects). Two things end a
pending intent without an order:
- it waited too long (`expire_pending`, run by the monitor leader every tick): an order placed
  minutes after its signal would trade on a price the alert no longer describes;
- its alert never reached the operator (`cancel_intent_for_message`, called by the sender when
  the alert ends EXPIRED, FAILED or BLOCKED): no order may follow an alert nobody saw.
Both are conditional updates on status PENDING, so an intent already taken further is never
touched and running either twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from atp.orders.models import OrderIntent

PENDING = "PENDING"
EXPIRED = "EXPIRED"
CANCELLED = "CANCELLED"
_REASON_MAX = 255  # order_intents.block_reason


def expire_pending(session: Session, now: datetime, ttl_seconds: float) -> int:
    """PENDING intents created more than `ttl_seconds` before `now` become EXPIRED. Flush only.

    Returns how many expired.
    """
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    cutoff = now - timedelta(seconds=ttl_seconds)
    result = session.execute(
        update(OrderIntent)
        .where(OrderIntent.status == PENDING, OrderIntent.created_at < cutoff)
        .values(
            status=EXPIRED,
            block_reason=f"EXPIRED:pending longer than {ttl_seconds:g} s",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_intent_for_message(session: Session, message_id: int, reason: str) -> bool:
    """Cancel the PENDING intent linked to alert `message_id`. Flush only.

    Returns True if an intent changed (False: none linked, or it is no longer pending).
    """
    if not reason:
        raise ValueError("a cancellation needs a reason")
    result = session.execute(
        update(OrderIntent)
        .where(OrderIntent.telegram_message_id == message_id, OrderIntent.status == PENDING)
        .values(status=CANCELLED, block_reason=reason[:_REASON_MAX])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
