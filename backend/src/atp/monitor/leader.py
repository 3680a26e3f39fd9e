"""Exactly one active monitor: the shared single-instance lock, keyed for the monitor role.

The lock mechanics (PostgreSQL advisory lock on a dedicated connection, or a file lock beside
the SQLite file) live in `atp.workers.locks`, shared with the alert sender.
"""

from __future__ import annotations

from atp.settings import Settings
from atp.workers.locks import (
    FileLock,
    LeaderElector,
    LeaderLock,
    PostgresAdvisoryLock,
    make_instance_lock,
)

__all__ = ["FileLock", "LeaderElector", "LeaderLock", "PostgresAdvisoryLock", "make_leader_lock"]


def make_leader_lock(settings: Settings) -> LeaderLock:
    return make_instance_lock(settings, name="monitor", pg_lock_id=settings.monitor_leader_lock_id)
