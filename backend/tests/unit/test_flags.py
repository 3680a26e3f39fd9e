"""One reading of on/off words for every switch."""

from __future__ import annotations

import pytest

from atp.core.flags import parse_flag
from atp.monitor.switches import _flag
from atp.watchlist.fields import InvalidValueError, parse_bool


@pytest.mark.parametrize("word", ["1", "true", " YES ", "y", "On", "enabled"])
def test_true_words(word: str) -> None:
    assert parse_flag(word) is True and parse_bool(word) is True


@pytest.mark.parametrize("word", ["0", "False", "no", "N", "off", "DISABLED"])
def test_false_words(word: str) -> None:
    assert parse_flag(word) is False and parse_bool(word) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "truee"])
def test_unknown_words_are_not_guessed(word: str) -> None:
    assert parse_flag(word) is None
    with pytest.raises(InvalidValueError):
        parse_bool(word)


def test_trading_switch_takes_the_safe_side_on_unknown_words() -> None:
    # KILL_SWITCH semantics: missing -> off; unreadable or emptied -> ON (reported unreadable).
    assert _flag(None, missing=False, unreadable=True) == (False, True)
    assert _flag("disabled", missing=False, unreadable=True) == (False, True)
    assert _flag("maybe", missing=False, unreadable=True) == (True, False)
    assert _flag("", missing=False, unreadable=True) == (True, False)
    assert _flag("   ", missing=False, unreadable=True) == (True, False)
