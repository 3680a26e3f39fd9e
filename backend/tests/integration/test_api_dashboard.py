"""`GET /api/dashboard`: the first paint in one response - global status with reasons, blockers
with their fix, monitor, Telegram, switches, today's counts and the joined watchlist rows - from
a number of statements that does not grow with the watchlist. SQLite and PostgreSQL."""

# ruff: noqa: F401, F811 - the shared fixtures are imported by name, then requested as arguments
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.ops.models import GlobalBlocker, TradingSetting
from atp.orders.models import OrderIntent, Position
from atp.runtime.context import AppContext
from atp.signals.models import WatchlistSignalState
from atp.watchlist.models import WatchlistItem
from tests.integration.api_read_support import (
    StatementCounter,
    add_message,
    add_price,
    client,
    context,
)
from tests.integration.monitor_support import write_leader_beat

D = Decimal
PATH = "/api/dashboard"


def add_symbol(s: Session, symbol: str, now: datetime, *, state: bool = True) -> None:
    s.add(
        WatchlistItem(
            symbol=symbol,
            exchange="CRYPTO_COM",
            alert_enabled=True,
            sell_alert_enabled=False,
            trade_enabled=True,
            trade_amount_usd=D("25.5"),
            preset="swing:conservative",
            sl_percentage=D("2.5"),
        )
    )
    add_price(s, symbol, "101.25", at=now - timedelta(seconds=12))
    if state:
        s.add(
            WatchlistSignalState(
                symbol=symbol,
                strategy_key="swing:conservative",
                signal_side="BUY",
                last_price=D("101"),
                evaluated_at_utc=now,
                indicators={
                    "rsi": 28.5,
                    "ema10": 100.5,
                    "ma50": 99,
                    "ma200": None,
                    "volume_ratio": "x",
                },
                alert_status="BLOCKED",
                alert_block_reason="THROTTLED_TIME",
                updated_at=now,
            )
        )
    for i, status in enumerate(("SENT", "BLOCKED")):  # the newer one is the "last alert"
        reason = "THROTTLED_PRICE" if status == "BLOCKED" else None
        add_message(s, f"{symbol}-{i}", at=now - timedelta(minutes=10 - i), status=status,
                    symbol=symbol, reason=reason)  # fmt: skip
    add_message(s, f"{symbol}-fill", at=now, kind="ORDER_FILLED", symbol=symbol)  # not an alert


def seed(sessions: sessionmaker[Session], symbols: list[str], now: datetime) -> None:
    with unit_of_work(sessions) as s:
        for symbol in symbols:
            add_symbol(s, symbol, now)
        add_message(s, "old", at=now - timedelta(days=2), status="FAILED", symbol="BTC_USDT")
        for key, status in (("a", "PENDING"), ("b", "BLOCKED"), ("c", "BLOCKED")):
            s.add(
                OrderIntent(
                    idempotency_key=f"i:{key}",
                    client_oid=f"oid-{key}",
                    symbol="BTC_USDT",
                    side="BUY",
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )


async def get(client: httpx.AsyncClient) -> dict[str, Any]:
    """The dashboard as it is now: the tests write the database directly (like the CLI or a
    worker would), so the snapshot of an earlier request is dropped first."""
    client.app_state.snapshots.invalidate()  # type: ignore[attr-defined]
    response = await client.get(PATH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_empty_database_fails_with_the_monitor_cause_and_its_fix(
    client: httpx.AsyncClient,
) -> None:
    body = await get(client)
    assert body["global_status"] == "FAIL"
    (blocker,) = body["blockers"]
    assert blocker["code"] == "MONITOR_NOT_RUNNING" and blocker["blocks"] == "alert"
    assert "atp monitor" in blocker["fix"]
    assert body["monitor"]["running"] is False and body["monitor"]["leader"] is None
    assert body["watchlist"] == [] and body["counts"]["open_positions"] == 0
    assert body["counts"]["alerts_today"] == {} and body["counts"]["orders_today"] == {}
    assert body["telegram"]["notifier"] == "console"  # test environment: demo delivery
    assert body["kill_switch"] is False and body["trading_mode"] == "paper"


async def test_rows_counts_and_a_passing_status(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    now = utcnow()
    seed(context.sessions, ["ETH_USDT", "BTC_USDT"], now)
    with unit_of_work(context.sessions) as s:
        s.add(WatchlistItem(symbol="NEW_USDT", exchange="CRYPTO_COM"))  # never evaluated
        s.add(WatchlistItem(symbol="GONE_USDT", exchange="CRYPTO_COM", is_deleted=True))
    write_leader_beat(context.sessions, instance="leader-1")
    body = await get(client)
    assert body["global_status"] == "PASS" and body["status_reasons"] == []
    assert body["blockers"] == []
    assert body["monitor"]["leader"] == "leader-1" and body["monitor"]["running"] is True
    assert 0 <= body["monitor"]["heartbeat_age_s"] < 5

    rows = {r["symbol"]: r for r in body["watchlist"]}
    assert list(rows) == ["BTC_USDT", "ETH_USDT", "NEW_USDT"]  # by symbol, deleted left out
    eth = rows["ETH_USDT"]
    assert eth["price"] == "101.25" and 12 <= eth["price_age_s"] < 20
    assert eth["signal_side"] == "BUY" and eth["rsi"] == 28.5 and eth["ema10"] == 100.5
    assert eth["ma50"] == 99 and eth["ma200"] is None and eth["volume_ratio"] is None
    assert eth["preset"] == eth["strategy_key"] == "swing:conservative"
    assert (eth["alert_enabled"], eth["buy_alert_enabled"], eth["sell_alert_enabled"]) == (
        True,
        True,
        False,
    )
    assert eth["trade_enabled"] is True and eth["trade_amount_usd"] == "25.5"
    assert eth["sl_percentage"] == "2.5" and eth["tp_percentage"] is None
    assert eth["decision_alert_status"] == "BLOCKED"
    assert eth["decision_alert_reason"] == "THROTTLED_TIME"
    assert eth["last_alert_status"] == "BLOCKED"  # the newest ALERT, not the newer fill notice
    assert eth["last_alert_reason"] == "THROTTLED_PRICE"
    fresh = rows["NEW_USDT"]
    assert fresh["signal_side"] is None and fresh["price"] is None
    assert fresh["last_alert_status"] is None and fresh["rsi"] is None

    counts = body["counts"]
    assert counts["alerts_today"] == {"BLOCKED": 2, "SENT": 2}  # the 2-day-old FAILED is not today
    assert counts["orders_today"] == {"BLOCKED": 2, "PENDING": 1}


async def test_blockers_switches_and_naked_positions_set_the_status(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    now = utcnow()
    write_leader_beat(context.sessions)
    with unit_of_work(context.sessions) as s:
        s.add(TradingSetting(key="KILL_SWITCH", value="true"))
        s.add(GlobalBlocker(code="KILL_SWITCH_ON", source="monitor", active=True,
                            message="KILL_SWITCH is ON", since=now))  # fmt: skip
    body = await get(client)
    assert body["global_status"] == "WARN" and body["kill_switch"] is True
    (blocker,) = body["blockers"]
    assert blocker["code"] == "KILL_SWITCH_ON" and blocker["blocks"] == "trade"
    assert "KILL_SWITCH off" in blocker["fix"]

    with unit_of_work(context.sessions) as s:
        s.add(
            Position(
                symbol="BTC_USDT",
                quantity=D("0.01"),
                avg_entry_price=D("60000"),
                fees_paid=D(0),
                realised_pnl=D(0),
                opened_at=now - timedelta(hours=1),
                protection_status="naked",
            )
        )
    body = await get(client)
    assert body["global_status"] == "FAIL"
    assert any(r.startswith("NAKED_POSITION: BTC_USDT") for r in body["status_reasons"])
    assert body["counts"]["naked_overdue"] == ["BTC_USDT"]
    assert body["counts"]["open_positions"] == 1

    with unit_of_work(context.sessions) as s:
        s.add(TradingSetting(key="MONITOR_PAUSED", value="true"))
    body = await get(client)
    assert body["blockers"][0]["code"] == "MONITOR_PAUSED" and body["monitor"]["paused"] is True
    assert "start-signal-monitor" in body["blockers"][0]["fix"]


async def test_statement_count_does_not_grow_with_the_watchlist(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    now = utcnow()
    write_leader_beat(context.sessions)
    seed(context.sessions, [f"C{i:02d}_USDT" for i in range(3)], now)
    await get(client)  # first use of the pool: connection set-up statements are not counted
    with StatementCounter(context.engine) as small:
        assert len((await get(client))["watchlist"]) == 3
    with unit_of_work(context.sessions) as s:
        for i in range(3, 30):
            add_symbol(s, f"C{i:02d}_USDT", now, state=i % 2 == 0)
    with StatementCounter(context.engine) as large:
        body = await get(client)
    assert len(body["watchlist"]) == 30
    assert sum(r["last_alert_status"] == "BLOCKED" for r in body["watchlist"]) == 30
    assert len(large.statements) == len(small.statements) <= 15, large.statements


async def test_the_dashboard_is_a_short_snapshot_dropped_by_any_api_change(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    """Polling browsers share one build per couple of seconds; an operator's change through the
    API is visible at once."""
    first = await client.get(PATH)
    with StatementCounter(context.engine) as cached:
        second = await client.get(PATH)
    assert cached.statements == [] and second.content == first.content
    assert float(second.headers["X-Snapshot-Age-S"]) >= 0
    assert first.headers["Content-Encoding"] == "gzip"  # httpx asks for it, as browsers do
    unchanged = await client.get(PATH, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    changed = await client.put("/api/trading/settings/KILL_SWITCH", json={"value": "true"})
    assert changed.status_code == 200, changed.text
    with StatementCounter(context.engine) as rebuilt:
        third = await client.get(PATH)
    assert rebuilt.statements and third.json()["kill_switch"] is True
    assert first.json()["kill_switch"] is False
