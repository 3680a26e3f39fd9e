"""`atp watchlist add` checks the exchange's instrument list and shows what it added."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.market.models import Instrument, MarketPrice
from atp.ops.models import ConfigChange
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem


def _run(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.stdout, result.stderr


def _list_instruments(sessions: sessionmaker[Session], *symbols: str) -> None:
    with sessions.begin() as session:
        for symbol in symbols:
            base, quote = symbol.split("_")
            session.add(
                Instrument(
                    symbol=symbol,
                    inst_type="CCY_PAIR",
                    base_ccy=base,
                    quote_ccy=quote,
                    price_tick_size=Decimal("0.01"),
                    qty_tick_size=Decimal("0.0001"),
                    quote_decimals=2,
                    quantity_decimals=4,
                    tradable=True,
                    margin_buy_enabled=False,
                    margin_sell_enabled=False,
                    fetched_at=datetime(2030, 1, 1, tzinfo=UTC),
                )
            )


def _add_preset(sessions: sessionmaker[Session], key: str) -> None:
    strategy, risk = key.split(":")
    with sessions.begin() as session:
        session.add(StrategyPreset(key=key, strategy=strategy, risk=risk, params={}))


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(WatchlistItem)) or 0,
            session.scalar(select(func.count()).select_from(ConfigChange)) or 0,
        )


def test_a_symbol_the_exchange_does_not_list_is_refused(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _list_instruments(sessions, "BTC_USDT", "ETH_USDT")
    code, out, err = _run(settings, "watchlist", "add", "BTCC_USDT")
    assert code == 1
    assert err.strip() == (
        "error: BTCC_USDT is not listed on the exchange (2 instruments known); "
        "check the spelling, e.g. BTC_USDT"
    )
    assert out == "" and _counts(sessions) == (0, 0)  # nothing written


def test_a_listed_symbol_is_added_and_the_answer_shows_its_effective_settings(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    _list_instruments(sessions, "BTC_USDT", "ETH_USDT")
    _add_preset(sessions, "swing:conservative")
    code, out, err = _run(settings, "watchlist", "add", "eth_usdt")
    assert code == 0, err
    assert err == ""  # the list is known and has it: no warning
    assert out.splitlines() == [
        "added ETH_USDT",
        "  preset: swing:conservative (default)",
        "  alerts: off (buy on, sell on)",
        "  trade:  off (margin off, amount_usd -)",
        "  turn alerts on: atp watchlist set ETH_USDT alert_enabled=true",
    ]
    code, out, _ = _run(
        settings,
        "watchlist",
        "add",
        "BTC_USDT",
        "--preset",
        "swing:conservative",
        "--alerts",
        "--trade-amount-usd",
        "25.50",
    )
    assert code == 0
    assert "  preset: swing:conservative\n" in out
    assert "  alerts: on (buy on, sell on)" in out and "amount_usd 25.5)" in out
    assert "turn alerts on" not in out


def test_without_an_instrument_list_the_symbol_is_added_unchecked_with_a_warning(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    code, out, err = _run(settings, "watchlist", "add", "NEWCOIN_USDT")
    assert code == 0, err
    assert err.strip() == (
        "warning: instrument list not loaded yet (the market updater stores it); "
        "NEWCOIN_USDT added unchecked"
    )
    assert out.startswith("added NEWCOIN_USDT\n")
    assert _counts(sessions)[0] == 1


def test_with_replay_market_data_the_stored_list_is_not_the_exchanges(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    # `make run`: the replay feed stores instruments only for the watchlist it was asked about,
    # and `atp watchlist add` in a second terminal does not share make run's MARKET_SOURCE.
    _list_instruments(sessions, "BTC_USDT")
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            MarketPrice(
                symbol="BTC_USDT",
                last=Decimal("60000"),
                exchange_ts=moment,
                fetched_at=moment,
                source="replay",
            )
        )
    code, out, err = _run(settings, "watchlist", "add", "LINK_USDT")
    assert code == 0, err
    assert err.strip() == (
        "note: market data comes from the replay feed; LINK_USDT was not checked "
        "against the exchange's instrument list"
    )
    assert out.startswith("added LINK_USDT\n")
    assert "  preset: swing:conservative (default)\n" in out
