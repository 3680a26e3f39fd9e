"""Operator switches and limits stored in `trading_settings`: one registry, validated writes.

Every surface (CLI now; REST API and Telegram later) changes them through `set_setting`, which
refuses unknown keys and unreadable values (nothing is written), stores a canonical text value,
and records the change in the config-change trail. Readers (monitor gates, Telegram gating)
keep their own safe defaults for a missing row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.flags import parse_flag
from atp.db.base import utcnow
from atp.ops.config_trail import ChangeSource, record_change
from atp.ops.models import TradingSetting


class SettingError(ValueError):
    """An unknown key or a value the switch cannot take; nothing was written."""


class UnknownSettingError(SettingError):
    """The key is not in the registry (a REST API answers 404 rather than 422)."""


# The largest MAX_USD_PER_ORDER the registry accepts: no order can ever be larger, so a
# watchlist trade amount above it is refused outright (below it, an amount above the current
# cap is saved with a warning: the operator may raise the cap).
MAX_USD_PER_ORDER_BOUND = 100_000


def _flag(raw: str) -> str:
    value = parse_flag(raw)
    if value is None:
        raise SettingError(f"expected on/off (true/false, yes/no), got {raw!r}")
    return "true" if value else "false"


def _count_up_to(limit: int) -> Callable[[str], str]:
    """A whole number in 0..limit; the upper bound refuses typos such as an extra zero or two."""

    def parse(raw: str) -> str:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingError(f"expected a whole number, got {raw!r}") from None
        if value < 0:
            raise SettingError(f"must not be negative, got {raw!r}")
        if value > limit:
            raise SettingError(f"must be at most {limit} (sanity bound), got {raw!r}")
        return str(value)

    return parse


def _usd_up_to(limit: int) -> Callable[[str], str]:
    """A USD amount in (0, limit] with at most 2 decimals."""

    def parse(raw: str) -> str:
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise SettingError(f"expected an amount in USD, got {raw!r}") from None
        if not value.is_finite() or value <= 0:
            raise SettingError(f"must be > 0 (a positive amount in USD), got {raw!r}")
        if value > limit:
            raise SettingError(f"must be at most {limit} USD (sanity bound), got {raw!r}")
        if value != value.quantize(Decimal("0.01")):
            raise SettingError(f"expected an amount with at most 2 decimals, got {raw!r}")
        return format(value, "f")

    return parse


@dataclass(frozen=True)
class SettingSpec:
    key: str
    parse: Callable[[str], str]
    default: str  # what readers assume when the row is missing
    meaning: str


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "KILL_SWITCH", _flag, "false", "block every new entry order (never protection)"
        ),
        SettingSpec("LIVE_TRADING", _flag, "false", "allow order intents to reach the exchange"),
        SettingSpec(
            "MONITOR_PAUSED", _flag, "false", "signal monitor idles (obeyed within one cycle)"
        ),
        SettingSpec(
            "TELEGRAM_ALERTS_ENABLED", _flag, "true", "operator switch for Telegram alerts"
        ),
        SettingSpec(
            "MAX_USD_PER_ORDER",
            _usd_up_to(MAX_USD_PER_ORDER_BOUND),
            "100",
            "largest order in USD (larger is refused)",
        ),
        SettingSpec(
            "MAX_OPEN_ORDERS_PER_COIN", _count_up_to(50), "3", "open positions per base coin"
        ),
        SettingSpec("MAX_OPEN_ORDERS_TOTAL", _count_up_to(500), "10", "open positions in total"),
        SettingSpec(
            "MIN_SECONDS_BETWEEN_ORDERS",
            _count_up_to(7 * 86_400),
            "600",
            "spacing of orders per symbol",
        ),
        SettingSpec(
            "MAX_ORDERS_PER_SYMBOL_PER_DAY", _count_up_to(100), "2", "orders per symbol per UTC day"
        ),
    )
}


@dataclass(frozen=True)
class SettingValue:
    key: str
    value: str
    is_default: bool
    meaning: str
    updated_by: str | None


def list_settings(session: Session) -> list[SettingValue]:
    rows = {row.key: row for row in session.scalars(select(TradingSetting))}
    out = []
    for key, spec in SPECS.items():
        row = rows.get(key)
        value = spec.default if row is None else row.value
        updated_by = None if row is None else row.updated_by
        out.append(SettingValue(key, value, row is None, spec.meaning, updated_by))
    return out


def spec_for(key: str) -> SettingSpec:
    spec = SPECS.get(key.strip().upper())
    if spec is None:
        raise UnknownSettingError(f"unknown setting {key!r}; known: {', '.join(SPECS)}")
    return spec


def set_setting(
    session: Session, *, key: str, raw: str, source: ChangeSource, actor: str | None = None
) -> tuple[str | None, str] | None:
    """Validate and store; return (old, new) when the value changed, None when it did not."""
    spec = spec_for(key)
    new = spec.parse(raw)
    row = session.get(TradingSetting, spec.key)
    old = None if row is None else row.value
    if old == new:
        return None
    if row is None:
        row = TradingSetting(key=spec.key, value=new)
        session.add(row)
    row.value, row.updated_at, row.updated_by = new, utcnow(), str(source)
    record_change(
        session,
        source=source,
        entity="setting",
        entity_key=spec.key,
        field="value",
        old=old,
        new=new,
        actor=actor,
    )
    session.flush()
    return old, new
