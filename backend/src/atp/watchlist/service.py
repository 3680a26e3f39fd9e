"""Watchlist use-cases shared by the CLI, the REST API and the Telegram bot.

Services flush and never commit: the caller's unit of work owns the transaction, so a bad
value anywhere in a request leaves the database unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.db.base import utcnow
from atp.market.models import Instrument, MarketPrice
from atp.ops.config_trail import ChangeSource, record_change, record_changes
from atp.signals.models import StrategyPreset
from atp.signals.presets import validate_overrides
from atp.watchlist.fields import InvalidValueError, normalise_symbol, parse_field
from atp.watchlist.models import WatchlistItem

ENTITY = "watchlist"


class WatchlistError(ValueError):
    """A watchlist request that cannot be applied (unknown symbol, duplicate, bad value)."""


class WatchlistNotFoundError(WatchlistError):
    """The symbol is not on the watchlist (or, for restore, never was)."""


class WatchlistConflictError(WatchlistError):
    """The request clashes with the row's state: already on the list, or not deleted."""


class Listing(StrEnum):
    """Is a symbol on the exchange's instrument list (as last stored by the market updater)?"""

    LISTED = "listed"
    NOT_LISTED = "not_listed"
    UNKNOWN = "unknown"  # no instrument list stored yet
    REPLAY = "replay"  # market data comes from the offline replay feed: no exchange list


def instrument_listing(session: Session, symbol: str) -> Listing:
    if session.get(Instrument, symbol) is not None:
        return Listing.LISTED
    if session.scalar(select(Instrument.symbol).limit(1)) is None:
        return Listing.UNKNOWN
    # The replay feed stores instruments only for the symbols it was asked about; the source
    # of the newest ticker says which feed the updater uses now.
    newest_source = session.scalar(
        select(MarketPrice.source).order_by(MarketPrice.fetched_at.desc()).limit(1)
    )
    if newest_source == "replay":
        return Listing.REPLAY
    return Listing.NOT_LISTED


def list_items(session: Session, *, include_deleted: bool = False) -> list[WatchlistItem]:
    stmt = select(WatchlistItem).order_by(WatchlistItem.symbol)
    if not include_deleted:
        stmt = stmt.where(WatchlistItem.is_deleted.is_(False))
    return list(session.scalars(stmt))


def page_items(
    session: Session,
    *,
    include_deleted: bool = False,
    alert_enabled: bool | None = None,
    trade_enabled: bool | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[WatchlistItem]:
    """Newest first by id, at most `limit` rows with id < `before_id` (cursor pagination)."""
    stmt = select(WatchlistItem).order_by(WatchlistItem.id.desc()).limit(limit)
    if not include_deleted:
        stmt = stmt.where(WatchlistItem.is_deleted.is_(False))
    if alert_enabled is not None:
        stmt = stmt.where(WatchlistItem.alert_enabled.is_(alert_enabled))
    if trade_enabled is not None:
        stmt = stmt.where(WatchlistItem.trade_enabled.is_(trade_enabled))
    if before_id is not None:
        stmt = stmt.where(WatchlistItem.id < before_id)
    return list(session.scalars(stmt))


def get_item(session: Session, *, symbol: str, include_deleted: bool = False) -> WatchlistItem:
    item = _find(session, _symbol(symbol))
    if item is None or (item.is_deleted and not include_deleted):
        raise WatchlistNotFoundError(f"{symbol.upper()} is not on the watchlist")
    return item


def order_cap_warning(session: Session, symbol: str, amount: object) -> str | None:
    """The amount is saved, but the MAX_USD_PER_ORDER gate will refuse every order above the
    current cap: say so at edit time rather than at the first signal."""
    from atp.monitor.switches import load_switches  # the gate's own reader (fail-safe values)

    if not isinstance(amount, Decimal):
        return None
    cap = load_switches(session).max_usd_per_order
    if amount <= cap:
        return None
    return (
        f"{symbol} trade_amount_usd {_text(amount)} is above MAX_USD_PER_ORDER {_text(cap)}; "
        "its orders will be refused until the cap is raised "
        "(atp settings set MAX_USD_PER_ORDER ...) or the amount lowered"
    )


def add_item(
    session: Session,
    *,
    symbol: str,
    source: ChangeSource,
    values: Mapping[str, str] | None = None,
    actor: str | None = None,
    check_listing: bool = True,
) -> WatchlistItem:
    """Add a symbol with optional settings given as text (`{"trade_amount_usd": "50"}`).

    With `check_listing`, a symbol missing from a stored instrument list is refused (a typo
    would otherwise sit on the watchlist failing every market pass); with no list stored yet
    the symbol is added unchecked (callers say so, see `instrument_listing`).
    """
    normalised = _symbol(symbol)
    existing = _find(session, normalised)
    if existing is not None:
        hint = "use `restore`" if existing.is_deleted else "use `set` to change it"
        raise WatchlistConflictError(f"{normalised} is already on the watchlist ({hint})")
    if check_listing and instrument_listing(session, normalised) is Listing.NOT_LISTED:
        known = session.scalar(select(func.count()).select_from(Instrument))
        raise WatchlistError(
            f"{normalised} is not listed on the exchange ({known} instruments known); "
            "check the spelling, e.g. BTC_USDT"
        )
    parsed = _parse_all(session, values or {})
    item = WatchlistItem(symbol=normalised, exchange="CRYPTO_COM")
    for name, value in parsed.items():
        setattr(item, name, value)
    session.add(item)
    session.flush()
    record_change(
        session,
        source=source,
        entity=ENTITY,
        entity_key=normalised,
        field="*added",
        old=None,
        new={k: _plain(v) for k, v in parsed.items()},
        actor=actor,
    )
    return item


def set_fields(
    session: Session,
    *,
    symbol: str,
    values: Mapping[str, str],
    source: ChangeSource,
    actor: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Apply `key=value` changes; return {field: (old, new)} for the fields that changed."""
    if not values:
        raise WatchlistError("nothing to set: give at least one key=value")
    item = _get_or_error(session, symbol)
    parsed = _parse_all(session, values)
    changed = {
        name: (getattr(item, name), new)
        for name, new in parsed.items()
        if getattr(item, name) != new
    }
    for name, (_old, new) in changed.items():
        setattr(item, name, new)
    record_changes(
        session,
        source=source,
        entity=ENTITY,
        entity_key=item.symbol,
        changes=changed,
        actor=actor,
    )
    session.flush()
    return changed


def trading_symbols(session: Session) -> list[str]:
    """Symbols with trade_enabled on (not deleted), sorted."""
    return [item.symbol for item in list_items(session) if item.trade_enabled]


def disable_trading_everywhere(
    session: Session, *, source: ChangeSource, actor: str | None = None
) -> list[str]:
    """The panic switch: trade_enabled off on every symbol (one trail row each); returns them.

    Open positions and their protection are untouched: this stops NEW entries only.
    """
    symbols = trading_symbols(session)
    for symbol in symbols:
        set_fields(
            session,
            symbol=symbol,
            values={"trade_enabled": "false"},
            source=source,
            actor=actor,
        )
    return symbols


MAX_MUTE_MINUTES = 7 * 24 * 60


def mute_item(
    session: Session,
    *,
    symbol: str,
    minutes: int,
    now: datetime,
    source: ChangeSource,
    actor: str | None = None,
) -> datetime | None:
    """Mute SYMBOL's alerts (and so its orders) for `minutes` from `now`; 0 unmutes.

    Returns the new `muted_until` (None when unmuted). Muting twice keeps the later end, so
    a re-delivered "mute 1 h" tap never shortens a longer mute.
    """
    if not 0 <= minutes <= MAX_MUTE_MINUTES:
        raise WatchlistError(f"minutes must be between 0 and {MAX_MUTE_MINUTES}, got {minutes}")
    item = _get_or_error(session, symbol)
    old = item.muted_until
    new = None if minutes == 0 else now + timedelta(minutes=minutes)
    if new is not None and old is not None and old > new:
        new = old
    if new != old:
        item.muted_until = new
        record_changes(
            session,
            source=source,
            entity=ENTITY,
            entity_key=item.symbol,
            changes={"muted_until": (old, new)},
            actor=actor,
        )
        session.flush()
    return new


def remove_item(
    session: Session, *, symbol: str, source: ChangeSource, actor: str | None = None
) -> WatchlistItem:
    """Soft-delete: the row stays (history, restore); the monitor stops evaluating it."""
    item = _get_or_error(session, symbol)
    return _set_deleted(session, item, deleted=True, source=source, actor=actor)


def restore_item(
    session: Session, *, symbol: str, source: ChangeSource, actor: str | None = None
) -> WatchlistItem:
    item = _find(session, _symbol(symbol))
    if item is None:
        raise WatchlistNotFoundError(f"{symbol.upper()} was never on the watchlist; use `add`")
    if not item.is_deleted:
        raise WatchlistConflictError(f"{item.symbol} is not deleted")
    return _set_deleted(session, item, deleted=False, source=source, actor=actor)


def _set_deleted(
    session: Session,
    item: WatchlistItem,
    *,
    deleted: bool,
    source: ChangeSource,
    actor: str | None,
) -> WatchlistItem:
    item.is_deleted = deleted
    item.deleted_at = utcnow() if deleted else None
    record_change(
        session,
        source=source,
        entity=ENTITY,
        entity_key=item.symbol,
        field="is_deleted",
        old=not deleted,
        new=deleted,
        actor=actor,
    )
    session.flush()
    return item


def _symbol(raw: str) -> str:
    try:
        return normalise_symbol(raw)
    except InvalidValueError as exc:
        raise WatchlistError(str(exc)) from None


def _find(session: Session, symbol: str) -> WatchlistItem | None:
    stmt = select(WatchlistItem).where(
        WatchlistItem.symbol == symbol, WatchlistItem.exchange == "CRYPTO_COM"
    )
    return session.scalars(stmt).one_or_none()


def _get_or_error(session: Session, symbol: str) -> WatchlistItem:
    item = _find(session, _symbol(symbol))
    if item is None or item.is_deleted:
        raise WatchlistNotFoundError(f"{symbol.upper()} is not on the watchlist")
    return item


def _parse_all(session: Session, values: Mapping[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name, raw in values.items():
        try:
            parsed[name] = parse_field(name, raw)
        except InvalidValueError as exc:
            raise WatchlistError(str(exc)) from None
    overrides = parsed.get("overrides")
    if overrides is not None:
        try:
            validate_overrides(overrides)
        except ValueError as exc:
            raise WatchlistError(f"overrides: {exc}") from None
    preset = parsed.get("preset")
    if preset is not None and not _preset_exists(session, preset):
        raise WatchlistError(f"preset: unknown preset {preset!r} (see `atp presets list`)")
    return parsed


def _preset_exists(session: Session, key: str) -> bool:
    return session.scalar(select(StrategyPreset.id).where(StrategyPreset.key == key)) is not None


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")
