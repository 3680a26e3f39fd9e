"""The daily summary: composed from the message ledger and the order tables, sent once a day.

Orders and P&L: the exchange order mirror gives orders placed and filled; realised P&L comes from
the fill ledger (atp.orders.positions: average cost, net of fees) when it has trades in the
period, else from filled SL/TP exits against their entries (an estimate before fees).

"Once" is enforced by the idempotency key `daily-summary:<local date>`: however many senders
run, and however often they check, one row per day can exist. A summary never covers time
before the platform existed: a fresh install reports from its first record, or not at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from atp.alerts.formatting import format_times, format_usd
from atp.alerts.models import TelegramMessage as TM
from atp.alerts.outbox import MessageKind, MessageStatus, chat_for, enqueue_alert
from atp.alerts.text import escape
from atp.ops.models import ConfigChange, ServiceHeartbeat
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.positions import fill_totals
from atp.settings import Settings
from atp.signals.models import StrategyPreset

FILLED = "FILLED"
EXIT_ROLES = ("STOP_LOSS", "TAKE_PROFIT")


@dataclass(frozen=True)
class DailySummary:
    period_start: datetime  # UTC
    period_end: datetime
    alerts_by_status: dict[str, int] = field(default_factory=dict)
    blocked_by_reason: dict[str, int] = field(default_factory=dict)
    intents_by_status: dict[str, int] = field(default_factory=dict)
    entry_fills: int = 0
    closed_trades: int = 0
    realized_pnl: Decimal = Decimal(0)
    orders_placed: int = 0  # exchange orders of every role created in the period
    orders_filled: int = 0
    trades: int = 0  # fills in the ledger
    pnl_after_fees: bool = False  # True: realized_pnl is the ledger's, closed_trades = positions
    fees_paid: Decimal = Decimal(0)
    unvalued_fees: int = 0  # fees in a currency the ledger could not value (e.g. CRO)


def display_zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.display_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def summary_due(settings: Settings, now: datetime) -> tuple[date, datetime] | None:
    """(local date, scheduled UTC moment) once today's summary time has passed, else None."""
    if settings.telegram_daily_summary_time == "off":
        return None
    zone = display_zone(settings)
    local_now = now.astimezone(zone)
    hours, minutes = (int(part) for part in settings.telegram_daily_summary_time.split(":"))
    scheduled = datetime.combine(local_now.date(), time(hours, minutes), tzinfo=zone)
    if local_now < scheduled:
        return None
    return local_now.date(), scheduled.astimezone(UTC)


def platform_born_at(session: Session) -> datetime | None:
    """The platform's first trace: built-in presets (seeded by `atp migrate`), the first
    config change, ledger row or process start. None on a database nothing has used yet."""
    firsts = [
        session.scalar(select(func.min(StrategyPreset.created_at))),
        session.scalar(select(func.min(ConfigChange.changed_at))),
        session.scalar(select(func.min(TM.created_at))),
        session.scalar(select(func.min(ServiceHeartbeat.started_at))),
    ]
    known = [moment for moment in firsts if moment is not None]
    return min(known) if known else None


def compose_summary(session: Session, start: datetime, end: datetime) -> DailySummary:
    alerts = _counts(
        session,
        select(TM.status, func.count())
        .where(TM.kind == MessageKind.ALERT, TM.created_at >= start, TM.created_at < end)
        .group_by(TM.status),
    )
    blocked = _counts(
        session,
        select(func.coalesce(TM.reason_code, "UNKNOWN"), func.count())
        .where(
            TM.kind == MessageKind.ALERT,
            TM.status == MessageStatus.BLOCKED,
            TM.created_at >= start,
            TM.created_at < end,
        )
        .group_by(TM.reason_code),
    )
    intents = _counts(
        session,
        select(OrderIntent.status, func.count())
        .where(OrderIntent.created_at >= start, OrderIntent.created_at < end)
        .group_by(OrderIntent.status),
    )
    ledger = fill_totals(session, start, end)
    if ledger.fills:
        closed, pnl = ledger.closed_positions, ledger.realised_pnl
    else:
        closed, pnl = _realized_pnl(session, start, end)
    placed, filled = _orders_placed_and_filled(session, start, end)
    return DailySummary(
        period_start=start,
        period_end=end,
        alerts_by_status=alerts,
        blocked_by_reason=blocked,
        intents_by_status=intents,
        entry_fills=_entry_fills(session, start, end),
        closed_trades=closed,
        realized_pnl=pnl,
        orders_placed=placed,
        orders_filled=filled,
        trades=ledger.fills,
        pnl_after_fees=bool(ledger.fills),
        fees_paid=ledger.fees_quote,
        unvalued_fees=ledger.unvalued_fees,
    )


def _counts(session: Session, query: Select[tuple[str, int]]) -> dict[str, int]:
    return {str(key): int(count) for key, count in session.execute(query).all()}


def _fill_time() -> ColumnElement[datetime]:
    return func.coalesce(ExchangeOrder.exchange_update_time, ExchangeOrder.updated_at)


def _entry_fills(session: Session, start: datetime, end: datetime) -> int:
    filled_at = _fill_time()
    count: int | None = session.scalar(
        select(func.count())
        .select_from(ExchangeOrder)
        .where(
            ExchangeOrder.status == FILLED,
            func.coalesce(ExchangeOrder.order_role, "ENTRY") == "ENTRY",
            filled_at >= start,
            filled_at < end,
        )
    )
    return count or 0


def _orders_placed_and_filled(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    placed_at = func.coalesce(ExchangeOrder.exchange_create_time, ExchangeOrder.created_at)
    filled_at = _fill_time()
    placed, filled = session.execute(
        select(
            func.count().filter(placed_at >= start, placed_at < end),
            func.count().filter(
                ExchangeOrder.status == FILLED, filled_at >= start, filled_at < end
            ),
        ).select_from(ExchangeOrder)
    ).one()
    return int(placed or 0), int(filled or 0)


def _realized_pnl(session: Session, start: datetime, end: datetime) -> tuple[int, Decimal]:
    """Trades closed by a filled SL/TP in the period: (exit - entry) x qty, sign by entry side.

    An estimate before fees; exits without a known entry are skipped.
    """
    entry = aliased(ExchangeOrder)
    filled_at = _fill_time()
    rows = session.execute(
        select(ExchangeOrder, entry)
        .join(entry, entry.exchange_order_id == ExchangeOrder.parent_order_id)
        .where(
            ExchangeOrder.status == FILLED,
            ExchangeOrder.order_role.in_(EXIT_ROLES),
            filled_at >= start,
            filled_at < end,
        )
    ).all()
    total = Decimal(0)
    for exit_order, entry_order in rows:
        exit_price = exit_order.avg_price or exit_order.price
        entry_price = entry_order.avg_price or entry_order.price
        quantity = exit_order.cumulative_quantity or exit_order.quantity
        if exit_price is None or entry_price is None:
            continue
        direction = 1 if entry_order.side.upper() == "BUY" else -1
        total += (exit_price - entry_price) * quantity * direction
    return len(rows), total


def format_summary(summary: DailySummary, display_timezone: str) -> str:
    alerts = summary.alerts_by_status
    lines = [
        "📊 <b>Daily summary</b>",
        f"From {format_times(summary.period_start, display_timezone)}",
        f"To {format_times(summary.period_end, display_timezone)}",
        "Alerts: "
        + " · ".join(
            f"{alerts.get(status, 0)} {status.lower()}"
            for status in ("SENT", "BLOCKED", "FAILED", "EXPIRED")
        ),
    ]
    if summary.blocked_by_reason:
        reasons = sorted(summary.blocked_by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append("Blocked: " + " · ".join(f"{escape(r)} {n}" for r, n in reasons))
    intents = Counter(summary.intents_by_status)
    intent_text = (
        ", ".join(f"{escape(s.lower())} {n}" for s, n in sorted(intents.items())) or "none"
    )
    lines.append(
        f"Orders: {sum(intents.values())} intents ({intent_text}) · {summary.entry_fills} fills"
    )
    if summary.orders_placed or summary.orders_filled or summary.trades:
        lines.append(
            f"Exchange: {summary.orders_placed} orders placed · {summary.orders_filled} filled"
            f" · {summary.trades} trades"
        )
    lines.append(_pnl_line(summary))
    return "\n".join(lines)


def _pnl_line(summary: DailySummary) -> str:
    sign = "+" if summary.realized_pnl > 0 else ""
    text = f"Realized P&amp;L: {sign}{format_usd(summary.realized_pnl)}"
    if not summary.pnl_after_fees:
        return f"{text} ({summary.closed_trades} closed trades, before fees)"
    text += (
        f" ({summary.closed_trades} closed positions, after {format_usd(summary.fees_paid)} fees"
    )
    if summary.unvalued_fees:
        text += f"; {summary.unvalued_fees} fees in other currencies not included"
    return text + ")"


def maybe_enqueue_daily_summary(session: Session, settings: Settings, now: datetime) -> bool:
    """Enqueue today's summary once its time has passed. No commit. True if a row was added."""
    due = summary_due(settings, now)
    if due is None:
        return False
    local_day, scheduled = due
    key = f"daily-summary:{local_day.isoformat()}"
    if session.scalar(select(TM.id).where(TM.idempotency_key == key)) is not None:
        return False
    born = platform_born_at(session)
    if born is None or born >= scheduled:
        return False  # the platform did not exist during that day: nothing true to report
    summary = compose_summary(session, max(born, scheduled - timedelta(days=1)), scheduled)
    enqueue_alert(
        session,
        idempotency_key=key,
        kind=MessageKind.DAILY_SUMMARY,
        symbol=None,
        side=None,
        text=format_summary(summary, settings.display_timezone),
        chat_id=chat_for(MessageKind.DAILY_SUMMARY, settings),
        correlation_id=key,
        context={
            "alerts": summary.alerts_by_status,
            "blocked": summary.blocked_by_reason,
            "realized_pnl": str(summary.realized_pnl),
        },
    )
    return True
