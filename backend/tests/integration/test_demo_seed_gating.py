"""The demo watchlist is seeded only by the demo, never into a production setup."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.db.session import unit_of_work
from atp.ops.models import ServiceHeartbeat
from atp.runtime.context import AppContext
from atp.runtime.demo import DEMO_SYMBOLS, seed_demo_if_allowed
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem
from tests.integration.run_support import atp_run


def _watchlist(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(WatchlistItem.symbol).order_by(WatchlistItem.symbol)))


@pytest.mark.parametrize(
    ("environment", "source", "requested", "seeded"),
    [
        ("local", "replay", False, True),  # make run: the demo
        ("local", "exchange", True, True),  # atp run --demo with real market data
        ("local", "exchange", False, False),  # a real setup without the flag
        ("production", "replay", False, False),  # real Telegram: never
        ("production", "exchange", True, False),  # even when asked
        ("aws", "replay", True, False),
    ],
)
def test_demo_seed_only_in_a_demo_setup(
    settings: Settings,
    sessions: sessionmaker[Session],
    environment: str,
    source: str,
    requested: bool,
    seeded: bool,
) -> None:
    seed_all(sessions)
    setup = settings.model_copy(update={"environment": environment, "market_source": source})
    with unit_of_work(sessions) as session:
        added = seed_demo_if_allowed(session, setup, requested=requested)
    assert added == (list(DEMO_SYMBOLS) if seeded else [])
    assert _watchlist(sessions) == (sorted(DEMO_SYMBOLS) if seeded else [])


def test_run_demo_in_production_is_refused_in_one_line(settings: Settings) -> None:
    live = settings.model_copy(update={"environment": "production"})
    result = CliRunner().invoke(main, ["run", "--demo", "--no-api"], obj=AppContext(settings=live))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --demo is refused: ENVIRONMENT=production is a production setup"
    ]


@pytest.mark.slow
def test_atp_run_with_replay_data_in_production_seeds_nothing(tmp_path: Path) -> None:
    with atp_run(
        tmp_path,
        ENVIRONMENT="production",
        MARKET_SOURCE="replay",
        MONITOR_INTERVAL_SECONDS="1",
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        TELEGRAM_CHAT_ID="42",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9",  # never reached: nothing to send
    ) as run:
        deadline = time.monotonic() + 30
        beats = 0
        while time.monotonic() < deadline and not beats:
            with run.sessions() as session:
                beats = session.scalar(select(func.count()).select_from(ServiceHeartbeat)) or 0
            time.sleep(0.3)
        assert beats, "atp run did not start within 30 s"
    assert _watchlist(run.sessions) == [], run.output[-2000:]
    assert "demo watchlist not seeded: ENVIRONMENT=production" in run.output
