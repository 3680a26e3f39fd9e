"""`atp api`: the FastAPI app under gunicorn with uvicorn workers."""

from __future__ import annotations

from typing import Any

import click

from atp.cli.common import fail, get_context, guard_schema


class _GunicornApp:
    """Build gunicorn's BaseApplication lazily so importing the CLI stays cheap."""

    @staticmethod
    def run(options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        class Application(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from atp.api.app import create_app

                return create_app()

        Application().run()


@click.command("api")
@click.option("--host", default=None, help="Bind address (default API_HOST).")
@click.option("--port", default=None, type=int, help="Port (default API_PORT).")
@click.option("--workers", default=None, type=int, help="Worker processes (default API_WORKERS).")
def api(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the REST API (gunicorn + uvicorn workers)."""
    app = get_context()
    guard_schema(app)
    settings = app.settings
    host, port = host or settings.api_host, port or settings.api_port
    _require_free_port(host, port)
    _GunicornApp.run(
        {
            "bind": f"{host}:{port}",
            "workers": workers or settings.api_workers,
            "worker_class": "uvicorn.workers.UvicornWorker",
            "timeout": 60,
            "graceful_timeout": 20,
            # Recycling a worker (a guard against slow leaks) drops its keep-alive connections
            # and leaves one worker for the ~1 s a new one needs to import: at 10,000 that
            # happened every few seconds under load (the dashboard benchmark's p99 of ~1 s and
            # its socket errors). 100,000 is hours at the usual polling rate.
            "max_requests": 100_000,
            "max_requests_jitter": 10_000,
            "accesslog": "-",
        }
    )


def _require_free_port(host: str, port: int) -> None:
    """A taken port is one line and exit 1 (gunicorn would retry and log for seconds)."""
    from atp.runtime.all_in_one import ApiPortUnavailableError, bind_api_socket

    try:
        bind_api_socket(host, port).close()
    except ApiPortUnavailableError as exc:
        reason = str(exc).partition(";")[0]  # drop `atp run`'s --no-api hint
        fail(f"{reason}; set API_PORT or pass --port")


commands: list[click.Command] = [api]
