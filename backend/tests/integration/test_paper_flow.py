"""The order flow end to end on the real paper broker (what `make run` trades with).

A monitor cycle emits a BUY alert with its PENDING intent; once the alert is delivered, the
order worker (flow + sync + guardian, `OrderWorker.tick`) buys on paper, protects the entry with
one OCO at the announced SL/TP moved to the fill, and later prices fill one leg: the sibling is
cancelled by the paper exchange (never by us), the position closes with its P&L and the
messages are in the outbox. Prices come from `market_prices`, as the market updater writes them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.paper.broker import PaperBroker
from atp.adapters.paper.models import PaperFillRow, PaperOrderRow
from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.market.models import MarketPrice
from atp.orders import states
from atp.orders.models import FillRecord, OrderIntent, Position
from atp.orders.ports import OrderState
from atp.orders.service import OrderWorker
from atp.orders.sync import SIBLING_CANCELLED
from atp.runtime.broker import LiveTradingRefused, build_broker
from atp.runtime.context import AppContext
from atp.runtime.demo import DEMO_PRESET, DEMO_SYMBOLS, DEMO_TRADE_USD, seed_demo_if_allowed
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem
from tests.integration.monitor_support import cycle_at, seed_world
from tests.integration.orders_support import (
    critical_messages,
    intent_row,
    order_settings,
    orders_of,
    run,
    set_switch,
)
from tests.integration.run_support import atp_run

D = Decimal
SYMBOL = "BTC_USDT"
TRADE = {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": D("50")}


class SpyPaperBroker(PaperBroker):
    """The real paper broker, counting the cancels the order worker sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancels: list[str] = []

    async def cancel(self, order: OrderState) -> None:
        self.cancels.append(order.order_id)
        await super().cancel(order)

    async def cancel_list(self, list_id: str) -> None:
        self.cancels.append(list_id)
        await super().cancel_list(list_id)


@pytest.fixture
def worker(sessions: sessionmaker[Session], settings: Settings) -> Iterator[OrderWorker]:
    """An order worker on the paper broker `build_broker` picks by default; its lock released."""
    app = AppContext(order_settings(settings))
    app.__dict__["sessions"] = sessions  # the test database, not the settings URL
    assert isinstance(build_broker(app.settings, sessions), PaperBroker)  # the default mode
    broker = SpyPaperBroker.from_settings(app.settings, sessions)  # the same wiring
    order_worker = OrderWorker(app, broker)
    yield order_worker
    order_worker.shutdown()


def _tick(worker: OrderWorker) -> None:
    assert run(worker.tick()) == "leading"
    assert worker.last is not None and worker.last.error is None, worker.last


def _set_price(sessions: sessionmaker[Session], price: str) -> None:
    """What the market updater does: a fresh last trade (wall clock, as the paper broker reads)."""
    now = utcnow()
    with sessions.begin() as session:
        row = session.get_one(MarketPrice, SYMBOL)
        row.last, row.fetched_at, row.exchange_ts = D(price), now, now


def _alert_sent(sessions: sessionmaker[Session], intent_id: int) -> None:
    """What the sender does once the alert reached its chat."""
    with sessions.begin() as session:
        intent = session.get_one(OrderIntent, intent_id)
        session.execute(
            update(TelegramMessage)
            .where(TelegramMessage.id == intent.telegram_message_id)
            .values(status="SENT")
        )


def _kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(TelegramMessage.kind)
                .where(TelegramMessage.kind != "ALERT")
                .order_by(TelegramMessage.id)
            )
        )


def _message(sessions: sessionmaker[Session], kind: str) -> TelegramMessage:
    with sessions() as session:
        row = session.scalars(select(TelegramMessage).where(TelegramMessage.kind == kind)).one()
        session.expunge(row)
        return row


def _position(sessions: sessionmaker[Session]) -> Position:
    with sessions() as session:
        row = session.scalars(select(Position).where(Position.symbol == SYMBOL)).one()
        session.expunge(row)
        return row


def _paper_fees(sessions: sessionmaker[Session]) -> Decimal:
    with sessions() as session:
        return sum(session.scalars(select(PaperFillRow.fee)), D(0))


def _protected_entry(
    sessions: sessionmaker[Session], settings: Settings, worker: OrderWorker
) -> tuple[SpyPaperBroker, int]:
    """Alert -> intent -> delivered -> paper entry -> OCO; returns (broker, intent id).

    LIVE_TRADING is never set: paper entries do not need it (only real money does)."""
    now = utcnow()
    seed_world(sessions, {SYMBOL: TRADE}, now=now)  # ticker at 100, preset SL 2 % / TP 3 %
    assert cycle_at(sessions, settings, now).intents == 1
    with sessions() as session:
        intent_id = session.scalars(select(OrderIntent.id)).one()
    _set_price(sessions, "100")
    _tick(worker)  # the alert is still queued: the flow waits, nothing is bought
    assert intent_row(sessions, intent_id).status == states.PENDING
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PaperOrderRow)) == 0
    _alert_sent(sessions, intent_id)
    _tick(worker)
    assert isinstance(worker.broker, SpyPaperBroker)
    return worker.broker, intent_id


def test_paper_entry_protected_then_take_profit_closes_with_profit(
    sessions: sessionmaker[Session], settings: Settings, worker: OrderWorker
) -> None:
    broker, intent_id = _protected_entry(sessions, settings, worker)
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED
    # 50 USDT at 100 + 5 bps slippage = 100.05 -> 0.4997 on the 0.0001 quantity tick.
    assert (intent.avg_fill_price, intent.filled_quantity) == (D("100.05"), D("0.4997"))
    # Announced SL 98 / TP 103 around 100, moved to the fill, on the 0.001 price tick.
    assert (intent.sl_placed_price, intent.tp_placed_price) == (D("98.05"), D("103.05"))
    rows = orders_of(sessions, intent_id)
    assert set(rows) == {"ENTRY", "STOP_LOSS", "TAKE_PROFIT"}
    assert rows["STOP_LOSS"].list_id == rows["TAKE_PROFIT"].list_id is not None
    assert rows["STOP_LOSS"].parent_order_id == rows["ENTRY"].exchange_order_id
    with sessions() as session:
        legs = {
            row.kind: row
            for row in session.scalars(select(PaperOrderRow).where(PaperOrderRow.status == "OPEN"))
        }
        assert legs["STOP_LIMIT"].trigger_price == D("98.05")
        assert legs["LIMIT"].limit_price == D("103.05")
        assert legs["LIMIT"].quantity == legs["STOP_LIMIT"].quantity == D("0.4997")
        ledger = session.scalars(select(FillRecord)).one()
        assert (ledger.intent_id, ledger.side, ledger.quantity) == (intent_id, "BUY", D("0.4997"))
    assert _position(sessions).protection_status == "covered"
    assert _kinds(sessions) == ["ORDER_FILLED", "PROTECTION_PLACED"]
    assert "98.05" in _message(sessions, "PROTECTION_PLACED").text

    _set_price(sessions, "103.2")  # through the take-profit
    _tick(worker)
    rows = orders_of(sessions, intent_id)
    assert rows["TAKE_PROFIT"].status == "FILLED"
    assert (rows["STOP_LOSS"].status, rows["STOP_LOSS"].reject_reason) == (
        "CANCELED",
        SIBLING_CANCELLED,
    )
    assert broker.cancels == []  # the paper exchange cancelled the sibling itself
    intent = intent_row(sessions, intent_id)
    assert (intent.status, intent.block_reason) == (states.CLOSED, "TAKE_PROFIT_FILLED")
    position = _position(sessions)
    gross = (D("103.05") - D("100.05")) * D("0.4997")
    assert position.protection_status == "closed" and position.quantity == 0
    assert position.realised_pnl == gross - _paper_fees(sessions) > 0
    assert _kinds(sessions)[-1] == "POSITION_CLOSED"
    closed = _message(sessions, "POSITION_CLOSED")
    assert closed.context is not None
    assert D(closed.context["realised_pnl"]) == position.realised_pnl
    _tick(worker)  # a later pass changes nothing and sends nothing again
    assert len(_kinds(sessions)) == 3 and critical_messages(sessions) == []


def test_paper_stop_loss_fills_and_records_the_loss(
    sessions: sessionmaker[Session], settings: Settings, worker: OrderWorker
) -> None:
    broker, intent_id = _protected_entry(sessions, settings, worker)
    _set_price(sessions, "98.05")  # down to the stop: its limit (= trigger) fills
    _tick(worker)
    rows = orders_of(sessions, intent_id)
    assert rows["STOP_LOSS"].status == "FILLED"
    assert (rows["TAKE_PROFIT"].status, rows["TAKE_PROFIT"].reject_reason) == (
        "CANCELED",
        SIBLING_CANCELLED,
    )
    assert broker.cancels == []
    intent = intent_row(sessions, intent_id)
    assert (intent.status, intent.block_reason) == (states.CLOSED, "STOP_LOSS_FILLED")
    position = _position(sessions)
    loss = (D("98.05") - D("100.05")) * D("0.4997") - _paper_fees(sessions)
    assert position.protection_status == "closed" and position.realised_pnl == loss < 0
    assert _kinds(sessions) == ["ORDER_FILLED", "PROTECTION_PLACED", "POSITION_CLOSED"]


def test_guardian_repairs_a_stop_cancelled_behind_the_flows_back(
    sessions: sessionmaker[Session], settings: Settings, worker: OrderWorker
) -> None:
    broker, intent_id = _protected_entry(sessions, settings, worker)
    stop = orders_of(sessions, intent_id)["STOP_LOSS"]
    assert stop.client_oid is not None
    state = run(broker.order_by_client_oid(stop.client_oid))
    run(PaperBroker.cancel(broker, state))  # by hand, not through the worker
    _tick(worker)  # sync sees it cancelled; the guardian repairs
    alerts = critical_messages(sessions)
    assert len(alerts) == 1 and "PROTECTION_MISSING" in alerts[0].text
    assert _position(sessions).protection_status == "naked"
    _tick(worker)  # the flow protects the position again
    intent = intent_row(sessions, intent_id)
    assert intent.status == states.PROTECTED and intent.protection_attempts == 2
    new_stop = orders_of(sessions, intent_id)["STOP_LOSS"]
    assert new_stop.client_oid == states.derived_client_oid(intent.client_oid, "sl", 2)
    assert new_stop.status == "OPEN"
    assert _position(sessions).protection_status == "covered"
    with sessions() as session:
        open_legs = session.scalars(
            select(PaperOrderRow.kind).where(PaperOrderRow.status == "OPEN")
        ).all()
    assert sorted(open_legs) == ["LIMIT", "STOP_LIMIT"]  # one OCO, the old leg is gone


def test_demo_items_trade_on_paper_only_and_keep_live_mode_refused(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_all(sessions)
    demo = settings.model_copy(update={"environment": "local", "market_source": "replay"})
    with unit_of_work(sessions) as session:
        assert seed_demo_if_allowed(session, demo) == list(DEMO_SYMBOLS)
    with sessions() as session:
        items = session.scalars(select(WatchlistItem)).all()
        assert {(i.trade_enabled, i.trade_amount_usd) for i in items} == {(True, DEMO_TRADE_USD)}
    live = demo.model_copy(
        update={
            "trading_mode": "live",
            "exchange_api_key": SecretStr("k"),
            "exchange_api_secret": SecretStr("s"),
        }
    )
    set_switch(sessions, "LIVE_TRADING", "true")
    with pytest.raises(LiveTradingRefused) as refused:
        build_broker(live, sessions)
    assert "MARKET_SOURCE=replay" in str(refused.value)
    assert f"trade on the demo preset {DEMO_PRESET}" in str(refused.value)
    with pytest.raises(LiveTradingRefused, match="demo preset"):
        build_broker(live.model_copy(update={"market_source": "exchange"}), sessions)


def test_demo_seeded_for_live_mode_only_alerts(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_all(sessions)
    demo = settings.model_copy(
        update={"environment": "local", "market_source": "replay", "trading_mode": "live"}
    )
    with unit_of_work(sessions) as session:
        assert seed_demo_if_allowed(session, demo) == list(DEMO_SYMBOLS)
    with sessions() as session:
        assert not any(session.scalars(select(WatchlistItem.trade_enabled)))


@pytest.mark.slow
def test_atp_run_demo_paper_trades_an_alert_into_a_protected_position(tmp_path: Path) -> None:
    """`make run` in short: replay data, the seeded demo watchlist, paper broker, console."""
    with atp_run(
        tmp_path,
        ENVIRONMENT="local",
        MARKET_SOURCE="replay",
        TRADING_MODE="paper",
        MARKET_INTERVAL_SECONDS="3",
        MONITOR_INTERVAL_SECONDS="2",
        ORDERS_SYNC_INTERVAL_SECONDS="1",
    ) as run:
        protected = _wait_for_protected(run.sessions, timeout=90)
    output = run.output
    assert protected, output[-4000:]
    assert run.process.returncode == 0, output[-3000:]
    assert "BUY FILLED" in output and "PROTECTION PLACED" in output
    assert "Traceback" not in output


def _wait_for_protected(sessions: sessionmaker[Session], timeout: float) -> bool:
    """An intent PROTECTED, its position covered and its "protection placed" on the console."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            symbols = set(
                session.scalars(
                    select(OrderIntent.symbol).where(OrderIntent.status == states.PROTECTED)
                )
            )
            covered = set(
                session.scalars(
                    select(Position.symbol).where(Position.protection_status == "covered")
                )
            )
            shown = set(
                session.scalars(
                    select(TelegramMessage.symbol).where(
                        TelegramMessage.kind == "PROTECTION_PLACED",
                        TelegramMessage.status == "SENT",
                    )
                )
            )
        if symbols & covered & shown:
            return True
        time.sleep(0.5)
    return False
