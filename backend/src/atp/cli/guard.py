"""The one guard every `atp` command runs behind: usable settings, a database at head, one-line errors.

Exit codes (docs/configuration.md, "Errors and exit codes"):
  1  the command itself failed (bad argument, unknown symbol, port taken, unexpected error)
  2  configuration: a bad setting, an unsupported DATABASE_URL, a database that cannot be reached
  3  schema: no database file yet, an empty database, or one not at the head revision
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from atp.db.revision import RevisionStatus
    from atp.runtime.context import AppContext

EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_SCHEMA = 3

# Commands that read no settings at all, and commands that must run without a database at head.
NEEDS_NO_SETTINGS = frozenset({"version"})
# `audit` checks the schema itself: "cannot run" is its exit 2, with the reason. `healthcheck`
# reads only the heartbeat table (or the API over HTTP) and has its own exit 2.
NEEDS_NO_SCHEMA = frozenset({"migrate", "db-status", "audit", "healthcheck"})

_CHECKED = "atp.guard.checked"
log = logging.getLogger("atp.cli")


class DatabaseMissingError(RuntimeError):
    """The embedded SQLite file does not exist; a read command must not create it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no database at {path}; run `atp migrate`")
        self.path = path


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def database_status(app: AppContext) -> RevisionStatus:
    """Current and head revision, read without creating or changing anything."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from atp.db.revision import revision_status

    url = app.settings.effective_database_url
    path = sqlite_file(url)
    if path is None:
        return revision_status(app.engine)
    if not path.is_file():
        raise DatabaseMissingError(path)
    # A plain connection (no WAL pragma) only reads: the file and its directory stay as they are.
    probe = create_engine(url, poolclass=NullPool)
    try:
        return revision_status(probe)
    finally:
        probe.dispose()


def check_database(app: AppContext) -> None:
    """Raise DatabaseMissingError or SchemaNotAtHeadError unless the database is at head."""
    from atp.db.revision import SchemaNotAtHeadError

    status = database_status(app)
    if not status.at_head:
        raise SchemaNotAtHeadError(status)


def preflight(ctx: click.Context, command: str) -> None:
    """Settings, logging and the database check for `command`, once per invocation."""
    root = ctx.find_root()
    if command in NEEDS_NO_SETTINGS or root.meta.get(_CHECKED):
        return
    root.meta[_CHECKED] = True
    if root.obj is None:
        from atp.settings import get_settings

        get_settings()  # a bad value raises here, before the database layer is even imported
    from atp.cli.common import configure_logging
    from atp.runtime.context import AppContext

    app = root.ensure_object(AppContext)
    configure_logging(app.settings.log_level)
    root.call_on_close(app.close)
    if command not in NEEDS_NO_SCHEMA:
        check_database(app)


def already_checked() -> bool:
    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(ctx.find_root().meta.get(_CHECKED))


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn any failure into one line on stderr and the documented exit code (no traceback)."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise  # click prints these itself (usage errors are one line plus a usage hint)
    except Exception as exc:
        message, code = describe_failure(exc)
        log.debug("command failed", exc_info=exc)  # LOG_LEVEL=DEBUG shows the traceback
        click.echo(f"error: {message}", err=True)
        raise SystemExit(code) from None


def describe_failure(exc: Exception) -> tuple[str, int]:
    """The one line and exit code for a failure (never SQL, parameters or passwords)."""
    from pydantic import ValidationError
    from sqlalchemy import exc as sa

    from atp.core.errors import clean_error_text, short_error
    from atp.db.revision import SchemaNotAtHeadError
    from atp.settings import describe_errors

    if isinstance(exc, ValidationError):
        return describe_errors(exc), EXIT_CONFIGURATION
    if isinstance(exc, DatabaseMissingError | SchemaNotAtHeadError):
        return str(exc), EXIT_SCHEMA
    if isinstance(exc, sa.NoSuchModuleError | sa.ArgumentError):
        return f"DATABASE_URL is not usable: {clean_error_text(str(exc))}", EXIT_CONFIGURATION
    if isinstance(exc, sa.DBAPIError) and _missing_table(exc):
        detail = clean_error_text(str(exc.orig))
        return f"database schema is incomplete ({detail}); run `atp migrate`", EXIT_SCHEMA
    if isinstance(exc, sa.OperationalError | sa.InterfaceError):
        return (
            f"cannot use the database {_safe_database_url()}: {clean_error_text(str(exc.orig))}; "
            "check DATABASE_URL and that the database server is running",
            EXIT_CONFIGURATION,
        )
    return (
        f"unexpected {short_error(exc)} (run with LOG_LEVEL=DEBUG for the traceback)",
        EXIT_FAILED,
    )


def _missing_table(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _safe_database_url() -> str:
    ctx = click.get_current_context(silent=True)
    obj = None if ctx is None else ctx.find_root().obj
    settings = getattr(obj, "settings", None)
    if settings is None:
        return "(DATABASE_URL)"
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)
