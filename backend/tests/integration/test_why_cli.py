"""`atp why SYMBOL`: the dry-run explanation an operator reads when no alert or trade came."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from tests.integration.monitor_support import seed_world, write_leader_beat
from tests.integration.test_watchlist_cli import run


def test_why_explains_every_condition_and_gate_and_stores_nothing(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=utcnow())
    write_leader_beat(sessions)  # a running monitor: no global cause
    code, out = run(settings, "why", "btc_usdt")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("BTC_USDT test:buy side=BUY")
    assert any(line.strip().startswith("ok BUY rsi_below") for line in lines)
    assert any("[pass] MARKET_DATA_STALE" in line for line in lines)
    assert any("[pass] LIVE_TRADING_OFF" in line for line in lines)  # paper: not needed
    assert any("[BLOCK] TRADE_DISABLED" in line for line in lines)
    assert "alert: would send" in lines and "trade: none (TRADE_DISABLED)" in lines
    with sessions() as s:  # a dry run: nothing written
        assert s.scalar(select(func.count()).select_from(TelegramMessage)) == 0
        assert s.scalar(select(func.count()).select_from(WatchlistSignalState)) == 0


def test_why_for_unknown_or_malformed_symbols_is_one_line(settings: Settings) -> None:
    for symbol, reason in [("XRP_USDT", "not on the watchlist"), ("ALGO", "invalid symbol")]:
        code, out = run(settings, "why", symbol)
        lines = [line for line in out.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1 and reason in lines[0], out
