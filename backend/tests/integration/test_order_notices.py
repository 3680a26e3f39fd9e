"""Order and position messages: queued once per event whatever the re-syncs, critical ones to the
ops chat, position closed with its P&L from the fill ledger, and the daily summary's P&L."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.formatting import OrderFilledContent, ProtectionContent
from atp.alerts.models import TelegramMessage
from atp.alerts.summary import compose_summary, format_summary
from atp.orders.models import ExchangeOrder
from atp.orders.notices import (
    notify_order_filled,
    notify_position_closed,
    notify_protection_failed,
    notify_protection_placed,
    position_closed_content,
)
from atp.orders.ports import Fill
from atp.orders.positions import record_fills
from atp.settings import Settings
from tests.fakes.telegram_rules import parse_html

D = Decimal
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _messages(sessions: sessionmaker[Session]) -> list[TelegramMessage]:
    with sessions() as s:
        return list(s.scalars(select(TelegramMessage).order_by(TelegramMessage.id)))


def _protection(**extra: object) -> ProtectionContent:
    values: dict[str, object] = {
        "symbol": "BTC_USDT",
        "side": "BUY",
        "quantity": D("0.5"),
        "entry_order_id": "E1",
        "at": T0,
        "stop_loss": D("58800"),
        "take_profit": D("61800"),
    }
    values.update(extra)
    return ProtectionContent(**values)  # type: ignore[arg-type]


def _fill(trade_id: str, side: str, qty: str, price: str, order_id: str, minutes: int) -> Fill:
    return Fill(
        trade_id=trade_id,
        order_id=order_id,
        client_oid=None,
        symbol="BTC_USDT",
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D("0.5"),
        fee_currency="USDT",
        traded_at=T0 + timedelta(minutes=minutes),
    )


def test_each_order_event_is_queued_once_and_failures_go_to_the_ops_chat(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    ops = settings.model_copy(update={"telegram_chat_id_ops": " -100777 "})
    filled = OrderFilledContent("BTC_USDT", "BUY", D("60000"), D("0.5"), "E1", T0)
    for _ in range(2):  # a second sync pass sees the same events again
        with sessions.begin() as s:
            notify_order_filled(s, ops, filled)
            notify_protection_placed(s, ops, _protection())
            notify_protection_failed(s, ops, _protection(error="refused", reason_code="50007"))
    with sessions.begin() as s:  # the guardian's later, separate incident is a new message
        notify_protection_failed(s, settings, _protection(reason_code="LOST"), incident="g-42")
    rows = _messages(sessions)
    assert [(m.kind, m.idempotency_key, m.chat_id) for m in rows] == [
        ("ORDER_FILLED", "order-filled:E1", None),
        ("PROTECTION_PLACED", "protection-placed:E1", None),
        ("PROTECTION_FAILED", "protection-failed:E1", "-100777"),
        ("PROTECTION_FAILED", "protection-failed:E1:g-42", None),  # no ops chat configured
    ]
    assert all(m.status == "PENDING" for m in rows)
    assert "BUY FILLED BTC_USDT" in parse_html(rows[0].text)
    assert "SL 58,800 / TP 61,800" in parse_html(rows[1].text)
    assert "CRITICAL: PROTECTION FAILED" in parse_html(rows[2].text)
    assert rows[2].context is not None and rows[2].context["critical"] is True


def test_a_closed_position_is_announced_once_with_its_round_trip_pnl(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    fills = [
        _fill("T1", "BUY", "0.5", "60000", "E1", 0),
        _fill("T2", "SELL", "0.2", "61800", "TP1", 30),  # the take-profit fills in two trades
        _fill("T3", "SELL", "0.3", "61900", "TP1", 31),
    ]
    for _ in range(2):  # the second pass is a re-sync of the same trades: nothing new
        with sessions.begin() as s:
            for fill, outcome in record_fills(s, fills):
                if outcome.closed:
                    content = position_closed_content(s, fill, outcome)
                    notify_position_closed(s, settings, content, closing_trade_id=fill.trade_id)
    (message,) = _messages(sessions)
    assert (message.kind, message.idempotency_key) == (
        "POSITION_CLOSED",
        "position-closed:BTC_USDT:T3",
    )
    text = parse_html(message.text)
    # 0.2 x 1800 + 0.3 x 1900 = 930 gross, minus 3 x 0.5 fees
    assert "POSITION CLOSED BTC_USDT" in text
    assert "LONG 0.5: entry $60,000 → exit $61,860" in text
    assert "Realised P&L: +$928.50 (after $1.50 fees)" in text
    assert message.context is not None and D(message.context["realised_pnl"]) == D("928.5")


def test_the_daily_summary_reports_orders_and_ledger_pnl(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record_fills(
            s,
            [
                _fill("T1", "BUY", "0.5", "60000", "E1", 0),
                _fill("T2", "SELL", "0.5", "59000", "SL1", 10),
            ],
        )
        for order_id, role, status in [("E1", "ENTRY", "FILLED"), ("SL1", "STOP_LOSS", "FILLED")]:
            s.add(
                ExchangeOrder(
                    exchange_order_id=order_id,
                    symbol="BTC_USDT",
                    side="BUY" if role == "ENTRY" else "SELL",
                    order_type="MARKET",
                    order_role=role,
                    status=status,
                    quantity=D("0.5"),
                    exchange_create_time=T0,
                    exchange_update_time=T0 + timedelta(minutes=10),
                )
            )
    with sessions() as s:
        summary = compose_summary(s, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
        before = compose_summary(s, T0 - timedelta(days=1), T0 - timedelta(hours=1))
    assert (summary.orders_placed, summary.orders_filled, summary.trades) == (2, 2, 2)
    assert summary.pnl_after_fees and summary.realized_pnl == D("-501")
    assert (summary.closed_trades, summary.fees_paid) == (1, D("1"))
    text = parse_html(format_summary(summary, "UTC"))
    assert "Exchange: 2 orders placed · 2 filled · 2 trades" in text
    assert "Realized P&L: -$501.00 (1 closed positions, after $1.00 fees)" in text
    assert (before.trades, before.realized_pnl, before.pnl_after_fees) == (0, D(0), False)
