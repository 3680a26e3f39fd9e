"""PaperBroker on a real database (SQLite and PostgreSQL): the port end to end, restarts,
idempotency by client_oid, triggers from later prices, and prices/rules read from the tables."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.paper.broker import PaperBroker
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.models import PaperFillRow, PaperOrderRow
from atp.adapters.paper.prices import DbPriceSource
from atp.core.retry import RetryClass
from atp.db.session import make_engine, make_session_factory
from atp.market.models import Instrument, MarketPrice
from atp.orders.ports import (
    BrokerError,
    MarketEntry,
    OrderKind,
    OrderStatus,
    ProtectionOco,
    StopOrder,
)
from atp.settings import Settings

D = Decimal
T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CONFIG = PaperConfig(
    slippage_bps=D(5), fee_rate=D("0.0025"), start_balance=D(10_000), quote_currencies=("USD",)
)


class DictPrices:
    def __init__(self, **prices: str) -> None:
        self.prices = {symbol: D(value) for symbol, value in prices.items()}

    def latest_price(self, symbol: str) -> Decimal | None:
        return self.prices.get(symbol)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture(autouse=True)
def btc_instrument(sessions: sessionmaker[Session]) -> None:
    """BTC_USD with Crypto.com-like ticks (price 0.01, quantity 0.0001)."""
    with sessions() as session:
        session.add(
            Instrument(
                symbol="BTC_USD",
                inst_type="CCY_PAIR",
                base_ccy="BTC",
                quote_ccy="USD",
                price_tick_size=D("0.01"),
                qty_tick_size=D("0.0001"),
                quote_decimals=2,
                quantity_decimals=4,
                max_leverage=None,
                tradable=True,
                margin_buy_enabled=False,
                margin_sell_enabled=False,
                fetched_at=T0,
            )
        )
        session.commit()


def make_broker(
    sessions: sessionmaker[Session], prices: DictPrices, clock: Clock | None = None
) -> PaperBroker:
    return PaperBroker(sessions, prices, config=CONFIG, clock=clock or Clock())


def balance_map(balances: list) -> dict[str, tuple[Decimal, Decimal]]:  # type: ignore[type-arg]
    return {b.currency: (b.total, b.reserved) for b in balances}


def protection(quantity: Decimal, **kw: object) -> ProtectionOco:
    fields: dict[str, object] = {
        "symbol": "BTC_USD",
        "side": "SELL",
        "quantity": quantity,
        "tp_price": D("110.00"),
        "sl_trigger": D("95.00"),
        "tp_client_oid": "intent-1-tp",
        "sl_client_oid": "intent-1-sl",
    }
    fields.update(kw)
    return ProtectionOco(**fields)  # type: ignore[arg-type]


async def test_market_buy_by_notional_fills_with_slippage_and_fee(
    sessions: sessionmaker[Session],
) -> None:
    broker = make_broker(sessions, DictPrices(BTC_USD="100"))
    entry = MarketEntry("intent-1-entry", "BTC_USD", "BUY", notional=D("1000"))
    accepted = await broker.place_market_entry(entry)
    assert accepted.order_id == "paper-1" and accepted.client_oid == "intent-1-entry"

    state = await broker.order_by_client_oid("intent-1-entry")
    assert state is not None and state.status is OrderStatus.FILLED
    assert (state.kind, state.quantity, state.avg_price) == (
        OrderKind.MARKET,
        D("9.995"),
        D("100.05"),
    )
    assert state.cumulative_fee == D("2.49999938") and state.fee_currency == "USD"
    [fill] = await broker.fills(T0 - timedelta(seconds=1))
    assert (fill.trade_id, fill.order_id, fill.client_oid) == (
        "paper-fill-1",
        "paper-1",
        "intent-1-entry",
    )
    assert (fill.quantity, fill.price, fill.fee, fill.traded_at) == (
        D("9.995"),
        D("100.05"),
        D("2.49999938"),
        T0,
    )
    spent = D("9.995") * D("100.05") + D("2.49999938")
    assert balance_map(await broker.balances()) == {
        "BTC": (D("9.995"), D(0)),
        "USD": (D(10_000) - spent, D(0)),
    }
    assert await broker.open_orders() == []


async def test_market_buy_by_quantity_and_insufficient_balance(
    sessions: sessionmaker[Session],
) -> None:
    broker = make_broker(sessions, DictPrices(BTC_USD="100"))
    await broker.place_market_entry(MarketEntry("q-1", "BTC_USD", "BUY", quantity=D("2")))
    state = await broker.order_by_client_oid("q-1")
    assert state is not None and (state.cumulative_quantity, state.avg_price) == (D(2), D("100.05"))

    with pytest.raises(BrokerError) as info:
        await broker.place_market_entry(MarketEntry("q-2", "BTC_USD", "BUY", quantity=D("100")))
    assert (info.value.code, info.value.retry) == (306, RetryClass.NO)
    # A refused request leaves no order behind (so its client_oid is still unused).
    assert await broker.order_by_client_oid("q-2") is None
    assert len(await broker.fills(T0 - timedelta(days=1))) == 1


async def test_reused_client_oid_is_204_reconcile(sessions: sessionmaker[Session]) -> None:
    broker = make_broker(sessions, DictPrices(BTC_USD="100"))
    entry = MarketEntry("dup-1", "BTC_USD", "BUY", quantity=D("1"))
    await broker.place_market_entry(entry)
    with pytest.raises(BrokerError) as info:
        await broker.place_market_entry(entry)
    assert (info.value.code, info.value.retry) == (204, RetryClass.RECONCILE)
    with pytest.raises(BrokerError) as oco_info:  # an OCO leg may not reuse it either
        await broker.place_oco(protection(D("1"), sl_client_oid="dup-1"))
    assert oco_info.value.code == 204
    assert balance_map(await broker.balances())["BTC"] == (D(1), D(0))  # bought once


async def test_oco_tp_fills_and_stop_is_cancelled(sessions: sessionmaker[Session]) -> None:
    prices, clock = DictPrices(BTC_USD="100"), Clock()
    broker = make_broker(sessions, prices, clock)
    await broker.place_market_entry(MarketEntry("e", "BTC_USD", "BUY", quantity=D("1")))
    accepted = await broker.place_oco(protection(D("1")))
    assert accepted.list_id == "paper-list-2" and accepted.order_id is None
    legs = await broker.open_orders("BTC_USD")
    assert [(o.kind, o.list_id, o.advanced) for o in legs] == [
        (OrderKind.LIMIT, "paper-list-2", True),
        (OrderKind.STOP_LOSS, "paper-list-2", True),
    ]
    assert balance_map(await broker.balances())["BTC"] == (D(1), D(1))  # reserved once

    prices.prices["BTC_USD"] = D("112")
    clock.tick(30)
    assert await broker.open_orders() == []  # the read drives the triggers
    tp = await broker.order_by_client_oid("intent-1-tp")
    sl = await broker.order_by_client_oid("intent-1-sl")
    assert tp is not None and sl is not None
    assert (tp.status, tp.avg_price, tp.cumulative_quantity) == (
        OrderStatus.FILLED,
        D("110.00"),
        D(1),
    )
    assert (sl.status, sl.cumulative_quantity) == (OrderStatus.CANCELED, D(0))
    fills = await broker.fills(T0 + timedelta(seconds=1))
    assert [(f.order_id, f.client_oid, f.price, f.traded_at) for f in fills] == [
        ("paper-2", "intent-1-tp", D("110.00"), clock.now)
    ]


async def test_stop_triggers_via_evaluate_and_tp_is_cancelled(
    sessions: sessionmaker[Session],
) -> None:
    prices, clock = DictPrices(BTC_USD="100"), Clock()
    broker = make_broker(sessions, prices, clock)
    await broker.place_market_entry(MarketEntry("e", "BTC_USD", "BUY", quantity=D("1")))
    await broker.place_oco(protection(D("1")))
    prices.prices["BTC_USD"] = D("96")
    assert await broker.evaluate() == []
    prices.prices["BTC_USD"] = D("94.50")
    moment = clock.tick(60)
    [fill] = await broker.evaluate(moment)
    assert (fill.order_id, fill.client_oid, fill.side) == ("paper-3", "intent-1-sl", "SELL")
    assert fill.price == D("94.45")  # 94.50 * 0.9995 = 94.452..., rounded down
    tp = await broker.order_by_client_oid("intent-1-tp")
    assert tp is not None and tp.status is OrderStatus.CANCELED
    usd, _ = balance_map(await broker.balances())["USD"]
    bought = D("100.05") * (1 + D("0.0025"))
    sold = D("94.45") - (D("94.45") * D("0.0025")).quantize(D("0.00000001"), rounding="ROUND_UP")
    assert usd == D(10_000) - bought + sold


async def test_state_survives_a_restart(db_url: str) -> None:
    prices, clock = DictPrices(BTC_USD="100"), Clock()
    first_engine = make_engine(db_url)
    first = make_broker(make_session_factory(first_engine), prices, clock)
    await first.place_market_entry(MarketEntry("e", "BTC_USD", "BUY", quantity=D("1")))
    await first.place_oco(protection(D("1")))
    before = balance_map(await first.balances())
    await first.aclose()
    first_engine.dispose()

    second_engine = make_engine(db_url)  # a new process: new engine, new broker
    try:
        second = make_broker(make_session_factory(second_engine), prices, clock)
        assert balance_map(await second.balances()) == before
        assert [o.client_oid for o in await second.open_orders()] == ["intent-1-tp", "intent-1-sl"]
        with pytest.raises(BrokerError) as info:  # the old client_oid is still known
            await second.place_market_entry(MarketEntry("e", "BTC_USD", "BUY", quantity=D("1")))
        assert info.value.code == 204
        await second.place_market_entry(MarketEntry("e2", "BTC_USD", "BUY", quantity=D("1")))
        assert (await second.order_by_client_oid("e2")).order_id == "paper-4"  # type: ignore[union-attr]
        prices.prices["BTC_USD"] = D("90")
        clock.tick(5)
        [fill] = await second.evaluate()
        assert fill.client_oid == "intent-1-sl"
        assert balance_map(await second.balances())["BTC"] == (D(1), D(0))
    finally:
        second_engine.dispose()


async def test_missing_price_is_backoff_and_wrong_side_trigger_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    broker = make_broker(sessions, DictPrices(BTC_USD="100"))
    with pytest.raises(BrokerError) as info:
        await broker.place_market_entry(MarketEntry("e", "ETH_USD", "BUY", quantity=D("1")))
    assert (info.value.code, info.value.retry) == (207, RetryClass.BACKOFF)
    await broker.place_market_entry(MarketEntry("e2", "BTC_USD", "BUY", quantity=D("1")))
    stop = StopOrder("s", "BTC_USD", "SELL", OrderKind.STOP_LOSS, D("1"), trigger=D("100.01"))
    with pytest.raises(BrokerError) as wrong:
        await broker.place_stop(
            stop,
        )
    assert (wrong.value.code, wrong.value.retry) == (50007, RetryClass.NO)
    assert await broker.order_by_client_oid("s") is None


async def test_cancel_and_cancel_list(sessions: sessionmaker[Session]) -> None:
    broker = make_broker(sessions, DictPrices(BTC_USD="100"))
    await broker.place_market_entry(MarketEntry("e", "BTC_USD", "BUY", quantity=D("2")))
    stop = StopOrder("s", "BTC_USD", "SELL", OrderKind.STOP_LOSS, D("1"), trigger=D("90.00"))
    await broker.place_stop(stop)
    accepted = await broker.place_oco(protection(D("1")))
    assert balance_map(await broker.balances())["BTC"] == (D(2), D(2))
    [standalone] = [o for o in await broker.open_orders() if o.client_oid == "s"]
    await broker.cancel(standalone)
    assert accepted.list_id is not None
    await broker.cancel_list(accepted.list_id)
    assert await broker.open_orders() == []
    assert balance_map(await broker.balances())["BTC"] == (D(2), D(0))
    with pytest.raises(BrokerError) as info:
        await broker.cancel_list("paper-list-999")
    assert info.value.code == 40401


async def test_two_brokers_never_spend_the_same_balance(
    sessions: sessionmaker[Session],
) -> None:
    prices = DictPrices(BTC_USD="1000")
    brokers = [make_broker(sessions, prices), make_broker(sessions, prices)]
    entries = [MarketEntry(f"c-{i}", "BTC_USD", "BUY", quantity=D("1")) for i in range(12)]
    results = await asyncio.gather(
        *(brokers[i % 2].place_market_entry(e) for i, e in enumerate(entries)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BrokerError)]
    assert all(r.code == 306 for r in refused) and len(refused) == 3  # 9 x 1003.00 fit in 10000
    assert balance_map(await brokers[0].balances()) == {
        "BTC": (D(9), D(0)),
        "USD": (D(10_000) - 9 * D("1003.00125"), D(0)),  # no lost update of either row
    }
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PaperOrderRow)) == 9
        assert session.scalar(select(func.count()).select_from(PaperFillRow)) == 9


async def test_db_prices_and_instrument_rules(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    now = datetime.now(UTC)
    with sessions() as session:
        session.add(
            Instrument(
                symbol="ETH_USDT",
                inst_type="CCY_PAIR",
                base_ccy="ETH",
                quote_ccy="USDT",
                price_tick_size=D("0.5"),
                qty_tick_size=D("0.01"),
                quote_decimals=1,
                quantity_decimals=2,
                max_leverage=None,
                tradable=True,
                margin_buy_enabled=False,
                margin_sell_enabled=False,
                fetched_at=now,
            )
        )
        session.add(
            MarketPrice(
                symbol="ETH_USDT", last=D("2000"), exchange_ts=now, fetched_at=now, source="test"
            )
        )
        session.add(
            MarketPrice(
                symbol="OLD_USDT",
                last=D("5"),
                source="test",
                exchange_ts=now - timedelta(minutes=10),
                fetched_at=now - timedelta(minutes=10),
            )
        )
        session.commit()
    prices = DbPriceSource(sessions, max_age_seconds=120)
    assert prices.latest_price("ETH_USDT") == D("2000")
    assert prices.latest_price("OLD_USDT") is None  # stale
    assert prices.latest_price("NONE_USDT") is None
    broker = PaperBroker.from_settings(settings, sessions)
    rules = await broker.instrument("ETH_USDT")
    assert (rules.base, rules.quote, rules.price_tick, rules.qty_tick) == (
        "ETH",
        "USDT",
        D("0.5"),
        D("0.01"),
    )
    await broker.place_market_entry(MarketEntry("u", "ETH_USDT", "BUY", notional=D("100")))
    state = await broker.order_by_client_oid("u")
    assert state is not None and state.avg_price == D("2001.0")  # 2001 on the 0.5 tick
    assert state.cumulative_quantity == D("0.04")  # 100 / 2001 floored to 0.01
    assert balance_map(await broker.balances())["USDT"][0] < D(10_000)
    with pytest.raises(BrokerError) as info:
        await broker.place_market_entry(MarketEntry("o", "OLD_USDT", "BUY", quantity=D("1")))
    assert info.value.code == 207
