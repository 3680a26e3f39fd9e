"""CLI commands for the monitor area (filled in by the monitor issue)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
