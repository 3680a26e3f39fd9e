"""`atp settings list|set`: operator switches and limits in `trading_settings` (source=cli)."""

from __future__ import annotations

import click

from atp.cli.common import fail, get_context
from atp.db.session import unit_of_work
from atp.ops.config_trail import ChangeSource
from atp.ops.trading_settings import SettingError, list_settings, set_setting


@click.group("settings")
def settings_group() -> None:
    """Kill switch, live trading, monitor pause, Telegram switch and order limits."""


@settings_group.command("list")
def list_cmd() -> None:
    """Show every switch and limit with its effective value."""
    with get_context().sessions() as session:
        rows = list_settings(session)
    for row in rows:
        origin = "default" if row.is_default else f"set by {row.updated_by or '?'}"
        click.echo(f"{row.key:<31} {row.value:<8} ({origin}) {row.meaning}")


# `-5` is a value to refuse with a reason ("must be > 0"), not an unknown option.
@settings_group.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
def set_cmd(key: str, value: str) -> None:
    """Set KEY to VALUE, e.g. `atp settings set LIVE_TRADING on`."""
    try:
        with unit_of_work(get_context().sessions) as session:
            changed = set_setting(session, key=key, raw=value, source=ChangeSource.CLI)
    except SettingError as exc:
        fail(f"{key}: {exc}")
    if changed is None:
        click.echo(f"{key.upper()}: unchanged")
    else:
        click.echo(f"{key.upper()}: {changed[0] or '-'} -> {changed[1]}")


commands: list[click.Command] = [settings_group]
