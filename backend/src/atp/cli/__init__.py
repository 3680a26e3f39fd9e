"""`atp` console script. Each area registers its commands in `commands` of its own module.

The group (atp.cli.group) loads a command's module only when that command runs, and runs every
command behind one guard (atp.cli.guard): settings, then the database, then one-line errors.
"""

from __future__ import annotations

import click

from atp.cli.group import AtpGroup


@click.group(cls=AtpGroup)
def main() -> None:
    """Automated trading platform: processes and operator commands."""


@main.command()
def version() -> None:
    """Print the package version, git commit and build time (GIT_SHA, BUILD_TIME)."""
    from atp.ops.build_info import build_info
    from atp.settings import Settings

    try:
        settings: Settings | None = Settings()
    except Exception:  # a bad unrelated setting must not hide which build this is
        settings = None
    click.echo(build_info(settings).line())
