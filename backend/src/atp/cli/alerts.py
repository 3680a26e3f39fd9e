"""CLI commands for the alerts area (filled in by the alerts issue)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
