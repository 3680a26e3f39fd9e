"""Routes: trading switches and limits (`atp settings`), and the config-change trail.

Writes go through `atp.ops.trading_settings.set_setting` (the registry and bounds the CLI
uses) with source=api; each change is one trail row in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from atp.api.deps import get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from atp.api.schemas.common import NOT_FOUND, not_found, refuse
from atp.api.schemas.trading import (
    ConfigChangeOut,
    SettingChanged,
    SettingOut,
    SettingUpdate,
    TradingSettings,
)
from atp.ops.config_trail import ChangeSource, list_changes
from atp.ops.trading_settings import (
    SettingError,
    UnknownSettingError,
    list_settings,
    set_setting,
    spec_for,
)

router = APIRouter(prefix="/api", tags=["trading"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ACTOR = "api"


@router.get("/trading/settings", response_model=TradingSettings)
def get_trading_settings(session: SessionDep) -> TradingSettings:
    """Kill switch, live trading, monitor pause, Telegram switch and order limits."""
    return TradingSettings(settings=[SettingOut.of(row) for row in list_settings(session)])


@router.put("/trading/settings/{key}", response_model=SettingChanged, responses=NOT_FOUND)
def put_trading_setting(
    key: Annotated[str, Path(max_length=64, examples=["KILL_SWITCH"])],
    body: SettingUpdate,
    session: SessionDep,
) -> SettingChanged:
    """Set one switch or limit, e.g. `PUT /api/trading/settings/KILL_SWITCH {"value": true}`."""
    try:
        spec = spec_for(key)
    except UnknownSettingError as exc:
        not_found(str(exc))
    try:
        result = set_setting(
            session, key=spec.key, raw=body.as_text(), source=ChangeSource.API, actor=ACTOR
        )
    except SettingError as exc:
        refuse(f"{spec.key}: {exc}")
    current = next(row for row in list_settings(session) if row.key == spec.key)
    return SettingChanged(
        setting=SettingOut.of(current),
        changed=result is not None,
        old=result[0] if result else (None if current.is_default else current.value),
        new=current.value,
    )


@router.get("/config-changes", response_model=Page[ConfigChangeOut])
def get_config_changes(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    entity: Annotated[str | None, Query(max_length=32, examples=["watchlist"])] = None,
    entity_key: Annotated[str | None, Query(max_length=64, examples=["BTC_USDT"])] = None,
    source: Annotated[ChangeSource | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="ISO time with zone")] = None,
) -> Page[ConfigChangeOut]:
    """The config-change trail, newest first: every change from every surface."""
    if since is not None and since.tzinfo is None:
        refuse("since: give a time zone, e.g. 2025-01-31T12:00:00Z", loc=("query", "since"))
    rows = list_changes(
        session,
        entity=entity,
        entity_key=entity_key,
        source=source,
        since=since,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    return Page(
        items=[ConfigChangeOut.of(r) for r in rows[:limit]],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )
