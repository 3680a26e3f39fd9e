"""Shared CLI plumbing: the app context, logging setup, one-line failures and the start guard."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from atp.cli.guard import already_checked, check_database, one_line_errors
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
    # PTB logs the bot URL, token included, at DEBUG ("Set Bot API URL: .../bot<token>"):
    # never below INFO, never more verbose than LOG_LEVEL (tests/integration/test_secret_scan.py).
    telegram_level = max(logging.INFO, logging.getLevelNamesMapping()[level.upper()])
    logging.getLogger("telegram").setLevel(telegram_level)
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
    """Refuse to start on a database that is missing, unreachable or not at head.

    Every command already passed this check in the group's preflight (atp.cli.guard); this call
    keeps process commands safe when invoked any other way. Exit 3 (schema) or 2 (unreachable).
    """
    if already_checked():
        return
    with one_line_errors():
        check_database(app)
