"""Message formats: short, scannable, escaped, times in UTC plus the labelled display zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atp.alerts.formatting import (
    AlertContent,
    Condition,
    OrderFilledContent,
    OrderPlan,
    ProtectionContent,
    format_alert,
    format_change,
    format_order_filled,
    format_price,
    format_protection_failed,
    format_protection_placed,
    format_times,
)
from atp.alerts.summary import DailySummary, format_summary
from tests.fakes.telegram_rules import parse_html

AT = datetime(2026, 5, 1, 12, 0, 3, tzinfo=UTC)


def _alert(**overrides: object) -> AlertContent:
    values: dict[str, object] = {
        "symbol": "BTC_USDT",
        "side": "BUY",
        "price": Decimal("64123.50"),
        "strategy": "swing:conservative",
        "detected_at": AT,
        "previous_alert_price": Decimal("63345.00"),
        "indicators": {"RSI": 28.41, "MA200": Decimal("60100.5"), "Volume ratio": 1.8},
        "conditions": [Condition("RSI < 30", True, "28.4"), Condition("Price > MA200", True)],
        "order_plan": OrderPlan(Decimal("100"), Decimal("61200.50"), Decimal("66000")),
    }
    values.update(overrides)
    return AlertContent(**values)  # type: ignore[arg-type]


def test_buy_alert_has_every_part_on_its_own_line() -> None:
    text = format_alert(_alert(), "Asia/Makassar")
    visible = parse_html(text)
    assert visible.splitlines() == [
        "🟢 BUY BTC_USDT @ $64,123.50",
        "Change since last alert: ↑ 1.23 % (from $63,345.00)",
        "Strategy: swing:conservative",
        "RSI 28.41 · MA200 60,100.5 · Volume ratio 1.80",
        "✅ RSI < 30 (28.4) · ✅ Price > MA200",
        "Order: will buy $100.00, SL 61,200.50 / TP 66,000",
        "🕒 2026-05-01 12:00:03 UTC · 20:00:03 WITA (Asia/Makassar)",
    ]


def test_sell_alert_without_order_plan_says_why() -> None:
    text = format_alert(
        _alert(
            side="SELL",
            order_plan=None,
            no_order_reason="TRADE_DISABLED",
            previous_alert_price=None,
        ),
        "UTC",
    )
    visible = parse_html(text)
    assert visible.startswith("🔴 SELL BTC_USDT")
    assert "Change since last alert: first alert" in visible
    assert "Order: no order: TRADE_DISABLED" in visible
    assert visible.endswith("🕒 2026-05-01 12:00:03 UTC")


def test_change_arrows() -> None:
    assert format_change(Decimal("99"), Decimal("100")).startswith("↓ 1.00 %")
    assert format_change(Decimal("100"), Decimal("100")).startswith("→ 0.00 %")


def test_times_are_labelled_and_cross_midnight_shows_the_local_date() -> None:
    late = datetime(2026, 5, 1, 20, 30, tzinfo=UTC)
    assert format_times(late, "Asia/Makassar") == (
        "2026-05-01 20:30:00 UTC · 2026-05-02 04:30:00 WITA (Asia/Makassar)"
    )
    assert format_times(late, "Europe/Madrid").endswith("22:30:00 CEST (Europe/Madrid)")
    assert format_times(late, "Not/AZone") == "2026-05-01 20:30:00 UTC"  # never guessed
    with pytest.raises(ValueError, match="naive"):
        format_times(datetime(2026, 5, 1), "UTC")


def test_order_and_protection_messages() -> None:
    filled = parse_html(
        format_order_filled(
            OrderFilledContent("ETH_USDT", "BUY", Decimal("3000.5"), Decimal("0.02"), "ord-1", AT),
            "UTC",
        )
    )
    assert filled.splitlines()[:3] == [
        "🟢 BUY FILLED ETH_USDT",
        "0.02 @ $3,000.5 = $60.01",
        "Order: ord-1",
    ]
    protection = ProtectionContent(
        "ETH_USDT", "BUY", Decimal("0.02"), "ord-1", AT, Decimal("2900"), Decimal("3300")
    )
    placed = parse_html(format_protection_placed(protection, "UTC"))
    assert "BUY 0.02: SL 2,900 / TP 3,300" in placed
    failed = parse_html(
        format_protection_failed(
            ProtectionContent(
                "ETH_USDT",
                "BUY",
                Decimal("0.02"),
                "ord-1",
                AT,
                error="<code 40101> auth & co",
                reason_code="AUTHENTICATION_ERROR",
            ),
            "UTC",
        )
    )
    assert failed.startswith("🚨 CRITICAL: PROTECTION FAILED ETH_USDT")
    assert "UNPROTECTED" in failed
    assert "Reason: AUTHENTICATION_ERROR: <code 40101> auth & co" in failed


def test_daily_summary_lists_blocked_reasons_orders_and_pnl() -> None:
    summary = DailySummary(
        period_start=datetime(2026, 4, 30, 0, 0, tzinfo=UTC),
        period_end=datetime(2026, 5, 1, 0, 0, tzinfo=UTC),
        alerts_by_status={"SENT": 5, "BLOCKED": 3},
        blocked_by_reason={"TELEGRAM_DISABLED:token_missing": 1, "THROTTLED_TIME_GATE": 2},
        intents_by_status={"PLACED": 2, "BLOCKED": 1},
        entry_fills=2,
        closed_trades=1,
        realized_pnl=Decimal("12.345"),
    )
    visible = parse_html(format_summary(summary, "UTC"))
    assert "Alerts: 5 sent · 3 blocked · 0 failed · 0 expired" in visible
    assert "Blocked: THROTTLED_TIME_GATE 2 · TELEGRAM_DISABLED:token_missing 1" in visible
    assert "Orders: 3 intents (blocked 1, placed 2) · 2 fills" in visible
    assert "Realized P&L: +$12.35 (1 closed trades, before fees)" in visible


@given(
    symbol=st.text(min_size=1, max_size=40),
    strategy=st.text(max_size=60),
    indicator=st.text(max_size=20),
    detail=st.text(max_size=30),
)
def test_any_input_yields_valid_telegram_html(
    symbol: str, strategy: str, indicator: str, detail: str
) -> None:
    text = format_alert(
        _alert(
            symbol=symbol,
            strategy=strategy,
            indicators={indicator: detail},
            conditions=[Condition(detail, False, indicator)],
        ),
        "Asia/Makassar",
    )
    parse_html(text)  # raises like Telegram's "can't parse entities" on any escaping slip


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.000012345678901000", "0.000012345678901"),
        ("65000.500000000000000000", "65,000.50"),
        ("65000.000000000000000000", "65,000.00"),
        ("1E-8", "0.00000001"),
        ("64123.50", "64,123.50"),
        ("60100.5", "60,100.5"),
        ("120", "120"),
    ],
)
def test_prices_print_without_the_storage_scale_or_an_exponent(value: str, text: str) -> None:
    assert format_price(Decimal(value)) == text
