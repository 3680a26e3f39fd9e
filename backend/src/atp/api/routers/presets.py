"""Routes: strategy presets (list, read, versioned update, create a custom one).

Thin: one unit of work, `atp.signals.presets` with source=api (the functions `atp presets`
uses); every change is versioned and written to the config-change trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from atp.api.deps import get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from atp.api.schemas.common import CONFLICT, NOT_FOUND, changes_out, conflict, not_found, refuse
from atp.api.schemas.presets import PresetChanged, PresetCreate, PresetOut, PresetUpdate
from atp.ops.config_trail import ChangeSource
from atp.signals import presets as service

router = APIRouter(prefix="/api", tags=["presets"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
KeyPath = Annotated[str, Path(max_length=64, description="e.g. swing:conservative")]
ACTOR = "api"


@router.get("/presets", response_model=Page[PresetOut])
def list_presets(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Page[PresetOut]:
    """Presets, newest first (built-ins were seeded first, so custom ones lead)."""
    rows = service.page_presets(session, before_id=decode_cursor(cursor), limit=limit + 1)
    return Page(
        items=[PresetOut.of(r) for r in rows[:limit]],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.get("/presets/{key}", response_model=PresetOut, responses=NOT_FOUND)
def get_preset(key: KeyPath, session: SessionDep) -> PresetOut:
    try:
        return PresetOut.of(service.get_preset(session, key))
    except service.PresetNotFoundError as exc:
        not_found(str(exc))


@router.put("/presets/{key}", response_model=PresetChanged, responses=NOT_FOUND)
def update_preset(key: KeyPath, body: PresetUpdate, session: SessionDep) -> PresetChanged:
    """Change parameters; the whole result is validated first and the version bumped once."""
    try:
        changed = service.update_preset(
            session, key, body.params, source=ChangeSource.API, actor=ACTOR
        )
    except service.PresetNotFoundError as exc:
        not_found(str(exc))
    except service.PresetError as exc:
        refuse(str(exc))
    return PresetChanged(
        preset=PresetOut.of(service.get_preset(session, key)), changed=changes_out(changed)
    )


@router.post("/presets", status_code=201, response_model=PresetOut, responses=CONFLICT)
def create_preset(body: PresetCreate, session: SessionDep) -> PresetOut:
    """A custom preset: a copy of `base` with `params` applied (version 1)."""
    try:
        row = service.create_preset(
            session,
            body.key,
            base=body.base,
            values=body.params,
            source=ChangeSource.API,
            description=body.description,
            actor=ACTOR,
        )
    except service.PresetConflictError as exc:
        conflict(str(exc))
    except service.PresetError as exc:  # an unknown base is a bad body, not a missing route
        refuse(str(exc))
    return PresetOut.of(row)
