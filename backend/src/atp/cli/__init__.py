"""`atp` console script. Each area registers its commands from its own module."""

from __future__ import annotations

import click
from pydantic import ValidationError

from atp import __version__
from atp.cli import alerts, api, db, market, monitor, run, signals, status, switches, watchlist
from atp.cli.common import configure_logging, fail
from atp.runtime.context import AppContext
from atp.settings import describe_errors


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Automated trading platform: processes and operator commands."""
    try:
        app = ctx.ensure_object(AppContext)
    except ValidationError as exc:  # bad environment / runtime.env: one line, exit 2
        fail(describe_errors(exc), code=2)
    configure_logging(app.settings.log_level)
    ctx.call_on_close(app.close)


@main.command()
def version() -> None:
    """Print the package version."""
    click.echo(__version__)


for _module in (db, status, watchlist, switches, api, market, monitor, signals, alerts, run):
    for _command in _module.commands:
        main.add_command(_command)
