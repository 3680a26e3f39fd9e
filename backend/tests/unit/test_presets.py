"""Preset parameters: seeds without contradictions, validation, overrides, round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from atp.core.presets import BUILTIN_PRESETS, DEFAULT_PRESET_KEY, PresetParams, split_key
from atp.core.strategies.rules import build_rules


def test_six_builtin_presets_with_legacy_levels() -> None:
    assert sorted(BUILTIN_PRESETS) == sorted(
        f"{s}:{r}" for s in ("swing", "intraday", "scalp") for r in ("conservative", "aggressive")
    )
    levels = {k: (p.rsi_buy_below, p.rsi_sell_above) for k, p in BUILTIN_PRESETS.items()}
    assert levels == {
        "swing:conservative": (30, 70),
        "swing:aggressive": (45, 68),
        "intraday:conservative": (45, 70),
        "intraday:aggressive": (50, 65),
        "scalp:conservative": (50, 70),
        "scalp:aggressive": (55, 65),
    }
    sc = BUILTIN_PRESETS["swing:conservative"]
    assert sc.sl_atr_multiple == Decimal("1.5") and sc.risk_reward == Decimal("1.5")
    assert sc.min_price_change_pct == Decimal("3.0") and sc.volume_min_ratio == 1.0
    scalp = BUILTIN_PRESETS["scalp:aggressive"]
    assert (scalp.sl_method, scalp.sl_pct, scalp.tp_pct) == (
        "percent",
        Decimal("0.35"),
        Decimal("0.5"),
    )
    assert DEFAULT_PRESET_KEY in BUILTIN_PRESETS


@pytest.mark.parametrize("key", sorted(BUILTIN_PRESETS))
def test_no_builtin_preset_contradicts_itself(key: str) -> None:
    """Swing-conservative used to need RSI < 30 and RSI >= 30 at once."""
    preset = BUILTIN_PRESETS[key]
    rsi_rules = [r for r in build_rules(preset) if r.side == "BUY" and "rsi" in r.name]
    assert len(rsi_rules) == 1  # one RSI rule per side, never two that fight
    for rsi in range(1, 100):
        for prev in (rsi - 5, rsi + 5):
            values = {"rsi": float(rsi), "rsi_prev": float(prev)}
            if rsi_rules[0].test(values):
                break
        else:
            continue
        break
    else:
        pytest.fail(f"{key}: no RSI value satisfies the BUY rule")
    names = {r.name for r in build_rules(preset)}
    assert not (
        {"ema10_above_ma50", "ema10_below_ma50"} <= names
        and preset.rsi_buy_below >= preset.rsi_sell_above
    )


def test_round_trip_through_json_dict() -> None:
    for preset in BUILTIN_PRESETS.values():
        assert PresetParams.from_dict(preset.to_dict()) == preset


def test_with_overrides_parses_text_and_validates() -> None:
    base = BUILTIN_PRESETS["swing:aggressive"]
    changed = base.with_overrides(
        {"rsi_buy_below": "40", "check_ema10": "yes", "cooldown_minutes": "15"}
    )
    assert changed.rsi_buy_below == 40.0 and changed.check_ema10 is True
    assert (
        changed.cooldown_minutes == Decimal("15") and base.rsi_buy_below == 45
    )  # original untouched
    assert base.with_overrides({}) is base


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"RSI_BUY": 40}, "unknown preset parameter"),
        ({"rsi_buy_below": 80}, "must be below rsi_sell_above"),
        ({"rsi_buy_below": "abc"}, "rsi_buy_below"),
        ({"timeframe": "1d"}, "unknown timeframe"),
        ({"sl_method": "percent"}, "sl_pct"),
        ({"tp_method": "fixed"}, "tp_method"),
        ({"volume_min_ratio": -1}, "volume_min_ratio"),
        ({"min_price_change_pct": "nan"}, "finite"),
        ({"check_ma50": "maybe"}, "true/false"),
        ({"rsi_period": "14.5"}, "integer"),
        ({"buy_target": "0"}, "buy_target"),
    ],
)
def test_bad_overrides_raise_a_clear_value_error(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BUILTIN_PRESETS["swing:aggressive"].with_overrides(overrides)


def test_from_dict_reports_missing_fields() -> None:
    with pytest.raises(ValueError, match="missing preset parameter"):
        PresetParams.from_dict({"timeframe": "1h"})


def test_keys() -> None:
    assert split_key("swing:conservative") == ("swing", "conservative")
    for bad in ("swing", "Swing:x", "a:b:c", ":x"):
        with pytest.raises(ValueError):
            split_key(bad)
