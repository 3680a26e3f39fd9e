"""MONITOR_CYCLES_FAILING: N consecutive failed cycles, or no successful cycle for two intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atp.monitor.cycle_health import CycleHealth

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_count_of_consecutive_failures_trips_and_a_success_clears() -> None:
    health = CycleHealth(max_failed=3, interval_s=30)
    health.record(attempted=True, failed=False, error=None, now=_at(0))
    for n, t in enumerate((30, 60, 90), start=1):
        health.record(attempted=True, failed=True, error=f"boom {n}", now=_at(t))
        assert (health.problem(_at(t)) is None) == (n < 3)
    problem = health.problem(_at(90))
    assert problem is not None and problem.startswith("3 consecutive monitor cycle(s) failed")
    assert "boom 3" in problem
    health.record(attempted=True, failed=False, error=None, now=_at(120))
    assert health.problem(_at(120)) is None and health.failed == 0


def test_no_success_for_two_intervals_trips_before_the_count() -> None:
    health = CycleHealth(max_failed=10, interval_s=30)
    health.record(attempted=True, failed=False, error=None, now=_at(0))
    health.record(attempted=True, failed=True, error="slow failure", now=_at(45))
    assert health.problem(_at(45)) is None
    health.record(attempted=True, failed=True, error="slow failure", now=_at(63))
    problem = health.problem(_at(63))
    assert problem is not None and "no successful cycle for 63 s" in problem


def test_an_idle_tick_starts_afresh_and_errors_keep_only_the_first_line() -> None:
    health = CycleHealth(max_failed=2, interval_s=30)
    health.record(attempted=True, failed=True, error="x", now=_at(0))
    health.record(attempted=False, failed=True, error=None, now=_at(30))  # paused
    health.record(attempted=True, failed=True, error="x", now=_at(60))
    assert health.problem(_at(60)) is None
    health.record(attempted=True, failed=True, error="bad\n[SQL: SELECT 1]", now=_at(61))
    problem = health.problem(_at(61))
    assert problem is not None and problem.endswith("last error: bad")
