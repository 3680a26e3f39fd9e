"""The test message ("does the whole path work?"): queued through the outbox like any alert.

Shared by `atp alerts test` and the bot's "send test alert" button, so both prove the same path:
outbox row -> sender -> pacing -> Telegram (or the console).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from atp.alerts.formatting import format_test_message
from atp.alerts.outbox import MessageKind, enqueue_alert
from atp.settings import Settings


def queue_test_message(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    note: str = "",
    symbol: str | None = None,
) -> int:
    """Add one TEST outbox row (flush, no commit) and return its id."""
    row = enqueue_alert(
        session,
        idempotency_key=f"test:{symbol or '-'}:{now.isoformat()}",
        kind=MessageKind.TEST,
        symbol=symbol,
        side=None,
        text=format_test_message(now, settings.display_timezone, note),
        chat_id=None,
        correlation_id=None,
        context=None,
    )
    return row.id
