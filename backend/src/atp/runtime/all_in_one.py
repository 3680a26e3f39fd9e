"""`atp run`: every role in one process for the embedded default.

Market updater (replay or exchange), signal monitor, alert sender, order worker and the REST API
run as tasks on one event loop; blocking ticks run in threads. In production each role runs as
its own command (`atp market`, `atp monitor`, `atp sender`, `atp sync`, `atp api`) and the same
code is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from atp.db.session import unit_of_work
from atp.market.single import SingleInstanceUpdater
from atp.market.updater import MarketUpdater, PassReport
from atp.monitor.worker import MonitorWorker
from atp.runtime.context import AppContext
from atp.runtime.demo import seed_demo_if_allowed
from atp.runtime.market_source import build_market_source
from atp.runtime.sender import run_sender
from atp.workers.runner import backoff_delay, run_periodic, sleep_or_stop

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the shared stop event ends it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiPortUnavailableError(RuntimeError):
    """The API address is taken (another `atp run` or `atp api`?); nothing was started."""


def bind_api_socket(host: str, port: int) -> socket.socket:
    """Bind before starting anything, so a taken port is one clear error, not a traceback."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ApiPortUnavailableError(
            f"cannot listen on {host}:{port} ({exc.strerror}); set API_PORT or use --no-api"
        ) from None
    return sock


async def _serve_api(app: AppContext, stop: asyncio.Event, sock: socket.socket) -> None:
    from atp.api.app import create_app

    settings = app.settings
    config = uvicorn.Config(
        create_app(app), host=settings.api_host, port=settings.api_port, log_level="warning"
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    log.info("API listening on http://%s:%s", settings.api_host, settings.api_port)
    await stop.wait()
    server.should_exit = True
    await serving


async def supervise(
    name: str,
    start: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    base_delay: float = 1.0,
) -> None:
    """Run one role until `stop` is set; if it raises or ends early, log loudly and restart it.

    One role failing never takes the others down: only the stop event ends a supervised role.
    Restarts back off (1 s, 2 s, 4 s, up to 8 s); a role that ran for a minute starts over at 1 s.
    """
    failures = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await start()
        except Exception:
            log.exception("[%s] role crashed; restarting it (the other roles keep running)", name)
        else:
            if stop.is_set():
                return
            log.error("[%s] role ended on its own; restarting it", name)
        failures = 1 if time.monotonic() - started > 60 else failures + 1
        await sleep_or_stop(stop, backoff_delay(base_delay, failures))


async def run_all(
    app: AppContext, stop: asyncio.Event, *, with_api: bool = True, demo: bool = False
) -> None:
    """Seed the demo watchlist on first run, then run every role until `stop` is set.

    Each role is supervised (see `supervise`); the market updater, the monitor and the sender
    are single-instance, so a second `atp run` on the same database stands by for them.
    """
    settings = app.settings
    sockets = [bind_api_socket(settings.api_host, settings.api_port)] if with_api else []
    with unit_of_work(app.sessions) as session:
        seed_demo_if_allowed(session, settings, requested=demo)
    source = build_market_source(settings)
    updater = SingleInstanceUpdater.build(MarketUpdater(source, app.sessions, settings))

    async def serve_api() -> None:
        # The first start uses the socket bound above; a restart binds the port again.
        sock = sockets.pop() if sockets else bind_api_socket(settings.api_host, settings.api_port)
        await _serve_api(app, stop, sock)

    roles: dict[str, Callable[[], Awaitable[object]]] = {
        "market": lambda: run_periodic(
            updater.tick, interval=settings.market_interval_seconds, stop=stop, name="market"
        ),
        "monitor": lambda: MonitorWorker(app).run(stop),
        "sender": lambda: run_sender(app, stop),
        "orders": lambda: run_order_worker(app, stop),
        "bot": lambda: run_bot_role(app, stop),
    }
    if with_api:
        roles["api"] = serve_api
    try:
        await _first_market_pass(updater)  # the monitor's first cycle then has data to judge
        await asyncio.gather(*(supervise(name, start, stop) for name, start in roles.items()))
    finally:
        await updater.release()
        await source.aclose()


async def run_order_worker(app: AppContext, stop: asyncio.Event) -> None:
    """The order worker (`atp sync`) as a role: paper by default; a refused live mode is said
    once and the role idles (no entry and no protection is placed by this process)."""
    from atp.orders.service import OrderWorker
    from atp.runtime.broker import LiveTradingRefused, build_broker

    try:
        broker = build_broker(app.settings, app.sessions)
    except LiveTradingRefused as exc:
        log.error("[orders] %s; the order worker does not run in this process", exc)
        await stop.wait()
        return
    await OrderWorker(app, broker).run(stop)


async def run_bot_role(app: AppContext, stop: asyncio.Event) -> None:
    """The Telegram menu bot (`atp bot`) as a role; without a bot token (or outside production)
    it says why in one line and idles."""
    from atp.runtime.bot import run_bot  # python-telegram-bot loads only when the role runs

    await run_bot(app, stop)


async def _first_market_pass(updater: SingleInstanceUpdater) -> None:
    try:
        report = await updater.tick()
    except Exception as exc:  # the supervised updater retries; the other roles start anyway
        log.warning("first market pass failed (%s); the updater keeps retrying", exc)
        return
    if not isinstance(report, PassReport):
        log.info("first market pass skipped: another instance runs the market updater")
    else:
        log.info("first market pass: %s", report.summary())
