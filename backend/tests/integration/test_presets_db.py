"""Presets in the database: idempotent seed, versioned audited edits, per-symbol resolution."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.runtime.context import AppContext
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.signals import presets as svc
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.output


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, list[tuple[str, int, dict]]]:
    with sessions() as s:
        rows = [(r.key, r.version, r.params) for r in svc.list_presets(s)]
        return (len(rows), s.scalar(select(func.count()).select_from(ConfigChange)) or 0, rows)


def test_seed_all_is_idempotent_and_audited(sessions: sessionmaker[Session]) -> None:
    seed_all(sessions)
    first = counts(sessions)
    assert first[0] == 6 and first[1] == 6
    seed_all(sessions)
    assert counts(sessions) == first
    with sessions() as s:
        row = svc.get_preset(s, "swing:conservative")
        assert row.is_builtin and row.version == 1 and row.strategy == "swing"
        trail = s.scalars(
            select(ConfigChange).where(ConfigChange.entity_key == "swing:conservative")
        ).one()
        assert (
            trail.source == "system" and trail.field == "*seeded" and trail.new_value == row.params
        )


def test_update_bumps_version_and_records_old_and_new(sessions: sessionmaker[Session]) -> None:
    seed_all(sessions)
    with sessions.begin() as s:
        changed = svc.update_preset(
            s,
            "swing:aggressive",
            {"rsi_buy_below": "40", "cooldown_minutes": "15"},
            source=ChangeSource.API,
            actor="tester",
        )
    assert changed == {"rsi_buy_below": (45.0, 40.0), "cooldown_minutes": ("60", "15")}
    with sessions() as s:
        row = svc.get_preset(s, "swing:aggressive")
        assert row.version == 2 and row.params["rsi_buy_below"] == 40.0
        trail = s.scalars(
            select(ConfigChange)
            .where(ConfigChange.entity_key == "swing:aggressive", ConfigChange.field != "*seeded")
            .order_by(ConfigChange.id)
        ).all()
    assert [(c.field, c.old_value, c.new_value, c.source, c.actor) for c in trail] == [
        ("rsi_buy_below", 45.0, 40.0, "api", "tester"),
        ("cooldown_minutes", "60", "15", "api", "tester"),
        ("version", 1, 2, "api", "tester"),
    ]
    with sessions.begin() as s:  # same value again: no version bump, no trail
        assert (
            svc.update_preset(s, "swing:aggressive", {"rsi_buy_below": 40}, source=ChangeSource.API)
            == {}
        )


def test_create_custom_preset(sessions: sessionmaker[Session]) -> None:
    seed_all(sessions)
    with sessions.begin() as s:
        svc.create_preset(
            s,
            "swing:mine",
            base="swing:aggressive",
            values={"rsi_buy_below": "42"},
            source=ChangeSource.TELEGRAM,
        )
    with sessions() as s:
        row = svc.get_preset(s, "swing:mine")
        assert not row.is_builtin and row.params["rsi_buy_below"] == 42.0
    with sessions.begin() as s, pytest.raises(svc.PresetError, match="already exists"):
        svc.create_preset(s, "swing:mine", base="swing:aggressive", source=ChangeSource.CLI)


def _item(symbol: str, **values: object) -> WatchlistItem:
    return WatchlistItem(symbol=symbol, exchange="CRYPTO_COM", **values)


def test_resolution_applies_overrides_and_item_columns(sessions: sessionmaker[Session]) -> None:
    seed_all(sessions)
    with sessions.begin() as s:
        s.add_all(
            [
                _item("BTC_USDT"),
                _item(
                    "ALGO_USDT",
                    preset="intraday:aggressive",
                    overrides={"volume_min_ratio": 0.3},
                    alert_cooldown_minutes=Decimal("30"),
                    min_price_change_pct=Decimal("2.5"),
                    sl_percentage=Decimal("2"),
                    buy_target=Decimal("0.25"),
                ),
                _item("DOT_USDT", overrides={"rsi_buy_below": 40, "rsi_cross": False}),
                _item("BAD_USDT", overrides={"RSI_BUY": 40}),
                _item("GONE_USDT", preset="nope:missing"),
            ]
        )
    with sessions() as s:
        items = list(s.scalars(select(WatchlistItem).order_by(WatchlistItem.symbol)))
        one = svc.resolve_for_item(s, next(i for i in items if i.symbol == "ALGO_USDT"))
        batch = svc.resolve_many(s, items)
    assert one.key == "intraday:aggressive" and one.version == 1
    p = one.params
    assert p.volume_min_ratio == 0.3 and p.cooldown_minutes == Decimal("30")
    assert p.min_price_change_pct == Decimal("2.5") and p.buy_target == Decimal("0.25")
    assert p.sl_method == "percent" and p.sl_pct == Decimal("2") and p.rsi_buy_below == 50
    assert batch["ALGO_USDT"] == one
    assert batch["BTC_USDT"].key == "swing:conservative" and batch["BTC_USDT"].applied == {}
    assert batch["DOT_USDT"].params.rsi_buy_below == 40 and not batch["DOT_USDT"].params.rsi_cross
    assert "OVERRIDES_INVALID" in batch.errors["BAD_USDT"] and "RSI_BUY" in batch.errors["BAD_USDT"]
    assert "PRESET_UNKNOWN" in batch.errors["GONE_USDT"]
    assert set(batch) == {"ALGO_USDT", "BTC_USDT", "DOT_USDT"}


def test_resolve_many_runs_one_query(engine: Engine, sessions: sessionmaker[Session]) -> None:
    seed_all(sessions)
    with sessions.begin() as s:
        s.add_all(
            [_item(f"C{i}_USDT", preset=("swing:aggressive" if i % 2 else None)) for i in range(60)]
        )
    with sessions() as s:
        items = list(s.scalars(select(WatchlistItem)))
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            batch = svc.resolve_many(s, items)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(batch) == 60 and len(statements) == 1


def test_cli_presets_list_show_set_and_bad_input(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    seed_all(sessions)
    code, out = run(settings, "presets", "list")
    assert code == 0 and "swing:conservative" in out and "scalp:aggressive" in out
    code, out = run(
        settings, "presets", "set", "scalp:aggressive", "rsi_buy_below=52", "tp_pct=0.6"
    )
    assert code == 0, out
    assert "rsi_buy_below 55.0 -> 52.0" in out
    code, out = run(settings, "presets", "show", "scalp:aggressive")
    assert code == 0 and "version 2" in out and "cli" in out
    before = counts(sessions)
    for args in (
        ["presets", "set", "scalp:aggressive", "rsi_buy_below=99"],
        ["presets", "set", "scalp:aggressive", "bogus=1"],
        ["presets", "set", "scalp:aggressive", "no-equals"],
        ["presets", "set", "nope:missing", "rsi_buy_below=40"],
        ["presets", "show", "nope:missing"],
        ["presets", "create", "BAD KEY", "--from", "swing:aggressive"],
    ):
        code, out = run(settings, *args)
        assert code != 0, args
        assert out.strip().startswith("error:") and len(out.strip().splitlines()) == 1, out
    assert counts(sessions) == before
    with sessions() as s:
        trail = s.scalars(select(ConfigChange).where(ConfigChange.source == "cli")).all()
    assert {c.field for c in trail} == {"rsi_buy_below", "tp_pct", "version"}


def test_migrate_seeds_presets(settings: Settings, sessions: sessionmaker[Session]) -> None:
    code, out = run(settings, "migrate")
    assert code == 0, out
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StrategyPreset)) == 6
