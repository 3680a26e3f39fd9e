"""An alert that never reached Telegram takes back its effects: throttle step and order intent.

"Last sent" means delivered. When an alert ends EXPIRED, FAILED or BLOCKED, its throttle step is
rolled back and its linked PENDING order intent is cancelled - in the caller's transaction, the
same one that writes the terminal status.

Both writes are conditional. The throttle row changes only while it still holds exactly what this
alert set (`last_sent_at` = the alert's evaluation time and `last_sent_price` = its price); if a
later alert or a config reset moved it since, it is left alone. The intent is cancelled only while
it is still PENDING.

The rollback restores the price baseline (`last_sent_price` = `previous_sent_price`) and clears
`last_sent_at`, stamping `reset_at`, so the next signal is a first alert. Restoring the earlier
send time instead would re-create the baseline the undelivered alert replaced, and with it the
same alert and intent keys (they are derived from that baseline): the next alert would collide
with the undelivered one and never be written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage as TM
from atp.alerts.outbox import MessageKind
from atp.orders.intents import cancel_intent_for_message
from atp.signals.models import SignalThrottleState as TS

log = logging.getLogger(__name__)

NOT_DELIVERED_REASON = "ALERT_NOT_DELIVERED"


def take_back(session: Session, message_ids: Iterable[int], reason: str, now: datetime) -> int:
    """Undo the throttle step and cancel the intent of each undelivered alert. Returns rollbacks."""
    ids = list(message_ids)
    if not ids:
        return 0
    rows = session.execute(
        select(TM.id, TM.symbol, TM.side, TM.context).where(
            TM.id.in_(ids), TM.kind == MessageKind.ALERT
        )
    ).all()
    rolled_back = 0
    for row in rows:
        if cancel_intent_for_message(session, row.id, reason):
            log.warning(
                "alert %s not delivered (%s): its order intent is cancelled", row.id, reason
            )
        if row.symbol and row.side and _roll_back_throttle(session, row, now):
            rolled_back += 1
    return rolled_back


def _roll_back_throttle(session: Session, row: Any, now: datetime) -> bool:
    context = row.context if isinstance(row.context, dict) else {}
    step = _throttle_step(context)
    if step is None:
        return False
    strategy_key, sent_at, price = step
    values = {
        "last_sent_at": None,
        "last_sent_price": TS.previous_sent_price,
        "reset_at": now,
        "reset_reason": NOT_DELIVERED_REASON,
        "updated_at": now,
    }
    result = session.execute(
        update(TS)
        .where(
            TS.symbol == row.symbol,
            TS.strategy_key == strategy_key,
            TS.side == row.side,
            TS.last_sent_at == sent_at,
            TS.last_sent_price == price,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _throttle_step(context: dict[str, Any]) -> tuple[str, datetime, Decimal] | None:
    """(strategy key, last_sent_at, last_sent_price) this alert wrote, from its context."""
    strategy_key = context.get("strategy_key")
    sent_at = _parse_time(context.get("evaluated_at"))
    try:
        price = Decimal(str(context.get("price")))
    except InvalidOperation:
        return None
    if not isinstance(strategy_key, str) or sent_at is None or not price.is_finite():
        return None
    return strategy_key, sent_at, price


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
