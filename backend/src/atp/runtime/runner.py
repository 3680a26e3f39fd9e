"""One loop runner for every worker: tick, sleep the rest of the interval, stop on SIGTERM.

A worker is a `tick()` (sync or async). The runner never lets one failing tick kill the loop:
it logs the error and tries again next interval. `once=True` runs a single tick (for `--once`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Tick = Callable[[], Any] | Callable[[], Awaitable[Any]]


async def call_tick(tick: Tick) -> Any:
    """Run a sync tick in a thread (so the loop stays responsive) or await an async one."""
    if inspect.iscoroutinefunction(tick):
        return await tick()
    result = await asyncio.to_thread(tick)
    if inspect.isawaitable(result):
        return await result
    return result


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
    while not stop.is_set():
        started = time.monotonic()
        try:
            await call_tick(tick)
        except Exception:
            log.exception("[%s] tick failed; retrying next interval", name)
        ticks += 1
        if once:
            break
        remaining = max(0.0, interval - (time.monotonic() - started))
        try:
            await asyncio.wait_for(stop.wait(), timeout=remaining)
        except TimeoutError:
            pass
    return ticks


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM / SIGINT set `stop`, so loops finish their tick and exit cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-main thread
            log.debug("cannot install handler for %s", sig)
