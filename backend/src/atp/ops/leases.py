"""Fencing epochs for single-instance roles: a deposed leader's writes fail.

A leader lock (atp.workers.locks) says who *should* run a role, but a leader can lose its lock
(its lock connection killed, a network partition) and keep working for a while before it
notices. The epoch closes that window:

- `take_lease` is called by a new leader right after it acquires the lock, in its own committed
  transaction and before it reads anything: it increments the role's epoch in `leader_leases`.
- `check_lease` is called at the start of every transaction that writes the role's effects. It
  locks the lease row until the transaction ends and raises `FencedOut` if the epoch moved.

So either the old leader's transaction holds the row first (the new leader's `take_lease` waits
for it to commit, then reads its effects), or the epoch has already moved and the old leader's
transaction fails before it writes anything.

PostgreSQL: `SELECT ... FOR UPDATE` on the lease row. SQLite: a no-op conditional UPDATE, which
takes the database write lock at once (a plain read would not: pysqlite opens the transaction
only at the first write, so a read could be followed by another process's `take_lease`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from atp.ops.models import LeaderLease


class FencedOut(RuntimeError):
    """This process's leadership epoch is no longer the current one: it must stop writing."""

    def __init__(self, role: str, epoch: int, current: int | None) -> None:
        super().__init__(f"{role}: epoch {epoch} was fenced out (current epoch {current})")
        self.role = role
        self.epoch = epoch
        self.current = current


def take_lease(session: Session, role: str, holder: str, now: datetime) -> int:
    """Increment and return the role's epoch (1 for a role never led). Flush only."""
    epoch = session.execute(
        update(LeaderLease)
        .where(LeaderLease.role == role)
        .values(epoch=LeaderLease.epoch + 1, holder=holder, acquired_at=now)
        .returning(LeaderLease.epoch)
    ).scalar_one_or_none()
    if epoch is not None:
        return int(epoch)
    # First leader of this role. Two first leaders at once cannot both insert (primary key).
    session.add(LeaderLease(role=role, epoch=1, holder=holder, acquired_at=now))
    session.flush()
    return 1


def check_lease(session: Session, role: str, epoch: int) -> None:
    """Lock the role's lease row for this transaction; FencedOut if `epoch` is not current.

    Call it before the transaction's first write.
    """
    if session.get_bind().dialect.name == "sqlite":
        claimed = session.execute(
            update(LeaderLease)
            .where(LeaderLease.role == role, LeaderLease.epoch == epoch)
            .values(epoch=LeaderLease.epoch)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return
        raise FencedOut(role, epoch, current_epoch(session, role))
    current = session.scalar(
        select(LeaderLease.epoch).where(LeaderLease.role == role).with_for_update()
    )
    if current != epoch:
        raise FencedOut(role, epoch, None if current is None else int(current))


def current_epoch(session: Session, role: str) -> int | None:
    value = session.scalar(select(LeaderLease.epoch).where(LeaderLease.role == role))
    return None if value is None else int(value)


@dataclass(frozen=True)
class Fence:
    """A leader's (role, epoch), checked inside each of its effects transactions."""

    role: str
    epoch: int

    def check(self, session: Session) -> None:
        check_lease(session, self.role, self.epoch)
