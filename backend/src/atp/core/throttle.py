"""The alert throttle policy: one pure rule, applied per (symbol, strategy key, side).

Contract used by the signal monitor (and the backtest):

    evaluate_throttle(*, now, price, last_sent_at, last_sent_price,
                      cooldown_minutes, min_price_change_pct) -> ThrottleResult

1. No alert was ever sent for this (symbol, strategy, side) -> allowed (first alert).
2. Time gate: `now - last_sent_at < cooldown_minutes` -> THROTTLED_TIME_GATE.
   (The preset's / symbol's cooldown is honoured; legacy used a fixed 60 s.)
3. Price gate: `|price - last_sent_price| / last_sent_price * 100 < min_price_change_pct`
   -> THROTTLED_PRICE_GATE. Measured from the last *sent* alert's price, so a slow drift
   cannot be hidden by throttled signals moving a baseline. A threshold of 0 disables it.
4. Otherwise allowed. The caller then stores (now, price) as the new last-sent values in
   the same transaction as the outbox row.

BUY and SELL are independent: the caller keeps one state per side. Prices are Decimal.

`config_hash(fields)` is a stable sha256 of a mapping of configuration values (key order,
Decimal('1.0') vs Decimal('1'), int vs float do not matter) that the monitor stores with the
throttle state to notice that a symbol's configuration changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

ThrottleReason = Literal["THROTTLED_TIME_GATE", "THROTTLED_PRICE_GATE"]
TIME_GATE: ThrottleReason = "THROTTLED_TIME_GATE"
PRICE_GATE: ThrottleReason = "THROTTLED_PRICE_GATE"
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ThrottleResult:
    allowed: bool
    reason: ThrottleReason | None
    detail: str


def evaluate_throttle(
    *,
    now: datetime,
    price: Decimal,
    last_sent_at: datetime | None,
    last_sent_price: Decimal | None,
    cooldown_minutes: Decimal | int,
    min_price_change_pct: Decimal | int,
) -> ThrottleResult:
    """Decide whether an alert may be sent now (pure; see the module docstring)."""
    _check_aware(now, "now")
    if last_sent_at is None:
        return ThrottleResult(True, None, "first alert for this symbol, strategy and side")
    _check_aware(last_sent_at, "last_sent_at")
    cooldown = Decimal(cooldown_minutes)
    elapsed = now - last_sent_at
    if elapsed < timedelta(minutes=float(cooldown)):
        minutes = Decimal(elapsed.total_seconds()) / 60
        return ThrottleResult(
            False,
            TIME_GATE,
            f"{_fmt(minutes, 2)} min since the last alert < cooldown {_fmt(cooldown, 4)} min",
        )
    threshold = Decimal(min_price_change_pct)
    if threshold <= 0 or last_sent_price is None or last_sent_price <= 0:
        return ThrottleResult(True, None, "cooldown elapsed; no price gate")
    change = abs(price - last_sent_price) / last_sent_price * _HUNDRED
    if change < threshold:
        return ThrottleResult(
            False,
            PRICE_GATE,
            f"price moved {_fmt(change, 4)} % from the last alert's {_fmt(last_sent_price, 12)}"
            f" < {_fmt(threshold, 4)} %",
        )
    return ThrottleResult(
        True, None, f"price moved {_fmt(change, 4)} % >= {_fmt(threshold, 4)} % after cooldown"
    )


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


def _fmt(value: Decimal, places: int) -> str:
    text = format(round(value, places), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def config_hash(fields: Mapping[str, Any]) -> str:
    """Stable sha256 hex digest of a configuration mapping."""
    canonical = json.dumps(_canonical(fields), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError(f"config_hash: non-finite number {value!r}")
        return "#" + format(number.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_canonical(v) for v in value]
    raise TypeError(f"config_hash: unsupported value type {type(value).__name__}")
