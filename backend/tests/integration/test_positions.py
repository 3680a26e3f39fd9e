"""Positions from the fill ledger: idempotent by trade_id, average cost, protection status,
fee currencies, dust, and the monitor's open-order count built on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.monitor.activity import load_activity
from atp.orders.models import FillRecord, OrderIntent, Position
from atp.orders.ports import Fill
from atp.orders.positions import (
    fill_totals,
    open_positions,
    position_for,
    record_fill,
    record_fill_outcome,
    record_fills,
    set_protection_status,
    unrealised_pnl,
)

D = Decimal
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _fill(
    trade_id: str,
    side: str,
    qty: str,
    price: str,
    *,
    fee: str = "0",
    fee_currency: str = "USDT",
    symbol: str = "BTC_USDT",
    order_id: str = "O1",
    client_oid: str | None = None,
    minutes: float = 0,
) -> Fill:
    return Fill(
        trade_id=trade_id,
        order_id=order_id,
        client_oid=client_oid,
        symbol=symbol,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        fee_currency=fee_currency,
        traded_at=T0 + timedelta(minutes=minutes),
    )


def _intent(session: Session, n: int, status: str, symbol: str = "BTC_USDT") -> OrderIntent:
    intent = OrderIntent(
        idempotency_key=f"k{n}", client_oid=f"oid-{n}", symbol=symbol, side="BUY", status=status
    )
    session.add(intent)
    session.flush()
    return intent


def test_the_same_fill_twice_changes_nothing(sessions: sessionmaker[Session]) -> None:
    entry = _fill("T1", "BUY", "0.5", "60000", fee="3")
    with sessions.begin() as s:
        assert record_fill(s, entry, None) is True
    with sessions.begin() as s:  # a re-sync in a later transaction
        assert record_fill(s, entry, None) is False
        assert record_fill(s, entry, None) is False
    with sessions() as s:
        position = position_for(s, "BTC_USDT")
        assert position is not None
        assert (position.quantity, position.avg_entry_price) == (D("0.5"), D("60000"))
        assert (position.fees_paid, position.realised_pnl) == (D("3"), D("-3"))
        assert position.protection_status == "naked" and position.opened_at == T0
        assert position.last_fill_trade_id == "T1"
        assert s.scalar(select(func.count()).select_from(FillRecord)) == 1


def test_a_round_trip_realises_its_pnl_and_closes_the_position(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        intent = _intent(s, 1, "FILLED")
        record_fill(s, _fill("T1", "BUY", "1", "100", fee="0.1"), intent.id)
        record_fill(s, _fill("T2", "BUY", "1", "110", fee="0.1", minutes=1), intent.id)
        assert set_protection_status(s, "BTC_USDT", "covered", T0 + timedelta(minutes=2))
        partial = record_fill_outcome(
            s, _fill("T3", "SELL", "0.5", "120", fee="0.05", order_id="TP", minutes=3), None
        )
        last = record_fill_outcome(
            s, _fill("T4", "SELL", "1.5", "120", fee="0.15", order_id="TP", minutes=4), None
        )
    assert partial is not None and partial.realised == D("7.45") and not partial.closed
    assert last is not None and last.closed and last.realised == D("22.35")
    assert last.after.realised_pnl == D("29.6")  # 30 gross - 0.4 fees
    with sessions() as s:
        position = position_for(s, "BTC_USDT")
        assert position is not None and position.protection_status == "closed"
        assert position.quantity == 0 and position.avg_entry_price == 0
        assert position.closed_at == T0 + timedelta(minutes=4)
        assert open_positions(s) == []
        ledger = s.scalars(select(FillRecord).order_by(FillRecord.traded_at)).all()
        assert [f.intent_id for f in ledger] == [intent.id, intent.id, None, None]
        assert [f.closed_position for f in ledger] == [False, False, False, True]
        assert [f.position_quantity_after for f in ledger] == [D(1), D(2), D("1.5"), D(0)]


def test_reopening_after_close_starts_a_new_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record_fill(s, _fill("T1", "BUY", "1", "100", fee="1"), None)
        record_fill(s, _fill("T2", "SELL", "1", "90", fee="1", minutes=1), None)
        outcome = record_fill_outcome(s, _fill("T3", "BUY", "2", "95", minutes=60), None)
    assert outcome is not None and outcome.opened and not outcome.closed
    with sessions() as s:
        position = position_for(s, "BTC_USDT")
        assert position is not None
        assert (position.realised_pnl, position.fees_paid) == (D(0), D(0))
        assert position.opened_at == T0 + timedelta(minutes=60) and position.closed_at is None
        assert position.protection_status == "naked"
        assert [p.symbol for p in open_positions(s)] == ["BTC_USDT"]


def test_protection_status_follows_the_guardian_and_the_fills(
    sessions: sessionmaker[Session],
) -> None:
    at = T0 + timedelta(minutes=5)
    with sessions.begin() as s:
        record_fill(s, _fill("T1", "BUY", "1", "100"), None)
        assert set_protection_status(s, "BTC_USDT", "covered", at)
        record_fill(s, _fill("T2", "SELL", "0.4", "101", minutes=6), None)
        assert position_for(s, "BTC_USDT").protection_status == "covered"  # type: ignore[union-attr]
        record_fill(s, _fill("T3", "BUY", "1", "102", minutes=7), None)  # grown: SL too small
        assert position_for(s, "BTC_USDT").protection_status == "naked"  # type: ignore[union-attr]
        assert set_protection_status(s, "BTC_USDT", "flattening", at)
        record_fill(s, _fill("T4", "SELL", "1.6", "99", minutes=8), None)
        assert set_protection_status(s, "BTC_USDT", "covered", at) is False  # closed meanwhile
        row = position_for(s, "BTC_USDT")
        assert row is not None and row.protection_status == "closed"
        assert row.protection_checked_at == at
        with pytest.raises(ValueError):
            set_protection_status(s, "BTC_USDT", "safe", at)
        with pytest.raises(ValueError):
            set_protection_status(s, "BTC_USDT", "closed", at)
        with pytest.raises(LookupError):
            set_protection_status(s, "ETH_USDT", "covered", at)


def test_fee_currencies_base_quote_and_other(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        # A BUY charged in BTC receives less BTC; the fee is worth fee x price in USDT.
        record_fill(s, _fill("T1", "BUY", "1", "100", fee="0.001", fee_currency="BTC"), None)
        record_fill(
            s, _fill("E1", "BUY", "2", "10", fee="5", fee_currency="CRO", symbol="ETH_USDT"), None
        )
    with sessions() as s:
        btc, eth = position_for(s, "BTC_USDT"), position_for(s, "ETH_USDT")
        assert btc is not None and eth is not None
        assert (btc.quantity, btc.avg_entry_price, btc.fees_paid) == (D("0.999"), D(100), D("0.1"))
        assert (eth.quantity, eth.fees_paid) == (D(2), D(0))  # CRO is not valued here
        fees = dict(s.execute(select(FillRecord.trade_id, FillRecord.fee_quote)).tuples().all())
        assert fees == {"T1": D("0.1"), "E1": None}
        totals = fill_totals(s, T0, T0 + timedelta(days=1))
    assert (totals.fills, totals.unvalued_fees, totals.fees_quote) == (2, 1, D("0.1"))


def test_dust_below_the_quantity_tick_closes_the_position(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record_fill(s, _fill("T1", "BUY", "1", "100", fee="0.001", fee_currency="BTC"), None)
        outcome = record_fill_outcome(
            s, _fill("T2", "SELL", "0.99", "110", minutes=1), None, dust_below=D("0.01")
        )
    assert outcome is not None and outcome.closed
    with sessions() as s:
        row = position_for(s, "BTC_USDT")
        assert row is not None and row.protection_status == "closed"
        assert row.quantity == D("0.009")  # the wallet's dust, still recorded
        assert open_positions(s) == []


def test_a_batch_is_applied_in_trade_order(sessions: sessionmaker[Session]) -> None:
    sell = _fill("T2", "SELL", "1", "120", order_id="TP", minutes=5)
    buy = _fill("T1", "BUY", "1", "100", client_oid="oid-1")
    with sessions.begin() as s:
        intent = _intent(s, 1, "PROTECTED")
        applied = record_fills(s, [sell, buy], {"O1": intent.id})
        assert [fill.trade_id for fill, _ in applied] == ["T1", "T2"]
        assert applied[1][1].closed and applied[1][1].realised == D(20)
        assert record_fills(s, [sell, buy]) == []
        assert s.scalar(select(FillRecord.intent_id).where(FillRecord.trade_id == "T1")) == (
            intent.id
        )


def test_unrealised_pnl_and_bad_fills(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record_fill(s, _fill("T1", "BUY", "0.5", "60000"), None)
        assert unrealised_pnl(s, "BTC_USDT", D("61000")) == D("500")
        assert unrealised_pnl(s, "ETH_USDT", D("3000")) == 0
        for bad in (
            _fill("X1", "HOLD", "1", "1"),
            _fill("X2", "BUY", "0", "1"),
            _fill("X3", "BUY", "1", "1", symbol="BTCUSDT"),
            _fill("X4", "BUY", "1", "1", fee="2", fee_currency="BTC"),
        ):
            with pytest.raises(ValueError):
                record_fill(s, bad, None)
        assert s.scalar(select(func.count()).select_from(FillRecord)) == 1
        assert s.scalar(select(func.count()).select_from(Position)) == 1


def test_open_orders_count_positions_and_working_entries_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        _intent(s, 1, "PENDING")
        _intent(s, 2, "SUBMITTING")
        _intent(s, 3, "SUBMITTED", symbol="BTC_USD")
        filled = _intent(s, 4, "PROTECTED", symbol="ETH_USDT")
        by_oid = _intent(s, 5, "FILLED", symbol="SOL_USDT")
        _intent(s, 6, "FLATTENED", symbol="ADA_USDT")
        _intent(s, 7, "CLOSED", symbol="XRP_USDT")
        record_fill(s, _fill("E1", "BUY", "1", "3000", symbol="ETH_USDT"), filled.id)
        # No intent id given, but the entry's client_oid is the intent's: still one, not two.
        record_fill(s, _fill("S1", "BUY", "1", "150", symbol="SOL_USDT", client_oid="oid-5"), None)
        # A closed position counts for nothing.
        record_fill(s, _fill("D1", "BUY", "1", "1", symbol="DOGE_USDT"), None)
        record_fill(s, _fill("D2", "SELL", "1", "1", symbol="DOGE_USDT", minutes=1), None)
        assert by_oid.id
    with sessions() as s:
        activity = load_activity(s, T0)
    assert activity.open_by_coin == {"BTC": 3, "ETH": 1, "SOL": 1}
    assert activity.open_total == 5
