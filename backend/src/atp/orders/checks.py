"""Limits re-checked when an intent is about to be executed (not only when it was created).

Minutes can pass between the alert and the order, and a switch may have been flipped since:
the kill switch, LIVE_TRADING, the per-order cap and the open-order limits are read again in the
transaction that moves the intent to SUBMITTING. They block entries only; nothing here is ever
consulted for protection or flattening.

LIVE_TRADING guards real money, so only TRADING_MODE=live needs it (`live_trading_required`,
also used by the monitor's trade gate): a paper entry never reaches an exchange, and the demo
must not have to turn on the switch that would later let a live worker trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageStatus
from atp.monitor.activity import base_currency, load_activity
from atp.monitor.switches import load_switches
from atp.orders import states
from atp.orders.models import OrderIntent
from atp.settings import Settings

UNDELIVERED = (MessageStatus.BLOCKED, MessageStatus.FAILED, MessageStatus.EXPIRED)


@dataclass(frozen=True)
class Verdict:
    """`status` None = go ahead; `wait` = not yet (the alert is still on its way)."""

    status: str | None = None
    reason: str | None = None
    wait: bool = False


GO = Verdict()
WAIT = Verdict(wait=True)


def live_trading_required(settings: Settings) -> bool:
    """Whether entries need the LIVE_TRADING switch on: only when they spend real money."""
    return settings.trading_mode == "live"


def entry_verdict(
    session: Session, intent: OrderIntent, settings: Settings, now: datetime
) -> Verdict:
    """May this PENDING intent be sent now? Reads switches, limits and its alert's delivery."""
    if intent.side != "BUY":
        return Verdict(states.REJECTED, "SIDE_NOT_TRADED: only BUY entries (spot long)")
    age = now - intent.created_at
    if age > timedelta(seconds=settings.order_intent_ttl_seconds):
        return Verdict(
            states.EXPIRED,
            f"EXPIRED:pending {age.total_seconds():.0f} s, longer than "
            f"ORDER_INTENT_TTL_SECONDS={settings.order_intent_ttl_seconds:g}",
        )
    delivery = _alert_delivery(session, intent)
    if delivery is not None:
        return delivery
    return _limits(session, intent, now, live_required=live_trading_required(settings))


def _alert_delivery(session: Session, intent: OrderIntent) -> Verdict | None:
    # No order follows an alert nobody saw: wait until the sender delivered it.
    if intent.telegram_message_id is None:
        return None
    message = session.get(TelegramMessage, intent.telegram_message_id)
    if message is None or message.status == MessageStatus.SENT:
        return None
    if message.status in UNDELIVERED:
        return Verdict(states.CANCELLED, f"ALERT_NOT_DELIVERED:{message.status}")
    return WAIT


def _limits(
    session: Session, intent: OrderIntent, now: datetime, *, live_required: bool
) -> Verdict:
    switches = load_switches(session)
    if switches.kill_switch:
        return Verdict(states.BLOCKED, "KILL_SWITCH_ON: no new entry")
    if live_required and not switches.live_trading:
        return Verdict(states.BLOCKED, "LIVE_TRADING_OFF: trading is switched off")
    amount = intent.amount_usd
    if amount is None or not amount.is_finite() or amount <= 0:
        return Verdict(states.REJECTED, f"INVALID_TRADE_AMOUNT: {amount}")
    if amount > switches.max_usd_per_order:
        return Verdict(
            states.BLOCKED, f"MAX_USD_PER_ORDER: {amount} exceeds {switches.max_usd_per_order}"
        )
    activity = load_activity(session, now)
    coin = base_currency(intent.symbol)
    # This intent is not terminal, so it counts itself: compare the others with the limit.
    others_coin = activity.open_by_coin.get(coin, 0) - 1
    others_total = activity.open_total - 1
    if others_coin >= switches.max_open_orders_per_coin:
        return Verdict(
            states.BLOCKED,
            f"MAX_OPEN_ORDERS_PER_COIN: {others_coin} open for {coin}, "
            f"max {switches.max_open_orders_per_coin}",
        )
    if others_total >= switches.max_open_orders_total:
        return Verdict(
            states.BLOCKED,
            f"MAX_OPEN_ORDERS_TOTAL: {others_total} open, max {switches.max_open_orders_total}",
        )
    return GO
