"""`atp run`: every role in one process for the embedded default.

Market updater (replay or exchange), signal monitor, alert sender and the REST API run as
tasks on one event loop; blocking ticks run in threads. In production each role runs as its
own command (`atp market`, `atp monitor`, `atp sender`, `atp api`) and the same code is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn

from atp.alerts.sender import run_sender
from atp.db.session import unit_of_work
from atp.market.updater import MarketUpdater
from atp.monitor.worker import MonitorWorker
from atp.runtime.context import AppContext
from atp.runtime.demo import seed_demo_watchlist
from atp.runtime.market_source import build_market_source
from atp.runtime.runner import run_periodic

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


async def run_all(app: AppContext, stop: asyncio.Event, *, with_api: bool = True) -> None:
    """Seed the demo watchlist on first run, then run every role until `stop` is set."""
    settings = app.settings
    sock = bind_api_socket(settings.api_host, settings.api_port) if with_api else None
    with unit_of_work(app.sessions) as session:
        seed_demo_watchlist(session)
    source = build_market_source(settings)
    updater = MarketUpdater(source, app.sessions, settings)
    try:
        report = await updater.run_pass()  # the monitor's first cycle then has data to judge
        log.info("first market pass: %s", report.summary())
        tasks = [
            run_periodic(
                updater.run_pass,
                interval=settings.market_interval_seconds,
                stop=stop,
                name="market",
            ),
            MonitorWorker(app).run(stop),
            run_sender(app, stop),
        ]
        if sock is not None:
            tasks.append(_serve_api(app, stop, sock))
        await asyncio.gather(*tasks)
    finally:
        await source.aclose()
