"""A settable clock shared by a fake server and the code under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class TestClock:
    __test__ = False  # not a pytest test class

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def ms(self) -> int:
        return int(self.current.timestamp() * 1000)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
