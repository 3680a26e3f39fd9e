"""`atp migrate` and `atp db-status`."""

from __future__ import annotations

import click

from atp.cli.common import get_context
from atp.db.revision import revision_status, upgrade_to_head


@click.command()
def migrate() -> None:
    """Upgrade the database to the head revision and seed built-in data (idempotent)."""
    app = get_context()
    upgrade_to_head(app.engine)
    from atp.runtime.seed import seed_all

    seed_all(app.sessions)
    click.echo(f"database at head: {revision_status(app.engine).describe()}")


@click.command("db-status")
def db_status() -> None:
    """Show the current and head revisions; exit 3 when not at head."""
    app = get_context()
    status = revision_status(app.engine)
    click.echo(status.describe() + (" (at head)" if status.at_head else " (run `atp migrate`)"))
    if not status.at_head:
        raise SystemExit(3)


commands: list[click.Command] = [migrate, db_status]
