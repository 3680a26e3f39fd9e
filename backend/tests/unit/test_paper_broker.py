"""Paper matching rules (atp.adapters.paper.book), in memory: fills, fees, reservations, OCO."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from atp.adapters.paper.book import PaperBook
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.prices import fallback_rules
from atp.adapters.paper.rules import trigger_fires
from atp.core.retry import RetryClass
from atp.orders.ports import (
    BrokerError,
    InstrumentRules,
    MarketEntry,
    OrderKind,
    OrderStatus,
    ProtectionOco,
    StopOrder,
)
from atp.settings import Settings

D = Decimal
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BTC = InstrumentRules("BTC_USD", "BTC", "USD", price_tick=D("0.01"), qty_tick=D("0.0001"))
CONFIG = PaperConfig(slippage_bps=D(5), fee_rate=D("0.0025"), start_balance=D(10_000))


def new_book(usd: str = "10000", btc: str | None = None) -> PaperBook:
    balances = {"USD": D(usd)}
    if btc is not None:
        balances["BTC"] = D(btc)
    return PaperBook(config=CONFIG, balances=balances, open_orders=[])


def oco(quantity: str = "1", tp: str = "110.00", sl: str = "95.00", **kw: object) -> ProtectionOco:
    fields: dict[str, object] = {
        "symbol": "BTC_USD",
        "side": "SELL",
        "quantity": D(quantity),
        "tp_price": D(tp),
        "sl_trigger": D(sl),
        "tp_client_oid": "tp-1",
        "sl_client_oid": "sl-1",
    }
    fields.update(kw)
    return ProtectionOco(**fields)  # type: ignore[arg-type]


def refused(code: int, call: object, *args: object) -> BrokerError:
    with pytest.raises(BrokerError) as info:
        call(*args)  # type: ignore[operator]
    assert info.value.code == code, str(info.value)
    assert info.value.retry is RetryClass.NO
    return info.value


def test_market_buy_by_notional_pays_slippage_and_fee_in_quote() -> None:
    book = new_book()
    entry = MarketEntry("e-1", "BTC_USD", "BUY", notional=D("1000"))
    order = book.market_entry(entry, BTC, D("100"), NOW)
    # 100 * 1.0005 = 100.05 (BUY rounds up to the tick); 1000 / 100.05 floored to 0.0001.
    assert order.avg_price == D("100.05")
    assert order.cumulative_quantity == order.quantity == D("9.9950")
    cost = D("9.9950") * D("100.05")
    fee = D("2.49999938")  # cost * 0.0025 = 2.499999375, rounded up to 1e-8
    assert order.cumulative_fee == fee and order.fee_currency == "USD"
    assert order.status == OrderStatus.FILLED and order.notional == D("1000")
    assert book.balances == {"USD": D(10_000) - cost - fee, "BTC": D("9.9950")}
    [fill] = book.new_fills
    assert (fill.quantity, fill.price, fill.fee, fill.traded_at) == (
        D("9.995"),
        D("100.05"),
        fee,
        NOW,
    )


def test_market_buy_by_quantity_and_sell_slip_against_the_order() -> None:
    book = new_book()
    buy = book.market_entry(MarketEntry("b", "BTC_USD", "BUY", quantity=D("2")), BTC, D("100"), NOW)
    assert buy.avg_price == D("100.05")
    sell = book.market_entry(
        MarketEntry("s", "BTC_USD", "SELL", quantity=D("2")), BTC, D("100"), NOW
    )
    assert sell.avg_price == D("99.95")  # 100 * 0.9995, SELL rounds down
    buy_cost = D("200.10") * (1 + D("0.0025"))
    sell_proceeds = D("199.90") * (1 - D("0.0025"))
    assert book.balances["USD"] == D(10_000) - buy_cost + sell_proceeds
    assert book.balances["BTC"] == 0


def test_slippage_rounds_away_on_a_coarse_tick() -> None:
    book = new_book()
    rules = InstrumentRules("X_USD", "X", "USD", price_tick=D("1"), qty_tick=D("1"))
    order = book.market_entry(
        MarketEntry("x", "X_USD", "BUY", quantity=D("1")), rules, D("100"), NOW
    )
    assert order.avg_price == D("101")  # 100.05 rounded up to the whole-unit tick


def test_insufficient_balance_is_306_and_changes_nothing() -> None:
    book = new_book(usd="100")
    refused(
        306,
        book.market_entry,
        MarketEntry("e", "BTC_USD", "BUY", quantity=D("1")),
        BTC,
        D("100"),
        NOW,
    )
    refused(
        306,
        book.market_entry,
        MarketEntry("s", "BTC_USD", "SELL", quantity=D("1")),
        BTC,
        D("100"),
        NOW,
    )
    assert book.balances == {"USD": D("100")}
    assert book.new_orders == [] and book.new_fills == [] and book.changed_currencies == set()


def test_malformed_entries_are_refused_like_the_exchange() -> None:
    book = new_book()
    price = D("100")
    refused(
        40004,
        book.market_entry,
        MarketEntry("a", "BTC_USD", "SELL", notional=D(10)),
        BTC,
        price,
        NOW,
    )
    refused(
        220, book.market_entry, MarketEntry("b", "BTC_USD", "buy", quantity=D(1)), BTC, price, NOW
    )
    refused(
        213,
        book.market_entry,
        MarketEntry("c", "BTC_USD", "BUY", quantity=D("0.00001")),
        BTC,
        price,
        NOW,
    )
    refused(
        415,
        book.market_entry,
        MarketEntry("d", "BTC_USD", "BUY", notional=D("0.001")),
        BTC,
        price,
        NOW,
    )
    refused(
        40004,
        book.market_entry,
        MarketEntry("x" * 37, "BTC_USD", "BUY", quantity=D(1)),
        BTC,
        price,
        NOW,
    )


def test_oco_reserves_the_quantity_once() -> None:
    book = new_book(btc="1")
    tp, sl = book.place_oco(oco(), BTC, D("100"), NOW)
    assert tp.list_id == sl.list_id == f"paper-list-{tp.id}"
    assert (tp.kind, sl.kind) == (OrderKind.LIMIT, OrderKind.STOP_LOSS)
    assert book.reserved("BTC") == D("1") and book.free("BTC") == 0
    stop = StopOrder("st", "BTC_USD", "SELL", OrderKind.STOP_LOSS, D("0.5"), trigger=D("90.00"))
    refused(306, book.place_stop, stop, BTC, D("100"), NOW)
    refused(
        306,
        book.market_entry,
        MarketEntry("s", "BTC_USD", "SELL", quantity=D("0.1")),
        BTC,
        D("100"),
        NOW,
    )


def test_tp_leg_fills_at_its_limit_and_cancels_the_stop() -> None:
    book = new_book(usd="0", btc="1")
    tp, sl = book.place_oco(oco(), BTC, D("100"), NOW)
    assert book.evaluate({"BTC_USD": D("109.99")}, {"BTC_USD": BTC}, NOW) == []
    [fill] = book.evaluate({"BTC_USD": D("111")}, {"BTC_USD": BTC}, NOW)
    assert fill.order is tp and fill.price == D("110.00")
    assert tp.status == OrderStatus.FILLED and sl.status == OrderStatus.CANCELED
    assert book.balances == {"USD": D("110") - D("0.275"), "BTC": D(0)}
    assert book.reserved("BTC") == 0


def test_stop_leg_fills_at_market_with_slippage_and_cancels_the_tp() -> None:
    book = new_book(usd="0", btc="1")
    tp, sl = book.place_oco(oco(), BTC, D("100"), NOW)
    assert book.evaluate({"BTC_USD": D("95.01")}, {"BTC_USD": BTC}, NOW) == []
    [fill] = book.evaluate({"BTC_USD": D("94")}, {"BTC_USD": BTC}, NOW)
    assert fill.order is sl and fill.price == D("93.95")  # gapped: 94 * 0.9995 = 93.953 down
    assert sl.status == OrderStatus.FILLED and sl.triggered_at == NOW
    assert tp.status == OrderStatus.CANCELED
    # The cancelled TP is never filled later, however high the price goes.
    assert book.evaluate({"BTC_USD": D("200")}, {"BTC_USD": BTC}, NOW) == []


def test_stop_limit_waits_for_its_limit_after_a_gap() -> None:
    book = new_book(usd="0", btc="1")
    tp, sl = book.place_oco(oco(sl_limit_price=D("94.00")), BTC, D("100"), NOW)
    assert sl.kind == OrderKind.STOP_LIMIT
    assert book.evaluate({"BTC_USD": D("93")}, {"BTC_USD": BTC}, NOW) == []  # below its limit
    assert sl.triggered_at == NOW and sl.status == OrderStatus.OPEN
    assert tp.status == OrderStatus.OPEN  # triggering alone does not cancel the sibling
    [fill] = book.evaluate({"BTC_USD": D("94.50")}, {"BTC_USD": BTC}, NOW)
    assert fill.order is sl and fill.price == D("94.00")
    assert tp.status == OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("kind", "side", "trigger"),
    [
        (OrderKind.STOP_LOSS, "SELL", "100.00"),  # a long's stop must be below the price
        (OrderKind.STOP_LIMIT, "SELL", "101.00"),
        (OrderKind.STOP_LOSS, "BUY", "99.00"),  # a short's stop must be above
        (OrderKind.TAKE_PROFIT, "SELL", "99.00"),  # a long's take-profit must be above
        (OrderKind.TAKE_PROFIT_LIMIT, "BUY", "101.00"),  # a short's take-profit below
    ],
)
def test_trigger_on_the_wrong_side_is_50007(kind: OrderKind, side: str, trigger: str) -> None:
    book = new_book(btc="1")
    stop = StopOrder(
        "st", "BTC_USD", side, kind, D("0.1"), trigger=D(trigger), limit_price=D(trigger)
    )
    error = refused(50007, book.place_stop, stop, BTC, D("100"), NOW)
    assert "current price 100" in str(error)
    assert book.new_orders == []


def test_wrong_side_oco_stop_is_50007() -> None:
    refused(50007, new_book(btc="1").place_oco, oco(sl="100.50"), BTC, D("100"), NOW)


def test_off_tick_prices_and_bad_shapes_are_refused() -> None:
    book = new_book(btc="1")
    refused(308, book.place_oco, oco(tp="110.001"), BTC, D("100"), NOW)
    refused(229, book.place_oco, oco(sl="95.001"), BTC, D("100"), NOW)
    refused(213, book.place_oco, oco(quantity="0.00005"), BTC, D("100"), NOW)
    refused(40004, book.place_oco, oco(sl_client_oid="tp-1"), BTC, D("100"), NOW)
    no_limit = StopOrder("st", "BTC_USD", "SELL", OrderKind.STOP_LIMIT, D("1"), trigger=D("90"))
    refused(40004, book.place_stop, no_limit, BTC, D("100"), NOW)
    not_trigger = StopOrder("st", "BTC_USD", "SELL", OrderKind.LIMIT, D("1"), trigger=D("90"))
    refused(40004, book.place_stop, not_trigger, BTC, D("100"), NOW)


def test_standalone_take_profit_fills_and_buy_stop_reserves_quote() -> None:
    book = new_book(usd="1000", btc="1")
    take = StopOrder("tp", "BTC_USD", "SELL", OrderKind.TAKE_PROFIT, D("1"), trigger=D("105.00"))
    order = book.place_stop(take, BTC, D("100"), NOW)
    assert book.reserved("BTC") == 1
    buy_stop = StopOrder("bs", "BTC_USD", "BUY", OrderKind.STOP_LOSS, D("1"), trigger=D("120.00"))
    book.place_stop(buy_stop, BTC, D("100"), NOW)
    # 120 * 1.0005 slippage + 0.25 % fee is held back from the quote.
    assert book.reserved("USD") == D("120.06") + D("0.30015")
    [fill] = book.evaluate({"BTC_USD": D("106")}, {"BTC_USD": BTC}, NOW)
    assert fill.order is order and fill.price == D("105.94")


def test_cancel_releases_the_reservation_and_ignores_finished_orders() -> None:
    book = new_book(btc="1")
    tp, sl = book.place_oco(oco(), BTC, D("100"), NOW)
    book.cancel(tp, NOW)
    assert book.reserved("BTC") == 1  # the stop leg still holds it
    book.cancel(sl, NOW)
    assert book.reserved("BTC") == 0
    book.cancel(sl, NOW)
    assert sl.status == OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("kind", "side", "last", "fires"),
    [
        (OrderKind.STOP_LOSS, "SELL", "95", True),
        (OrderKind.STOP_LOSS, "SELL", "96", False),
        (OrderKind.STOP_LOSS, "BUY", "95", True),
        (OrderKind.STOP_LOSS, "BUY", "94", False),
        (OrderKind.STOP_LIMIT, "BUY", "96", True),
        (OrderKind.TAKE_PROFIT, "SELL", "96", True),
        (OrderKind.TAKE_PROFIT, "SELL", "94", False),
        (OrderKind.TAKE_PROFIT_LIMIT, "BUY", "94", True),
    ],
)
def test_trigger_direction(kind: OrderKind, side: str, last: str, fires: bool) -> None:
    assert trigger_fires(kind, side, D("95"), D(last)) is fires


def test_fallback_rules_follow_the_price_magnitude() -> None:
    rules = fallback_rules("DOGE_USDT", D("0.12345"))
    assert rules is not None
    assert (rules.base, rules.quote, rules.price_tick, rules.qty_tick) == (
        "DOGE",
        "USDT",
        D("0.000001"),
        D("0.0001"),
    )
    big = fallback_rules("BTC_USDT", D("64000"))
    assert big is not None and big.price_tick == D("0.01")
    assert fallback_rules("BTCUSD-PERP", D("1")) is None


def test_paper_settings_defaults_and_validation() -> None:
    settings = Settings(_env_file=None)
    config = PaperConfig.from_settings(settings)
    assert config == PaperConfig()  # the documented defaults
    assert config.slippage == D("0.0005") and config.quote_currencies == ("USD", "USDT")
    custom = Settings(_env_file=None, paper_quote_currency=" usd, eur ,usd")
    assert custom.paper_quote_currency_list == ("USD", "EUR")
    for name, value in [
        ("paper_quote_currency", "US-D"),
        ("paper_quote_currency", " , "),
        ("paper_slippage_bps", "-1"),
        ("paper_fee_rate", "0.5"),
        ("paper_fee_rate", "NaN"),
        ("paper_start_balance_usd", "0"),
        ("paper_price_max_age_seconds", "1"),
    ]:
        with pytest.raises(ValidationError, match=name):
            Settings(_env_file=None, **{name: value})  # type: ignore[arg-type]
