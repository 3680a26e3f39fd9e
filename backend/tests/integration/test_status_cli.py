"""`atp status`: one screen that says whether the platform is working, and if not, why."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.market.models import MarketDataStatus
from atp.monitor.worker import MonitorWorker
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.monitor_support import seed_world
from tests.integration.test_watchlist_cli import run


def test_status_with_nothing_running_fails_the_check(settings: Settings) -> None:
    code, out = run(settings, "status", "--check")
    assert code == 1
    assert "monitor:  not_running (running=False" in out
    assert "telegram: console (demo delivery; Telegram not configured: TELEGRAM_DISABLED:" in out


def test_status_of_a_healthy_platform_passes_the_check(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    live = settings.model_copy(
        update={
            "environment": "production",
            "telegram_bot_token": "123456:TEST-TOKEN",
            "telegram_chat_id": "42",
            "monitor_instance_id": "status-test",
            "market_timeframes": "1h",  # the timeframe seed_world writes
        }
    )
    now = utcnow()
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=now)
    with sessions.begin() as s:  # what the market updater records after a good pass
        s.add(
            MarketDataStatus(
                symbol="BTC_USDT",
                status="OK",
                last_attempt_at=now,
                last_success_at=now,
                consecutive_failures=0,
                updated_at=now,
            )
        )
    worker = MonitorWorker(AppContext(settings=live))
    try:
        worker.tick()
        code, out = run(live, "status", "--check")
    finally:
        worker.shutdown()
        worker.context.close()
    assert code == 0, out
    assert "running=True, leader=status-test" in out and "telegram: telegram" in out
    assert "market:   1/1 watchlist symbols healthy" in out
    assert "blockers: none" in out and "trading:  KILL_SWITCH=false LIVE_TRADING=false" in out
    code, out = run(live, "status", "--check")  # the leader stopped: the check fails again
    assert code == 1 and "running=False" in out
