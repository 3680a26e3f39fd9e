"""evaluate_many() is exactly [evaluate() for each item]; the batched indicators are exactly
the single-series ones at the last candle. "Exactly" = equal Decisions AND equal reprs (the
repr of a float round-trips, so bit-identical values), on randomised inputs."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from atp.core.candles import CandleArrays
from atp.core.indicators_batch import latest_indicators
from atp.core.presets import BUILTIN_PRESETS, PresetParams
from atp.core.strategy import (
    INDICATOR_KEYS,
    EvaluationItem,
    PositionContext,
    compute_indicators,
    evaluate,
    evaluate_many,
)

HOUR_MS = 3_600_000
LOOSE = PresetParams.from_dict(  # fires often on both sides, so BUY and SELL get compared too
    {
        "timeframe": "1h",
        "rsi_buy_below": 48,
        "rsi_sell_above": 52,
        "check_ema10": False,
        "check_ma50": False,
        "check_ma200": False,
        "volume_min_ratio": 0,
        "cooldown_minutes": 60,
        "min_price_change_pct": 0,
        "sl_method": "atr",
        "sl_atr_multiple": 1.5,
        "tp_method": "risk_reward",
        "risk_reward": 2,
    }
)
PRESETS = [
    *BUILTIN_PRESETS.values(),
    LOOSE,
    LOOSE.with_overrides({"rsi_cross": True, "rsi_buy_below": 45, "rsi_sell_above": 55}),
    LOOSE.with_overrides({"trend_filter": True, "check_ma50": True, "buy_target": "1e9"}),
    LOOSE.with_overrides({"rsi_period": 2, "atr_period": 1, "volume_lookback": 1}),
    LOOSE.with_overrides({"rsi_period": 30, "volume_min_ratio": 0.8, "volume_lookback": 40}),
    LOOSE.with_overrides(
        {"sl_method": "percent", "sl_pct": 2, "tp_method": "percent", "tp_pct": 3}
    ),
]


def walk(rng: np.random.Generator, n: int, level: float = 100.0) -> CandleArrays:
    close = level * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.concatenate([close[:1], close[:-1]])
    high = np.maximum(opens, close) * (1 + rng.random(n) * 0.004)
    low = np.minimum(opens, close) * (1 - rng.random(n) * 0.004)
    volume = rng.random(n) * 1000
    times = 1_767_225_600_000 + np.arange(n, dtype=np.int64) * HOUR_MS
    return CandleArrays(times, opens, high, low, close, volume)


def damaged(rng: np.random.Generator, candles: CandleArrays, kind: str) -> CandleArrays:
    """A copy with one of the awkward patterns a live feed produces."""
    fields = {f: getattr(candles, f).copy() for f in ("open_time", "open", "high", "low", "close")}
    volume = candles.volume.copy()
    n = len(candles)
    spot = int(rng.integers(0, n))
    if kind == "flat":
        for f in ("open", "high", "low", "close"):
            fields[f][:] = 7.25
    elif kind == "flat_tail":
        for f in ("open", "high", "low", "close"):
            fields[f][-min(n, 30) :] = fields["close"][-min(n, 30)]
    elif kind == "gap":
        fields["close"][spot] = np.nan
    elif kind == "gap_last":
        fields["close"][-1] = np.nan
    elif kind == "gap_high":
        fields["high"][spot] = np.nan
    elif kind == "inf_low":
        fields["low"][spot] = np.inf
    elif kind == "gap_volume":
        volume[spot] = np.nan
    elif kind == "zero_volume":
        volume[-min(n, 45) :] = 0.0
    elif kind == "zero_last_volume":
        volume[-1] = 0.0
    elif kind == "float32":
        fields["close"] = fields["close"].astype(np.float32)
    return CandleArrays(volume=volume, **fields)


KINDS = (
    "plain",
    "flat",
    "flat_tail",
    "gap",
    "gap_last",
    "gap_high",
    "inf_low",
    "gap_volume",
    "zero_volume",
    "zero_last_volume",
    "float32",
)
LENGTHS = (1, 2, 3, 5, 14, 15, 16, 17, 20, 21, 33, 34, 35, 50, 51, 199, 200, 201, 300)


def random_items(seed: int, count: int) -> list[EvaluationItem]:
    rng = np.random.default_rng(seed)
    items: list[EvaluationItem] = []
    for i in range(count):
        n = int(rng.choice(LENGTHS)) if i % 3 else 300
        level = float(10 ** rng.uniform(-3, 4.8))  # sub-cent coins up to ~65k
        candles = damaged(rng, walk(rng, n, level), KINDS[int(rng.integers(0, len(KINDS)))])
        preset = PRESETS[int(rng.integers(0, len(PRESETS)))]
        last = float(candles.close[-1]) if np.isfinite(candles.close[-1]) else level
        price: float | Decimal | None = None
        if i % 4 == 1:
            price = last * float(rng.uniform(0.97, 1.03))
        elif i % 4 == 2:
            price = Decimal(repr(round(last * 1.001, 6) or 0.000001))
        position = None
        if i % 5 == 3:
            side = "LONG" if i % 2 else "SHORT"
            position = PositionContext(side, Decimal(repr(last)))
        timeframes = {preset.timeframe: candles, "4h": walk(rng, 30)}
        items.append((timeframes, preset, position, price))
    return items


def assert_same(batched: list[object], single: list[object]) -> None:
    assert len(batched) == len(single)
    for index, (got, expected) in enumerate(zip(batched, single, strict=True)):
        assert repr(got) == repr(expected), index
        assert got == expected, index


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evaluate_many_equals_evaluate_on_random_inputs(seed: int) -> None:
    items = random_items(seed, 400)
    single = [evaluate(*item) for item in items]
    assert_same(list(evaluate_many(items)), list(single))
    # The comparison must have covered every outcome, not just INSUFFICIENT_DATA.
    reasons = {d.reason for d in single}
    assert {"BUY_SIGNAL", "SELL_SIGNAL", "NO_SIGNAL", "INSUFFICIENT_DATA"} <= reasons
    assert any(d.sl_price is not None for d in single if d.side == "NONE")  # position levels


def test_one_big_group_of_generated_symbols_like_the_monitor() -> None:
    rng = np.random.default_rng(11)
    presets = list(BUILTIN_PRESETS.values())
    items: list[EvaluationItem] = [
        ({"1h": c, "5m": c}, presets[i % len(presets)], None, None)
        for i, c in enumerate(walk(rng, 300) for _ in range(120))
    ]
    assert_same(list(evaluate_many(items)), [evaluate(*item) for item in items])


def test_equal_but_distinct_preset_objects_and_long_series() -> None:
    rng = np.random.default_rng(5)
    copy = PresetParams.from_dict(LOOSE.to_dict())
    assert copy == LOOSE and copy is not LOOSE
    items: list[EvaluationItem] = []
    for n in (1024 + 14, 1025 + 14, 1100, 2100, 2 * 1024 + 26):  # block boundaries
        for preset in (LOOSE, copy, BUILTIN_PRESETS["swing:conservative"]):
            items.append(({"1h": walk(rng, n)}, preset, None, None))
    assert_same(list(evaluate_many(items)), [evaluate(*item) for item in items])


def test_missing_or_empty_series_and_empty_input() -> None:
    preset = BUILTIN_PRESETS["scalp:aggressive"]  # 5m
    items: list[EvaluationItem] = [
        ({"1h": walk(np.random.default_rng(1), 300)}, preset, None, 12.5),
        ({"5m": CandleArrays.empty()}, preset, None, None),
    ]
    batched = evaluate_many(items)
    assert_same(list(batched), [evaluate(*item) for item in items])
    assert [d.missing for d in batched] == [("candles:5m",), ("candles:5m",)]
    assert evaluate_many([]) == []


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), Decimal("-2")])
def test_a_bad_price_anywhere_raises_before_anything_is_computed(bad: float | Decimal) -> None:
    good = walk(np.random.default_rng(2), 300)
    items: list[EvaluationItem] = [
        ({"1h": good}, LOOSE, None, None),
        ({"1h": good}, LOOSE, None, bad),
    ]
    with pytest.raises(ValueError, match="price must be a positive finite number"):
        evaluate(*items[1])
    with pytest.raises(ValueError, match="price must be a positive finite number"):
        evaluate_many(items)


@pytest.mark.parametrize("n", [*range(1, 60), 199, 200, 201, 202, 1040, 1060, 2100])
def test_latest_indicators_are_bit_identical_to_the_full_series(n: int) -> None:
    rng = np.random.default_rng(n)
    rows = [walk(rng, n, 10 ** rng.uniform(-3, 4)) for _ in range(4)]
    rows.append(damaged(rng, walk(rng, n), "flat"))
    rows.append(damaged(rng, walk(rng, n), "zero_volume"))
    stacked = {f: np.stack([getattr(c, f) for c in rows]) for f in ("close", "high", "low")}
    volume = np.stack([c.volume for c in rows])
    for rsi_p, atr_p, lookback in ((14, 14, 20), (2, 1, 1), (100, 100, 500)):
        preset = LOOSE.with_overrides(
            {"rsi_period": rsi_p, "atr_period": atr_p, "volume_lookback": lookback}
        )
        latest = latest_indicators(
            stacked["close"],
            stacked["high"],
            stacked["low"],
            volume,
            rsi_period=rsi_p,
            atr_period=atr_p,
            volume_lookback=lookback,
        )
        assert set(latest) == set(INDICATOR_KEYS)
        for row, candles in enumerate(rows):
            full = compute_indicators(candles, preset).values
            expected = {key: repr(float(full[key][-1])) for key in INDICATOR_KEYS}
            assert {key: repr(float(latest[key][row])) for key in INDICATOR_KEYS} == expected


def test_latest_indicators_refuses_an_empty_window() -> None:
    empty = np.empty((3, 0))
    with pytest.raises(ValueError, match="at least one candle"):
        latest_indicators(
            empty, empty, empty, empty, rsi_period=14, atr_period=14, volume_lookback=20
        )
