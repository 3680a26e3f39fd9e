"""Single-instance locks: a lock that dies with its holder, and an elector that keeps trying.

Used by every role that must run exactly once (the signal monitor, the alert sender).

PostgreSQL: a session-level advisory lock taken on a dedicated connection (never a pooled one, so
the lock cannot leak to unrelated work or be released by a pool reset). When the holder dies -
including kill -9 - the server ends its session and releases the lock; the standby's next attempt
(every interval) succeeds, so takeover happens within two intervals.

SQLite: an exclusive `fcntl.flock` on a file beside the database file. The kernel drops it when
the holding process exits for any reason.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.ops.leases import Fence, FencedOut, take_lease
from atp.settings import Settings
from atp.workers.runner import FailureLog

log = logging.getLogger(__name__)


class LeaderLock(Protocol):
    description: str

    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """`pg_try_advisory_lock(id)` held for the life of one dedicated connection."""

    def __init__(self, url: str, lock_id: int, *, name: str = "leader") -> None:
        self.lock_id = lock_id
        self.description = f"postgres advisory lock {lock_id} ({name})"
        # Keepalives make a silently dropped network path end the session (and release the lock)
        # instead of leaving a half-open connection holding it for hours.
        self._engine: Engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": 5,
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "application_name": f"atp-{name}-lock",
            },
        )
        self._conn: Connection | None = None
        # A database outage makes every attempt fail: logged once, then "recovered after X s".
        self._unreachable = FailureLog(f"{name} lock")

    def try_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_id}
            ).scalar()
        except Exception as exc:
            self._unreachable.failed(exc)
            self._drop_connection()
            return False
        self._unreachable.succeeded()
        return bool(got)

    def still_held(self) -> bool:
        """True only if this session still owns the lock (a lost connection means it does not)."""
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = 0 AND objid = :k AND objsubid = 1"
                ),
                {"k": self.lock_id},
            ).scalar()
        except Exception as exc:
            log.error("[LEADER] lock connection failed: %s", exc)
            self._drop_connection()
            return False
        return bool(held)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_id})
            except Exception:  # the session is gone; so is the lock
                log.debug("unlock failed; connection already closed", exc_info=True)
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing lock connection failed", exc_info=True)
        self._conn = None


class FileLock:
    """An exclusive, non-blocking flock on `path`; released by the kernel when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file lock {path}"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return self.still_held()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        # If someone deleted or replaced the lock file, another process could lock the new file;
        # so the lock only counts while our descriptor is still the file at `path`.
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def sqlite_lock_path(url: str, settings: Settings, name: str) -> Path:
    """`<db file>.<name>.lock` beside the SQLite file (the data dir for in-memory databases)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return settings.data_dir / f"{name}.lock"
    return Path(database).expanduser().resolve().with_name(f"{Path(database).name}.{name}.lock")


def make_instance_lock(settings: Settings, *, name: str, pg_lock_id: int) -> LeaderLock:
    """The lock that makes role `name` single-instance on the configured database."""
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        return FileLock(sqlite_lock_path(url, settings, name))
    return PostgresAdvisoryLock(url, pg_lock_id, name=name)


class LeaderElector:
    """Tracks whether this instance leads; logs every change of role once.

    With `sessions`, leading also means holding a fencing epoch (atp.ops.leases): right after the
    lock is acquired the elector takes the lease for `lease_role` (default: `role`) in its own
    committed transaction, and `fence` is what the leader checks inside its effects transactions.
    Without `sessions` there is no epoch (`fence` is None) and nothing is fenced.
    """

    def __init__(
        self,
        lock: LeaderLock,
        instance_id: str,
        *,
        role: str = "monitor",
        sessions: sessionmaker[Session] | None = None,
        lease_role: str | None = None,
    ) -> None:
        self.lock = lock
        self.instance_id = instance_id
        self.role = role
        self.lease_role = lease_role or role
        self.sessions = sessions
        self.is_leader = False
        self.epoch: int | None = None

    @property
    def fence(self) -> Fence | None:
        """(lease role, epoch) while leading with an epoch; None otherwise."""
        if not self.is_leader or self.epoch is None:
            return None
        return Fence(self.lease_role, self.epoch)

    def ensure(self) -> bool:
        """Called at the start of every tick: keep, lose or take leadership."""
        if self.is_leader:
            if self.lock.still_held():
                return True
            log.error(
                "[LEADER] instance=%s lost the %s; the %s steps down to standby",
                self.instance_id,
                self.lock.description,
                self.role,
            )
            self._step_down()
        if self.lock.try_acquire() and self._take_lease():
            self.is_leader = True
            log.info(
                "[LEADER] instance=%s acquired the %s; this instance runs the %s (epoch %s)",
                self.instance_id,
                self.lock.description,
                self.role,
                self.epoch,
            )
        return self.is_leader

    def _take_lease(self) -> bool:
        """A new epoch before this leader reads anything; without one it must not lead."""
        if self.sessions is None:
            return True
        try:
            with unit_of_work(self.sessions) as session:
                self.epoch = take_lease(session, self.lease_role, self.instance_id, utcnow())
        except Exception as exc:
            log.error(
                "[LEADER] instance=%s got the %s but could not take the %s lease: %s",
                self.instance_id,
                self.lock.description,
                self.lease_role,
                exc,
            )
            self.epoch = None
            self.lock.release()
            return False
        return True

    def fenced_out(self, exc: FencedOut) -> None:
        """A write found a newer epoch: another instance leads now. Step down (logged once)."""
        if not self.is_leader:
            return
        log.error(
            "[LEADER] instance=%s %s epoch %s fenced out (current epoch %s); steps down to standby",
            self.instance_id,
            self.role,
            exc.epoch,
            exc.current,
        )
        self._step_down()

    def _step_down(self) -> None:
        self.is_leader = False
        self.epoch = None
        self.lock.release()

    def release(self) -> None:
        if self.is_leader:
            log.info("[LEADER] instance=%s releasing the %s lock", self.instance_id, self.role)
        self._step_down()
