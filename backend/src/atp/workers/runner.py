"""One loop runner for every worker: tick, sleep the rest of the interval, stop on SIGTERM.

A worker is a `tick()` (sync or async). The runner never lets one failing tick kill the loop.
During an outage it logs the first failure with its traceback, then at most one "still
failing" line per `FailureLog.remind_every` seconds, then one "recovered after X s" line, and
waits longer between failed ticks (doubling from the interval, see `backoff_delay`).
`once=True` runs a single tick (for `--once`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

log = logging.getLogger(__name__)

Tick = Callable[[], Any] | Callable[[], Awaitable[Any]]

# A tick that returns STANDBY did no work (another instance holds the role's lock): it neither
# ends an outage nor counts as one.
STANDBY: Final = "standby"
MAX_BACKOFF_SECONDS = 30.0
# A short interval backs off to at most this many intervals: a test or demo with 0.5 s ticks
# comes back within seconds after an outage instead of waiting the full 30 s.
MAX_BACKOFF_INTERVALS = 8


def backoff_delay(interval: float, failures: int) -> float:
    """Wait after `failures` consecutive failures: interval, 2x, 4x ... up to the cap.

    The cap is min(30 s, 8 intervals), but never below the interval itself (a failing tick is
    never retried sooner than a healthy one would run).
    """
    cap = max(interval, min(MAX_BACKOFF_SECONDS, MAX_BACKOFF_INTERVALS * interval))
    exponent = min(max(failures - 1, 0), 30)  # bounded: 2**30 intervals is past any cap
    return min(cap, interval * float(2**exponent))


class FailureLog:
    """Log-once bookkeeping for one loop: first failure, rare reminders, recovery."""

    def __init__(
        self, name: str, *, remind_every: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.remind_every = remind_every
        self.failures = 0
        self._clock = clock
        self._since = 0.0
        self._reminded = 0.0

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> int:
        """Record one failure; returns the number of consecutive failures."""
        now = self._clock()
        self.failures += 1
        if self.failures == 1:
            self._since = self._reminded = now
            log.error(
                "[%s] failing: %s (retrying; logged again only when it recovers or every %.0f s)",
                self.name,
                _one_line(exc),
                self.remind_every,
                exc_info=exc,
            )
        elif now - self._reminded >= self.remind_every:
            self._reminded = now
            log.warning(
                "[%s] still failing after %.0f s (%d failures): %s",
                self.name,
                now - self._since,
                self.failures,
                _one_line(exc),
            )
        return self.failures

    def succeeded(self) -> None:
        if self.failures:
            log.warning(
                "[%s] recovered after %.1f s (%d failures)",
                self.name,
                self._clock() - self._since,
                self.failures,
            )
        self.failures = 0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}"


async def call_tick(tick: Tick) -> Any:
    """Run a sync tick in a thread (so the loop stays responsive) or await an async one."""
    if inspect.iscoroutinefunction(tick):
        return await tick()
    result = await asyncio.to_thread(tick)
    if inspect.isawaitable(result):
        return await result
    return result


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, returning early when `stop` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        pass


async def run_periodic(
    tick: Tick,
    *,
    interval: float,
    stop: asyncio.Event,
    name: str,
    once: bool = False,
) -> int:
    """Run `tick` every `interval` seconds until `stop` is set. Returns the number of ticks."""
    ticks = 0
    failures = FailureLog(name)
    while not stop.is_set():
        started = time.monotonic()
        wait = interval
        try:
            result = await call_tick(tick)
        except Exception as exc:
            wait = backoff_delay(interval, failures.failed(exc))
        else:
            if result != STANDBY:
                failures.succeeded()
        ticks += 1
        if once:
            break
        await sleep_or_stop(stop, wait - (time.monotonic() - started))
    return ticks


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM / SIGINT set `stop`, so loops finish their tick and exit cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-main thread
            log.debug("cannot install handler for %s", sig)
