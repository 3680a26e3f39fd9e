"""Shared CLI plumbing: the app context, logging setup and the schema start guard."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from atp.db.revision import EXIT_SCHEMA_NOT_AT_HEAD, SchemaNotAtHeadError, require_head
from atp.runtime.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO; keep it quiet (and tokens out of logs).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic narrates every context at INFO; the guard and `atp migrate` print their own summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def get_context() -> AppContext:
    ctx = click.get_current_context()
    app = ctx.find_object(AppContext)
    if app is None:
        app = ctx.ensure_object(AppContext)
    return app


def fail(message: str, code: int = 1) -> NoReturn:
    """Exit with a one-line reason on stderr; nothing has been changed."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def guard_schema(app: AppContext) -> None:
    """Long-running processes refuse to start on a database that is not at head (exit 3)."""
    try:
        require_head(app.engine)
    except SchemaNotAtHeadError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_SCHEMA_NOT_AT_HEAD)
    except Exception as exc:  # unreachable database: one line, no traceback, no crash loop spam
        click.echo(f"error: cannot check the database schema: {_first_line(exc)}", err=True)
        sys.exit(EXIT_SCHEMA_NOT_AT_HEAD)


def _first_line(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy appends SQL and a help link on more lines)."""
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return f"{type(cause).__name__}: {lines[0] if lines else 'no details'}"
