"""The callback_data codec: 64-byte check at build time, strict decoding, desired-value toggles."""

from __future__ import annotations

import pytest

from atp.bot import callbacks as cb
from atp.bot.handlers import COMMANDS
from atp.bot.handlers.buttons import ACTIONS as HANDLED


def test_round_trip_of_every_builder() -> None:
    built = [
        cb.encode("menu"),
        cb.encode("wl", 2),
        cb.encode("coin", "BTC_USDT"),
        cb.flag("BTC_USDT", "alert", True),
        cb.ask("ETH_USDT", "amount"),
        cb.encode("preset", "BTC_USDT", 7),
        cb.encode("killset", 1),
        cb.encode("tradeoff", "BTCUSD-PERP"),
    ]
    decoded = [cb.decode(data) for data in built]
    assert decoded[0] == cb.Callback("menu")
    assert decoded[1] == cb.Callback("wl", ("2",))
    assert decoded[3] == cb.Callback("t", ("BTC_USDT", "alert", "1"))
    assert decoded[4] == cb.Callback("ask", ("ETH_USDT", "amount"))
    assert decoded[7] == cb.Callback("tradeoff", ("BTCUSD-PERP",))
    assert all(d is not None for d in decoded)


def test_toggle_carries_the_desired_value_not_toggle() -> None:
    assert cb.flag("BTC_USDT", "trade", False) == "t:BTC_USDT:trade:0"
    assert cb.flag("BTC_USDT", "trade", True) == "t:BTC_USDT:trade:1"


def test_building_data_over_64_bytes_raises() -> None:
    longest_symbol = "A" * 20 + "_" + "B" * 10  # the longest SYMBOL_PATTERN allows
    assert len(cb.ask(longest_symbol, "cooldown").encode()) <= cb.MAX_CALLBACK_BYTES
    with pytest.raises(cb.CallbackDataError, match="64"):
        cb.encode("coin", "X" * 60)
    # bytes, not characters: 16 four-byte emoji are 64 bytes, plus the action is too long
    with pytest.raises(cb.CallbackDataError):
        cb.encode("coin", "😀" * 16)


@pytest.mark.parametrize(
    ("action", "args"),
    [("nope", ()), ("coin", ()), ("coin", ("A:B",)), ("coin", ("",)), ("menu", ("x",))],
)
def test_malformed_buttons_raise_when_built(action: str, args: tuple[str, ...]) -> None:
    with pytest.raises(cb.CallbackDataError):
        cb.encode(action, *args)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "wl:coin:BTC_USDT:toggle:alert",  # the legacy format
        "menu:watchlist",
        "t:BTC_USDT:alert:toggle",
        "t:BTC_USDT:margin:1",
        "ask:BTC_USDT:notes",
        "wl:x",
        "killset:2",
        "coin::",
        "x" * 65,
        "unknown",
    ],
)
def test_unknown_or_old_data_decodes_to_none(data: str | None) -> None:
    assert cb.decode(data) is None


def test_every_codec_action_has_a_handler() -> None:
    assert set(cb.ACTIONS) == set(HANDLED)


def test_command_list_fits_telegram_limits() -> None:
    names = [name for name, _ in COMMANDS]
    assert len(names) == len(set(names)) <= 100
    for name, description in COMMANDS:
        assert 1 <= len(name) <= 32 and name.islower()
        assert 1 <= len(description) <= 256
