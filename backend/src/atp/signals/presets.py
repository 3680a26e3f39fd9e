"""Strategy presets in the database: seeding, versioned edits, and resolution per symbol.

Contract used by the signal monitor:

- `resolve_for_item(session, item) -> ResolvedPreset(key, version, params, ...)` - the
  item's preset (`swing:conservative` when none is assigned) with the item's settings
  applied, most specific last: the preset's params, then the item's `overrides` JSON
  (keys are `PresetParams` field names), then the dedicated columns
  `alert_cooldown_minutes` -> cooldown_minutes, `min_price_change_pct`, `buy_target`,
  `sl_percentage` -> sl_method=percent + sl_pct, `tp_percentage` -> tp_method=percent + tp_pct.
  Raises `PresetResolutionError` (with a machine-readable `code`: PRESET_UNKNOWN,
  PRESET_INVALID, OVERRIDES_INVALID) - never silently falls back to other values.
- `resolve_many(session, items) -> ResolvedBatch` - one query for all items; a dict
  {symbol: ResolvedPreset} for the items that resolved, with `.errors` {symbol: message}
  for the others.

Every change (seed, edit, create) is recorded through `atp.ops.config_trail.record_change`
with its source; each edit bumps the preset's `version`. Functions flush and never commit:
the caller's unit of work owns the transaction, so a bad value changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.presets import (
    BUILTIN_DESCRIPTIONS,
    BUILTIN_PRESETS,
    DEFAULT_PRESET_KEY,
    PresetParams,
    split_key,
)
from atp.ops.config_trail import ChangeSource, record_change, record_changes
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem

ENTITY = "preset"


class PresetError(ValueError):
    """A preset request that cannot be applied; the message says why."""


class PresetNotFoundError(PresetError):
    """No preset with that key."""


class PresetConflictError(PresetError):
    """A preset with that key already exists."""


class PresetResolutionError(PresetError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ResolvedPreset:
    key: str
    version: int
    params: PresetParams
    applied: dict[str, Any] = field(default_factory=dict)  # the item-level values applied


class ResolvedBatch(dict[str, ResolvedPreset]):
    """{symbol: ResolvedPreset} plus `errors` {symbol: reason} for items that did not resolve."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, str] = {}


# --- reading ------------------------------------------------------------------------------


def list_presets(session: Session) -> list[StrategyPreset]:
    return list(session.scalars(select(StrategyPreset).order_by(StrategyPreset.key)))


def page_presets(
    session: Session, *, before_id: int | None = None, limit: int = 50
) -> list[StrategyPreset]:
    """Newest first by id, at most `limit` rows with id < `before_id` (cursor pagination)."""
    stmt = select(StrategyPreset).order_by(StrategyPreset.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(StrategyPreset.id < before_id)
    return list(session.scalars(stmt))


def get_preset(session: Session, key: str) -> StrategyPreset:
    row = session.scalars(
        select(StrategyPreset).where(StrategyPreset.key == key.strip().lower())
    ).first()
    if row is None:
        raise PresetNotFoundError(f"unknown preset {key!r} (see `atp presets list`)")
    return row


def params_of(row: StrategyPreset) -> PresetParams:
    try:
        return PresetParams.from_dict(row.params)
    except ValueError as exc:
        raise PresetResolutionError(
            "PRESET_INVALID", f"preset {row.key} is invalid: {exc}"
        ) from None


# --- seeding and editing ------------------------------------------------------------------


def seed_presets(session: Session) -> list[str]:
    """Insert the built-in presets that are missing; never touches existing rows (operator
    edits survive upgrades). Returns the keys inserted."""
    existing = set(session.scalars(select(StrategyPreset.key)))
    inserted: list[str] = []
    for key, params in BUILTIN_PRESETS.items():
        if key in existing:
            continue
        strategy, risk = split_key(key)
        values = params.to_dict()
        session.add(
            StrategyPreset(
                key=key,
                strategy=strategy,
                risk=risk,
                version=1,
                params=values,
                is_builtin=True,
                description=BUILTIN_DESCRIPTIONS.get(key),
            )
        )
        record_change(
            session,
            source=ChangeSource.SYSTEM,
            entity=ENTITY,
            entity_key=key,
            field="*seeded",
            old=None,
            new=values,
            actor="seed",
        )
        inserted.append(key)
    session.flush()
    return inserted


def update_preset(
    session: Session,
    key: str,
    values: Mapping[str, Any],
    *,
    source: ChangeSource,
    actor: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Apply parameter changes (text or native values). Validates the whole result first;
    records one trail row per changed field plus the version bump. Returns {field: (old, new)}."""
    if not values:
        raise PresetError("nothing to set: give at least one key=value")
    row = get_preset(session, key)
    current = params_of(row)
    try:
        updated = current.with_overrides(values)
    except ValueError as exc:
        raise PresetError(f"{row.key}: {exc}") from None
    old_dict, new_dict = current.to_dict(), updated.to_dict()
    changed = {
        name: (old_dict[name], new_dict[name])
        for name in new_dict
        if old_dict[name] != new_dict[name]
    }
    if not changed:
        return {}
    version = {"version": (row.version, row.version + 1)}
    record_changes(
        session,
        source=source,
        entity=ENTITY,
        entity_key=row.key,
        changes={**changed, **version},
        actor=actor,
    )
    row.params = new_dict
    row.version += 1
    session.flush()
    return changed


def create_preset(
    session: Session,
    key: str,
    *,
    base: str,
    values: Mapping[str, Any] | None = None,
    source: ChangeSource,
    description: str | None = None,
    actor: str | None = None,
) -> StrategyPreset:
    """A custom preset: a copy of `base` with `values` applied (version 1)."""
    key = key.strip().lower()
    try:
        strategy, risk = split_key(key)
    except ValueError as exc:
        raise PresetError(str(exc)) from None
    if session.scalars(select(StrategyPreset.id).where(StrategyPreset.key == key)).first():
        raise PresetConflictError(f"preset {key} already exists (use `atp presets set`)")
    if description is not None and len(description) > 500:
        raise PresetError("description is limited to 500 characters")
    try:
        params = params_of(get_preset(session, base)).with_overrides(values or {})
    except PresetResolutionError:
        raise
    except ValueError as exc:
        raise PresetError(f"{key}: {exc}") from None
    row = StrategyPreset(
        key=key,
        strategy=strategy,
        risk=risk,
        version=1,
        params=params.to_dict(),
        is_builtin=False,
        description=description,
    )
    session.add(row)
    record_change(
        session,
        source=source,
        entity=ENTITY,
        entity_key=key,
        field="*created",
        old=None,
        new={"base": base, **params.to_dict()},
        actor=actor,
    )
    session.flush()
    return row


# --- resolution for a watchlist row -------------------------------------------------------


def item_overrides(item: WatchlistItem) -> dict[str, Any]:
    """The item-level values that override its preset, in the order they apply."""
    applied: dict[str, Any] = dict(item.overrides or {})
    if item.alert_cooldown_minutes is not None:
        applied["cooldown_minutes"] = item.alert_cooldown_minutes
    if item.min_price_change_pct is not None:
        applied["min_price_change_pct"] = item.min_price_change_pct
    if item.buy_target is not None:
        applied["buy_target"] = item.buy_target
    if item.sl_percentage is not None:
        applied.update(sl_method="percent", sl_pct=item.sl_percentage)
    if item.tp_percentage is not None:
        applied.update(tp_method="percent", tp_pct=item.tp_percentage)
    return applied


def validate_overrides(overrides: Mapping[str, Any], base: PresetParams | None = None) -> None:
    """Raise ValueError if `overrides` would not apply (for the watchlist edit surfaces)."""
    (base or BUILTIN_PRESETS[DEFAULT_PRESET_KEY]).with_overrides(overrides)


def resolve_for_item(session: Session, item: WatchlistItem) -> ResolvedPreset:
    key = _key_of(item)
    row = session.scalars(select(StrategyPreset).where(StrategyPreset.key == key)).first()
    return _resolve(item, key, row)


def resolve_many(session: Session, items: Sequence[WatchlistItem]) -> ResolvedBatch:
    keys = {_key_of(item) for item in items}
    rows = {r.key: r for r in _rows_for(session, keys)}
    batch = ResolvedBatch()
    for item in items:
        key = _key_of(item)
        try:
            batch[item.symbol] = _resolve(item, key, rows.get(key))
        except PresetResolutionError as exc:
            batch.errors[item.symbol] = f"{exc.code}: {exc}"
    return batch


def _rows_for(session: Session, keys: Iterable[str]) -> list[StrategyPreset]:
    wanted = sorted(keys)
    if not wanted:
        return []
    return list(session.scalars(select(StrategyPreset).where(StrategyPreset.key.in_(wanted))))


def _key_of(item: WatchlistItem) -> str:
    return (item.preset or DEFAULT_PRESET_KEY).strip().lower()


def _resolve(item: WatchlistItem, key: str, row: StrategyPreset | None) -> ResolvedPreset:
    if row is None:
        raise PresetResolutionError("PRESET_UNKNOWN", f"{item.symbol}: unknown preset {key!r}")
    base = params_of(row)
    applied = item_overrides(item)
    try:
        params = base.with_overrides(applied)
    except ValueError as exc:
        raise PresetResolutionError(
            "OVERRIDES_INVALID", f"{item.symbol} overrides: {exc}"
        ) from None
    return ResolvedPreset(key=row.key, version=row.version, params=params, applied=applied)
