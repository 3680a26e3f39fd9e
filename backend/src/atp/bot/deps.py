"""What the bot's handlers need, handed over by the composition root (`atp.runtime`).

Handlers read these from `context.bot_data["deps"]`; they never build engines or read the
environment themselves, so the same handlers run in `atp bot`, `atp run` and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from atp.settings import Settings


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BotDeps:
    settings: Settings
    sessions: sessionmaker[Session]
    now: Callable[[], datetime] = _utc_now


DEPS_KEY = "deps"
