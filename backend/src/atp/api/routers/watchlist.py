"""Routes: the watchlist (list, read, add, edit, flag toggles, soft delete, restore).

Thin: parse, one unit of work (`get_session`), call `atp.watchlist.service` with
source=api - the same functions and rules as `atp watchlist`. Every mutation writes the
config-change trail in the same transaction; a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from atp.api.deps import get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from atp.api.schemas.common import CONFLICT, NOT_FOUND, changes_out, conflict, not_found, refuse
from atp.api.schemas.watchlist import (
    WatchlistAdd,
    WatchlistAdded,
    WatchlistChanged,
    WatchlistFields,
    WatchlistFlags,
    WatchlistItemOut,
)
from atp.ops.config_trail import ChangeSource
from atp.watchlist import service

router = APIRouter(prefix="/api", tags=["watchlist"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SymbolPath = Annotated[str, Path(max_length=32, description="e.g. BTC_USDT (any case)")]
ACTOR = "api"
T = TypeVar("T")


def _call(action: Callable[[], T]) -> T:
    """Map the service's refusals: unknown symbol 404, state clash 409, bad input 422."""
    try:
        return action()
    except service.WatchlistNotFoundError as exc:
        not_found(str(exc))
    except service.WatchlistConflictError as exc:
        conflict(str(exc))
    except service.WatchlistError as exc:
        refuse(str(exc))


@router.get("/watchlist", response_model=Page[WatchlistItemOut])
def list_watchlist(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_deleted: Annotated[bool, Query(description="also soft-deleted rows")] = False,
    alert_enabled: Annotated[bool | None, Query(description="only rows with this switch")] = None,
    trade_enabled: Annotated[bool | None, Query(description="only rows with this switch")] = None,
) -> Page[WatchlistItemOut]:
    """Watchlist rows, newest first."""
    rows = service.page_items(
        session,
        include_deleted=include_deleted,
        alert_enabled=alert_enabled,
        trade_enabled=trade_enabled,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    return Page(
        items=[WatchlistItemOut.of(r) for r in rows[:limit]],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.get("/watchlist/{symbol}", response_model=WatchlistItemOut, responses=NOT_FOUND)
def get_watchlist_item(
    symbol: SymbolPath,
    session: SessionDep,
    include_deleted: Annotated[bool, Query(description="also a soft-deleted row")] = False,
) -> WatchlistItemOut:
    item = _call(lambda: service.get_item(session, symbol=symbol, include_deleted=include_deleted))
    return WatchlistItemOut.of(item)


@router.post("/watchlist", status_code=201, response_model=WatchlistAdded, responses=CONFLICT)
def add_watchlist_item(body: WatchlistAdd, session: SessionDep) -> WatchlistAdded:
    """Add a symbol (refused when a stored exchange instrument list does not have it)."""
    item = _call(
        lambda: service.add_item(
            session,
            symbol=body.symbol,
            source=ChangeSource.API,
            values=body.as_text(),
            actor=ACTOR,
        )
    )
    listing = service.instrument_listing(session, item.symbol)
    warnings = [w for w in (_listing_note(listing, item.symbol),) if w]
    cap = service.order_cap_warning(session, item.symbol, item.trade_amount_usd)
    return WatchlistAdded(
        item=WatchlistItemOut.of(item), listing=listing, warnings=warnings + ([cap] if cap else [])
    )


@router.patch("/watchlist/{symbol}", response_model=WatchlistChanged, responses=NOT_FOUND)
def update_watchlist_item(
    symbol: SymbolPath, body: WatchlistFields, session: SessionDep
) -> WatchlistChanged:
    """Change configurable columns (only the fields sent; `null` clears an optional one)."""
    return _set(session, symbol, body.as_text())


@router.post("/watchlist/{symbol}/flags", response_model=WatchlistChanged, responses=NOT_FOUND)
def set_watchlist_flags(
    symbol: SymbolPath, body: WatchlistFlags, session: SessionDep
) -> WatchlistChanged:
    """Flip switches, e.g. `{"alert_enabled": false}`; the others stay as they are."""
    return _set(session, symbol, body.as_text())


@router.delete("/watchlist/{symbol}", response_model=WatchlistItemOut, responses=NOT_FOUND)
def delete_watchlist_item(symbol: SymbolPath, session: SessionDep) -> WatchlistItemOut:
    """Soft delete: the row and its settings stay (restore brings them back)."""
    item = _call(
        lambda: service.remove_item(session, symbol=symbol, source=ChangeSource.API, actor=ACTOR)
    )
    return WatchlistItemOut.of(item)


@router.post(
    "/watchlist/{symbol}/restore",
    response_model=WatchlistItemOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def restore_watchlist_item(symbol: SymbolPath, session: SessionDep) -> WatchlistItemOut:
    """Restore a soft-deleted symbol with its previous settings."""
    item = _call(
        lambda: service.restore_item(session, symbol=symbol, source=ChangeSource.API, actor=ACTOR)
    )
    return WatchlistItemOut.of(item)


def _set(session: Session, symbol: str, values: dict[str, str]) -> WatchlistChanged:
    changed = _call(
        lambda: service.set_fields(
            session, symbol=symbol, values=values, source=ChangeSource.API, actor=ACTOR
        )
    )
    item = service.get_item(session, symbol=symbol)
    warnings = []
    if "trade_amount_usd" in changed:
        cap = service.order_cap_warning(session, item.symbol, item.trade_amount_usd)
        warnings += [cap] if cap else []
    return WatchlistChanged(
        item=WatchlistItemOut.of(item), changed=changes_out(changed), warnings=warnings
    )


def _listing_note(listing: service.Listing, symbol: str) -> str | None:
    if listing is service.Listing.UNKNOWN:
        return (
            "instrument list not loaded yet (the market updater stores it); "
            f"{symbol} added unchecked"
        )
    if listing is service.Listing.REPLAY:
        return (
            f"market data comes from the replay feed; {symbol} was not checked against the "
            "exchange's instrument list"
        )
    return None
