"""The symbol page's read routes on the real app and database: chart markers (from real monitor
cycles and order rows), the `why` answer without a token, the throttle, and the fill ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.ops.models import AuditRun
from atp.orders.models import ExchangeOrder, FillRecord
from atp.settings import Settings
from tests.integration.api_config_support import anonymous, client, collect_pages, context
from tests.integration.monitor_support import NOW, cycle_at, seed_world

__all__ = ["anonymous", "client", "context"]  # fixtures

WORLD = {"BTC_USDT": {"preset": "test:buy"}, "SOL_USDT": {"preset": "test:none"}}
# Ledger rows are stamped with the wall clock (created_at), the cycles with NOW.
STARTED = utcnow() - timedelta(minutes=1)


def window(since: datetime = STARTED) -> dict[str, str]:
    return {"since": since.isoformat(), "until": (utcnow() + timedelta(hours=1)).isoformat()}


@pytest.fixture
def evaluated(sessions: sessionmaker[Session], settings: Settings) -> None:
    """A BUY alert for BTC at NOW, then the same signal throttled (a BLOCKED ledger row)."""
    seed_world(sessions, WORLD)
    cycle_at(sessions, settings, NOW)
    cycle_at(sessions, settings, NOW + timedelta(minutes=2))


def add_order(
    session: Session, oid: str, *, role: str, status: str, at: datetime, **kw: Any
) -> None:
    session.add(
        ExchangeOrder(
            exchange_order_id=oid,
            symbol=kw.pop("symbol", "BTC_USDT"),
            side=kw.pop("side", "BUY"),
            order_type="MARKET",
            order_role=role,
            status=status,
            quantity=Decimal("0.25"),
            exchange_create_time=at,
            created_at=at,
            updated_at=at,
            **kw,
        )
    )


async def test_markers_hold_alert_blocked_signal_and_order(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], evaluated: None
) -> None:
    placed = utcnow()
    filled_at = placed + timedelta(seconds=5)
    with sessions.begin() as session:
        add_order(
            session,
            "ex-1",
            role="ENTRY",
            status="FILLED",
            at=placed,
            avg_price=Decimal("100.5"),
            cumulative_quantity=Decimal("0.25"),
            exchange_update_time=filled_at,
        )
        add_order(session, "ex-other", role="ENTRY", status="FILLED", at=placed, symbol="SOL_USDT")
    params = {"symbol": "btc_usdt", **window()}
    body = (await client.get("/api/market/markers", params=params)).json()
    assert body["symbol"] == "BTC_USDT" and body["truncated"] is False
    by_kind = {m["kind"]: m for m in body["markers"]}
    assert [m["kind"] for m in body["markers"]] == ["alert", "signal", "order"]  # oldest first
    alert, order, signal = by_kind["alert"], by_kind["order"], by_kind["signal"]
    assert alert["side"] == "BUY" and alert["status"] == "PENDING" and alert["price"] == "100"
    assert alert["label"] == "BUY pending"
    assert signal["status"] == "BLOCKED" and signal["reason"].startswith("THROTTLED")
    assert signal["label"].startswith("BUY blocked: THROTTLED") and signal["price"] == "100"
    assert order["price"] == "100.5" and datetime.fromisoformat(order["at"]) == filled_at
    assert order["label"] == "ENTRY BUY filled"


async def test_markers_window_limit_and_bad_input(
    client: httpx.AsyncClient, evaluated: None
) -> None:
    path, btc = "/api/market/markers", {"symbol": "BTC_USDT"}
    assert (await client.get(path, params={**btc, **window(utcnow())})).json()["markers"] == []
    one = (await client.get(path, params={**btc, "limit": 1, **window()})).json()
    assert one["truncated"] is True and [m["kind"] for m in one["markers"]] == ["signal"]
    naive = await client.get(path, params={**btc, "since": "2026-05-01T00:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.text
    span = window()
    backwards = {**btc, "since": span["until"], "until": span["since"]}
    assert (await client.get(path, params=backwards)).status_code == 422
    assert (await client.get(path, params={"symbol": "BTC USDT;"})).status_code == 422


async def test_why_is_a_read_with_the_post_answer(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    seed_world(sessions, WORLD, now=utcnow())  # fresh data: the evaluation gets to conditions
    got = await anonymous.get("/api/signals/why", params={"symbol": "BTC_USDT"})
    assert got.status_code == 200, got.text
    posted = (await client.post("/api/control/evaluate-signal", json={"symbol": "BTC_USDT"})).json()
    why = got.json()
    assert why["symbol"] == "BTC_USDT" and why["dry_run"] is True
    assert why["side"] == posted["side"] and why["strategy_key"] == "test:buy"
    assert [g["gate"] for g in why["alert_gates"]] == [g["gate"] for g in posted["alert_gates"]]
    assert why["error"] is None and why["freshness"]["fresh"] is True
    assert why["conditions"] and all("passed" in c for c in why["conditions"])
    assert why["conditions"] == posted["conditions"]
    assert why["alert"] == posted["alert"] and why["trade"] == posted["trade"]
    assert (
        await anonymous.get("/api/signals/why", params={"symbol": "XRP_USDT"})
    ).status_code == 404
    assert (await anonymous.get("/api/signals/why", params={"symbol": "x y"})).status_code == 422


async def test_throttle_per_side(anonymous: httpx.AsyncClient, evaluated: None) -> None:
    body = (await anonymous.get("/api/signals/throttle", params={"symbol": "BTC_USDT"})).json()
    assert body["strategy_key"] == "test:buy" and body["cooldown_minutes"] == "10"
    assert body["min_price_change_pct"] == "1" and body["price"] == "100"
    sides = {s["side"]: s for s in body["sides"]}
    buy, sell = sides["BUY"], sides["SELL"]
    assert datetime.fromisoformat(buy["last_sent_at"]) == NOW and buy["last_sent_price"] == "100"
    assert datetime.fromisoformat(buy["cooldown_ends_at"]) == NOW + timedelta(minutes=10)
    # Evaluated now (long after the cooldown) at the same price: the price gate holds it.
    assert buy["allowed_now"] is False and buy["reason"] == "THROTTLED_PRICE_GATE"
    assert sell["last_sent_at"] is None and sell["allowed_now"] is True
    missing = await anonymous.get("/api/signals/throttle", params={"symbol": "XRP_USDT"})
    assert missing.status_code == 404


async def test_fills_page_with_realised_pnl(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_order(session, "ex-entry", role="ENTRY", status="FILLED", at=NOW)
        add_order(session, "ex-tp", role="TAKE_PROFIT", status="FILLED", at=NOW, side="SELL")
        for i, (oid, side, pnl, closed) in enumerate(
            [
                ("ex-entry", "BUY", "0", False),
                ("ex-tp", "SELL", "12.345", True),
                ("ex-x", "BUY", "0", False),
            ]
        ):
            session.add(
                FillRecord(
                    trade_id=f"t{i}",
                    order_id=oid,
                    symbol="BTC_USDT" if i < 2 else "ETH_USDT",
                    side=side,
                    quantity=Decimal("0.25"),
                    price=Decimal("100"),
                    fee=Decimal("0.01"),
                    fee_currency="USDT",
                    fee_quote=Decimal("0.01"),
                    realised_pnl=Decimal(pnl),
                    position_quantity_after=Decimal("0"),
                    closed_position=closed,
                    traded_at=NOW + timedelta(minutes=i),
                )
            )
    pages = await collect_pages(client, "/api/orders/fills", limit=1)
    assert len(pages) == 3
    rows = [row for page in pages for row in page]
    assert [r["trade_id"] for r in rows] == ["t2", "t1", "t0"]
    assert rows[0]["role"] is None  # an order we do not know
    assert rows[1]["role"] == "TAKE_PROFIT" and rows[1]["realised_pnl"] == "12.345"
    assert rows[1]["closed_position"] is True and rows[1]["fee"] == "0.01"
    btc = (await client.get("/api/orders/fills", params={"symbol": "BTC_USDT"})).json()
    assert [r["trade_id"] for r in btc["items"]] == ["t1", "t0"] and btc["next_cursor"] is None


async def test_audit_runs_count_blocked_symbols(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    verdict = {"status": "BLOCKED"}
    summary = {
        "symbols": [
            {"symbol": "A_USDT", "alert": verdict, "trade": {"status": "NONE"}},
            {"symbol": "B_USDT", "alert": {"status": "SENT"}, "trade": verdict},
            {"symbol": "C_USDT", "alert": {"status": "SENT"}, "trade": {"status": "ORDERED"}},
        ],
        "root_causes": [],
    }
    with sessions.begin() as session:
        session.add(AuditRun(started_at=NOW, global_status="WARN", source="test", summary=summary))
        session.add(AuditRun(started_at=NOW, global_status="PASS", source="test", summary=None))
    items = (await client.get("/api/audit/runs")).json()["items"]
    assert [(r["symbols_checked"], r["blocked_symbols"]) for r in items] == [(0, 0), (3, 2)]
