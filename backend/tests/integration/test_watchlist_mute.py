"""Muting a symbol ("mute 1 h" under an alert, `atp watchlist mute`): the MUTED gate, the
trail, and a mute that never resets the cooldown and ends by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from atp.watchlist import service as watchlist
from tests.integration.monitor_support import NOW, cycle_at, seed_world


def _reason(sessions: sessionmaker[Session]) -> tuple[str | None, str | None]:
    with sessions() as s:
        row = s.get(WatchlistSignalState, "BTC_USDT")
        assert row is not None
        return row.alert_status, row.alert_block_reason


def _mute(sessions: sessionmaker[Session], minutes: int, at: object = NOW) -> object:
    with sessions.begin() as s:
        return watchlist.mute_item(
            s, symbol="btc_usdt", minutes=minutes, now=at, source=ChangeSource.TELEGRAM, actor="7"
        )


def test_a_muted_symbol_is_blocked_with_muted_until_the_mute_ends(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})  # a BUY signal every cycle
    assert _mute(sessions, 8) == NOW + timedelta(minutes=8)

    cycle_at(sessions, settings, NOW + timedelta(minutes=1))
    status, reason = _reason(sessions)
    assert (status, reason) == ("BLOCKED", "MUTED")

    later = NOW + timedelta(minutes=9)  # the mute ended by itself
    cycle_at(sessions, settings, later)
    assert _reason(sessions) == ("QUEUED", None)


def test_mute_keeps_the_later_end_records_the_trail_and_zero_unmutes(
    sessions: sessionmaker[Session],
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    _mute(sessions, 120)
    # a re-delivered, shorter mute never shortens the longer one (and writes no trail row)
    assert _mute(sessions, 60, NOW + timedelta(minutes=5)) == NOW + timedelta(minutes=120)
    assert _mute(sessions, 0) is None
    with sessions() as s:
        trail = list(s.scalars(select(ConfigChange).order_by(ConfigChange.id)))
    rows = [(c.field, c.source, c.actor) for c in trail if c.entity_key == "BTC_USDT"]
    assert rows[-2:] == [("muted_until", "telegram", "7"), ("muted_until", "telegram", "7")]


@pytest.mark.parametrize("minutes", [-1, watchlist.MAX_MUTE_MINUTES + 1])
def test_out_of_range_minutes_are_refused_and_change_nothing(
    sessions: sessionmaker[Session], minutes: int
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    with pytest.raises(watchlist.WatchlistError, match="minutes must be between"):
        _mute(sessions, minutes)
    with sessions() as s:
        assert watchlist.get_item(s, symbol="BTC_USDT").muted_until is None
