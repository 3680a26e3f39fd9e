"""`atp settings`: validated switches and limits, every change in the config-change trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.gating import OPERATOR_SWITCH_KEY
from atp.monitor.switches import LIMIT_KEYS, load_switches
from atp.ops.models import ConfigChange, TradingSetting
from atp.ops.trading_settings import SPECS
from atp.settings import Settings
from tests.integration.test_watchlist_cli import run


def test_set_list_and_the_monitor_reads_them(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    code, out = run(settings, "settings", "set", "live_trading", "on")
    assert code == 0 and "LIVE_TRADING: - -> true" in out
    assert run(settings, "settings", "set", "MAX_USD_PER_ORDER", "250.50")[0] == 0
    assert (
        run(settings, "settings", "set", "LIVE_TRADING", "yes")[1].strip()
        == "LIVE_TRADING: unchanged"
    )
    code, out = run(settings, "settings", "list")
    assert code == 0 and "LIVE_TRADING" in out and "(set by cli)" in out and "(default)" in out
    with sessions() as s:
        switches = load_switches(s)
        trail = s.scalars(select(ConfigChange).order_by(ConfigChange.id)).all()
    assert switches.live_trading and str(switches.max_usd_per_order) == "250.50"
    assert [(c.entity_key, c.old_value, c.new_value, c.source) for c in trail] == [
        ("LIVE_TRADING", None, "true", "cli"),
        ("MAX_USD_PER_ORDER", None, "250.50", "cli"),
    ]


def test_bad_keys_and_values_change_nothing(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    for args, reason in [
        (("NOPE", "1"), "unknown setting"),
        (("KILL_SWITCH", "maybe"), "on/off"),
        (("MAX_OPEN_ORDERS_TOTAL", "-1"), "negative"),
        (("MAX_OPEN_ORDERS_TOTAL", "2.5"), "whole number"),
        (("MAX_USD_PER_ORDER", "0"), "positive amount"),
        (("MAX_USD_PER_ORDER", "10.001"), "2 decimals"),
    ]:
        code, out = run(settings, "settings", "set", "--", *args)
        lines = [line for line in out.splitlines() if line.strip()]
        assert code != 0 and len(lines) == 1 and reason in lines[0], (args, out)
    with sessions() as s:
        assert s.scalars(select(TradingSetting)).all() == []
        assert s.scalars(select(ConfigChange)).all() == []


def test_registry_covers_every_key_the_readers_use() -> None:
    assert OPERATOR_SWITCH_KEY in SPECS
    assert set(LIMIT_KEYS) <= set(SPECS)
    assert {"KILL_SWITCH", "LIVE_TRADING", "MONITOR_PAUSED"} <= set(SPECS)
