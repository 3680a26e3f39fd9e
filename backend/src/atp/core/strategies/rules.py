"""The BUY and SELL conditions of a preset, written once for floats and numpy arrays.

Each rule reads named inputs (price, rsi, rsi_prev, ema10, ma50, ma200, volume_ratio) from a
mapping whose values are either floats (one candle) or equal-length arrays (every candle of
a backtest). Only arithmetic and comparisons are used, so both paths run the same IEEE
operations and give the same answers; NaN (undefined) inputs make every comparison False.

BUY (all enabled conditions must pass), tol = ma_tolerance_pct/100, gap = trend_gap_pct/100:
  rsi_below            rsi < rsi_buy_below                         (rsi_cross = false)
  rsi_cross_up         rsi_prev < rsi_buy_below <= rsi             (rsi_cross = true)
  price_above_<ma>     price > ma * (1 - tol)     for each of ema10/ma50/ma200 checked
  ema10_above_ma50     ema10 > ma50 * (1 + gap)                    (trend_filter)
  volume_ratio_min     volume_ratio >= volume_min_ratio            (volume_min_ratio > 0)
  price_at_or_below_buy_target  price <= buy_target                (buy_target set)
SELL mirrors it:
  rsi_above            rsi > rsi_sell_above                        (rsi_cross = false)
  rsi_cross_down       rsi_prev > rsi_sell_above >= rsi            (rsi_cross = true)
  price_below_<ma>     price < ma * (1 + tol)
  ema10_below_ma50     ema10 < ma50 * (1 - gap)                    (trend_filter)
  volume_ratio_min     volume_ratio >= volume_min_ratio
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from atp.core.presets import PresetParams

Inputs = Mapping[str, Any]
Expr = Callable[[Inputs], Any]
MA_NAMES = ("ema10", "ma50", "ma200")


@dataclass(frozen=True)
class Rule:
    """`compare(actual, threshold)` (and `also`, for RSI crosses) must hold."""

    side: Literal["BUY", "SELL"]
    name: str
    inputs: tuple[str, ...]
    actual: Expr
    threshold: Expr
    compare: Callable[[Any, Any], Any]
    also: Expr | None = None

    def test(self, values: Inputs) -> Any:
        passed = self.compare(self.actual(values), self.threshold(values))
        return passed if self.also is None else passed & self.also(values)


def _const(value: float) -> Expr:
    return lambda _v: value


def _input(name: str) -> Expr:
    return lambda v: v[name]


def _scaled(name: str, factor: float) -> Expr:
    return lambda v: v[name] * factor


def _rsi_rules(p: PresetParams) -> list[Rule]:
    buy, sell = _const(p.rsi_buy_below), _const(p.rsi_sell_above)
    rsi = _input("rsi")
    if p.rsi_cross:
        inputs = ("rsi", "rsi_prev")
        buy_level, sell_level = p.rsi_buy_below, p.rsi_sell_above
        return [
            Rule(
                "BUY",
                "rsi_cross_up",
                inputs,
                rsi,
                buy,
                operator.ge,
                lambda v: v["rsi_prev"] < buy_level,
            ),
            Rule(
                "SELL",
                "rsi_cross_down",
                inputs,
                rsi,
                sell,
                operator.le,
                lambda v: v["rsi_prev"] > sell_level,
            ),
        ]
    return [
        Rule("BUY", "rsi_below", ("rsi",), rsi, buy, operator.lt),
        Rule("SELL", "rsi_above", ("rsi",), rsi, sell, operator.gt),
    ]


def _ma_rules(p: PresetParams) -> list[Rule]:
    checked = {"ema10": p.check_ema10, "ma50": p.check_ma50, "ma200": p.check_ma200}
    below = 1.0 - p.ma_tolerance_pct / 100.0
    above = 1.0 + p.ma_tolerance_pct / 100.0
    price = _input("price")
    rules: list[Rule] = []
    for ma in (name for name in MA_NAMES if checked[name]):
        inputs = ("price", ma)
        rules.append(
            Rule("BUY", f"price_above_{ma}", inputs, price, _scaled(ma, below), operator.gt)
        )
        rules.append(
            Rule("SELL", f"price_below_{ma}", inputs, price, _scaled(ma, above), operator.lt)
        )
    return rules


def _alignment_rules(p: PresetParams) -> list[Rule]:
    if not p.trend_filter:
        return []
    up = 1.0 + p.trend_gap_pct / 100.0
    down = 1.0 - p.trend_gap_pct / 100.0
    inputs = ("ema10", "ma50")
    ema10 = _input("ema10")
    return [
        Rule("BUY", "ema10_above_ma50", inputs, ema10, _scaled("ma50", up), operator.gt),
        Rule("SELL", "ema10_below_ma50", inputs, ema10, _scaled("ma50", down), operator.lt),
    ]


def _volume_and_target_rules(p: PresetParams) -> list[Rule]:
    rules: list[Rule] = []
    if p.volume_min_ratio > 0:
        ratio, minimum = _input("volume_ratio"), _const(p.volume_min_ratio)
        rules.append(
            Rule("BUY", "volume_ratio_min", ("volume_ratio",), ratio, minimum, operator.ge)
        )
        rules.append(
            Rule("SELL", "volume_ratio_min", ("volume_ratio",), ratio, minimum, operator.ge)
        )
    if p.buy_target is not None:
        rules.append(
            Rule(
                "BUY",
                "price_at_or_below_buy_target",
                ("price",),
                _input("price"),
                _const(float(p.buy_target)),
                operator.le,
            )
        )
    return rules


@lru_cache(maxsize=256)
def build_rules(p: PresetParams) -> tuple[Rule, ...]:
    """Every condition of the preset, BUY first, in a stable order."""
    rules = _rsi_rules(p) + _ma_rules(p) + _alignment_rules(p) + _volume_and_target_rules(p)
    return tuple(sorted(rules, key=lambda r: r.side != "BUY"))


@lru_cache(maxsize=256)
def required_inputs(p: PresetParams) -> tuple[str, ...]:
    """Inputs that must be defined for a decision (ATR too when the stop is ATR-based)."""
    names: list[str] = []
    for rule in build_rules(p):
        names += [n for n in rule.inputs if n not in names]
    if p.sl_method == "atr":
        names.append("atr")
    return tuple(names)
