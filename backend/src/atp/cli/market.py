"""CLI commands for the market area (filled in by the market issue)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
