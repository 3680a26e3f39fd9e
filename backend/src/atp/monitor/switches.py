"""Trading switches and order limits from `trading_settings`, with the legacy defaults.

Keys (value is text):
- `KILL_SWITCH` (`true`/`false`, missing = off; empty or unreadable = ON - fail closed like the
  old system, and if the table itself cannot be read, no switch is trusted: the cycle fails)
- `LIVE_TRADING` (`true`/`false`, missing = off)
- `MONITOR_PAUSED` (`true`/`false`, missing = running)
- `MAX_USD_PER_ORDER` (100), `MAX_OPEN_ORDERS_PER_COIN` (3), `MAX_OPEN_ORDERS_TOTAL` (10),
  `MIN_SECONDS_BETWEEN_ORDERS` (600), `MAX_ORDERS_PER_SYMBOL_PER_DAY` (2).
An unreadable limit falls back to its default and is reported in `problems` (never silently 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.flags import parse_flag
from atp.ops.config_trail import ChangeSource
from atp.ops.models import TradingSetting
from atp.ops.trading_settings import SPECS, set_setting

KILL_SWITCH = "KILL_SWITCH"
LIVE_TRADING = "LIVE_TRADING"
MONITOR_PAUSED = "MONITOR_PAUSED"

LIMIT_KEYS = (
    "MAX_USD_PER_ORDER",
    "MAX_OPEN_ORDERS_PER_COIN",
    "MAX_OPEN_ORDERS_TOTAL",
    "MIN_SECONDS_BETWEEN_ORDERS",
    "MAX_ORDERS_PER_SYMBOL_PER_DAY",
)
LIMIT_DEFAULTS: dict[str, Decimal] = {key: Decimal(SPECS[key].default) for key in LIMIT_KEYS}


@dataclass(frozen=True)
class TradingSwitches:
    kill_switch: bool = False
    live_trading: bool = False
    monitor_paused: bool = False
    max_usd_per_order: Decimal = LIMIT_DEFAULTS["MAX_USD_PER_ORDER"]
    max_open_orders_per_coin: int = 3
    max_open_orders_total: int = 10
    min_seconds_between_orders: int = 600
    max_orders_per_symbol_per_day: int = 2
    problems: tuple[str, ...] = field(default_factory=tuple)


def _flag(raw: str | None, *, missing: bool, unreadable: bool) -> tuple[bool, bool]:
    """(value, readable) for a boolean setting."""
    if raw is None:
        return missing, True
    # An emptied value is not "off": parse_flag refuses it, so KILL_SWITCH reads as ON.
    value = parse_flag(raw)
    return (unreadable, False) if value is None else (value, True)


def _limit(values: dict[str, str], key: str, problems: list[str]) -> Decimal:
    raw = values.get(key)
    if raw is None:
        return LIMIT_DEFAULTS[key]
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        problems.append(f"{key}={raw!r} is not a non-negative number; using {LIMIT_DEFAULTS[key]}")
        return LIMIT_DEFAULTS[key]
    return value


def load_switches(session: Session) -> TradingSwitches:
    """All switches and limits in one query."""
    values = {row.key: row.value for row in session.scalars(select(TradingSetting))}
    problems: list[str] = []
    kill, ok = _flag(values.get(KILL_SWITCH), missing=False, unreadable=True)
    if not ok:
        problems.append(f"{KILL_SWITCH}={values[KILL_SWITCH]!r} is unreadable; treated as ON")
    live, ok = _flag(values.get(LIVE_TRADING), missing=False, unreadable=False)
    if not ok:
        problems.append(f"{LIVE_TRADING}={values[LIVE_TRADING]!r} is unreadable; treated as OFF")
    paused, _ = _flag(values.get(MONITOR_PAUSED), missing=False, unreadable=False)
    return TradingSwitches(
        kill_switch=kill,
        live_trading=live,
        monitor_paused=paused,
        max_usd_per_order=_limit(values, "MAX_USD_PER_ORDER", problems),
        max_open_orders_per_coin=int(_limit(values, "MAX_OPEN_ORDERS_PER_COIN", problems)),
        max_open_orders_total=int(_limit(values, "MAX_OPEN_ORDERS_TOTAL", problems)),
        min_seconds_between_orders=int(_limit(values, "MIN_SECONDS_BETWEEN_ORDERS", problems)),
        max_orders_per_symbol_per_day=int(
            _limit(values, "MAX_ORDERS_PER_SYMBOL_PER_DAY", problems)
        ),
        problems=tuple(problems),
    )


def is_paused(session: Session) -> bool:
    row = session.get(TradingSetting, MONITOR_PAUSED)
    return row is not None and _flag(row.value, missing=False, unreadable=False)[0]


def set_paused(
    session: Session, *, paused: bool, source: ChangeSource, actor: str | None = None
) -> bool:
    """Persist the pause switch (flush only), recorded in the config trail; True if it changed."""
    if is_paused(session) == paused:
        return False
    changed = set_setting(
        session, key=MONITOR_PAUSED, raw="true" if paused else "false", source=source, actor=actor
    )
    return changed is not None
