"""An empty or unreadable KILL_SWITCH reads as ON (fail closed); a missing row is the documented
default (off). Values are written as a hand edit would (bypassing `atp settings set`)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.monitor.blockers import observe
from atp.monitor.service import evaluate_signal
from atp.monitor.switches import load_switches
from atp.ops.models import TradingSetting
from atp.settings import Settings
from tests.integration.monitor_support import seed_world, write_leader_beat


def _store(sessions: sessionmaker[Session], raw: str | None) -> None:
    with sessions.begin() as s:
        row = s.get(TradingSetting, "KILL_SWITCH")
        if raw is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(TradingSetting(key="KILL_SWITCH", value=raw))
        else:
            row.value = raw


@pytest.mark.parametrize("raw", ["", "   ", "maybe", "tru"])
def test_empty_or_unreadable_kill_switch_reads_as_on(
    sessions: sessionmaker[Session], settings: Settings, raw: str
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy", "trade_enabled": True}}, now=utcnow())
    write_leader_beat(sessions)
    _store(sessions, raw)
    with sessions() as s:
        switches = load_switches(s)
        observed = observe(
            s, settings, paused=False, disabled=False, alert_symbols=None, stale_symbols=None
        )
    assert switches.kill_switch is True
    assert any("KILL_SWITCH=" in p and "treated as ON" in p for p in switches.problems)
    assert observed["KILL_SWITCH_ON"] is not None
    assert "KILL_SWITCH" in (observed["TRADING_SETTINGS_UNREADABLE"] or "")
    with sessions() as s:
        result = evaluate_signal(s, settings, "BTC_USDT")
    kill = next(g for g in result["trade_gates"] if g["gate"] == "KILL_SWITCH")
    assert kill["passed"] is False and result["trade"]["would_create_intent"] is False


@pytest.mark.parametrize(
    ("raw", "on"), [(None, False), ("false", False), ("off", False), ("ON", True)]
)
def test_readable_or_missing_kill_switch(
    sessions: sessionmaker[Session], raw: str | None, on: bool
) -> None:
    _store(sessions, raw)
    with sessions() as s:
        switches = load_switches(s)
    assert switches.kill_switch is on and switches.problems == ()
