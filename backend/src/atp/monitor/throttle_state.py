"""Throttle memory per (symbol, strategy key, side) in `signal_throttle_state`, and its resets.

The rule itself is `atp.core.throttle.evaluate_throttle` (pure). This module loads the memory in
one query, notices configuration changes through a hash of the symbol's relevant fields, and
builds the deterministic idempotency keys of the effects.

Config change: the hash covers the fields that change what an alert means (alert and side
switches, preset key and version, overrides, cooldown, price threshold) - not the fields that
only shape the order that may follow (trade switch, amount): editing those must not buy a free
alert past the cooldown. When a stored hash differs, that symbol's rows - and only that
symbol's - are reset: the baseline (last sent time and price) is cleared so the next signal
counts as a first alert, `reset_at`/`reset_reason` are set, and a `config_changes` row with
source=system records the old baseline. A row without a hash, or with a hash of an older field
set (no `v2:` prefix), just gets the current one: no free bypass alert, unlike the legacy system.

Every write here is conditional on what the cycle read (the row's hash and last sent time), so a
second writer with an older view changes nothing (`ThrottleChangedError`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from atp.core.throttle import config_hash
from atp.ops.config_trail import ChangeSource, record_change
from atp.signals.models import SignalThrottleState

CONFIG_RESET_REASON = "CONFIG_CHANGED"
# Prefix of hashes over the current HASHED_FIELDS. Hashes without it were computed over another
# field set: they are re-stamped, never treated as a configuration change.
HASH_VERSION = "v2:"
HASHED_FIELDS = (
    "alert_enabled",
    "buy_alert_enabled",
    "sell_alert_enabled",
    "preset",
    "overrides",
    "min_price_change_pct",
    "alert_cooldown_minutes",
)


@dataclass(frozen=True)
class ThrottleMemory:
    """A snapshot of one `signal_throttle_state` row."""

    id: int
    symbol: str
    strategy_key: str
    side: str
    last_sent_at: datetime | None
    last_sent_price: Decimal | None
    previous_sent_price: Decimal | None
    config_hash: str | None
    reset_at: datetime | None


ThrottleKey = tuple[str, str, str]  # (symbol, strategy_key, side)


def load_memory(session: Session, symbols: Iterable[str]) -> dict[ThrottleKey, ThrottleMemory]:
    wanted = list(symbols)
    if not wanted:
        return {}
    rows = session.scalars(
        select(SignalThrottleState).where(SignalThrottleState.symbol.in_(wanted))
    )
    return {(r.symbol, r.strategy_key, r.side): _snapshot(r) for r in rows}


def _snapshot(r: SignalThrottleState) -> ThrottleMemory:
    return ThrottleMemory(
        r.id,
        r.symbol,
        r.strategy_key,
        r.side,
        r.last_sent_at,
        r.last_sent_price,
        r.previous_sent_price,
        r.config_hash,
        r.reset_at,
    )


def symbol_config_hash(fields: Mapping[str, Any], preset_version: int | None) -> str:
    values = {name: fields.get(name) for name in HASHED_FIELDS}
    values["preset_version"] = preset_version
    digest = config_hash(values)
    return HASH_VERSION + digest[: 64 - len(HASH_VERSION)]  # the column holds 64 characters


def resets_baseline(row: ThrottleMemory) -> bool:
    """True if a differing stored hash means a configuration change (not an older hash format)."""
    return row.config_hash is not None and row.config_hash.startswith(HASH_VERSION)


class ThrottleChangedError(RuntimeError):
    """The throttle row no longer holds what the cycle read: another writer changed it."""


def stale_rows(memory: Iterable[ThrottleMemory], current_hash: str) -> list[ThrottleMemory]:
    """Rows whose stored hash is missing or differs from the symbol's current hash."""
    return [m for m in memory if m.config_hash != current_hash]


def apply_config_hash(
    session: Session, rows: Iterable[ThrottleMemory], current_hash: str, now: datetime
) -> list[ThrottleMemory]:
    """Reset changed rows / stamp the others (flush only). Returns the updated snapshots.

    Raises ThrottleChangedError if a row changed since it was read (the caller rolls back).
    """
    updated: list[ThrottleMemory] = []
    for row in rows:
        if not resets_baseline(row):
            _update_as_read(session, row, config_hash=current_hash, updated_at=now)
            updated.append(replace(row, config_hash=current_hash))
            continue
        reset: dict[str, Any] = {
            "last_sent_at": None,
            "last_sent_price": None,
            "previous_sent_price": row.last_sent_price,
            "config_hash": current_hash,
            "reset_at": now,
        }
        _update_as_read(session, row, **reset, reset_reason=CONFIG_RESET_REASON, updated_at=now)
        _record_reset(session, row, current_hash)
        updated.append(replace(row, **reset))
    session.flush()
    return updated


def _update_as_read(session: Session, row: ThrottleMemory, **values: Any) -> None:
    """UPDATE the row only if its hash and last sent time are still what was read."""
    table = SignalThrottleState
    result = session.execute(
        update(table)
        .where(
            table.id == row.id,
            table.config_hash.is_not_distinct_from(row.config_hash),
            table.last_sent_at.is_not_distinct_from(row.last_sent_at),
        )
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ThrottleChangedError(f"{row.symbol}: throttle row {row.id} changed since it was read")


def _record_reset(session: Session, row: ThrottleMemory, current_hash: str) -> None:
    record_change(
        session,
        source=ChangeSource.SYSTEM,
        entity="throttle",
        entity_key=row.symbol,
        field="baseline",
        old={
            "strategy_key": row.strategy_key,
            "side": row.side,
            "last_sent_at": None if row.last_sent_at is None else row.last_sent_at.isoformat(),
            "last_sent_price": None if row.last_sent_price is None else str(row.last_sent_price),
            "config_hash": row.config_hash,
        },
        new={"reason": CONFIG_RESET_REASON, "config_hash": current_hash},
        actor="monitor",
    )


def alert_idempotency_key(
    symbol: str, strategy_key: str, side: str, memory: ThrottleMemory | None
) -> str:
    """Deterministic per alert: derived from the baseline the alert replaces.

    Two monitors that ever evaluated the same baseline would produce the same key, so the
    unique constraint refuses the second alert (defence in depth behind the leader lock).
    """
    if memory is not None and memory.last_sent_at is not None:
        anchor = "sent:" + memory.last_sent_at.isoformat()
    elif memory is not None and memory.reset_at is not None:
        anchor = "reset:" + memory.reset_at.isoformat()
    else:
        anchor = "first"
    digest = hashlib.sha256(f"{symbol}|{strategy_key}|{side}|{anchor}".encode()).hexdigest()
    return f"alert:{symbol}:{side}:{digest[:32]}"


def intent_idempotency_key(alert_key: str) -> str:
    return "intent:" + alert_key.removeprefix("alert:")


def client_oid_for(intent_key: str) -> str:
    """36 characters (the exchange's limit), deterministic from the intent key."""
    return "atp-" + hashlib.sha256(intent_key.encode()).hexdigest()[:32]
