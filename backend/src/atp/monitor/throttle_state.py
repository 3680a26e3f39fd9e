"""Throttle memory per (symbol, strategy key, side) in `signal_throttle_state`, and its resets.

The rule itself is `atp.core.throttle.evaluate_throttle` (pure). This module loads the memory in
one query, notices configuration changes through a hash of the symbol's relevant fields, and
builds the deterministic idempotency keys of the effects.

Config change: the hash covers the fields that change what an alert means (alert/side/trade
switches, amount, preset key and version, overrides, cooldown, price threshold). When a stored
hash differs, that symbol's rows - and only that symbol's - are reset: the baseline (last sent
time and price) is cleared so the next signal counts as a first alert, `reset_at`/`reset_reason`
are set, and a `config_changes` row with source=system records the old baseline. A row without
a hash just gets one (no free bypass alert, unlike the legacy system).
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
HASHED_FIELDS = (
    "alert_enabled",
    "buy_alert_enabled",
    "sell_alert_enabled",
    "trade_enabled",
    "trade_amount_usd",
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
    return config_hash(values)


def stale_rows(memory: Iterable[ThrottleMemory], current_hash: str) -> list[ThrottleMemory]:
    """Rows whose stored hash is missing or differs from the symbol's current hash."""
    return [m for m in memory if m.config_hash != current_hash]


def apply_config_hash(
    session: Session, rows: Iterable[ThrottleMemory], current_hash: str, now: datetime
) -> list[ThrottleMemory]:
    """Reset changed rows / stamp hashless ones (flush only). Returns the updated snapshots."""
    updated: list[ThrottleMemory] = []
    for row in rows:
        if row.config_hash is None:
            session.execute(
                update(SignalThrottleState)
                .where(SignalThrottleState.id == row.id)
                .values(config_hash=current_hash, updated_at=now)
            )
            updated.append(replace(row, config_hash=current_hash))
            continue
        session.execute(
            update(SignalThrottleState)
            .where(SignalThrottleState.id == row.id)
            .values(
                last_sent_at=None,
                last_sent_price=None,
                previous_sent_price=row.last_sent_price,
                config_hash=current_hash,
                reset_at=now,
                reset_reason=CONFIG_RESET_REASON,
                updated_at=now,
            )
        )
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
                "last_sent_price": None
                if row.last_sent_price is None
                else str(row.last_sent_price),
                "config_hash": row.config_hash,
            },
            new={"reason": CONFIG_RESET_REASON, "config_hash": current_hash},
            actor="monitor",
        )
        updated.append(
            replace(
                row,
                last_sent_at=None,
                last_sent_price=None,
                previous_sent_price=row.last_sent_price,
                config_hash=current_hash,
                reset_at=now,
            )
        )
    session.flush()
    return updated


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
