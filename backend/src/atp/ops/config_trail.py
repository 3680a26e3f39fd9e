"""The config-change trail: every change from any surface, with old and new values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.db.base import utcnow
from atp.ops.models import ConfigChange


class ChangeSource(StrEnum):
    CLI = "cli"
    API = "api"
    TELEGRAM = "telegram"
    SYSTEM = "system"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def record_change(
    session: Session,
    *,
    source: ChangeSource,
    entity: str,
    entity_key: str,
    field: str,
    old: Any,
    new: Any,
    actor: str | None = None,
) -> ConfigChange:
    """Add one trail row (flushed with the change it describes, in the same transaction)."""
    row = ConfigChange(
        changed_at=utcnow(),
        source=str(source),
        actor=actor,
        entity=entity,
        entity_key=entity_key,
        field=field,
        old_value=_jsonable(old),
        new_value=_jsonable(new),
    )
    session.add(row)
    return row


def record_changes(
    session: Session,
    *,
    source: ChangeSource,
    entity: str,
    entity_key: str,
    changes: Mapping[str, tuple[Any, Any]],
    actor: str | None = None,
) -> None:
    """One trail row per changed field: `changes` is {field: (old, new)}."""
    for field, (old, new) in changes.items():
        record_change(
            session,
            source=source,
            entity=entity,
            entity_key=entity_key,
            field=field,
            old=old,
            new=new,
            actor=actor,
        )


def list_changes(
    session: Session,
    *,
    entity: str | None = None,
    entity_key: str | None = None,
    source: ChangeSource | None = None,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[ConfigChange]:
    """Newest first by id, at most `limit` rows with id < `before_id` (cursor pagination)."""
    stmt = select(ConfigChange).order_by(ConfigChange.id.desc()).limit(limit)
    if entity is not None:
        stmt = stmt.where(ConfigChange.entity == entity)
    if entity_key is not None:
        stmt = stmt.where(ConfigChange.entity_key == entity_key)
    if source is not None:
        stmt = stmt.where(ConfigChange.source == str(source))
    if since is not None:
        stmt = stmt.where(ConfigChange.changed_at >= since)
    if before_id is not None:
        stmt = stmt.where(ConfigChange.id < before_id)
    return list(session.scalars(stmt))
