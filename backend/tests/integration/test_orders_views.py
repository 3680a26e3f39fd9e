"""Read-only order views (atp.orders.views) and the `atp orders` / `atp positions` / `atp status`
commands over a seeded database: the numbers, the naked position, the history cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.market.models import MarketPrice
from atp.orders.models import ExchangeOrder, FillRecord, OrderIntent, Position
from atp.orders.views import (
    open_orders_view,
    order_history_view,
    positions_view,
    to_jsonable,
    trading_summary,
)
from atp.runtime.context import AppContext
from atp.settings import Settings

D = Decimal
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _intent(session: Session, key: str, symbol: str, status: str, at: datetime) -> int:
    row = OrderIntent(
        idempotency_key=f"intent:{key}",
        client_oid=f"oid-{key}",
        symbol=symbol,
        side="BUY",
        status=status,
        amount_usd=D("50"),
        sl_price=D("1940"),
        tp_price=D("2090"),
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return row.id


def _order(
    session: Session,
    oid: str,
    intent_id: int | None,
    *,
    symbol: str = "ETH_USDT",
    role: str = "ENTRY",
    status: str = "FILLED",
    kind: str = "MARKET",
    qty: str = "0.5",
    price: str | None = None,
    trigger: str | None = None,
) -> None:
    session.add(
        ExchangeOrder(
            exchange_order_id=oid,
            client_oid=f"atp-{oid}",
            intent_id=intent_id,
            symbol=symbol,
            side="BUY" if role == "ENTRY" else "SELL",
            order_type=kind,
            order_role=role,
            status=status,
            quantity=D(qty),
            cumulative_quantity=D(qty) if status == "FILLED" else D(0),
            price=None if price is None else D(price),
            ref_price=None if trigger is None else D(trigger),
            list_id="L1" if role in ("STOP_LOSS", "TAKE_PROFIT") else None,
        )
    )
    session.flush()


def _position(session: Session, symbol: str, qty: str, avg: str, status: str) -> None:
    session.add(
        Position(
            symbol=symbol,
            quantity=D(qty),
            avg_entry_price=D(avg),
            fees_paid=D("1.25"),
            realised_pnl=D("-1.25"),
            opened_at=T0 - timedelta(hours=2),
            protection_status=status,
        )
    )


def _price(session: Session, symbol: str, last: str, now: datetime) -> None:
    session.add(
        MarketPrice(
            symbol=symbol,
            last=D(last),
            exchange_ts=now - timedelta(seconds=30),
            fetched_at=now - timedelta(seconds=10),
            source="test",
        )
    )


def _fill(session: Session, trade: str, at: datetime, pnl: str, fee: str | None) -> None:
    session.add(
        FillRecord(
            trade_id=trade,
            order_id=f"order-{trade}",
            symbol="SOL_USDT",
            side="SELL",
            quantity=D("1"),
            price=D("150"),
            fee=D("0.1"),
            fee_currency="USDT" if fee is not None else "CRO",
            fee_quote=None if fee is None else D(fee),
            realised_pnl=D(pnl),
            position_quantity_after=D(0),
            closed_position=True,
            traded_at=at,
        )
    )


def seed(sessions: sessionmaker[Session], now: datetime) -> None:
    """ETH covered by an OCO, BTC naked, ADA without a price, DOGE closed; fills of two days."""
    with unit_of_work(sessions) as s:
        eth = _intent(s, "eth", "ETH_USDT", "PROTECTED", now - timedelta(hours=2))
        btc = _intent(s, "btc", "BTC_USDT", "UNPROTECTED", now - timedelta(hours=1))
        _intent(s, "sol", "SOL_USDT", "BLOCKED", now - timedelta(days=2))
        _intent(s, "new", "XRP_USDT", "PENDING", now)
        _order(s, "E1", eth)
        stop = {"kind": "STOP_LIMIT", "price": "1940", "trigger": "1940"}
        _order(s, "S1", eth, role="STOP_LOSS", status="OPEN", **stop)
        _order(s, "T1", eth, role="TAKE_PROFIT", status="OPEN", kind="LIMIT", price="2090")
        _order(s, "B1", btc, symbol="BTC_USDT", qty="0.01")
        _order(s, "F1", None, symbol="BTC_USDT", role="STOP_LOSS", status="CANCELED", trigger="1")
        _position(s, "ETH_USDT", "0.5", "2000", "covered")
        _position(s, "BTC_USDT", "0.01", "60000", "naked")
        _position(s, "ADA_USDT", "100", "0.5", "covered")
        _position(s, "DOGE_USDT", "0", "0", "closed")
        _price(s, "ETH_USDT", "2100", now)
        _price(s, "BTC_USDT", "59000", now)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)  # UTC
        _fill(s, "today-1", max(now - timedelta(minutes=5), midnight), "5.5", "0.1")
        _fill(s, "today-2", max(now - timedelta(minutes=1), midnight), "-0.5", None)
        _fill(s, "yesterday", now - timedelta(days=1), "100", "0.2")


def test_positions_are_valued_at_their_mark(sessions: sessionmaker[Session]) -> None:
    seed(sessions, T0)
    with sessions() as s:
        view = positions_view(s, T0)
    by_symbol = {p.symbol: p for p in view.positions}
    assert sorted(by_symbol) == ["ADA_USDT", "BTC_USDT", "ETH_USDT"]  # DOGE is closed
    eth, btc, ada = by_symbol["ETH_USDT"], by_symbol["BTC_USDT"], by_symbol["ADA_USDT"]
    assert eth.unrealised_pnl == (D("2100") - D("2000")) * D("0.5") == D("50")
    assert btc.unrealised_pnl == (D("59000") - D("60000")) * D("0.01") == D("-10")
    assert eth.mark == D("2100") and eth.mark_age_s == 30.0  # the older of the two stamps
    assert eth.realised_pnl == D("-1.25") and eth.fees_paid == D("1.25")
    assert eth.stop_prices == [D("1940")] and eth.stop_quantity == D("0.5")
    assert btc.stop_prices == [] and btc.stop_quantity == 0  # the cancelled stop is not cover
    assert ada.mark is None and ada.unrealised_pnl is None
    assert view.unrealised_total == D("40") and view.unmarked == ["ADA_USDT"]
    assert view.realised_total == D("-3.75")
    assert view.naked == ["BTC_USDT"]


def test_open_orders_show_working_legs_and_intents_in_flight(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, T0)
    with sessions() as s:
        view = open_orders_view(s)
    assert [(o.exchange_order_id, o.role, o.intent_status) for o in view.orders] == [
        ("S1", "STOP_LOSS", "PROTECTED"),
        ("T1", "TAKE_PROFIT", "PROTECTED"),
    ]
    assert view.orders[0].trigger_price == D("1940") and view.orders[1].limit_price == D("2090")
    assert view.orders[0].list_id == view.orders[1].list_id == "L1"
    assert [(i.symbol, i.status) for i in view.intents] == [
        ("ETH_USDT", "PROTECTED"),
        ("BTC_USDT", "UNPROTECTED"),
        ("XRP_USDT", "PENDING"),
    ]


def test_history_cursor_is_stable_while_new_orders_arrive(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, T0)  # orders 1..5
    seen: list[int] = []
    with sessions() as s:
        first = order_history_view(s, limit=2)
    seen += [o.id for o in first.orders]
    assert seen == [5, 4] and first.next_before_id == 4
    with unit_of_work(sessions) as s:  # a new order lands between two page reads
        _order(s, "LATE", None)
    cursor: int | None = first.next_before_id
    while cursor is not None:
        with sessions() as s:
            page = order_history_view(s, limit=2, before_id=cursor)
        seen += [o.id for o in page.orders]
        cursor = page.next_before_id
    assert seen == [5, 4, 3, 2, 1]  # nothing repeated, nothing skipped
    with sessions() as s:
        newest = order_history_view(s, limit=10)
        assert newest.orders[0].exchange_order_id == "LATE" and newest.next_before_id is None
        assert newest.orders[-1].intent_status == "PROTECTED"
        with pytest.raises(ValueError, match="limit must be between 1 and 500"):
            order_history_view(s, limit=0)


def test_trading_summary_counts_today_in_the_zone_asked_for(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions, T0)
    with sessions() as s:
        utc = trading_summary(s, T0)
        # 02:00 UTC on the next day is 11:00 in Tokyo: "today" there began at 15:00 UTC on T0.
        tokyo = trading_summary(s, T0 + timedelta(hours=14), ZoneInfo("Asia/Tokyo"))
    assert utc.open_positions == 3 and utc.naked == ["BTC_USDT"] and utc.flattening == []
    assert utc.realised_today == D("5.0") and utc.fees_today == D("0.1")
    assert utc.unvalued_fees_today == 1
    assert utc.active_intents == {"PROTECTED": 1, "UNPROTECTED": 1, "PENDING": 1}
    assert utc.intents_today == {"PROTECTED": 1, "UNPROTECTED": 1, "PENDING": 1}
    assert tokyo.day_start == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert tokyo.realised_today == 0 and tokyo.intents_today == {}


def test_json_keeps_every_digit(sessions: sessionmaker[Session]) -> None:
    seed(sessions, T0)
    with sessions() as s:
        data = to_jsonable(positions_view(s, T0))
    eth = next(p for p in data["positions"] if p["symbol"] == "ETH_USDT")
    assert eth["unrealised_pnl"] == "50" and eth["avg_entry_price"] == "2000"
    assert eth["opened_at"] == "2026-05-01T10:00:00+00:00"
    assert json.loads(json.dumps(data)) == data


# --- the commands ----------------------------------------------------------------------------


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.output


def test_positions_and_orders_commands(settings: Settings, sessions: sessionmaker[Session]) -> None:
    seed(sessions, utcnow())
    code, out = _cli(settings, "positions")
    assert code == 0, out
    eth = next(line for line in out.splitlines() if line.startswith("ETH_USDT"))
    cells = eth.split()
    assert cells[:4] == ["ETH_USDT", "0.5", "2000", "2100"] and cells[5] == "+50", eth
    assert cells[4].endswith("s") and 30 <= int(cells[4][:-1]) < 40  # the mark's age
    assert "NAKED" in next(line for line in out.splitlines() if line.startswith("BTC_USDT"))
    assert "!!! NAKED: BTC_USDT has NO confirmed stop-loss" in out
    assert "total: unrealised=+40 (no price for ADA_USDT) realised=-3.75" in out
    code, out = _cli(settings, "positions", "--json")
    assert code == 0 and json.loads(out)["naked"] == ["BTC_USDT"]

    code, out = _cli(settings, "orders")
    assert code == 0 and "OPEN ORDERS: 2" in out and "1 PROTECTED" in out, out
    assert "INTENTS IN FLIGHT OR HOLDING A POSITION: 3" in out and "UNPROTECTED" in out
    code, out = _cli(settings, "orders", "--history", "--limit", "2")
    assert code == 0 and "more: atp orders --history --limit 2 --before 4" in out, out
    code, out = _cli(settings, "orders", "--history", "--before", "2", "--json")
    assert code == 0 and [o["id"] for o in json.loads(out)["orders"]] == [1]
    code, out = _cli(settings, "orders", "--before", "2")
    assert code == 2 and "--before pages the history" in out


def test_status_shows_a_naked_position_loudly_and_fails_the_check(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    code, out = _cli(settings, "status")
    assert "orders:   positions=0 naked=0 flattening=0" in out and "NAKED" not in out
    seed(sessions, utcnow())
    code, out = _cli(settings, "status", "--check")
    assert code == 1
    assert "orders:   positions=3 naked=1 flattening=0 realised_today=5 (fees 0.1)" in out
    assert "!!! [NAKED POSITION] BTC_USDT: NO confirmed stop-loss" in out


def test_a_new_entry_is_not_an_overdue_naked_position(sessions: sessionmaker[Session]) -> None:
    """Between the fill and the OCO confirmation a position is naked for a moment: status
    --check must not fail on every new entry, only on one left naked past the grace."""
    from atp.orders.views import NAKED_GRACE

    with unit_of_work(sessions) as session:
        _position(session, "BTC_USDT", "0.01", "60000", "naked")
    opened = T0 - timedelta(hours=2)
    with sessions() as session:
        fresh = trading_summary(session, opened + NAKED_GRACE / 2)
        late = trading_summary(session, opened + NAKED_GRACE * 2)
    assert fresh.naked == ["BTC_USDT"] and fresh.naked_overdue == []
    assert late.naked_overdue == ["BTC_USDT"]
