"""The `atp watchlist` commands against a real database, through the real console entry point."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.ops.models import ConfigChange
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem


def run(settings: Settings, *args: str) -> tuple[int, str]:
    app = AppContext(settings=settings)
    result = CliRunner().invoke(main, list(args), obj=app)
    return result.exit_code, result.output


def _snapshot(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(WatchlistItem)) or 0,
            s.scalar(select(func.count()).select_from(ConfigChange)) or 0,
        )


def test_add_set_remove_restore_are_audited(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:
        s.add(
            StrategyPreset(
                key="swing:conservative", strategy="swing", risk="conservative", params={}
            )
        )
    code, out = run(
        settings,
        "watchlist",
        "add",
        "eth_usdt",
        "--preset",
        "swing:conservative",
        "--alerts",
        "--trade-amount-usd",
        "25.5",
    )
    assert code == 0, out
    code, out = run(
        settings, "watchlist", "set", "ETH_USDT", "trade_enabled=yes", "alert_cooldown_minutes=15"
    )
    assert code == 0, out
    assert "trade_enabled no -> yes" in out
    assert run(settings, "watchlist", "remove", "ETH_USDT")[0] == 0
    code, out = run(settings, "watchlist", "list")
    assert "ETH_USDT" not in out
    assert run(settings, "watchlist", "restore", "ETH_USDT")[0] == 0

    with sessions() as s:
        item = s.scalars(select(WatchlistItem)).one()
        assert item.symbol == "ETH_USDT" and item.preset == "swing:conservative"
        assert item.alert_enabled and item.trade_enabled and not item.is_deleted
        assert str(item.trade_amount_usd).startswith("25.5")
        trail = s.scalars(select(ConfigChange).order_by(ConfigChange.id)).all()
    assert [c.field for c in trail] == [
        "*added",
        "trade_enabled",
        "alert_cooldown_minutes",
        "is_deleted",
        "is_deleted",
    ]
    assert all(c.source == "cli" and c.entity_key == "ETH_USDT" for c in trail)
    assert trail[1].old_value is False and trail[1].new_value is True


def test_bad_input_exits_non_zero_and_changes_nothing(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    assert run(settings, "watchlist", "add", "BTC_USDT")[0] == 0
    before = _snapshot(sessions)
    cases = [
        (("watchlist", "add", "ALGO"), "invalid symbol"),
        (("watchlist", "add", "BTC_USDT"), "already on the watchlist"),
        (("watchlist", "add", "SOL_USDT", "--trade-amount-usd", "-5"), "greater than 0"),
        (("watchlist", "set", "BTC_USDT", "colour=blue"), "unknown key"),
        (
            ("watchlist", "set", "BTC_USDT", "trade_enabled=yes", "trade_amount_usd=-1"),
            "greater than 0",
        ),
        (("watchlist", "set", "BTC_USDT", "preset=nope:none"), "unknown preset"),
        (("watchlist", "set", "XRP_USDT", "alert_enabled=yes"), "not on the watchlist"),
        (("watchlist", "set", "BTC_USDT", "novalue"), "key=value"),
        (("watchlist", "restore", "BTC_USDT"), "not deleted"),
        (("watchlist", "set", "BTC_USDT", 'overrides={"rsi_buy_belw": 40}'), "overrides"),
        (("watchlist", "set", "BTC_USDT", "overrides=[1]"), "JSON object"),
        (
            ("watchlist", "set", "BTC_USDT", "trade_amount_usd=0.0000000000000000001"),
            "decimal places",
        ),
        (("watchlist", "set", "BTC_USDT", "trade_amount_usd=1e30"), "must be below"),
        (("watchlist", "set", "BTC_USDT", "alert_cooldown_minutes=10000000"), "must be below"),
        (("watchlist", "set", "BTC_USDT", "sl_percentage=0.1234567"), "decimal places"),
        (("watchlist", "set", "BTC_USDT", "tp_percentage=100"), "below 100"),
        (("watchlist", "set", "BTC_USDT", "trade_amount_usd=NaN"), "finite"),
    ]
    for args, reason in cases:
        code, out = run(settings, *args)
        assert code != 0, args
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1 and reason in lines[0], (args, out)
    assert _snapshot(sessions) == before
    with sessions() as s:
        item = s.scalars(select(WatchlistItem)).one()
        assert item.trade_enabled is False  # the partially valid `set` applied nothing
