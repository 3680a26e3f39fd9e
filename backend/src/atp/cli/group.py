"""The `atp` click group: commands load on demand, and every one runs behind the guard.

Each area lists its commands in `commands` of its module (atp/cli/<module>.py). A command's
module is imported only when that command runs (the whole CLI would take a second to import),
so a settings or database problem is reported before any heavy import. `COMMAND_MODULES` is
only a shortcut: a name it does not know makes the group import every module, so a new command
works (and is guarded) without touching this file.
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import Any

import click

from atp.cli.guard import one_line_errors, preflight

CLI_MODULES: tuple[str, ...] = (
    *("db", "status", "watchlist", "switches", "api"),
    *("market", "monitor", "signals", "alerts", "orders", "run", "audit"),
    "health",
    "bot",
)

COMMAND_MODULES = {
    "migrate": "db",
    "db-status": "db",
    "status": "status",
    "watchlist": "watchlist",
    "settings": "switches",
    "api": "api",
    "market": "market",
    "market-health": "market",
    "monitor": "monitor",
    "why": "monitor",
    "presets": "signals",
    "backtest": "signals",
    "sender": "alerts",
    "alerts": "alerts",
    "telegram": "alerts",
    "run": "run",
    "sync": "orders",
    "orders": "orders",
    "positions": "orders",
    "audit": "audit",
    "healthcheck": "health",
    "bot": "bot",
}


class AtpGroup(click.Group):
    """Lazy command loading, the preflight guard and one-line errors for every subcommand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._imported: set[str] = set()
        self._registry: dict[str, click.Command] = {}
        super().__init__(*args, **kwargs)

    # `commands` stays a plain mapping for callers (help, tests): reading it loads everything.
    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        self._import_all()
        return self._registry

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._registry = dict(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._registry[name] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._registry and cmd_name in COMMAND_MODULES:
            self._import(COMMAND_MODULES[cmd_name])
        if cmd_name not in self._registry:
            self._import_all()
        return self._registry.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._import_all()
        return sorted(self._registry)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Known names are checked before their module is imported (fast, clear failures).
        early = bool(args) and (args[0] in COMMAND_MODULES or args[0] in self._registry)
        if early and not _wants_help(args):
            preflight(ctx, args[0])
        name, command, rest = super().resolve_command(ctx, args)
        if not early and name is not None and not _wants_help(rest):
            preflight(ctx, name)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_errors():
            return super().invoke(ctx)

    def _import_all(self) -> None:
        for module in CLI_MODULES:
            self._import(module)

    def _import(self, module: str) -> None:
        if module in self._imported:
            return
        self._imported.add(module)
        for command in importlib.import_module(f"atp.cli.{module}").commands:
            self.add_command(command)


def _wants_help(args: list[str]) -> bool:
    return "--help" in args
