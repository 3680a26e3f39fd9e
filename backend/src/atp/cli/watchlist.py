"""`atp watchlist ...`: operator and script access to the watchlist (source=cli)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from atp.cli.common import fail, get_context
from atp.db.session import unit_of_work
from atp.ops.config_trail import ChangeSource
from atp.watchlist import service
from atp.watchlist.models import WatchlistItem

T = TypeVar("T")

_COLUMNS = ("symbol", "preset", "alerts", "buy", "sell", "trade", "amount_usd", "deleted")


@click.group("watchlist")
def watchlist() -> None:
    """List and edit the watchlist."""


@watchlist.command("list")
@click.option("--all", "include_deleted", is_flag=True, help="Include soft-deleted symbols.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def list_cmd(include_deleted: bool, as_json: bool) -> None:
    """List watchlist symbols."""
    with unit_of_work(get_context().sessions) as session:
        rows = [_row(item) for item in service.list_items(session, include_deleted=include_deleted)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo("  ".join(f"{c:<12}" for c in _COLUMNS).rstrip())
    for row in rows:
        click.echo("  ".join(f"{_cell(row[c]):<12}" for c in _COLUMNS).rstrip())


@watchlist.command("add")
@click.argument("symbol")
@click.option("--preset", default=None, help="Strategy preset key, e.g. swing:conservative.")
@click.option("--alerts/--no-alerts", default=None, help="Master alert switch.")
@click.option("--trade-amount-usd", default=None, help="Order size in USD.")
def add_cmd(
    symbol: str, preset: str | None, alerts: bool | None, trade_amount_usd: str | None
) -> None:
    """Add SYMBOL to the watchlist."""
    values: dict[str, str] = {}
    if preset is not None:
        values["preset"] = preset
    if alerts is not None:
        values["alert_enabled"] = str(alerts)
    if trade_amount_usd is not None:
        values["trade_amount_usd"] = trade_amount_usd
    _apply(lambda s: service.add_item(s, symbol=symbol, source=ChangeSource.CLI, values=values))
    click.echo(f"added {symbol.upper()}")


@watchlist.command("set")
@click.argument("symbol")
@click.argument("assignments", nargs=-1, required=True)
def set_cmd(symbol: str, assignments: tuple[str, ...]) -> None:
    """Set configurable columns: atp watchlist set BTC_USDT trade_enabled=true alert_cooldown_minutes=30"""
    values: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep or not key:
            fail(f"expected key=value, got {assignment!r}")
        values[key.strip()] = value
    changed = _apply(
        lambda s: service.set_fields(s, symbol=symbol, values=values, source=ChangeSource.CLI)
    )
    if not changed:
        click.echo(f"{symbol.upper()}: nothing changed")
    for name, (old, new) in changed.items():
        click.echo(f"{symbol.upper()}: {name} {_cell(old)} -> {_cell(new)}")


@watchlist.command("remove")
@click.argument("symbol")
def remove_cmd(symbol: str) -> None:
    """Soft-delete SYMBOL (it can be restored)."""
    _apply(lambda s: service.remove_item(s, symbol=symbol, source=ChangeSource.CLI))
    click.echo(f"removed {symbol.upper()} (restore with `atp watchlist restore {symbol.upper()}`)")


@watchlist.command("restore")
@click.argument("symbol")
def restore_cmd(symbol: str) -> None:
    """Restore a soft-deleted SYMBOL with its previous settings."""
    _apply(lambda s: service.restore_item(s, symbol=symbol, source=ChangeSource.CLI))
    click.echo(f"restored {symbol.upper()}")


def _apply(action: Callable[[Session], T]) -> T:
    try:
        with unit_of_work(get_context().sessions) as session:
            return action(session)
    except service.WatchlistError as exc:
        fail(str(exc))


def _row(item: WatchlistItem) -> dict[str, object]:
    amount = item.trade_amount_usd
    return {
        "symbol": item.symbol,
        "preset": item.preset,
        "alerts": item.alert_enabled,
        "buy": item.buy_alert_enabled,
        "sell": item.sell_alert_enabled,
        "trade": item.trade_enabled,
        "amount_usd": format(amount.normalize(), "f") if isinstance(amount, Decimal) else None,
        "deleted": item.is_deleted,
    }


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


commands: list[click.Command] = [watchlist]
