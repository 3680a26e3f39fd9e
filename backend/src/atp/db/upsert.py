"""INSERT ... ON CONFLICT DO UPDATE for PostgreSQL and SQLite, as one statement per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# SQLite caps bound parameters per statement (32766 on modern builds); stay well below it.
_SQLITE_MAX_PARAMS = 30000


def upsert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> int:
    """Insert `rows`, updating `update_columns` (default: all non-key columns) on conflict.

    Returns the number of rows sent. All rows must have the same keys.
    """
    if not rows:
        return 0
    keys = list(rows[0].keys())
    if update_columns is None:
        update_columns = [k for k in keys if k not in conflict_columns]
    dialect = session.get_bind().dialect.name
    for batch in _batches(rows, len(keys), dialect):
        stmt = _insert_for(dialect, table).values(list(batch))
        excluded = stmt.excluded
        if update_columns:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(conflict_columns),
                set_={col: excluded[col] for col in update_columns},
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
        session.execute(stmt)
    return len(rows)


def _insert_for(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not implemented for {dialect}")


def _batches(
    rows: Sequence[dict[str, Any]], width: int, dialect: str
) -> list[Sequence[dict[str, Any]]]:
    if dialect != "sqlite":
        return [rows]
    size = max(1, _SQLITE_MAX_PARAMS // max(1, width))
    return [rows[i : i + size] for i in range(0, len(rows), size)]
