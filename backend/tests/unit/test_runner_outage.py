"""The shared loop runner and the `atp run` supervisor under failures (no database needed)."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from atp.runtime.all_in_one import supervise
from atp.workers.runner import FailureLog, backoff_delay, run_periodic


def test_backoff_doubles_from_the_interval_and_is_bounded() -> None:
    assert [backoff_delay(1.0, n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_delay(10.0, 5) == 30.0  # never more than 30 s ...
    assert backoff_delay(60.0, 9) == 60.0  # ... unless the interval itself is longer
    assert backoff_delay(0.5, 10_000) == 4.0  # no overflow on a very long outage


def _records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if f"[{name}]" in r.getMessage()]


def test_a_failing_loop_logs_once_reminds_rarely_and_says_when_it_recovered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes = iter([*[ConnectionError("db down")] * 6, None, None])
    calls: list[float] = []
    stop = asyncio.Event()

    def tick() -> None:
        calls.append(0.0)
        outcome = next(outcomes, None)
        if len(calls) >= 8:
            stop.set()
        if outcome is not None:
            raise outcome

    caplog.set_level(logging.INFO)
    asyncio.run(run_periodic(tick, interval=0.001, stop=stop, name="unit"))
    records = _records(caplog, "unit")
    assert len(calls) == 8
    tracebacks = [r for r in records if r.exc_info]
    assert len(tracebacks) == 1 and "failing: ConnectionError: db down" in records[0].getMessage()
    assert len(records) == 2, [r.getMessage() for r in records]  # no line per failed tick
    assert (
        "recovered after" in records[-1].getMessage() and "(6 failures)" in records[-1].getMessage()
    )


def test_still_failing_is_reminded_at_most_every_remind_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    failures = FailureLog("clock", remind_every=60.0, clock=lambda: now[0])
    caplog.set_level(logging.INFO)
    for second in range(0, 181, 1):
        now[0] = float(second)
        failures.failed(TimeoutError("no route"))
    failures.succeeded()
    messages = [r.getMessage() for r in _records(caplog, "clock")]
    assert len(messages) == 5, messages  # first + reminders at 60, 120, 180 s + recovered
    assert messages[1].startswith("[clock] still failing after 60 s (61 failures)")
    assert messages[-1].startswith("[clock] recovered after 180.0 s")


def test_a_failing_tick_backs_off_instead_of_retrying_every_interval() -> None:
    ticks: list[float] = []
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def tick() -> None:
            ticks.append(loop.time())
            raise OSError("refused")

        loop.call_later(0.5, stop.set)
        await run_periodic(tick, interval=0.02, stop=stop, name="backoff")

    asyncio.run(main())
    # 0.02 s interval: healthy ticks would run ~25 times in 0.5 s; backing off (0.02, 0.04,
    # 0.08, 0.16 s cap) runs about 6.
    assert 3 <= len(ticks) <= 8, len(ticks)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) >= 0.12


def test_a_crashing_role_is_restarted_and_never_takes_the_others_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    starts = {"crashy": 0, "steady": 0}
    steady_ticks: list[int] = []

    async def crashy() -> None:
        starts["crashy"] += 1
        if starts["crashy"] >= 3:
            stop.set()
        raise RuntimeError("boom")

    async def steady() -> None:
        starts["steady"] += 1
        while not stop.is_set():
            steady_ticks.append(1)
            await asyncio.sleep(0.001)

    async def main() -> None:
        await asyncio.wait_for(
            asyncio.gather(
                supervise("crashy", crashy, stop, base_delay=0.01),
                supervise("steady", steady, stop, base_delay=0.01),
            ),
            timeout=5,
        )

    caplog.set_level(logging.ERROR)
    asyncio.run(main())
    assert starts == {"crashy": 3, "steady": 1}
    assert steady_ticks
    crashes = [r for r in caplog.records if "[crashy] role crashed" in r.getMessage()]
    assert len(crashes) == 3 and all(r.exc_info for r in crashes)


def test_a_role_that_returns_early_is_restarted_until_stop() -> None:
    stop = asyncio.Event()
    starts = [0]

    async def quits() -> None:
        starts[0] += 1
        if starts[0] == 2:
            stop.set()

    asyncio.run(asyncio.wait_for(supervise("quits", quits, stop, base_delay=0.01), timeout=5))
    assert starts[0] == 2
