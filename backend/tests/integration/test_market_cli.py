"""`atp market --once` through the real console entry point: exchange (fake) and replay."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.market.models import MarketCandle, MarketDataStatus, MarketPrice
from atp.ops.models import ServiceHeartbeat
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_exchange import FakeExchange
from tests.integration.market_support import add_watchlist


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.output


def _counts(sessions: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with sessions() as s:
        rows = s.execute(
            select(MarketCandle.symbol, MarketCandle.timeframe, func.count()).group_by(
                MarketCandle.symbol, MarketCandle.timeframe
            )
        ).all()
    return {(a, b): n for a, b, n in rows}


def test_market_once_against_the_fake_fills_the_watchlist(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_watchlist(sessions, ["BTC_USDT", "ETH_USDT"])
    with FakeExchange() as fake:
        configured = settings.model_copy(update={"cryptocom_base_url": fake.base_url})
        code, out = run(configured, "market", "--once")
    assert code == 0, out
    assert "symbols=2 ok=2 errors=0" in out
    assert _counts(sessions) == {
        (s, tf): 300 for s in ("BTC_USDT", "ETH_USDT") for tf in ("5m", "1h", "1D")
    }
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(MarketPrice)) == 2
        assert s.scalars(select(ServiceHeartbeat.service)).all() == ["market"]


def test_market_once_offline_with_the_synthetic_replay(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_watchlist(sessions, ["BTC_USDT"])
    configured = settings.model_copy(
        update={
            "market_source": "replay",
            "market_extra_symbols": "XRP_USDT",
            "market_timeframes": "5m,1D",
        }
    )
    code, out = run(configured, "market", "--once")
    assert code == 0, out
    assert set(_counts(sessions)) == {
        (s, tf) for s in ("BTC_USDT", "XRP_USDT") for tf in ("5m", "1D")
    }
    with sessions() as s:
        assert {r.status for r in s.scalars(select(MarketDataStatus))} == {"OK"}
        assert s.scalars(select(MarketPrice.source)).all() == ["replay", "replay"]


def test_market_refuses_to_start_on_a_database_not_at_head(tmp_path: Path) -> None:
    empty = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # type: ignore[call-arg]
    code, out = run(empty, "market", "--once")
    assert code == 3 and "atp migrate" in out
