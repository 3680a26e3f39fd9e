"""`atp watchlist ...`: operator and script access to the watchlist (source=cli)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from atp.cli.common import fail, get_context
from atp.core.presets import DEFAULT_PRESET_KEY
from atp.db.base import utcnow
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

    def add(session: Session) -> tuple[WatchlistItem, service.Listing]:
        item = service.add_item(session, symbol=symbol, source=ChangeSource.CLI, values=values)
        return item, service.instrument_listing(session, item.symbol)

    item, listing = _apply(add)
    if listing is service.Listing.UNKNOWN:
        click.echo(
            "warning: instrument list not loaded yet (the market updater stores it); "
            f"{item.symbol} added unchecked",
            err=True,
        )
    elif listing is service.Listing.REPLAY:
        click.echo(
            f"note: market data comes from the replay feed; {item.symbol} was not checked "
            "against the exchange's instrument list",
            err=True,
        )
    for line in _added_lines(item):
        click.echo(line)
    _warn_above_order_cap(item.symbol, item.trade_amount_usd)


# `-5` in `trade_amount_usd -5` is a value for the field's own check, not an unknown option.
@watchlist.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("symbol")
@click.argument("assignments", nargs=-1, required=True)
def set_cmd(symbol: str, assignments: tuple[str, ...]) -> None:
    """Set configurable columns: atp watchlist set BTC_USDT trade_enabled=true alert_cooldown_minutes=30

    `key value` pairs work too: atp watchlist set BTC_USDT trade_amount_usd 250
    """
    values = _pairs(assignments)
    changed = _apply(
        lambda s: service.set_fields(s, symbol=symbol, values=values, source=ChangeSource.CLI)
    )
    if not changed:
        click.echo(f"{symbol.upper()}: nothing changed")
    for name, (old, new) in changed.items():
        click.echo(f"{symbol.upper()}: {name} {_cell(old)} -> {_cell(new)}")
    if "trade_amount_usd" in changed:
        _warn_above_order_cap(symbol.upper(), changed["trade_amount_usd"][1])


def _pairs(assignments: tuple[str, ...]) -> dict[str, str]:
    """`key=value` items, or `key value` pairs, in order."""
    values: dict[str, str] = {}
    tokens = list(assignments)
    while tokens:
        key, sep, value = tokens.pop(0).partition("=")
        if not sep:
            if not tokens or not key:
                fail(f"expected key=value or key value, got {key!r} without a value")
            value = tokens.pop(0)
        if not key.strip():
            fail(f"expected key=value, got {'=' + value!r}")
        values[key.strip()] = value
    return values


def _warn_above_order_cap(symbol: str, amount: object) -> None:
    """Saved, but say so now: the MAX_USD_PER_ORDER gate will refuse every order above the cap."""
    with get_context().sessions() as session:
        warning = service.order_cap_warning(session, symbol, amount)
    if warning is not None:
        click.echo(f"warning: {warning}", err=True)


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


@watchlist.command("mute")
@click.argument("symbol")
@click.option("--minutes", default=60, show_default=True, type=int, help="How long (0 unmutes).")
def mute_cmd(symbol: str, minutes: int) -> None:
    """Mute SYMBOL's alerts (and so its orders) for a while."""
    until = _apply(
        lambda s: service.mute_item(
            s, symbol=symbol, minutes=minutes, now=utcnow(), source=ChangeSource.CLI
        )
    )
    click.echo(
        f"{symbol.upper()} unmuted"
        if until is None
        else f"{symbol.upper()} muted until {until:%Y-%m-%d %H:%M} UTC"
    )


@watchlist.command("unmute")
@click.argument("symbol")
def unmute_cmd(symbol: str) -> None:
    """End SYMBOL's mute now."""
    _apply(
        lambda s: service.mute_item(
            s, symbol=symbol, minutes=0, now=utcnow(), source=ChangeSource.CLI
        )
    )
    click.echo(f"{symbol.upper()} unmuted")


def _apply(action: Callable[[Session], T]) -> T:
    try:
        with unit_of_work(get_context().sessions) as session:
            return action(session)
    except service.WatchlistError as exc:
        fail(str(exc))


def _added_lines(item: WatchlistItem) -> list[str]:
    """What the new row will do: its effective preset and switches, and how to turn alerts on."""
    preset = item.preset or f"{DEFAULT_PRESET_KEY} (default)"
    alerts = _on(item.alert_enabled)
    lines = [
        f"added {item.symbol}",
        f"  preset: {preset}",
        f"  alerts: {alerts} (buy {_on(item.buy_alert_enabled)}, "
        f"sell {_on(item.sell_alert_enabled)})",
        f"  trade:  {_on(item.trade_enabled)} (margin {_on(item.trade_on_margin)}, "
        f"amount_usd {_cell(item.trade_amount_usd)})",
    ]
    if not item.alert_enabled:
        lines.append(f"  turn alerts on: atp watchlist set {item.symbol} alert_enabled=true")
    return lines


def _on(flag: bool) -> str:
    return "on" if flag else "off"


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
