"""System health: readiness and the per-component verdicts (PASS / WARN / FAIL with evidence).

Pure functions over a session or engine (read only: no flush, no commit), so
`GET /api/health/ready`, `GET /api/health/system`, the CLI, the audit and Telegram `/status`
answer from the same rules. The component checks live in `atp.ops.health_checks`.

A check that cannot read its data is a FAIL for that component (with a one-line, secret-free
error), never an exception out of `system_health`: a health answer must always come back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from atp.core.errors import clean_error_text, short_error
from atp.db.revision import alembic_config
from atp.monitor.blockers import active_blockers
from atp.ops.health_checks import (
    ComponentCheck,
    Status,
    check_alert_sender,
    check_exchange_auth,
    check_market_data,
    check_monitor,
    check_order_sync,
    check_positions,
    check_telegram,
    check_trading_switches,
    outbox_backlog,
    worst,
)
from atp.settings import Settings

__all__ = [
    "ComponentCheck",
    "Readiness",
    "Status",
    "SystemHealth",
    "outbox_backlog",
    "readiness",
    "system_health",
]


@dataclass(frozen=True)
class SystemHealth:
    status: Status
    checked_at: datetime
    components: list[ComponentCheck]
    blockers: list[dict[str, Any]]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    dialect: str
    revision: str | None
    head: str
    reason: str | None  # why not ready: one line, no SQL, no credentials


# --- database ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The package's Alembic head (read from the shipped migration scripts once per process)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no Alembic head revision found in the package")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def readiness(engine: Engine) -> Readiness:
    """Ready = the database answers and its schema is exactly at the package's head."""
    head, dialect = head_revision(), engine.dialect.name
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = current_revision(connection)
    except Exception as exc:  # unreachable, refused, locked: the reason, never a traceback
        return Readiness(False, dialect, None, head, f"database unreachable: {short_error(exc)}")
    if current != head:
        reason = f"schema not at head (current={current or 'none'} head={head}); run `atp migrate`"
        return Readiness(False, dialect, current, head, reason)
    return Readiness(True, dialect, current, head, None)


def check_database(session: Session) -> ComponentCheck:
    dialect = session.get_bind().dialect.name
    current, head = current_revision(session.connection()), head_revision()
    session.execute(text("SELECT 1"))
    evidence = {"dialect": dialect, "revision": current, "head": head}
    if current != head:
        return ComponentCheck(
            "database",
            Status.FAIL,
            f"schema is not at head (current={current or 'none'} head={head}); run `atp migrate`",
            evidence,
        )
    return ComponentCheck("database", Status.PASS, f"reachable, schema at head {head}", evidence)


# --- all together ---------------------------------------------------------------------------


def _guarded(session: Session, name: str, check: Callable[[], ComponentCheck]) -> ComponentCheck:
    """Run one check in a savepoint: a failed read is that component's FAIL, not a crash, and
    leaves the caller's transaction usable for the next check (PostgreSQL aborts it otherwise)."""
    try:
        with session.begin_nested():
            return check()
    except Exception as exc:  # any failure to read is reported, never raised out of health
        return ComponentCheck(name, Status.FAIL, f"check failed: {short_error(exc)}", {})


def system_health(session: Session, settings: Settings, now: datetime) -> SystemHealth:
    """Every component; overall FAIL if any FAIL. The database is checked first: when it cannot
    be reached nothing else can be read, and every other component says so instead of erroring."""
    checks: list[tuple[str, Callable[[], ComponentCheck]]] = [
        ("market_data", lambda: check_market_data(session, settings, now)),
        ("monitor", lambda: check_monitor(session, settings, now)),
        ("alert_sender", lambda: check_alert_sender(session, now)),
        ("telegram", lambda: check_telegram(session, settings)),
        ("exchange_auth", lambda: check_exchange_auth(session, settings, now)),
        ("order_sync", lambda: check_order_sync(session, settings, now)),
        ("positions", lambda: check_positions(session, now)),
        ("trading", lambda: check_trading_switches(session, settings)),
    ]
    try:
        with session.begin_nested():
            database = check_database(session)
    except Exception as exc:  # unreachable or unreadable: reported, never raised
        unreachable = f"database unreachable: {short_error(exc)}"
        components = [ComponentCheck("database", Status.FAIL, unreachable)]
        components += [
            ComponentCheck(n, Status.FAIL, f"not checked: {unreachable}") for n, _ in checks
        ]
        return SystemHealth(Status.FAIL, now, components, [])
    components = [database, *(_guarded(session, name, check) for name, check in checks)]
    return SystemHealth(worst([c.status for c in components]), now, components, _blockers(session))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _blockers(session: Session) -> list[dict[str, Any]]:
    """Active global blockers as evidence (empty when they cannot be read: already a FAIL)."""
    try:
        with session.begin_nested():
            rows = active_blockers(session)
    except Exception:  # the database check already reports why
        return []
    return [
        {"code": b.code, "message": clean_error_text(b.message, 1000), "since": _iso(b.since)}
        for b in rows
    ]
