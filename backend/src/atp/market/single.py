"""Exactly one active market updater per database, like the monitor and the sender.

Two `atp market` (or two `atp run`) on one database would both fetch and write the same
candles. The updater therefore runs its passes only while it holds the `market` single-instance
lock (PostgreSQL advisory lock `MARKET_LOCK_ID`, or a file lock beside the SQLite file); the
other instances stand by and take over within one interval when the holder stops or dies.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from atp.market.updater import MarketUpdater, PassReport
from atp.workers.locks import LeaderElector, make_instance_lock
from atp.workers.runner import STANDBY

log = logging.getLogger(__name__)


class SingleInstanceUpdater:
    """`tick()` = one updater pass while this instance holds the market lock, else nothing."""

    def __init__(self, updater: MarketUpdater, elector: LeaderElector) -> None:
        self.updater = updater
        self.elector = elector
        self._standby_logged = False

    @classmethod
    def build(cls, updater: MarketUpdater) -> SingleInstanceUpdater:
        settings = updater.settings
        lock = make_instance_lock(settings, name="market", pg_lock_id=settings.market_lock_id)
        return cls(updater, LeaderElector(lock, updater.instance_id, role="market updater"))

    @property
    def is_active(self) -> bool:
        return self.elector.is_leader

    async def tick(self) -> PassReport | Literal["standby"]:
        """Run one pass if this instance leads; `STANDBY` while it cannot take the lock."""
        if not await asyncio.to_thread(self.elector.ensure):
            if not self._standby_logged:
                self._standby_logged = True
                log.info(
                    "market updater standing by: the %s is held by another instance"
                    " (or the database is unreachable)",
                    self.elector.lock.description,
                )
            return STANDBY
        self._standby_logged = False
        return await self.updater.run_pass()

    async def release(self) -> None:
        await asyncio.to_thread(self.elector.release)
