"""Message texts: English, short, scannable, HTML-escaped, times in UTC plus the display zone.

The inputs are plain dataclasses so the monitor, the order sync and the guardian can build them
without importing anything Telegram-specific. Money and prices are `Decimal` and are shown as
given (with thousands separators), never through `float`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from atp.alerts.text import escape

SIDE_ICON = {"BUY": "🟢", "SELL": "🔴"}


@dataclass(frozen=True)
class Condition:
    name: str  # e.g. "RSI < 30"
    passed: bool
    detail: str = ""  # e.g. "28.4"


@dataclass(frozen=True)
class OrderPlan:
    amount_usd: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


@dataclass(frozen=True)
class AlertContent:
    """A BUY/SELL alert as the monitor knows it."""

    symbol: str
    side: str  # BUY / SELL
    price: Decimal
    strategy: str
    detected_at: datetime
    previous_alert_price: Decimal | None = None
    indicators: Mapping[str, object] = field(default_factory=dict)
    conditions: Sequence[Condition] = ()
    order_plan: OrderPlan | None = None
    no_order_reason: str | None = None  # e.g. TRADE_DISABLED when there is no order plan


@dataclass(frozen=True)
class OrderFilledContent:
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    order_id: str
    filled_at: datetime


@dataclass(frozen=True)
class ProtectionContent:
    """Stop-loss / take-profit placed for a filled entry, or the failure to place them."""

    symbol: str
    side: str  # side of the ENTRY
    quantity: Decimal
    entry_order_id: str
    at: datetime
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    error: str | None = None  # protection failed: what the exchange said
    reason_code: str | None = None


@dataclass(frozen=True)
class PositionClosedContent:
    """A position closed by a fill, with the P&L of its round trip (quote currency, net of fees)."""

    symbol: str
    direction: str  # LONG / SHORT: what the position was
    quantity: Decimal  # closed quantity
    entry_price: Decimal  # average entry
    exit_price: Decimal  # price of the closing fill
    realised_pnl: Decimal
    fees: Decimal
    closing_order_id: str
    closed_at: datetime


STORAGE_SCALE = 18  # decimals of atp.db.columns.PRICE / AMOUNT


def format_price(value: Decimal) -> str:
    """Plain digits as given, never an exponent. A value read back from a NUMERIC(38,18)
    column carries the storage scale (`0.000012345678901000`): those padding zeros go, a
    fraction keeps at least two decimals."""
    text = f"{value:,f}"
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent < STORAGE_SCALE or "." not in text:
        return text
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def format_usd(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,f}"


def format_times(moment: datetime, display_timezone: str) -> str:
    """`2026-05-01 12:00:03 UTC · 20:00:03 WITA (Asia/Makassar)`, each part labelled."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: alert times must be timezone-aware")
    utc = moment.astimezone(UTC)
    text = f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    try:
        zone = ZoneInfo(display_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return text  # an unknown zone is never guessed; UTC alone is still correct
    if display_timezone.upper() in {"UTC", "ETC/UTC", "Z"}:
        return text
    local = utc.astimezone(zone)
    day = "" if local.date() == utc.date() else f"{local:%Y-%m-%d} "
    return f"{text} · {day}{local:%H:%M:%S} {local:%Z} ({escape(display_timezone)})"


def format_change(price: Decimal, previous: Decimal | None) -> str:
    if previous is None or previous == 0:
        return "first alert"
    change = (price - previous) / previous * 100
    arrow = "↑" if change > 0 else "↓" if change < 0 else "→"
    return f"{arrow} {abs(change):.2f} % (from ${format_price(previous)})"


def format_alert(alert: AlertContent, display_timezone: str) -> str:
    side = alert.side.upper()
    lines = [
        f"{SIDE_ICON.get(side, '⚪')} <b>{escape(side)} {escape(alert.symbol)}</b> "
        f"@ ${format_price(alert.price)}",
        f"Change since last alert: {format_change(alert.price, alert.previous_alert_price)}",
        f"Strategy: {escape(alert.strategy)}",
    ]
    if alert.indicators:
        lines.append(
            " · ".join(
                f"{escape(name)} {_indicator(value)}" for name, value in alert.indicators.items()
            )
        )
    if alert.conditions:
        lines.append(" · ".join(_condition(c) for c in alert.conditions))
    lines.append(f"Order: {_order_line(alert)}")
    lines.append(f"🕒 {format_times(alert.detected_at, display_timezone)}")
    return "\n".join(lines)


def format_order_filled(fill: OrderFilledContent, display_timezone: str) -> str:
    side = fill.side.upper()
    total = fill.price * fill.quantity
    return "\n".join(
        [
            f"{SIDE_ICON.get(side, '⚪')} <b>{escape(side)} FILLED {escape(fill.symbol)}</b>",
            f"{format_price(fill.quantity)} @ ${format_price(fill.price)} = {format_usd(total)}",
            f"Order: <code>{escape(fill.order_id)}</code>",
            f"🕒 {format_times(fill.filled_at, display_timezone)}",
        ]
    )


def format_protection_placed(protection: ProtectionContent, display_timezone: str) -> str:
    return "\n".join(
        [
            f"🛡 <b>PROTECTION PLACED {escape(protection.symbol)}</b>",
            f"{escape(protection.side.upper())} {format_price(protection.quantity)}: "
            f"SL {_maybe_price(protection.stop_loss)} / TP {_maybe_price(protection.take_profit)}",
            f"Entry: <code>{escape(protection.entry_order_id)}</code>",
            f"🕒 {format_times(protection.at, display_timezone)}",
        ]
    )


def format_protection_failed(protection: ProtectionContent, display_timezone: str) -> str:
    reason = escape(protection.reason_code or "UNKNOWN")
    return "\n".join(
        [
            f"🚨 <b>CRITICAL: PROTECTION FAILED {escape(protection.symbol)}</b>",
            f"{escape(protection.side.upper())} {format_price(protection.quantity)} is "
            "<b>UNPROTECTED</b> (no active stop-loss).",
            f"Reason: {reason}" + (f": {escape(protection.error)}" if protection.error else ""),
            f"Entry: <code>{escape(protection.entry_order_id)}</code>",
            "The guardian keeps retrying; check the exchange now.",
            f"🕒 {format_times(protection.at, display_timezone)}",
        ]
    )


def format_position_closed(closed: PositionClosedContent, display_timezone: str) -> str:
    sign = "+" if closed.realised_pnl > 0 else ""
    icon = "✅" if closed.realised_pnl > 0 else "🔻" if closed.realised_pnl < 0 else "⚪"
    return "\n".join(
        [
            f"{icon} <b>POSITION CLOSED {escape(closed.symbol)}</b>",
            f"{escape(closed.direction.upper())} {format_price(closed.quantity)}: "
            f"entry ${format_price(closed.entry_price)} → exit ${format_price(closed.exit_price)}",
            f"Realised P&amp;L: {sign}{format_usd(closed.realised_pnl)} "
            f"(after {format_usd(closed.fees)} fees)",
            f"Closing order: <code>{escape(closed.closing_order_id)}</code>",
            f"🕒 {format_times(closed.closed_at, display_timezone)}",
        ]
    )


def format_test_message(at: datetime, display_timezone: str, note: str = "") -> str:
    suffix = f"\n{escape(note)}" if note else ""
    return f"🧪 <b>Test message</b> from the alert sender{suffix}\n🕒 {format_times(at, display_timezone)}"


def _order_line(alert: AlertContent) -> str:
    plan = alert.order_plan
    if plan is None:
        return f"no order: {escape(alert.no_order_reason or 'NO_ORDER_PLAN')}"
    verb = "buy" if alert.side.upper() == "BUY" else "sell"
    return (
        f"will {verb} {format_usd(plan.amount_usd)}, "
        f"SL {_maybe_price(plan.stop_loss)} / TP {_maybe_price(plan.take_profit)}"
    )


def _maybe_price(value: Decimal | None) -> str:
    return "none" if value is None else format_price(value)


def _indicator(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return escape(value)
    if isinstance(value, Decimal):
        return format_price(value)
    if isinstance(value, int | float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    return escape(value)


def _condition(condition: Condition) -> str:
    mark = "✅" if condition.passed else "❌"
    detail = f" ({escape(condition.detail)})" if condition.detail else ""
    return f"{mark} {escape(condition.name)}{detail}"
