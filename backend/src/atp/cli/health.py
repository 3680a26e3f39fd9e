"""`atp healthcheck <role>`: is this container's process alive? (what compose healthchecks run)

Workers (monitor, market, sender, sync, bot): the role's own heartbeat row, written on this host
(a container's hostname is its own), must be younger than the threshold (from the role's
interval, or `--max-age`). `api`: the local API answers `GET /api/health/ready` with 200.

Exit codes: 0 healthy, 1 stale or missing (one line says why, with the age), 2 cannot check
(database unreachable, heartbeat table missing, bad settings). Runs every few seconds in every
container, so it imports little and needs nothing of the schema but `service_heartbeats`.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import click

from atp.cli.common import get_context
from atp.ops.heartbeats import SERVICE_BY_ROLE

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_CANNOT_CHECK = 0, 1, 2
API_ROLE = "api"
CONNECT_TIMEOUT_S = 5
# The API binds to all interfaces in a container; the check itself connects locally.
_WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104 - compared against, never bound


@click.command("healthcheck")
@click.argument("role", type=click.Choice([*SERVICE_BY_ROLE, API_ROLE]))
@click.option(
    "--max-age",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds a heartbeat may be old (default: from the role's interval, at least 90).",
)
@click.option(
    "--any-host",
    is_flag=True,
    help="Accept a heartbeat written on any host (default: this host's own process only).",
)
def healthcheck(role: str, max_age: float | None, any_host: bool) -> None:
    """Exit 0 when ROLE is alive here, 1 when stale or missing, 2 when it cannot be checked."""
    if role == API_ROLE:
        code, message = check_api()
    else:
        code, message = check_worker(role, max_age, any_host)
    click.echo(message, err=code != EXIT_HEALTHY)
    raise SystemExit(code)


def check_worker(role: str, max_age: float | None, any_host: bool) -> tuple[int, str]:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from atp.cli.guard import DatabaseMissingError, describe_failure
    from atp.db.base import utcnow
    from atp.ops.heartbeats import judge, max_age_for, newest_beat

    app = get_context()
    limit = max_age if max_age is not None else max_age_for(role, app.settings)
    host = None if any_host else socket.gethostname()
    try:
        engine = _probe_engine(app.settings.effective_database_url)
        try:
            with Session(bind=engine) as session:
                beat = newest_beat(session, SERVICE_BY_ROLE[role], host)
        finally:
            engine.dispose()
    except DatabaseMissingError as exc:
        return EXIT_CANNOT_CHECK, f"{role}: cannot check: {exc}"
    except SQLAlchemyError as exc:
        message, _ = describe_failure(exc)
        return EXIT_CANNOT_CHECK, f"{role}: cannot check: {message}"
    verdict = judge(role, beat, utcnow(), limit)
    if beat is None and host is not None:
        return EXIT_UNHEALTHY, f"{verdict.message}; none written on host {host} (--any-host)"
    return (EXIT_HEALTHY if verdict.fresh else EXIT_UNHEALTHY), verdict.message


def _probe_engine(url: str) -> Engine:
    """A one-connection engine that fails fast and never creates a SQLite file."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from atp.cli.guard import DatabaseMissingError, sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise DatabaseMissingError(path)
    timeout = "timeout" if url.startswith("sqlite") else "connect_timeout"  # sqlite3 / psycopg2
    return create_engine(url, poolclass=NullPool, connect_args={timeout: CONNECT_TIMEOUT_S})


def check_api() -> tuple[int, str]:
    settings = get_context().settings
    host = "127.0.0.1" if settings.api_host in _WILDCARD_HOSTS else settings.api_host
    url = f"http://{host}:{settings.api_port}/api/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT_S) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:  # 503: the API runs but is not ready
        reason = _reason(exc.read())
        return EXIT_UNHEALTHY, f"api: not ready (HTTP {exc.code}) at {url}: {reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", None) or exc)
        return EXIT_UNHEALTHY, f"api: no answer at {url}: {reason}"
    if body.get("ready") is not True:
        return EXIT_UNHEALTHY, f"api: not ready at {url}: {body.get('reason') or 'unknown'}"
    return EXIT_HEALTHY, f"api: ready at {url} (revision {body.get('revision')})"


def _reason(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("reason") or "unknown")
    except (ValueError, AttributeError):
        return "unknown"


commands: list[click.Command] = [healthcheck]
