"""evaluate(): every condition passing and failing, both alignments, data gaps, SL/TP, replay."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from atp.core.candles import CandleArrays
from atp.core.presets import BUILTIN_PRESETS, PresetParams
from atp.core.strategies.replay import signal_series
from atp.core.strategy import (
    IndicatorSeries,
    PositionContext,
    compute_indicators,
    decide_at,
    evaluate,
    required_candles,
)

BASE = PresetParams.from_dict(
    {
        "timeframe": "1h",
        "rsi_buy_below": 40,
        "rsi_sell_above": 60,
        "check_ema10": True,
        "check_ma50": True,
        "check_ma200": True,
        "volume_min_ratio": 1.0,
        "cooldown_minutes": "60",
        "min_price_change_pct": "1",
        "sl_method": "atr",
        "sl_atr_multiple": "2",
        "tp_method": "risk_reward",
        "risk_reward": "1.5",
        "ma_tolerance_pct": 0.5,
        "trend_gap_pct": 0.5,
        "trend_filter": True,
    }
)

BULLISH = {
    "close": 100.0,
    "rsi": 35.0,
    "rsi_prev": 33.0,
    "ema10": 99.0,
    "ma50": 95.0,
    "ma200": 90.0,
    "atr": 2.0,
    "volume_ratio": 1.5,
}
BEARISH = {
    "close": 100.0,
    "rsi": 65.0,
    "rsi_prev": 67.0,
    "ema10": 101.0,
    "ma50": 105.0,
    "ma200": 110.0,
    "atr": 2.0,
    "volume_ratio": 1.5,
}


def snapshot(values: dict[str, float]) -> IndicatorSeries:
    full = {k: np.array([v]) for k, v in values.items()}
    for key in ("macd", "macd_signal", "macd_hist"):
        full.setdefault(key, np.array([np.nan]))
    return IndicatorSeries(open_time=np.array([0], dtype=np.int64), values=full)


def decide(values: dict[str, float], preset: PresetParams = BASE, **kw):  # type: ignore[no-untyped-def]
    return decide_at(snapshot(values), 0, preset, **kw)


def by_name(decision, side: str) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {c.name: c.passed for c in decision.conditions if c.side == side}


def test_bullish_alignment_buys_and_fails_every_sell_condition() -> None:
    d = decide(BULLISH)
    assert d.side == "BUY" and d.reason == "BUY_SIGNAL"
    assert all(by_name(d, "BUY").values())
    sell = by_name(d, "SELL")
    assert not sell["rsi_above"] and not sell["ema10_below_ma50"] and not sell["price_below_ma200"]


def test_bearish_alignment_sells_and_fails_every_buy_condition() -> None:
    d = decide(BEARISH)
    assert d.side == "SELL" and d.reason == "SELL_SIGNAL"
    assert all(by_name(d, "SELL").values())
    buy = by_name(d, "BUY")
    assert not buy["rsi_below"] and not buy["ema10_above_ma50"] and not buy["price_above_ma200"]


def test_overbought_in_an_uptrend_is_not_a_sell() -> None:
    """Legacy #530: the SELL trend filter passed with bullish alignment."""
    d = decide({**BULLISH, "rsi": 75.0})
    assert d.side == "NONE"
    sell = by_name(d, "SELL")
    assert sell["rsi_above"] and not sell["ema10_below_ma50"] and not sell["price_below_ema10"]


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"rsi": 40.0}, "rsi_below"),  # strict: 40 is not below 40
        ({"ema10": 100.6}, "price_above_ema10"),  # price more than 0.5 % below EMA10
        ({"ma50": 100.6}, "price_above_ma50"),
        ({"ma200": 100.6}, "price_above_ma200"),
        ({"ema10": 95.4}, "ema10_above_ma50"),  # EMA10 above MA50 but by less than the gap
        ({"volume_ratio": 0.99}, "volume_ratio_min"),
    ],
)
def test_each_buy_condition_can_fail_alone(change: dict[str, float], failing: str) -> None:
    # (with the trend filter off when moving MA50 alone, since EMA10 > MA50 would fail too)
    preset = BASE.with_overrides({"trend_filter": False}) if "ma50" in change else BASE
    d = decide({**BULLISH, **change}, preset)
    buy = by_name(d, "BUY")
    assert [name for name, ok in buy.items() if not ok] == [failing]
    assert d.side == "NONE" and d.reason == "NO_SIGNAL"


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"rsi": 60.0}, "rsi_above"),
        ({"ema10": 99.4}, "price_below_ema10"),
        ({"ma50": 99.4}, "price_below_ma50"),
        ({"ma200": 99.4}, "price_below_ma200"),
        ({"ema10": 104.6}, "ema10_below_ma50"),
        ({"volume_ratio": 0.5}, "volume_ratio_min"),
    ],
)
def test_each_sell_condition_can_fail_alone(change: dict[str, float], failing: str) -> None:
    preset = BASE.with_overrides({"trend_filter": False}) if "ma50" in change else BASE
    d = decide({**BEARISH, **change}, preset)
    sell = by_name(d, "SELL")
    assert [name for name, ok in sell.items() if not ok] == [failing]
    assert d.side == "NONE"


def test_preset_sell_level_is_honoured_not_a_hard_coded_70() -> None:
    assert decide({**BEARISH, "rsi": 62.0}).side == "SELL"  # preset says 60
    strict = BASE.with_overrides({"rsi_sell_above": 70})
    assert decide({**BEARISH, "rsi": 62.0}, strict).side == "NONE"


def test_rsi_cross_mode_needs_the_previous_candle_on_the_other_side() -> None:
    cross = BASE.with_overrides({"rsi_cross": True, "rsi_buy_below": 30})
    crossed = decide({**BULLISH, "rsi_prev": 28.0, "rsi": 31.0}, cross)
    assert crossed.side == "BUY" and by_name(crossed, "BUY")["rsi_cross_up"]
    assert (
        by_name(decide({**BULLISH, "rsi_prev": 31.0, "rsi": 33.0}, cross), "BUY")["rsi_cross_up"]
        is False
    )
    assert (
        by_name(decide({**BULLISH, "rsi_prev": 25.0, "rsi": 29.0}, cross), "BUY")["rsi_cross_up"]
        is False
    )


def test_disabled_checks_are_not_conditions() -> None:
    loose = BASE.with_overrides(
        {
            "check_ema10": False,
            "check_ma50": False,
            "check_ma200": False,
            "trend_filter": False,
            "volume_min_ratio": 0,
        }
    )
    d = decide(
        {**BULLISH, "ma200": float("nan"), "ma50": float("nan"), "volume_ratio": float("nan")},
        loose,
    )
    assert [c.name for c in d.conditions] == ["rsi_below", "rsi_above"]
    assert d.side == "BUY"


def test_buy_target_condition() -> None:
    targeted = BASE.with_overrides({"buy_target": "99.5"})
    d = decide(BULLISH, targeted)
    assert by_name(d, "BUY")["price_at_or_below_buy_target"] is False and d.side == "NONE"
    assert decide(BULLISH, targeted, price=99.4).side == "BUY"


@pytest.mark.parametrize("missing", ["rsi", "ema10", "ma50", "ma200", "volume_ratio", "atr"])
def test_an_undefined_input_is_insufficient_data_never_a_default(missing: str) -> None:
    d = decide({**BULLISH, missing: float("nan")})
    assert d.side == "NONE" and d.reason == "INSUFFICIENT_DATA"
    assert missing in d.missing and d.indicators[missing] is None


def test_sl_tp_in_decimal_for_both_sides_and_for_an_open_position() -> None:
    buy = decide(BULLISH)
    assert buy.sl_price == Decimal("96.0") and buy.tp_price == Decimal("106.0")  # 2xATR, RR 1.5
    sell = decide(BEARISH, price=Decimal("100.10"))
    assert sell.sl_price == Decimal("104.10") and sell.tp_price == Decimal("94.10")
    none = decide({**BULLISH, "rsi": 50.0}, position=PositionContext("LONG", Decimal("90")))
    assert (
        none.side == "NONE"
        and none.sl_price == Decimal("86.0")
        and none.tp_price == Decimal("96.0")
    )
    pct = BASE.with_overrides(
        {"sl_method": "percent", "sl_pct": "0.5", "tp_method": "percent", "tp_pct": "0.8"}
    )
    levels = decide(BULLISH, pct)
    assert levels.sl_price == Decimal("99.5") and levels.tp_price == Decimal("100.8")


def test_decision_is_json_serialisable() -> None:
    payload = json.dumps(decide(BULLISH).to_dict())
    data = json.loads(payload)
    assert data["side"] == "BUY" and data["sl_price"] == "96.0"
    assert {"side", "name", "passed", "actual", "threshold"} <= set(data["conditions"][0])


def candles_from(close: np.ndarray, volume: np.ndarray | None = None) -> CandleArrays:
    n = close.size
    vol = volume if volume is not None else np.full(n, 100.0)
    return CandleArrays(
        np.arange(n, dtype=np.int64) * 3_600_000, close, close * 1.004, close * 0.996, close, vol
    )


def test_evaluate_on_candles_pullback_in_uptrend_buys() -> None:
    trend = 100 * 1.001 ** np.arange(260)
    dip = trend[-1] * np.array([0.99, 0.98, 0.97, 0.96, 0.955])
    close = np.concatenate([trend, dip])
    volume = np.full(close.size, 100.0)
    volume[-1] = 300.0
    preset = BUILTIN_PRESETS["swing:aggressive"]
    d = evaluate({"1h": candles_from(close, volume)}, preset)
    assert d.side == "BUY", d.to_dict()
    assert d.indicators["rsi"] is not None and d.indicators["rsi"] < 45
    assert d.sl_price is not None and d.sl_price < Decimal(repr(float(close[-1])))


def test_evaluate_with_too_few_candles_or_wrong_timeframe() -> None:
    preset = BUILTIN_PRESETS["swing:aggressive"]
    short = candles_from(100 * 1.001 ** np.arange(required_candles(preset) - 1))
    d = evaluate({"1h": short}, preset)
    assert d.side == "NONE" and d.reason == "INSUFFICIENT_DATA" and "ma200" in d.missing
    assert evaluate({"5m": short}, preset).reason == "INSUFFICIENT_DATA"
    enough = candles_from(100 * 1.001 ** np.arange(required_candles(preset)))
    assert evaluate({"1h": enough}, preset).reason != "INSUFFICIENT_DATA"


def test_flat_market_is_insufficient_data_not_oversold() -> None:
    d = evaluate({"1h": candles_from(np.full(300, 50.0))}, BUILTIN_PRESETS["swing:aggressive"])
    assert d.reason == "INSUFFICIENT_DATA" and "rsi" in d.missing


@pytest.mark.parametrize("key", sorted(BUILTIN_PRESETS))
def test_replay_equals_evaluate_on_sampled_candles(key: str) -> None:
    rng = np.random.default_rng(abs(hash(key)) % 1000)
    n = 900
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.012, n)))
    volume = rng.random(n) * 100
    candles = candles_from(close, volume)
    preset = BUILTIN_PRESETS[key].with_overrides({"timeframe": "1h"})
    signals = signal_series(compute_indicators(candles, preset), preset)
    expected = np.where(signals.buy, "BUY", np.where(signals.sell, "SELL", "NONE"))
    sample = sorted(
        {
            *rng.choice(n, 40, replace=False).tolist(),
            *np.flatnonzero(signals.buy | signals.sell)[:20].tolist(),
        }
    )
    for i in sample:
        window = CandleArrays(
            candles.open_time[: i + 1],
            candles.open[: i + 1],
            candles.high[: i + 1],
            candles.low[: i + 1],
            candles.close[: i + 1],
            candles.volume[: i + 1],
        )
        decision = evaluate({"1h": window}, preset)
        assert decision.side == expected[i], (i, decision.to_dict())
        assert (decision.reason == "INSUFFICIENT_DATA") == bool(signals.insufficient[i])
