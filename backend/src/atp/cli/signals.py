"""CLI commands for the signals area (filled in by the signals issue)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
