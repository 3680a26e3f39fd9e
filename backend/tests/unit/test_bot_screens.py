"""Screens and texts of the bot are pure: data in, text and buttons out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from atp.bot import callbacks as cb
from atp.bot.handlers.replies import PENDING_TTL, pending_question
from atp.bot.menus import screens, texts
from atp.bot.menus.screens import CoinView
from atp.monitor.explain import explanation_lines

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def coin(symbol: str, **kw: Any) -> CoinView:
    values: dict[str, Any] = {
        "alert": False,
        "buy_alert": True,
        "sell_alert": True,
        "trade": False,
        "amount_usd": None,
        "min_price_change_pct": None,
        "cooldown_minutes": None,
        "sl_pct": None,
        "tp_pct": None,
        "preset": None,
    }
    values.update(kw)
    return CoinView(symbol=symbol, **values)


def all_data(screen: screens.Screen) -> list[str]:
    return [data for row in screen.buttons for _label, data in row]


def test_twenty_symbols_make_three_pages_of_nine_three_a_row() -> None:
    coins = [coin(f"C{i:02d}_USDT") for i in range(20)]
    first, last = screens.watchlist_page(coins, 0), screens.watchlist_page(coins, 2)
    assert "page 1/3" in first.text and "page 3/3" in last.text
    grid = [row for row in first.buttons if all(d.startswith("coin:") for _l, d in row)]
    assert [len(row) for row in grid] == [3, 3, 3]
    assert grid[0][0][1] == "coin:C00_USDT"
    assert ("Next ▶", "wl:1") in first.buttons[3]
    assert not any(d == "wl:-1" for d in all_data(first))
    last_coins = [d for d in all_data(last) if d.startswith("coin:")]
    assert last_coins == ["coin:C18_USDT", "coin:C19_USDT"]
    assert ("◀ Prev", "wl:1") in last.buttons[-2]
    # a page past the end (the list shrank since the button was drawn) shows the last page
    assert screens.watchlist_page(coins, 9).text == last.text


def test_empty_watchlist_says_how_to_add() -> None:
    screen = screens.watchlist_page([], 0)
    assert "/add" in screen.text
    assert all_data(screen) == ["menu"]


def test_coin_screen_toggles_carry_the_opposite_of_the_current_state() -> None:
    screen = screens.coin_screen(
        coin("BTC_USDT", alert=True, trade=False, amount_usd=Decimal("50.000")), page=1
    )
    data = all_data(screen)
    assert "t:BTC_USDT:alert:0" in data and "t:BTC_USDT:trade:1" in data
    assert "t:BTC_USDT:buy:0" in data and "t:BTC_USDT:sell:0" in data
    assert {"ask:BTC_USDT:amount", "ask:BTC_USDT:sl", "ask:BTC_USDT:tp"} <= set(data)
    assert "wl:1" in data and "del:BTC_USDT" in data and "test:BTC_USDT" in data
    assert "amount 50 USD" in screen.text
    assert "swing:conservative (default)" in screen.text


def test_every_button_of_the_longest_symbol_fits_64_bytes() -> None:
    symbol = "A" * 20 + "_" + "B" * 10
    built = [
        screens.coin_screen(coin(symbol), page=99),
        screens.preset_picker(symbol, [(123456, "custom:" + "x" * 57)], None),
        screens.confirm_delete(symbol),
    ]
    data = [d for s in built for d in all_data(s)]
    data += [d for row in screens.alert_buttons(symbol) for _l, d in row]
    assert data and all(len(d.encode()) <= cb.MAX_CALLBACK_BYTES for d in data)
    assert all(cb.decode(d) is not None for d in data)


def test_page_of_finds_the_page_that_shows_a_symbol() -> None:
    symbols = [f"C{i:02d}_USDT" for i in range(20)]
    assert screens.page_of(symbols, "C08_USDT") == 0
    assert screens.page_of(symbols, "C09_USDT") == 1
    assert screens.page_of(symbols, "GONE_USDT") == 0


def test_kill_screen_offers_the_other_state_and_panic_asks_first() -> None:
    on = screens.kill_screen(True, False)
    assert "Kill switch: ON" in on.text and "killset:0" in all_data(on)
    assert "killset:1" in all_data(screens.kill_screen(False, True))
    panic = screens.confirm_panic(["BTC_USDT", "ETH_USDT"])
    assert "2 symbol(s)" in panic.text and all_data(panic) == ["panicok", "cancel"]
    assert "panicok" not in all_data(screens.confirm_panic([]))


def test_alert_buttons_never_toggle() -> None:
    data = [d for row in screens.alert_buttons("BTC_USDT") for _l, d in row]
    assert data == ["why:BTC_USDT", "mute:BTC_USDT:60", "tradeoff:BTC_USDT"]


def _result(**kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "symbol": "BTC_USDT",
        "strategy_key": "swing:conservative",
        "side": "WAIT",
        "price": "100",
        "decision_reason": "NO_SIGNAL",
        "conditions": [
            {
                "side": "BUY",
                "name": "rsi_below",
                "passed": False,
                "actual": 55.123456,
                "threshold": 40,
            }
        ],
        "indicators": {"rsi": 55.123456},
        "alert_gates": [{"gate": "THROTTLE", "passed": False, "detail": "2 min < cooldown 5 min"}],
        "trade_gates": [],
        "alert": {"would_send": False, "reason": "THROTTLED_TIME_GATE"},
        "trade": {"would_create_intent": False, "reason": "THROTTLED_TIME_GATE"},
        "global_causes": [],
    }
    result.update(kw)
    return result


def test_why_text_is_exactly_the_cli_explanation() -> None:
    result = _result()
    assert texts.why_text(result) == "\n".join(explanation_lines(result))
    assert "alert: none (THROTTLED_TIME_GATE)" in texts.why_text(result)


def test_analyze_text_lists_indicators_conditions_and_verdict() -> None:
    text = texts.analyze_text(_result())
    assert "rsi=55.1235" in text
    assert "❌ BUY rsi_below: 55.1235 vs 40" in text
    assert "alert: none (THROTTLED_TIME_GATE)" in text


def test_long_answers_are_cut_to_telegram_size() -> None:
    result = _result(conditions=[_result()["conditions"][0]] * 400)
    assert len(texts.why_text(result)) <= 4096


def test_pending_question_belongs_to_its_user_and_expires() -> None:
    asked = {"symbol": "BTC_USDT", "code": "amount", "user": "7", "at": NOW.isoformat()}
    chat: dict[Any, Any] = {"pending": dict(asked)}
    assert pending_question(chat, "7", NOW + timedelta(minutes=1)) == asked
    assert pending_question(chat, "8", NOW) is None  # someone else's question
    assert "pending" in chat
    assert pending_question(chat, "7", NOW + PENDING_TTL + timedelta(seconds=1)) is None
    assert "pending" not in chat  # an expired question is dropped
    assert pending_question({"pending": asked | {"at": "garbage"}}, "7", NOW) is None
    assert pending_question(None, "7", NOW) is None
