"""Strategy preset parameters: one frozen, validated dataclass and the built-in seeds.

Contract used by the signal monitor:

- `PresetParams` - every knob a strategy preset has (timeframe, RSI levels, which moving
  average checks apply, volume minimum, throttle defaults, SL/TP method). Construct it
  with `PresetParams.from_dict(mapping)` (values may be native or text, as typed on a CLI);
  every value is checked and a bad one raises `ValueError` naming the field.
- `PresetParams.with_overrides(dict) -> PresetParams` - a copy with some fields replaced,
  validated the same way; an unknown key raises `ValueError` listing the known keys.
- `PresetParams.to_dict()` - JSON-safe (Decimals as strings) for the `strategy_presets`
  table; `from_dict(to_dict())` round-trips exactly.
- `BUILTIN_PRESETS` - the seed values, keyed `"<strategy>:<risk>"` (e.g. `swing:conservative`).

Floats are used for indicator thresholds (compared with float indicators); Decimal for
everything that ends up in a price or a throttle decision (percentages, multiples, minutes).
How the seeds were derived from the legacy config, and which of its contradictions were
removed, is documented in docs/strategies.md.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from atp.core.flags import parse_flag
from atp.core.timeframes import UnknownTimeframeError, parse_timeframe

SlMethod = Literal["atr", "percent"]
TpMethod = Literal["risk_reward", "percent"]
SL_METHODS: tuple[str, ...] = ("atr", "percent")
TP_METHODS: tuple[str, ...] = ("risk_reward", "percent")

# Fixed indicator periods (the condition names ema10/ma50/ma200 refer to them).
EMA_FAST_PERIOD = 10
MA_MEDIUM_PERIOD = 50
MA_LONG_PERIOD = 200


@dataclass(frozen=True)
class PresetParams:
    """All parameters of one strategy preset. See docs/strategies.md for the rules."""

    timeframe: str
    rsi_buy_below: float
    rsi_sell_above: float
    check_ema10: bool
    check_ma50: bool
    check_ma200: bool
    volume_min_ratio: float
    cooldown_minutes: Decimal
    min_price_change_pct: Decimal
    sl_method: SlMethod
    tp_method: TpMethod
    sl_atr_multiple: Decimal | None = None
    sl_pct: Decimal | None = None
    risk_reward: Decimal | None = None
    tp_pct: Decimal | None = None
    rsi_period: int = 14
    rsi_cross: bool = False
    trend_filter: bool = False
    ma_tolerance_pct: float = 0.5
    trend_gap_pct: float = 0.5
    volume_lookback: int = 20
    atr_period: int = 14
    buy_target: Decimal | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PresetParams:
        """Parse and validate; raises ValueError naming the offending field."""
        _reject_unknown(values)
        parsed = {name: _parse(name, raw) for name, raw in values.items()}
        try:
            return cls(**parsed)
        except TypeError as exc:  # a required field is missing
            missing = [n for n in _REQUIRED if n not in parsed]
            raise ValueError(f"missing preset parameter(s): {', '.join(missing)}") from exc

    def with_overrides(self, overrides: Mapping[str, Any]) -> PresetParams:
        """A validated copy with `overrides` applied (values native or text)."""
        if not overrides:
            return self
        _reject_unknown(overrides)
        parsed = {name: _parse(name, raw) for name, raw in overrides.items()}
        return dataclasses.replace(self, **parsed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping (Decimal -> str) that `from_dict` turns back into an equal object."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def _reject_unknown(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(_PARSERS))
    if unknown:
        known = ", ".join(sorted(_PARSERS))
        raise ValueError(f"unknown preset parameter(s) {', '.join(unknown)}; known: {known}")


def _parse(name: str, raw: Any) -> Any:
    try:
        return _PARSERS[name](raw)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"{name}: {exc}") from None


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = parse_flag(raw) if isinstance(raw, str) else None
    if value is None:
        raise ValueError(f"expected true/false, got {raw!r}")
    return value


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if not text.lstrip("-").isdigit():
        raise ValueError(f"expected an integer, got {raw!r}")
    return int(text)


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def _to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    text = (
        raw.strip() if isinstance(raw, str) else repr(raw) if isinstance(raw, float) else str(raw)
    )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"expected a finite number, got {raw!r}")
    return value


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse_optional(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in {"", "none", "null"}):
            return None
        return parse(raw)

    return parse_optional


def _timeframe(raw: Any) -> str:
    try:
        return parse_timeframe(str(raw)).value
    except UnknownTimeframeError as exc:
        raise ValueError(str(exc)) from None


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse_choice(raw: Any) -> str:
        text = str(raw).strip().lower()
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return text

    return parse_choice


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "timeframe": _timeframe,
    "rsi_buy_below": _to_float,
    "rsi_sell_above": _to_float,
    "check_ema10": _to_bool,
    "check_ma50": _to_bool,
    "check_ma200": _to_bool,
    "volume_min_ratio": _to_float,
    "cooldown_minutes": _to_decimal,
    "min_price_change_pct": _to_decimal,
    "sl_method": _choice(SL_METHODS),
    "tp_method": _choice(TP_METHODS),
    "sl_atr_multiple": _optional(_to_decimal),
    "sl_pct": _optional(_to_decimal),
    "risk_reward": _optional(_to_decimal),
    "tp_pct": _optional(_to_decimal),
    "rsi_period": _to_int,
    "rsi_cross": _to_bool,
    "trend_filter": _to_bool,
    "ma_tolerance_pct": _to_float,
    "trend_gap_pct": _to_float,
    "volume_lookback": _to_int,
    "atr_period": _to_int,
    "buy_target": _optional(_to_decimal),
}
_REQUIRED = tuple(f.name for f in fields(PresetParams) if f.default is dataclasses.MISSING)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _validate(p: PresetParams) -> None:
    """Reject values that are out of range or contradict each other (the legacy failure)."""
    _require(p.timeframe == _timeframe(p.timeframe), f"timeframe: unknown {p.timeframe!r}")
    _require(0 < p.rsi_buy_below < 100, "rsi_buy_below must be between 0 and 100")
    _require(0 < p.rsi_sell_above < 100, "rsi_sell_above must be between 0 and 100")
    _require(
        p.rsi_buy_below < p.rsi_sell_above,
        f"rsi_buy_below ({p.rsi_buy_below:g}) must be below rsi_sell_above "
        f"({p.rsi_sell_above:g}), otherwise BUY and SELL could both hold",
    )
    _require(2 <= p.rsi_period <= 100, "rsi_period must be between 2 and 100")
    _require(1 <= p.atr_period <= 100, "atr_period must be between 1 and 100")
    _require(1 <= p.volume_lookback <= 500, "volume_lookback must be between 1 and 500")
    _require(p.volume_min_ratio >= 0, "volume_min_ratio must not be negative (0 disables it)")
    _require(0 <= p.ma_tolerance_pct < 50, "ma_tolerance_pct must be in [0, 50)")
    _require(0 <= p.trend_gap_pct < 50, "trend_gap_pct must be in [0, 50)")
    _require(p.cooldown_minutes >= 0, "cooldown_minutes must not be negative")
    _require(0 <= p.min_price_change_pct < 100, "min_price_change_pct must be in [0, 100)")
    _require(p.sl_method in SL_METHODS, f"sl_method must be one of {', '.join(SL_METHODS)}")
    _require(p.tp_method in TP_METHODS, f"tp_method must be one of {', '.join(TP_METHODS)}")
    if p.sl_method == "atr":
        _require(_positive(p.sl_atr_multiple), "sl_method=atr needs sl_atr_multiple > 0")
    else:
        _require(_percent(p.sl_pct), "sl_method=percent needs 0 < sl_pct < 100")
    if p.tp_method == "risk_reward":
        _require(_positive(p.risk_reward), "tp_method=risk_reward needs risk_reward > 0")
    else:
        _require(_positive(p.tp_pct), "tp_method=percent needs tp_pct > 0")
    _require(p.buy_target is None or p.buy_target > 0, "buy_target must be greater than 0")


def _positive(value: Decimal | None) -> bool:
    return value is not None and value > 0


def _percent(value: Decimal | None) -> bool:
    return value is not None and 0 < value < 100


def _seed(timeframe: str, cooldown: str, **values: Any) -> PresetParams:
    return PresetParams.from_dict({"timeframe": timeframe, "cooldown_minutes": cooldown, **values})


# Legacy section 2.4 values, made consistent (reasons in docs/strategies.md):
# - RSI levels, volume minimum, min price change and SL/TP are the legacy values, and each
#   preset's own rsi_sell_above is used (legacy always used 70).
# - Presets whose legacy checks asked for RSI in an extreme zone *and* price above its short
#   averages (impossible together: swing:conservative needed RSI < 30 and RSI >= 30) trigger
#   on the RSI leaving the zone (rsi_cross) with the close back across EMA10 as confirmation.
# - Long averages act as the regime filter on both sides (BUY above, SELL below MA200/MA50).
# - cooldown is one candle of the preset's timeframe (legacy's 10 s value was never honoured).
BUILTIN_PRESETS: dict[str, PresetParams] = {
    "swing:conservative": _seed(
        "1h",
        "60",
        rsi_buy_below=30,
        rsi_sell_above=70,
        rsi_cross=True,
        check_ema10=True,
        check_ma50=False,
        check_ma200=True,
        ma_tolerance_pct=0,
        volume_min_ratio=1.0,
        min_price_change_pct="3.0",
        sl_method="atr",
        sl_atr_multiple="1.5",
        tp_method="risk_reward",
        risk_reward="1.5",
    ),
    "swing:aggressive": _seed(
        "1h",
        "60",
        rsi_buy_below=45,
        rsi_sell_above=68,
        check_ema10=False,
        check_ma50=False,
        check_ma200=True,
        volume_min_ratio=0.5,
        min_price_change_pct="1.0",
        sl_method="atr",
        sl_atr_multiple="1.0",
        tp_method="risk_reward",
        risk_reward="1.2",
    ),
    "intraday:conservative": _seed(
        "1h",
        "60",
        rsi_buy_below=45,
        rsi_sell_above=70,
        rsi_cross=True,
        check_ema10=True,
        check_ma50=True,
        check_ma200=False,
        volume_min_ratio=0.5,
        min_price_change_pct="1.0",
        sl_method="atr",
        sl_atr_multiple="1.0",
        tp_method="risk_reward",
        risk_reward="1.2",
    ),
    "intraday:aggressive": _seed(
        "1h",
        "60",
        rsi_buy_below=50,
        rsi_sell_above=65,
        rsi_cross=True,
        check_ema10=True,
        check_ma50=False,
        check_ma200=False,
        volume_min_ratio=0.5,
        min_price_change_pct="1.0",
        sl_method="atr",
        sl_atr_multiple="0.8",
        tp_method="risk_reward",
        risk_reward="1.0",
    ),
    "scalp:conservative": _seed(
        "5m",
        "5",
        rsi_buy_below=50,
        rsi_sell_above=70,
        rsi_cross=True,
        check_ema10=True,
        check_ma50=False,
        check_ma200=False,
        ma_tolerance_pct=0,
        volume_min_ratio=0.5,
        min_price_change_pct="1.0",
        sl_method="percent",
        sl_pct="0.5",
        tp_method="percent",
        tp_pct="0.8",
    ),
    "scalp:aggressive": _seed(
        "5m",
        "5",
        rsi_buy_below=55,
        rsi_sell_above=65,
        check_ema10=False,
        check_ma50=False,
        check_ma200=False,
        volume_min_ratio=0.5,
        min_price_change_pct="1.0",
        sl_method="percent",
        sl_pct="0.35",
        tp_method="percent",
        tp_pct="0.5",
    ),
}

BUILTIN_DESCRIPTIONS: dict[str, str] = {
    "swing:conservative": "RSI leaves 30/70 with the close across EMA10, on the MA200 side of the trade.",
    "swing:aggressive": "RSI below 45 / above 68 on the MA200 side of the trade.",
    "intraday:conservative": "RSI leaves 45/70 with the close across EMA10 and MA50.",
    "intraday:aggressive": "RSI leaves 50/65 with the close across EMA10.",
    "scalp:conservative": "5m: RSI leaves 50/70 with the close across EMA10; fixed-percent SL/TP.",
    "scalp:aggressive": "5m: RSI below 55 / above 65, no average checks; fixed-percent SL/TP.",
}

DEFAULT_PRESET_KEY = "swing:conservative"


_KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,31}:[a-z0-9_-]{1,32}$")


def split_key(key: str) -> tuple[str, str]:
    """`swing:conservative` -> ('swing', 'conservative'); custom keys need the same shape."""
    if not _KEY_PATTERN.match(key):
        raise ValueError(
            f"preset key must look like <strategy>:<risk> (lowercase letters, digits, _ or -), "
            f"got {key!r}"
        )
    strategy, _, risk = key.partition(":")
    return strategy, risk
