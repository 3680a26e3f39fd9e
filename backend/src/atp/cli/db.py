"""`atp migrate` and `atp db-status`."""

from __future__ import annotations

import click

from atp.cli.common import fail, get_context
from atp.cli.guard import (
    EXIT_CONFIGURATION,
    EXIT_SCHEMA,
    DatabaseMissingError,
    database_status,
)
from atp.db.revision import head_revision, revision_status, upgrade_to_head


@click.command()
def migrate() -> None:
    """Upgrade the database to the head revision and seed built-in data (idempotent)."""
    app = get_context()
    try:
        engine = app.engine  # creates the embedded database's directory when missing
    except OSError as exc:
        fail(
            f"cannot create the database directory ({exc.strerror}: {exc.filename}); "
            "check ATP_DATA_DIR or DATABASE_URL",
            code=EXIT_CONFIGURATION,
        )
    upgrade_to_head(engine)
    from atp.runtime.seed import seed_all

    seed_all(app.sessions)
    click.echo(f"database at head: {revision_status(engine).describe()}")


@click.command("db-status")
def db_status() -> None:
    """Show the current and head revisions; exit 3 when not at head (creates nothing)."""
    app = get_context()
    try:
        status = database_status(app)
    except DatabaseMissingError as exc:
        head = head_revision(app.settings.effective_database_url)
        click.echo(f"current=none (no database at {exc.path}) head={head} (run `atp migrate`)")
        raise SystemExit(EXIT_SCHEMA) from None
    click.echo(status.describe() + (" (at head)" if status.at_head else " (run `atp migrate`)"))
    if not status.at_head:
        raise SystemExit(EXIT_SCHEMA)


commands: list[click.Command] = [migrate, db_status]
