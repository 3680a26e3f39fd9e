"""Stop-loss / take-profit prices a preset would place, computed in Decimal.

Long (BUY):  SL = entry - k * ATR          (sl_method=atr, k = sl_atr_multiple)
             SL = entry * (1 - sl_pct/100)  (sl_method=percent)
             TP = entry + rr * (entry - SL) (tp_method=risk_reward, rr = risk_reward)
             TP = entry * (1 + tp_pct/100)  (tp_method=percent)
Short (SELL) mirrors both. The values are not rounded to a tick here: the one price
formatter (order path) quantises them for the instrument.

ATR arrives as a float from the indicator arrays; it is converted through its shortest
repr so that the same float always gives the same Decimal. An ATR that is missing, zero or
so large that the stop would be at or below zero gives no SL/TP (None) - never a made-up one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from atp.core.presets import PresetParams

Side = Literal["BUY", "SELL"]
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class StopLevels:
    sl_price: Decimal | None
    tp_price: Decimal | None


def float_to_decimal(value: float) -> Decimal:
    """Exact-repr conversion: Decimal(repr(x)), so 0.1 becomes Decimal('0.1')."""
    if not math.isfinite(value):
        raise ValueError(f"cannot convert {value!r} to a price")
    return Decimal(repr(float(value)))


def stop_levels(side: Side, entry: Decimal, params: PresetParams, atr: float | None) -> StopLevels:
    """SL and TP for a position opened at `entry` on `side` (None when not computable)."""
    if entry <= 0:
        return StopLevels(None, None)
    risk = _risk_distance(entry, params, atr)
    if risk is None or risk <= 0 or (side == "BUY" and risk >= entry):
        return StopLevels(None, None)
    reward = _reward_distance(entry, params, risk)
    if side == "BUY":
        return StopLevels(entry - risk, entry + reward)
    tp = entry - reward
    return StopLevels(entry + risk, tp if tp > 0 else None)


def _risk_distance(entry: Decimal, params: PresetParams, atr: float | None) -> Decimal | None:
    if params.sl_method == "percent":
        assert params.sl_pct is not None  # guaranteed by PresetParams validation
        return entry * params.sl_pct / _HUNDRED
    if atr is None or not math.isfinite(atr) or atr <= 0:
        return None
    assert params.sl_atr_multiple is not None
    return params.sl_atr_multiple * float_to_decimal(atr)


def _reward_distance(entry: Decimal, params: PresetParams, risk: Decimal) -> Decimal:
    if params.tp_method == "percent":
        assert params.tp_pct is not None
        return entry * params.tp_pct / _HUNDRED
    assert params.risk_reward is not None
    return params.risk_reward * risk
