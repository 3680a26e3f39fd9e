"""`/api/orders/{open,history,protection}`, `/api/positions`, `/api/balances` through the real
app over a seeded database (SQLite and PostgreSQL): values, decimals as text, cursor paging."""

# ruff: noqa: F401, F811 - the shared fixtures are imported by name, then requested as arguments
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.paper.models import PaperBalanceRow, PaperOrderRow
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.orders.models import ExchangeOrder, OrderIntent, Position
from atp.runtime.context import AppContext
from tests.integration.api_read_support import add_price, client, context

D = Decimal


def _intent(s: Session, key: str, symbol: str, status: str) -> int:
    now = utcnow()
    row = OrderIntent(
        idempotency_key=f"intent:{key}",
        client_oid=f"oid-{key}",
        symbol=symbol,
        side="BUY",
        status=status,
        amount_usd=D("50"),
        sl_price=D("1940"),
        tp_price=D("2090"),
        created_at=now,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    return row.id


def _order(s: Session, oid: str, intent_id: int | None, **fields: Any) -> None:
    values: dict[str, Any] = {
        "symbol": "ETH_USDT",
        "side": "BUY",
        "order_type": "MARKET",
        "order_role": "ENTRY",
        "status": "FILLED",
        "quantity": D("0.5"),
    }
    values.update(fields)
    s.add(
        ExchangeOrder(exchange_order_id=oid, client_oid=f"atp-{oid}", intent_id=intent_id, **values)
    )
    s.flush()


def _position(s: Session, symbol: str, qty: str, avg: str, status: str, age: timedelta) -> None:
    s.add(
        Position(
            symbol=symbol,
            quantity=D(qty),
            avg_entry_price=D(avg),
            fees_paid=D("1.25"),
            realised_pnl=D("-1.25"),
            opened_at=utcnow() - age,
            protection_status=status,
        )
    )
    s.flush()


def seed(sessions: sessionmaker[Session]) -> None:
    """ETH covered by an OCO (stop 1940, TP 2090); BTC naked for an hour; SOL flattening; DOGE
    closed. Orders: 2 filled entries, 2 open OCO legs, a cancelled stop, an open limit entry."""
    now = utcnow()
    with unit_of_work(sessions) as s:
        eth = _intent(s, "eth", "ETH_USDT", "PROTECTED")
        btc = _intent(s, "btc", "BTC_USDT", "UNPROTECTED")
        _intent(s, "old", "SOL_USDT", "BLOCKED")
        _order(s, "E1", eth)
        sell = {"side": "SELL", "list_id": "L1", "status": "OPEN"}
        _order(s, "S1", eth, order_role="STOP_LOSS", order_type="STOP_LIMIT", **sell,
               price=D("1939"), ref_price=D("1940"))  # fmt: skip
        _order(s, "T1", eth, order_role="TAKE_PROFIT", order_type="LIMIT", **sell, price=D("2090"))
        _order(s, "B1", btc, symbol="BTC_USDT", quantity=D("0.01"))
        _order(s, "X1", None, symbol="BTC_USDT", order_role="STOP_LOSS", status="CANCELED",
               ref_price=D("1"))  # fmt: skip
        _order(s, "L2", None, symbol="ADA_USDT", order_type="LIMIT", status="OPEN", price=D("0.4"))
        _position(s, "ETH_USDT", "0.5", "2000", "covered", timedelta(hours=2))
        _position(s, "BTC_USDT", "0.01", "60000", "naked", timedelta(hours=1))
        _position(s, "SOL_USDT", "2", "150", "flattening", timedelta(minutes=5))
        _position(s, "DOGE_USDT", "0", "0", "closed", timedelta(days=1))
        add_price(s, "ETH_USDT", "2100", at=now)
        add_price(s, "BTC_USDT", "59000", at=now)


async def _walk(client: httpx.AsyncClient, path: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(path, params=params)).json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def test_open_orders_and_active_intents(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    response = await client.get("/api/orders/open")
    assert response.status_code == 200
    body = response.json()
    assert [o["exchange_order_id"] for o in body["items"]] == ["L2", "T1", "S1"]  # newest first
    stop = body["items"][2]
    assert stop["role"] == "STOP_LOSS" and stop["trigger_price"] == "1940"
    assert stop["limit_price"] == "1939" and stop["quantity"] == "0.5"  # plain decimal text
    assert stop["intent_status"] == "PROTECTED" and stop["list_id"] == "L1"
    assert body["next_cursor"] is None
    assert sorted(i["status"] for i in body["intents"]) == ["PROTECTED", "UNPROTECTED"]
    assert body["intents"][0]["amount_usd"] == "50"

    paged = await _walk(client, "/api/orders/open", limit=1)
    assert [o["exchange_order_id"] for o in paged] == ["L2", "T1", "S1"]


async def test_history_pages_are_stable_while_orders_arrive(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    first = (await client.get("/api/orders/history", params={"limit": 2})).json()
    assert [o["exchange_order_id"] for o in first["items"]] == ["L2", "X1"]
    with unit_of_work(context.sessions) as s:  # a new order between two page reads
        _order(s, "N1", None, symbol="XRP_USDT")
    params = {"limit": 2, "cursor": first["next_cursor"]}
    second = (await client.get("/api/orders/history", params=params)).json()
    assert [o["exchange_order_id"] for o in second["items"]] == ["B1", "T1"]

    everything = await _walk(client, "/api/orders/history", limit=4)
    ids = [o["id"] for o in everything]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7  # no repeat, no gap
    assert everything[0]["exchange_order_id"] == "N1"


async def test_positions_with_mark_pnl_and_protection(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    body = (await client.get("/api/positions")).json()
    by_symbol = {p["symbol"]: p for p in body["items"]}
    assert sorted(by_symbol) == ["BTC_USDT", "ETH_USDT", "SOL_USDT"]  # DOGE is closed
    eth = by_symbol["ETH_USDT"]
    assert eth["mark"] == "2100" and eth["unrealised_pnl"] == "50"
    assert eth["avg_entry_price"] == "2000" and eth["realised_pnl"] == "-1.25"
    assert eth["protection_status"] == "covered" and eth["stop_prices"] == ["1940"]
    assert by_symbol["BTC_USDT"]["unrealised_pnl"] == "-10"
    assert by_symbol["SOL_USDT"]["mark"] is None and by_symbol["SOL_USDT"]["unrealised_pnl"] is None
    ids = [p["id"] for p in body["items"]]
    assert ids == sorted(ids, reverse=True)

    paged = await _walk(client, "/api/positions", limit=2)
    assert [p["id"] for p in paged] == ids


async def test_protection_per_position(client: httpx.AsyncClient, context: AppContext) -> None:
    seed(context.sessions)
    body = (await client.get("/api/orders/protection")).json()
    rows = {r["symbol"]: r for r in body["items"]}
    eth, btc, sol = rows["ETH_USDT"], rows["BTC_USDT"], rows["SOL_USDT"]
    assert eth["status"] == "covered" and eth["naked_overdue"] is False
    assert eth["stop_prices"] == ["1940"] and eth["stop_quantity"] == "0.5"
    assert eth["take_profit_prices"] == ["2090"] and eth["take_profit_quantity"] == "0.5"
    assert btc["status"] == "naked" and btc["naked_overdue"] is True  # an hour without cover
    assert btc["stop_prices"] == [] and btc["take_profit_prices"] == []
    assert sol["status"] == "flattening"
    paged = await _walk(client, "/api/orders/protection", limit=1)
    assert [r["symbol"] for r in paged] == [r["symbol"] for r in body["items"]]


async def test_paper_balances_start_and_reservations(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    body = (await client.get("/api/balances")).json()
    assert body["source"] == "paper" and body["available"] is True
    start = {b["currency"]: b for b in body["balances"]}
    assert sorted(start) == ["USD", "USDT"]
    assert start["USDT"]["total"] == "10000" and start["USDT"]["free"] == "10000"
    assert start["USDT"]["updated_at"] is None  # the start balance, never traded

    now = utcnow()
    with unit_of_work(context.sessions) as s:
        s.add(PaperBalanceRow(currency="USDT", total=D("9500.5"), updated_at=now))
        s.add(PaperBalanceRow(currency="ETH", total=D("0.25"), updated_at=now))
        s.add(_paper_order("a", "SELL", "ETH", "0.25", list_id="L1"))
        s.add(_paper_order("b", "SELL", "ETH", "0.25", list_id="L1"))  # same OCO: one hold
        s.add(_paper_order("c", "BUY", "USDT", "100.25"))
    body = (await client.get("/api/balances")).json()
    rows = {b["currency"]: b for b in body["balances"]}
    assert rows["ETH"]["reserved"] == "0.25" and rows["ETH"]["free"] == "0"
    assert rows["USDT"]["total"] == "9500.5" and rows["USDT"]["reserved"] == "100.25"
    assert rows["USDT"]["free"] == "9400.25" and rows["USDT"]["updated_at"] is not None
    assert rows["USD"]["total"] == "10000"


async def test_live_balances_say_why_they_are_unavailable(context: AppContext) -> None:
    import httpx as _httpx

    from atp.api.app import create_app

    live = AppContext(settings=context.settings.model_copy(update={"trading_mode": "live"}))
    try:
        transport = _httpx.ASGITransport(app=create_app(live))
        async with _httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            body = (await c.get("/api/balances")).json()
    finally:
        live.close()
    assert body["source"] == "live" and body["available"] is False
    assert body["balances"] == [] and "not stored" in body["detail"]


async def test_bad_paging_input_is_refused(client: httpx.AsyncClient) -> None:
    for path in ("/api/orders/history", "/api/orders/open", "/api/positions"):
        assert (await client.get(path, params={"cursor": "bm9wZQ"})).status_code == 422
        assert (await client.get(path, params={"limit": 0})).status_code == 422
        assert (await client.get(path, params={"limit": 501})).status_code == 422


def _paper_order(key: str, side: str, currency: str, amount: str, **fields: Any) -> PaperOrderRow:
    now = utcnow()
    return PaperOrderRow(
        client_oid=f"paper-{key}",
        symbol="ETH_USDT",
        side=side,
        kind="LIMIT",
        status="OPEN",
        quantity=D("0.25"),
        cumulative_quantity=D(0),
        cumulative_fee=D(0),
        reserve_currency=currency,
        reserve_amount=D(amount),
        created_at=now,
        updated_at=now,
        **fields,
    )
